package server

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/platform/actions/actionstest"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/policy"
)

// silenceConfig is testConfig's teams and users, with silences allowed in production
// to every role (alice is a member of payments, bob of search) and a 4h limit.
const silenceConfig = `
teams:
  payments:
    namespaces: {payments: production, payments-staging: staging}
    selector: team=payments
  search:
    namespaces: {search: production}
    selector: team=search
users:
  alice: {payments: member}
  olivia: {payments: oncall}
  lena: {payments: lead}
  ada: {payments: admin}
  bob: {search: member}
policy:
  production:
    silence:        {member: allow, oncall: allow, lead: allow, admin: allow}
    expire-silence: {member: allow, oncall: allow, lead: allow, admin: allow}
limits: {maxSilence: 4h}
`

// silenceEnv is newEnv with silenceConfig and a fake Alertmanager holding payments' and
// search's HighErrorRatio.
func silenceEnv(t *testing.T) (*env, *actionstest.Alertmanager) {
	t.Helper()
	cfg, err := policy.Parse("server.yaml", []byte(silenceConfig))
	if err != nil {
		t.Fatal(err)
	}
	am := actionstest.NewAlertmanager(nil,
		map[string]string{"alertname": "HighErrorRatio", "team": "payments", "service": "ledger"},
		map[string]string{"alertname": "HighErrorRatio", "team": "search", "service": "search-api"})
	t.Cleanup(am.Close)
	e := newEnv(t, func(o *Options) { o.Config, o.AlertmanagerURL = cfg, am.URL })
	return e, am
}

var highErrorRatio = api.Matcher{Name: "alertname", Value: "HighErrorRatio"}

func silenceReq(ns, duration, reason string, ms ...api.Matcher) api.ActionRequest {
	return api.ActionRequest{Kind: api.ActionSilence, Target: api.Target{Namespace: ns}, Reason: reason,
		Params: api.Params{Matchers: ms, Duration: duration}}
}

func expireReq(ns, id, reason string) api.ActionRequest {
	return api.ActionRequest{Kind: api.ActionExpireSilence, Target: api.Target{Namespace: ns}, Reason: reason, Params: api.Params{SilenceID: id}}
}

func TestSilenceThroughTheAPI(t *testing.T) {
	e, am := silenceEnv(t)
	req := silenceReq("payments", "2h", reason, highErrorRatio)

	r := e.do("POST", "/v1/actions?dryRun=true", "alice", req)
	o := r.outcome(t)
	if r.status != 200 || !o.DryRun || o.Silence == nil || o.Silence.ID != "" || len(am.Posted()) != 0 ||
		!strings.HasPrefix(o.Message, `would silence the alerts of team payments matching {team="payments", alertname="HighErrorRatio"} for 2h`) ||
		!strings.HasSuffix(o.Message, "it matches 1 alert firing now: HighErrorRatio") {
		t.Fatalf("dry run: %d %s (posted %d)", r.status, r.body, len(am.Posted()))
	}

	before := time.Now()
	r = e.do("POST", "/v1/actions", "alice", req)
	o = r.outcome(t)
	if r.status != 200 || o.Status != api.StatusSucceeded || o.Silence == nil || o.Silence.ID == "" {
		t.Fatalf("silence: %d %s", r.status, r.body)
	}
	posted := am.Posted()
	if len(posted) != 1 {
		t.Fatalf("posted %d silences", len(posted))
	}
	p := posted[0]
	var ms []string
	for _, m := range p.Matchers {
		ms = append(ms, *m.Name+"="+*m.Value)
	}
	start, end := time.Time(*p.StartsAt), time.Time(*p.EndsAt)
	if strings.Join(ms, ",") != "team=payments,alertname=HighErrorRatio" || *p.CreatedBy != "alice" || *p.Comment != reason ||
		start.Before(before.Add(-time.Second)) || end.Sub(start) != 2*time.Hour {
		t.Errorf("posted %v by %s (%q) from %v to %v", ms, *p.CreatedBy, *p.Comment, start, end)
	}
	s := o.Silence
	if s.CreatedBy != "alice" || s.Comment != reason || len(s.Matchers) != 2 || s.Matchers[0].String() != `team="payments"` || !s.EndsAt.Equal(end) {
		t.Errorf("outcome silence %+v", s)
	}
	recs := e.records()
	out := recs[len(recs)-1]
	if out.Type != api.AuditOutcome || out.User != "alice" || out.Team != "payments" || out.Reason != reason || out.Params == nil ||
		len(out.Params.Matchers) != 1 || out.Params.Matchers[0] != highErrorRatio || out.Params.Duration != "2h" ||
		len(out.Changes) == 0 || out.Changes[0] != (api.Change{Field: "silence.id", To: s.ID}) {
		t.Errorf("outcome record %+v", out)
	}

	// Longer than limits.maxSilence: cut to it, with a warning.
	r = e.do("POST", "/v1/actions", "alice", silenceReq("payments", "48h", reason, highErrorRatio))
	o = r.outcome(t)
	p = am.Posted()[1]
	if got := time.Time(*p.EndsAt).Sub(time.Time(*p.StartsAt)); r.status != 200 || got != 4*time.Hour || len(o.Warnings) != 1 || !strings.Contains(o.Warnings[0], "above the limit of 4h") {
		t.Errorf("capped: %d %s; posted %v", r.status, r.body, got)
	}
	e.verify()
}

