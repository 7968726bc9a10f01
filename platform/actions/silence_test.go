package actions

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/platform/actions/actionstest"
	"github.com/vigie-dev/vigie/platform/api"
)

var (
	teamPayments = []api.Matcher{{Name: "team", Value: "payments"}}
	highErrors   = api.Matcher{Name: "alertname", Value: "HighErrorRatio"}
	seededAlerts = []map[string]string{
		{"alertname": "HighErrorRatio", "team": "payments", "service": "ledger"},
		{"alertname": "HighLatencyP99", "team": "payments", "service": "ledger"},
		{"alertname": "HighErrorRatio", "team": "search", "service": "search-api"},
	}
)

func silenceRunner(t *testing.T) (*Runner, *actionstest.Alertmanager) {
	t.Helper()
	am := actionstest.NewAlertmanager(func() time.Time { return now }, seededAlerts...)
	t.Cleanup(am.Close)
	r, err := New(Options{Client: actionstest.New(), Timeout: 5 * time.Second, Now: func() time.Time { return now }, Alertmanager: am.URL})
	if err != nil {
		t.Fatal(err)
	}
	return r, am
}

func silenceReq(d time.Duration, dryRun bool, ms ...api.Matcher) Request {
	return Request{Kind: api.ActionSilence, Target: api.Target{Namespace: "payments"}, DryRun: dryRun, Silence: Silence{
		Team: "payments", TeamMatchers: teamPayments, Matchers: append(append([]api.Matcher{}, teamPayments...), ms...),
		Duration: d, MaxDuration: 24 * time.Hour, CreatedBy: "alice", Comment: "INC-7: ledger rollback running"}}
}

func expireReq(id string, dryRun bool) Request {
	return Request{Kind: api.ActionExpireSilence, Target: api.Target{Namespace: "payments"}, DryRun: dryRun,
		Silence: Silence{Team: "payments", TeamMatchers: teamPayments, ID: id}}
}

func TestSilenceDryRunPostsNothing(t *testing.T) {
	r, am := silenceRunner(t)
	res, err := r.Run(context.Background(), silenceReq(2*time.Hour, true, highErrors))
	if err != nil {
		t.Fatal(err)
	}
	want := `would silence the alerts of team payments matching {team="payments", alertname="HighErrorRatio"} for 2h (until 2026-03-01T14:00:00Z); it matches 1 alert firing now: HighErrorRatio`
	if res.Message != want {
		t.Errorf("message:\n%s\nwant\n%s", res.Message, want)
	}
	s := res.Silence
	if s == nil || s.ID != "" || len(s.Matchers) != 2 || s.Matchers[0] != teamPayments[0] || s.CreatedBy != "alice" || !s.EndsAt.Equal(now.Add(2*time.Hour)) {
		t.Errorf("silence: %+v", s)
	}
	if len(am.Posted()) != 0 {
		t.Errorf("a dry run posted %d silences", len(am.Posted()))
	}
	if len(res.Changes) != 5 || res.Changes[0].Field != "silence.matchers" {
		t.Errorf("changes: %+v", res.Changes)
	}
}

func TestSilencePostsTheTeamsMatchersAuthorAndComment(t *testing.T) {
	r, am := silenceRunner(t)
	res, err := r.Run(context.Background(), silenceReq(2*time.Hour, false, highErrors))
	if err != nil {
		t.Fatal(err)
	}
	posted := am.Posted()
	if len(posted) != 1 {
		t.Fatalf("posted %d silences", len(posted))
	}
	p := posted[0]
	var ms []string
	for _, m := range p.Matchers {
		ms = append(ms, *m.Name+"="+*m.Value)
		if !*m.IsEqual || *m.IsRegex {
			t.Errorf("matcher %s: isEqual %v isRegex %v", *m.Name, *m.IsEqual, *m.IsRegex)
		}
	}
	if strings.Join(ms, ",") != "team=payments,alertname=HighErrorRatio" || *p.CreatedBy != "alice" || *p.Comment != "INC-7: ledger rollback running" ||
		!time.Time(*p.StartsAt).Equal(now) || !time.Time(*p.EndsAt).Equal(now.Add(2*time.Hour)) {
		t.Errorf("posted %v by %s (%q) from %v to %v", ms, *p.CreatedBy, *p.Comment, *p.StartsAt, *p.EndsAt)
	}
	if res.Silence == nil || res.Silence.ID == "" || res.Silence.State != SilenceActive || res.Changes[0] != (api.Change{Field: "silence.id", To: res.Silence.ID}) {
		t.Errorf("result: %+v %+v", res.Silence, res.Changes)
	}
	if !strings.HasPrefix(res.Message, "silenced the alerts of team payments matching") || !strings.Contains(res.Message, "silence "+res.Silence.ID) {
		t.Errorf("message: %s", res.Message)
	}
}

func TestSilenceDurationIsCapped(t *testing.T) {
	r, am := silenceRunner(t)
	res, err := r.Run(context.Background(), silenceReq(48*time.Hour, false, highErrors))
	if err != nil {
		t.Fatal(err)
	}
	if end := time.Time(*am.Posted()[0].EndsAt); !end.Equal(now.Add(24 * time.Hour)) {
		t.Errorf("endsAt %v, want capped at 24h", end)
	}
	if len(res.Warnings) != 1 || res.Warnings[0] != "48h is above the limit of 24h: the silence ends after 24h" || !strings.Contains(res.Message, "warning: 48h is above") {
		t.Errorf("warnings %v, message %s", res.Warnings, res.Message)
	}
}

