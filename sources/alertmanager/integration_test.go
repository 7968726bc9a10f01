//go:build integration

package alertmanager

import (
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/prometheus/alertmanager/api/v2/client/alert"
	"github.com/prometheus/alertmanager/api/v2/client/silence"
	"github.com/prometheus/alertmanager/api/v2/models"

	"github.com/vigie-dev/vigie/internal/stackenv"
)

// stackAM returns the local platform's Alertmanager URL and a client; the test fails
// (never skips) when the platform is down.
func stackAM(t *testing.T) (string, *Client) {
	t.Helper()
	u := stackenv.MustLoad(t).MustGet(t, "VIGIE_STACK_AM_URL")
	c, err := New(Options{URL: u, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if checks := c.Probe(context.Background()); !checks[0].OK {
		t.Fatalf("the local platform's Alertmanager at %s does not answer (start it with %q): %s", u, stackenv.StartCommand, checks[0].Detail)
	}
	return u, c
}

var payments = TeamFilter{Matchers: map[string]string{"team": "payments"}}

func find(alerts []Alert, name, service string) *Alert {
	i := slices.IndexFunc(alerts, func(a Alert) bool { return a.Name == name && a.Labels["service"] == service })
	if i < 0 {
		return nil
	}
	return &alerts[i]
}

// The seeded bad release of ledger fires HighErrorRatio (severity page) with its runbook,
// and inhibits ledger's HighLatencyP99 (warning).
func TestSeededPaymentsAlerts(t *testing.T) {
	_, c := stackAM(t)
	alerts, err := c.Alerts(context.Background(), payments)
	if err != nil {
		t.Fatal(err)
	}
	hi := find(alerts, "HighErrorRatio", "ledger")
	if hi == nil {
		t.Fatalf("no HighErrorRatio for ledger in %d alerts", len(alerts))
	}
	if hi.RunbookURL != "https://runbooks.local/payments/high-error-ratio.md" || hi.Summary != "ledger is failing requests" ||
		hi.State != StateActive || hi.Level() != LevelCritical || hi.StartsAt.IsZero() || !strings.Contains(hi.GeneratorURL, "/graph?g0.expr=") {
		t.Errorf("HighErrorRatio = %+v", hi)
	}
	slow := find(alerts, "HighLatencyP99", "ledger")
	if slow == nil {
		t.Fatal("no HighLatencyP99 for ledger")
	}
	if slow.State != StateInhibited || !slices.Contains(slow.InhibitedBy, hi.Fingerprint) {
		t.Errorf("HighLatencyP99 state %s inhibited by %v, want inhibited by %s", slow.State, slow.InhibitedBy, hi.Fingerprint)
	}
	if find(alerts, "PodCrashLooping", "fraud-worker") == nil {
		t.Error("no PodCrashLooping for fraud-worker")
	}
	if alerts[0].Level() != LevelCritical {
		t.Errorf("first alert %s is %s, want the critical one first", alerts[0].Name, alerts[0].Level())
	}
	for _, a := range alerts {
		if a.Labels["team"] != "payments" {
			t.Errorf("alert of team %q in the payments filter: %s", a.Labels["team"], a.Name)
		}
	}
	groups := GroupAlerts(alerts, "service")
	if groups[0].Value != "ledger" || groups[0].Level != LevelCritical || groups[0].Inhibited != 1 {
		t.Errorf("first group = %+v", groups[0])
	}
}

// post sends synthetic alerts that end soon, and resolves them when the test ends.
func post(t *testing.T, c *Client, labels ...map[string]string) {
	t.Helper()
	send := func(ends time.Time) error {
		var as models.PostableAlerts
		for _, l := range labels {
			as = append(as, &models.PostableAlert{
				Alert:    models.Alert{Labels: models.LabelSet(l)},
				StartsAt: strfmt.DateTime(time.Now().Add(-time.Minute)), EndsAt: strfmt.DateTime(ends),
				Annotations: models.LabelSet{"summary": "vigie sources integration test"},
			})
		}
		_, err := c.api.Alert.PostAlerts(alert.NewPostAlertsParams().WithTimeout(c.timeout).WithAlerts(as), c.authOpt())
		return err
	}
	if err := send(time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = send(time.Now()) })
}

// The team filter is applied by Alertmanager: search's alerts, and alerts whose team
// value only looks like "payments" once quotes are mangled, never come back for payments.
// The synthetic alerts carry a test label, last a minute, and are resolved at the end.
func TestTeamFilterExcludesOtherTeams(t *testing.T) {
	_, c := stackAM(t)
	probe := "VigieSourcesFilterProbe"
	post(t, c,
		map[string]string{"alertname": probe, "team": "search", "service": "search-api", "severity": "info", "vigie_test": "sources"},
		map[string]string{"alertname": probe, "team": `payments",team=~".*`, "severity": "info", "vigie_test": "sources"},
		map[string]string{"alertname": probe, "team": `payments\`, "severity": "info", "vigie_test": "sources"},
	)
	ctx := context.Background()
	alerts, err := c.Alerts(ctx, payments)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		if a.Labels["team"] != "payments" {
			t.Errorf("payments filter returned %s of team %q", a.Name, a.Labels["team"])
		}
	}
	for _, team := range []string{"search", `payments",team=~".*`, `payments\`} {
		got, err := c.Alerts(ctx, TeamFilter{Matchers: map[string]string{"team": team, "vigie_test": "sources"}})
		if err != nil {
			t.Fatalf("team %q: %v", team, err)
		}
		if len(got) != 1 || got[0].Labels["team"] != team {
			t.Errorf("filter team=%q returned %d alerts: %+v", team, len(got), got)
		}
	}
	both, err := c.Alerts(ctx, TeamFilter{OneOf: map[string][]string{"team": {"search", `payments\`}}, Matchers: map[string]string{"vigie_test": "sources"}})
	if err != nil || len(both) != 2 {
		t.Errorf("OneOf search, payments\\: %d alerts, %v", len(both), err)
	}
}

// A silence shows as silenced, with who made it, through Alerts, Silences and Poll.
func TestSilencedAlertAndWhoSilenced(t *testing.T) {
	_, c := stackAM(t)
	probe := "VigieSourcesSilenceProbe"
	post(t, c, map[string]string{"alertname": probe, "team": "payments", "service": "vigie-test", "severity": "info", "vigie_test": "sources"})
	name, value, yes, no := "alertname", probe, true, false
	team, pay := "team", "payments"
	created, comment := "vigie-integration-test", "sources test: silences only its own synthetic alert"
	start, end := strfmt.DateTime(time.Now()), strfmt.DateTime(time.Now().Add(2*time.Minute))
	res, err := c.api.Silence.PostSilences(silence.NewPostSilencesParams().WithTimeout(c.timeout).WithSilence(&models.PostableSilence{
		Silence: models.Silence{CreatedBy: &created, Comment: &comment, StartsAt: &start, EndsAt: &end, Matchers: models.Matchers{
			{Name: &name, Value: &value, IsRegex: &no, IsEqual: &yes}, {Name: &team, Value: &pay, IsRegex: &no, IsEqual: &yes},
		}},
	}), c.authOpt())
	if err != nil {
		t.Fatal(err)
	}
	id := res.Payload.SilenceID
	t.Cleanup(func() {
		_, _ = c.api.Silence.DeleteSilence(silence.NewDeleteSilenceParams().WithTimeout(c.timeout).WithSilenceID(strfmt.UUID(id)), c.authOpt())
	})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := Poll(ctx, c, TeamFilter{Matchers: map[string]string{"team": "payments", "vigie_test": "sources"}}, PollOptions{Interval: 200 * time.Millisecond})
	deadline := time.After(15 * time.Second)
	for {
		var s Snapshot
		select {
		case s = <-ch:
		case <-deadline:
			t.Fatal("the synthetic alert never showed as silenced")
		}
		if s.Err != nil {
			t.Fatal(s.Err)
		}
		a := find(s.Alerts, probe, "vigie-test")
		if a == nil || a.State != StateSilenced { // Alertmanager marks it within a few seconds
			continue
		}
		if !slices.Contains(a.SilencedBy, id) {
			t.Fatalf("silenced by %v, want %s", a.SilencedBy, id)
		}
		sil, ok := s.Silences[id]
		if !ok || sil.CreatedBy != created || sil.Comment != comment || sil.State != "active" || !slices.Contains(sil.Matchers, `alertname="`+probe+`"`) {
			t.Fatalf("silence = %+v", sil)
		}
		break
	}
	sils, err := c.Silences(context.Background(), payments)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(sils, func(s Silence) bool { return s.ID == id && s.CreatedBy == created }) {
		t.Errorf("Silences(team=payments) = %+v, want %s", sils, id)
	}
}

// The poller keeps the last alerts, marked stale, while Alertmanager is away, and
// recovers when it comes back.
func TestPollSurvivesAlertmanagerGoingAway(t *testing.T) {
	base, _ := stackAM(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	serve := func(addr string) (*http.Server, string) {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: proxy}
		go func() { _ = srv.Serve(l) }()
		return srv, l.Addr().String()
	}
	srv, addr := serve("127.0.0.1:0")
	defer func() { _ = srv.Close() }()
	c, err := New(Options{URL: "http://" + addr, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := Poll(ctx, c, payments, PollOptions{Interval: 200 * time.Millisecond, MaxBackoff: 400 * time.Millisecond})
	next := func() Snapshot {
		select {
		case s := <-ch:
			return s
		case <-time.After(20 * time.Second):
			t.Fatal("no snapshot")
		}
		return Snapshot{}
	}
	s := next()
	if s.Err != nil || find(s.Alerts, "HighErrorRatio", "ledger") == nil {
		t.Fatalf("first poll: %+v", s)
	}
	good := s.AlertsAt
	_ = srv.Close()
	for s = next(); s.Err == nil; s = next() {
	}
	if !s.Stale() || !s.AlertsAt.Equal(good) || find(s.Alerts, "HighErrorRatio", "ledger") == nil ||
		!strings.Contains(s.Err.Error(), "connection refused") {
		t.Errorf("while away: stale %v, alerts at %s (good %s), err %v", s.Stale(), s.AlertsAt, good, s.Err)
	}
	srv, _ = serve(addr)
	for s = next(); s.Err != nil; s = next() {
	}
	if s.Stale() || !s.AlertsAt.After(good) {
		t.Errorf("after return: %+v", s)
	}
}