// A team can never silence another team's alerts: every such request is refused, posts
// nothing, and is audited.
func TestSilenceRefusalsAreAudited(t *testing.T) {
	no := false
	cases := []struct {
		name, who string
		body      any
		status    int
		code, msg string
	}{
		{"the other team's matcher", "alice", silenceReq("payments", "1h", reason, api.Matcher{Name: "team", Value: "search"}, highErrorRatio), 403, api.CodeForbidden,
			`team payments can silence only its own alerts, which match team="payments": the matcher team="search" would change that`},
		{"a regexp over the team", "alice", silenceReq("payments", "1h", reason, api.Matcher{Name: "team", Value: ".+", IsRegex: true}), 403, api.CodeForbidden, `team=~".+"`},
		{"a negation of the team", "alice", silenceReq("payments", "1h", reason, api.Matcher{Name: "team", Value: "payments", IsEqual: &no}), 403, api.CodeForbidden, `team!="payments"`},
		{"through the other team's namespace", "alice", silenceReq("search", "1h", reason, highErrorRatio), 403, api.CodeForbidden, "alice is not a member of team search"},
		{"search on payments", "bob", silenceReq("payments", "1h", reason, highErrorRatio), 403, api.CodeForbidden, "bob is not a member of team payments"},
		{"read-only", "readonly", silenceReq("payments", "1h", reason, highErrorRatio), 403, api.CodeReadOnly, "read-only"},
		{"no reason", "alice", silenceReq("payments", "1h", "", highErrorRatio), 422, api.CodeReasonRequired, "a production silence needs a reason of at least 10 characters"},
		{"only the team's matcher", "alice", silenceReq("payments", "1h", reason, api.Matcher{Name: "team", Value: "payments"}), 400, api.CodeInvalid, `params.matchers: say what to silence besides the team's own alerts (every silence of team payments carries team="payments" already)`},
		{"no matchers", "alice", silenceReq("payments", "1h", reason), 400, api.CodeInvalid, "params.matchers"},
		{"bad label name", "alice", silenceReq("payments", "1h", reason, api.Matcher{Name: "alert-name", Value: "x"}), 400, api.CodeInvalid, "params.matchers[0].name"},
		{"bad regexp", "alice", silenceReq("payments", "1h", reason, api.Matcher{Name: "service", Value: "(", IsRegex: true}), 400, api.CodeInvalid, "params.matchers[0].value"},
		{"control character", "alice", silenceReq("payments", "1h", reason, api.Matcher{Name: "service", Value: "a\x1bb"}), 400, api.CodeInvalid, "control characters"},
		{"no duration", "alice", silenceReq("payments", "", reason, highErrorRatio), 400, api.CodeInvalid, "params.duration"},
		{"bad duration", "alice", silenceReq("payments", "2 days", reason, highErrorRatio), 400, api.CodeInvalid, `"2 days" is not a duration`},
		{"short duration", "alice", silenceReq("payments", "10s", reason, highErrorRatio), 400, api.CodeInvalid, "shorter than a minute"},
		{"a target name", "alice", api.ActionRequest{Kind: api.ActionSilence, Target: api.Target{Namespace: "payments", Name: "ledger"}, Reason: reason,
			Params: api.Params{Matchers: []api.Matcher{highErrorRatio}, Duration: "1h"}}, 400, api.CodeInvalid, "target.name"},
		{"silenceId on a silence", "alice", api.ActionRequest{Kind: api.ActionSilence, Target: api.Target{Namespace: "payments"}, Reason: reason,
			Params: api.Params{Matchers: []api.Matcher{highErrorRatio}, Duration: "1h", SilenceID: "x"}}, 400, api.CodeInvalid, "params.silenceId"},
		{"replicas on a silence", "alice", `{"kind":"silence","target":{"namespace":"payments"},"reason":"` + reason + `","params":{"replicas":2,"matchers":[{"name":"a","value":"b"}],"duration":"1h"}}`, 400, api.CodeInvalid, "silence takes no replicas"},
		{"expect on a silence", "alice", `{"kind":"silence","target":{"namespace":"payments"},"reason":"` + reason + `","params":{"matchers":[{"name":"a","value":"b"}],"duration":"1h"},"expect":{"resourceVersion":"1"}}`, 400, api.CodeInvalid, "takes no precondition"},
		{"unknown matcher field", "alice", `{"kind":"silence","target":{"namespace":"payments"},"reason":"` + reason + `","params":{"matchers":[{"name":"a","value":"b","op":"="}],"duration":"1h"}}`, 400, api.CodeInvalid, `unknown field "op"`},
		{"matchers on a restart", "lena", `{"kind":"restart","target":{"namespace":"payments","name":"checkout"},"reason":"` + reason + `","params":{"matchers":[{"name":"a","value":"b"}]}}`, 403, api.CodeForbidden, "no policy rule allows restart"},
		{"expire without an id", "alice", expireReq("payments", "", reason), 400, api.CodeInvalid, "params.silenceId"},
		{"expire a bad id", "alice", expireReq("payments", "../alerts", reason), 400, api.CodeInvalid, "is not a silence id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, am := silenceEnv(t)
			r := e.do("POST", "/v1/actions", c.who, c.body)
			eb := r.errorBody(t)
			if r.status != c.status || eb.Code != c.code || !strings.Contains(eb.Message, c.msg) {
				t.Fatalf("got %d %s %q, want %d %s %q", r.status, eb.Code, eb.Message, c.status, c.code, c.msg)
			}
			if n := len(am.Posted()); n != 0 {
				t.Errorf("%d silences posted on a refusal", n)
			}
			rec := e.recordByID(eb.Details["auditId"])
			if rec.Code != c.code || rec.Status != api.StatusDenied || rec.Message != eb.Message || len(e.records()) != 1 {
				t.Errorf("audit record %+v (%d records)", rec, len(e.records()))
			}
			e.verify()
		})
	}
}