// The runner never posts a silence without the team's own matchers, whatever it is given.
func TestSilenceWithoutTheTeamsMatchersIsRefused(t *testing.T) {
	r, am := silenceRunner(t)
	req := silenceReq(time.Hour, false, highErrors)
	req.Silence.Matchers = []api.Matcher{{Name: "team", Value: "search"}, highErrors}
	_, err := r.Run(context.Background(), req)
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != api.CodeInternal {
		t.Errorf("err %v", err)
	}
	req.Silence.Matchers = teamPayments // nothing besides the team's: the whole team
	if _, err := r.Run(context.Background(), req); err == nil {
		t.Error("a silence of the whole team was posted")
	}
	req = silenceReq(time.Hour, false, highErrors)
	req.Silence.TeamMatchers = nil
	if _, err := r.Run(context.Background(), req); err == nil {
		t.Error("a silence of a team without matchers was posted")
	}
	if n := len(am.Posted()); n != 0 {
		t.Errorf("posted %d silences", n)
	}
}

func TestExpireOnlyTheTeamsSilences(t *testing.T) {
	r, am := silenceRunner(t)
	ctx := context.Background()
	own := am.AddSilence("lena", actionstest.Matcher("team", "payments"), actionstest.Matcher("alertname", "HighLatencyP99"))
	other := am.AddSilence("bob", actionstest.Matcher("team", "search"), actionstest.Matcher("alertname", "HighErrorRatio"))
	global := am.AddSilence("ops", actionstest.Matcher("alertname", "HighErrorRatio"))

	res, err := r.Run(ctx, expireReq(own, true))
	if err != nil || !strings.HasPrefix(res.Message, "would expire silence "+own+" of team payments") || len(am.Expired()) != 0 {
		t.Fatalf("dry run: %+v %v (expired %v)", res, err, am.Expired())
	}
	res, err = r.Run(ctx, expireReq(own, false))
	if err != nil || res.Silence.State != SilenceExpired || !strings.Contains(res.Message, "created by lena") {
		t.Fatalf("expire: %+v %v", res, err)
	}
	if got := am.Expired(); len(got) != 1 || got[0] != own {
		t.Errorf("expired %v", got)
	}
	if c := res.Changes[0]; c != (api.Change{Field: "silence.state", From: "active", To: "expired"}) {
		t.Errorf("changes %+v", res.Changes)
	}
	res, err = r.Run(ctx, expireReq(own, false))
	if err != nil || !strings.HasSuffix(res.Message, "has already expired: nothing to do") || len(am.Expired()) != 1 {
		t.Errorf("again: %+v %v", res, err)
	}
	for _, id := range []string{other, global} {
		_, err := r.Run(ctx, expireReq(id, false))
		var ae *Error
		if !errors.As(err, &ae) || ae.Code != api.CodeForbidden || !strings.Contains(ae.Msg, "not one of team payments's silences") || strings.Contains(ae.Msg, "bob") {
			t.Errorf("expire %s: %v", id, err)
		}
	}
	if len(am.Expired()) != 1 {
		t.Errorf("expired %v", am.Expired())
	}
	_, err = r.Run(ctx, expireReq("00000000-0000-0000-0000-000000000000", false))
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != api.CodeNotFound {
		t.Errorf("unknown silence: %v", err)
	}
}

func TestSilenceFailures(t *testing.T) {
	r, err := New(Options{Client: actionstest.New(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Run(context.Background(), silenceReq(time.Hour, false, highErrors))
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != api.CodeActionFailed || !strings.Contains(ae.Msg, "no Alertmanager") {
		t.Errorf("no alertmanager: %v", err)
	}

	r, am := silenceRunner(t)
	am.SetDown(true)
	for _, req := range []Request{silenceReq(time.Hour, true, highErrors), silenceReq(time.Hour, false, highErrors), expireReq("00000000-0000-0000-0000-000000000000", false)} {
		_, err := r.Run(context.Background(), req)
		if !errors.As(err, &ae) || ae.Code != api.CodeActionFailed || !strings.Contains(ae.Msg, "503") {
			t.Errorf("%s (dry run %v) with Alertmanager down: %v", req.Kind, req.DryRun, err)
		}
	}
	am.Close()
	_, err = r.Run(context.Background(), silenceReq(time.Hour, false, highErrors))
	if !errors.As(err, &ae) || ae.Code != api.CodeActionFailed || !strings.Contains(ae.Msg, "does not answer") || strings.Contains(ae.Msg, "http://") {
		t.Errorf("alertmanager gone: %v", err)
	}
	if _, err := New(Options{Client: actionstest.New(), Alertmanager: "ftp://x"}); err == nil {
		t.Error("a bad Alertmanager URL was accepted")
	}
}

func TestCheckMatcherAndFormatDuration(t *testing.T) {
	if err := CheckMatcher(api.Matcher{Name: "service", Value: "ledger|(", IsRegex: true}); err == nil {
		t.Error("a bad regexp passed")
	}
	if err := CheckMatcher(api.Matcher{Name: "service", Value: "ledger|checkout", IsRegex: true}); err != nil {
		t.Error(err)
	}
	for d, want := range map[time.Duration]string{2 * time.Hour: "2h", 90 * time.Minute: "1h30m", 45 * time.Second: "45s", 24 * time.Hour: "24h", 61 * time.Second: "1m1s"} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %s, want %s", d, got, want)
		}
	}
}
