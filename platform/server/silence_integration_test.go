//go:build integration && disruptive

package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	httptransport "github.com/go-openapi/runtime/client"
	"github.com/go-openapi/strfmt"
	amclient "github.com/prometheus/alertmanager/api/v2/client"
	"github.com/prometheus/alertmanager/api/v2/client/alert"
	"github.com/prometheus/alertmanager/api/v2/client/general"
	"github.com/prometheus/alertmanager/api/v2/client/silence"
	"github.com/prometheus/alertmanager/api/v2/models"

	"github.com/vigie-dev/vigie/internal/stackenv"
	"github.com/vigie-dev/vigie/platform/actions/actionstest"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/auth"
	"github.com/vigie-dev/vigie/platform/policy"
	"github.com/vigie-dev/vigie/platform/store"
)

// silenceStackConfig is the stack's users (alice payments oncall, bob search oncall)
// with silences allowed to oncalls in production.
const silenceStackConfig = `
teams:
  payments:
    namespaces: {payments: production}
    selector: team=payments
  search:
    namespaces: {search: production}
    selector: team=search
users:
  alice: {payments: oncall}
  bob: {search: oncall}
policy:
  production:
    silence:        {oncall: allow}
    expire-silence: {oncall: allow}
limits: {maxSilence: 10m}
`

// stackAlertmanager is a client of the local platform's Alertmanager; the test fails
// (never skips) when it does not answer.
func stackAlertmanager(t *testing.T) (string, *amclient.AlertmanagerAPI) {
	t.Helper()
	raw := stackenv.MustLoad(t).MustGet(t, "VIGIE_STACK_AM_URL")
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	c := amclient.New(httptransport.New(u.Host, strings.TrimSuffix(u.Path, "/")+"/api/v2", []string{u.Scheme}), strfmt.Default)
	if _, err := c.General.GetStatus(general.NewGetStatusParams().WithTimeout(5 * time.Second)); err != nil {
		t.Fatalf("the local platform's Alertmanager at %s does not answer (start it with %q): %v", raw, stackenv.StartCommand, err)
	}
	return raw, c
}

// This file runs with the disruptive tests (after the others): it silences a seeded alert
// that other integration tests expect active.
//
// payments' seeded HighErrorRatio (the bad ledger release), as Alertmanager shows it now.
func highErrorRatioAlert(t *testing.T, c *amclient.AlertmanagerAPI) *models.GettableAlert {
	t.Helper()
	res, err := c.Alert.GetAlerts(alert.NewGetAlertsParams().WithTimeout(5 * time.Second).
		WithFilter([]string{`team="payments"`, `alertname="HighErrorRatio"`}))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res.Payload {
		if a.Labels["service"] == "ledger" {
			return a
		}
	}
	t.Fatalf("payments' HighErrorRatio (ledger) is not firing: the local platform's seeded bad release is gone (restart it with %q)", stackenv.StartCommand)
	return nil
}

func getSilence(t *testing.T, c *amclient.AlertmanagerAPI, id string) *models.GettableSilence {
	t.Helper()
	res, err := c.Silence.GetSilence(silence.NewGetSilenceParams().WithTimeout(5 * time.Second).WithSilenceID(strfmt.UUID(id)))
	if err != nil {
		t.Fatalf("silence %s: %v", id, err)
	}
	return res.Payload
}