// The server adds the team's own matchers even when the request repeats them, and
// matchers on a scale are refused whoever may scale.
func TestSilenceMatcherDetails(t *testing.T) {
	e, am := silenceEnv(t)
	r := e.do("POST", "/v1/actions", "alice", silenceReq("payments-staging", "30m", reason, api.Matcher{Name: "team", Value: "payments"}, highErrorRatio,
		api.Matcher{Name: "service", Value: "ledger|checkout", IsRegex: true}))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var ms []string
	for _, m := range am.Posted()[0].Matchers {
		ms = append(ms, *m.Name)
	}
	if strings.Join(ms, ",") != "team,alertname,service" || !*am.Posted()[0].Matchers[2].IsRegex {
		t.Errorf("matchers %v", ms)
	}
	n := int32(2)
	r = e.do("POST", "/v1/actions", "lena", api.ActionRequest{Kind: api.ActionScale, Target: api.Target{Namespace: "payments", Name: "checkout"}, Reason: reason,
		Params: api.Params{Replicas: &n, Duration: "1h"}})
	if r.status != 403 { // silenceConfig has no scale rule
		t.Errorf("scale: %d %s", r.status, r.body)
	}
	e2 := newEnv(t)
	r = e2.do("POST", "/v1/actions", "lena", api.ActionRequest{Kind: api.ActionRestart, Target: api.Target{Namespace: "payments", Name: "checkout"}, Reason: reason,
		Params: api.Params{Duration: "1h"}})
	if eb := r.errorBody(t); r.status != 400 || eb.Details["field"] != "params.duration" || !strings.Contains(eb.Message, "restart takes no duration") {
		t.Errorf("restart with a duration: %d %s", r.status, r.body)
	}
}

func TestExpireSilenceThroughTheAPI(t *testing.T) {
	e, am := silenceEnv(t)
	r := e.do("POST", "/v1/actions", "alice", silenceReq("payments", "1h", reason, highErrorRatio))
	id := r.outcome(t).Silence.ID

	r = e.do("POST", "/v1/actions?dryRun=true", "lena", expireReq("payments", id, reason))
	if o := r.outcome(t); r.status != 200 || !strings.HasPrefix(o.Message, "would expire silence "+id) || len(am.Expired()) != 0 {
		t.Fatalf("dry run: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/v1/actions", "lena", expireReq("payments", id, reason))
	o := r.outcome(t)
	if r.status != 200 || o.Silence == nil || o.Silence.State != "expired" || !strings.Contains(o.Message, "created by alice") {
		t.Fatalf("expire: %d %s", r.status, r.body)
	}
	if got := am.Expired(); len(got) != 1 || got[0] != id {
		t.Errorf("expired %v", got)
	}

	// Another team's silence, and one made in Alertmanager without the team's matcher.
	theirs := am.AddSilence("bob", actionstest.Matcher("team", "search"), actionstest.Matcher("alertname", "HighErrorRatio"))
	nobodys := am.AddSilence("ops", actionstest.Matcher("alertname", "HighErrorRatio"))
	for _, sid := range []string{theirs, nobodys} {
		r := e.do("POST", "/v1/actions", "lena", expireReq("payments", sid, reason))
		eb := r.errorBody(t)
		if r.status != 403 || eb.Code != api.CodeForbidden || !strings.Contains(eb.Message, "not one of team payments's silences") {
			t.Errorf("expire %s: %d %s", sid, r.status, r.body)
		}
		if rec := e.recordByID(eb.Details["auditId"]); rec.Type != api.AuditOutcome || rec.Status != api.StatusFailed || rec.Params.SilenceID != sid {
			t.Errorf("audit record %+v", rec)
		}
	}
	// search may expire its own, not payments'.
	if r := e.do("POST", "/v1/actions", "bob", expireReq("search", theirs, reason)); r.status != 200 {
		t.Errorf("bob expires search's: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/v1/actions", "bob", expireReq("payments", nobodys, reason)); r.status != 403 {
		t.Errorf("bob through payments: %d %s", r.status, r.body)
	}
	if got := am.Expired(); len(got) != 2 || got[1] != theirs {
		t.Errorf("expired %v", got)
	}
	r = e.do("POST", "/v1/actions", "lena", expireReq("payments", "00000000-0000-0000-0000-000000000000", reason))
	if eb := r.errorBody(t); r.status != 404 || eb.Code != api.CodeNotFound {
		t.Errorf("unknown silence: %d %s", r.status, r.body)
	}
	e.verify()
}

func TestSilenceWithoutAlertmanager(t *testing.T) {
	cfg, err := policy.Parse("server.yaml", []byte(silenceConfig))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *Options) { o.Config = cfg })
	r := e.do("POST", "/v1/actions", "alice", silenceReq("payments", "1h", reason, highErrorRatio))
	if eb := r.errorBody(t); r.status != 502 || eb.Code != api.CodeActionFailed || !strings.Contains(eb.Message, "--alertmanager-url") {
		t.Errorf("%d %s", r.status, r.body)
	}
	// The configuration's alertmanager.url is used when the option is empty.
	am := actionstest.NewAlertmanager(nil)
	defer am.Close()
	cfg2, err := policy.Parse("server.yaml", []byte(silenceConfig+"alertmanager: {url: \""+am.URL+"\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	e = newEnv(t, func(o *Options) { o.Config = cfg2 })
	if r := e.do("POST", "/v1/actions", "alice", silenceReq("payments", "1h", reason, highErrorRatio)); r.status != 200 || len(am.Posted()) != 1 {
		t.Errorf("config's URL: %d %s", r.status, r.body)
	}
}

func TestTeamsShowAlertMatchers(t *testing.T) {
	e, _ := silenceEnv(t)
	r := e.do("GET", "/v1/teams", "alice", nil)
	var out api.TeamsResponse
	if err := json.Unmarshal(r.body, &out); err != nil || len(out.Teams) != 1 || out.Teams[0].AlertMatchers["team"] != "payments" {
		t.Errorf("%d %s", r.status, r.body)
	}
}