// silencesWithComment counts the silences (any state) whose comment is comment.
func silencesWithComment(t *testing.T, c *amclient.AlertmanagerAPI, comment string) int {
	t.Helper()
	res, err := c.Silence.GetSilences(silence.NewGetSilencesParams().WithTimeout(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range res.Payload {
		if s.Comment != nil && *s.Comment == comment {
			n++
		}
	}
	return n
}

// Through an in-process server, alice (payments oncall) silences payments'
// HighErrorRatio for 2 minutes in the local platform's Alertmanager: the silence carries
// team="payments", createdBy alice and the reason, and the alert shows as silenced by it.
// bob (search) can neither expire it nor silence payments' alerts, and alice cannot
// silence search's; then alice expires it through the API. The silence is expired at the
// end whatever happens. (Silences never touch Kubernetes: the server's cluster is a fake.)
func TestSilenceOnTheLocalAlertmanager(t *testing.T) {
	amURL, am := stackAlertmanager(t)
	highErrorRatioAlert(t, am) // fails when the seeded alert is not firing

	cfg, err := policy.Parse("silence.yaml", []byte(silenceStackConfig))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "platform.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	srv, err := New(Options{Config: cfg, Store: st, Kube: actionstest.New(), AlertmanagerURL: amURL, ActionTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e := &env{t: t, srv: srv, ts: ts, store: st, tokens: map[string]string{}}
	svc := auth.New(st, nil)
	for _, u := range []string{"alice", "bob"} {
		e.tokens[u] = e.token(svc, auth.CreateOptions{User: u, TTL: time.Hour})
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	why := "vigie platform integration test " + hex.EncodeToString(b) + ": silence, then expire"
	req := silenceReq("payments", "2m", why, highErrorRatio)

	// A dry run creates nothing.
	r := e.do("POST", "/v1/actions?dryRun=true", "alice", req)
	if o := r.outcome(t); r.status != 200 || !o.DryRun || !strings.Contains(o.Message, "it matches") || !strings.Contains(o.Message, "HighErrorRatio") {
		t.Fatalf("dry run: %d %s", r.status, r.body)
	}
	if n := silencesWithComment(t, am, why); n != 0 {
		t.Fatalf("the dry run created %d silences", n)
	}

	r = e.do("POST", "/v1/actions", "alice", req)
	o := r.outcome(t)
	if r.status != 200 || o.Silence == nil || o.Silence.ID == "" {
		t.Fatalf("silence: %d %s", r.status, r.body)
	}
	id := o.Silence.ID
	t.Cleanup(func() { // whatever happened: leave no silence behind
		_, _ = am.Silence.DeleteSilence(silence.NewDeleteSilenceParams().WithTimeout(5 * time.Second).WithSilenceID(strfmt.UUID(id)))
	})

	// Alertmanager lists it, as the server built it (Alertmanager moves a startsAt in the
	// past to its own now: the duration it shows is a little under 2m).
	s := getSilence(t, am, id)
	var ms []string
	for _, m := range s.Matchers {
		ms = append(ms, *m.Name+"="+*m.Value)
	}
	if *s.CreatedBy != "alice" || *s.Comment != why || *s.Status.State != "active" || strings.Join(ms, ",") != "team=payments,alertname=HighErrorRatio" ||
		!time.Time(*s.EndsAt).Equal(o.Silence.EndsAt) || o.Silence.EndsAt.Sub(o.Silence.StartsAt) != 2*time.Minute ||
		time.Time(*s.EndsAt).Sub(time.Time(*s.StartsAt)) > 2*time.Minute || time.Time(*s.EndsAt).Sub(time.Time(*s.StartsAt)) < 110*time.Second {
		t.Errorf("silence in Alertmanager: %v by %s (%q), %s, %v to %v", ms, *s.CreatedBy, *s.Comment, *s.Status.State, *s.StartsAt, *s.EndsAt)
	}
	// ... and the alert shows as silenced by it (Alertmanager marks it within seconds).
	deadline := time.Now().Add(20 * time.Second)
	for {
		a := highErrorRatioAlert(t, am)
		if *a.Status.State == "suppressed" && slices.Contains(a.Status.SilencedBy, id) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("HighErrorRatio never showed as silenced by %s: %s silenced by %v", id, *a.Status.State, a.Status.SilencedBy)
		}
		time.Sleep(250 * time.Millisecond)
	}

	// search can neither expire it nor silence payments' alerts; payments cannot silence search's.
	for _, c := range []struct {
		who  string
		body api.ActionRequest
		want string
	}{
		{"bob", expireReq("search", id, why), "not one of team search's silences"},
		{"bob", expireReq("payments", id, why), "bob is not a member of team payments"},
		{"bob", silenceReq("search", "2m", why, api.Matcher{Name: "team", Value: "payments"}, highErrorRatio), "team search can silence only its own alerts"},
		{"alice", silenceReq("payments", "2m", why, api.Matcher{Name: "team", Value: "search"}, highErrorRatio), "team payments can silence only its own alerts"},
	} {
		r := e.do("POST", "/v1/actions", c.who, c.body)
		if eb := r.errorBody(t); r.status != 403 || !strings.Contains(eb.Message, c.want) || eb.Details["auditId"] == "" {
			t.Errorf("%s %s: %d %s", c.who, c.body.Kind, r.status, r.body)
		}
	}
	if n := silencesWithComment(t, am, why); n != 1 {
		t.Errorf("%d silences with the test's comment, want only the first", n)
	}
	if s := getSilence(t, am, id); *s.Status.State != "active" {
		t.Errorf("after the refusals the silence is %s", *s.Status.State)
	}

	// Expire it through the API.
	r = e.do("POST", "/v1/actions", "alice", expireReq("payments", id, why))
	if o := r.outcome(t); r.status != 200 || o.Silence == nil || o.Silence.State != "expired" {
		t.Fatalf("expire: %d %s", r.status, r.body)
	}
	if s := getSilence(t, am, id); *s.Status.State != "expired" {
		t.Errorf("silence %s is %s in Alertmanager, want expired", id, *s.Status.State)
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		a := highErrorRatioAlert(t, am)
		if !slices.Contains(a.Status.SilencedBy, id) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("HighErrorRatio is still silenced by the expired %s", id)
		}
		time.Sleep(250 * time.Millisecond)
	}
	r = e.do("POST", "/v1/actions", "alice", expireReq("payments", id, why))
	if o := r.outcome(t); r.status != 200 || !strings.Contains(o.Message, "already expired: nothing to do") {
		t.Errorf("expire again: %d %s", r.status, r.body)
	}
	e.verify()
}
