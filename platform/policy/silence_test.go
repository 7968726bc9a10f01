package policy

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/platform/api"
)

const silenceConfig = `
alertmanager: {url: "http://127.0.0.1:9093/am"}
teams:
  payments:
    namespaces: {payments: production, payments-dev: dev}
  search:
    namespaces: {search-dev: dev}
    alertMatchers: {owner: search, tier: web}
users:
  alice: {payments: oncall}
  dan: {payments: member}
  bob: {search: oncall}
policy:
  production:
    silence:        {oncall: allow}
    expire-silence: {oncall: allow}
  dev:
    silence:        {member: allow, oncall: allow}
    expire-silence: {member: allow, oncall: allow}
limits: {maxSilence: 4h}
`

func TestParseSilenceConfig(t *testing.T) {
	c, err := Parse("server.yaml", []byte(silenceConfig))
	if err != nil {
		t.Fatal(err)
	}
	if c.Alertmanager.URL != "http://127.0.0.1:9093/am" || c.Limits.MaxSilence != 4*time.Hour {
		t.Errorf("alertmanager %+v, limits %+v", c.Alertmanager, c.Limits)
	}
	if m := c.Teams["payments"].TeamMatchers(); len(m) != 1 || m[0] != (api.Matcher{Name: "team", Value: "payments"}) {
		t.Errorf("payments' default matchers: %+v", m)
	}
	if m := c.Teams["search"].TeamMatchers(); len(m) != 2 || m[0].String() != `owner="search"` || m[1].String() != `tier="web"` {
		t.Errorf("search's matchers: %+v", m)
	}
	if e := c.Teams["payments"].AlertEnvironment(); e != api.EnvProduction {
		t.Errorf("payments' alert environment %s", e)
	}
	if d := example(t).Limits.MaxSilence; d != DefaultMaxSilence || DefaultMaxSilence != 24*time.Hour {
		t.Errorf("default maxSilence %v", d)
	}
}

func TestParseSilenceProblems(t *testing.T) {
	data := `alertmanager: {url: "ftp://am", token: x}
teams:
  payments:
    namespaces: {payments: production}
    alertMatchers: {}
  search:
    namespaces: {search: production}
    alertMatchers: {9team: search, team: ""}
  billing:
    namespaces: {billing: production}
    alertMatchers: {team: billing, "x": [1]}
  ledger:
    namespaces: {ledger: production}
    alertMatchers: {team: billing, service: ledger}
limits: {maxSilence: forever}
`
	_, err := Parse("server.yaml", []byte(data))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %v, want Errors", err)
	}
	want := []string{
		`server.yaml:1:21: alertmanager.url: "ftp://am": want http(s)://host[:port][/path]`,
		`server.yaml:1:33: alertmanager.token: unknown key (valid keys: url)`,
		`server.yaml:5:20: teams.payments.alertMatchers: a team needs at least one alert matcher`,
		`server.yaml:8:21: teams.search.alertMatchers.9team: label name "9team"`,
		`server.yaml:8:42: teams.search.alertMatchers.team: an empty value would match alerts without the label`,
		`server.yaml:11:41: teams.billing.alertMatchers.x: expected a string, got a list`,
		`server.yaml:12:3: teams.ledger.alertMatchers: the alert matchers {service="ledger", team="billing"} and team billing's {team="billing"} overlap`,
		`server.yaml:15:22: limits.maxSilence: "forever" is not a duration`,
	}
	if len(errs) != len(want) {
		t.Errorf("%d problems, want %d:\n%v", len(errs), len(want), err)
	}
	for i := 0; i < len(errs) && i < len(want); i++ {
		if !strings.HasPrefix(errs[i].String(), want[i]) {
			t.Errorf("problem %d:\n got %s\nwant %s", i, errs[i], want[i])
		}
	}
	for data, want := range map[string]string{
		`alertmanager: {url: "http://user:pw@am:9093"}`:                                              "no user, password, query or fragment",
		`limits: {maxSilence: 30s}`:                                                                  "30s is out of range [1m0s, 2160h0m0s]",
		`limits: {maxSilence: 24}`:                                                                   "expected a string, got a number",
		"teams:\n  a: {namespaces: {a: dev}, alertMatchers: {team: \"a\\x01\"}}":                     "control characters are not allowed",
		"teams:\n  a: {namespaces: {a: dev}}\n  b: {namespaces: {b: dev}, alertMatchers: {team: a}}": "overlap",
	} {
		_, err := Parse("server.yaml", []byte(data))
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "pw") {
			t.Errorf("Parse(%q) = %v, want %q", data, err, want)
		}
	}
}

func TestDecideSilence(t *testing.T) {
	c, err := Parse("server.yaml", []byte(silenceConfig))
	if err != nil {
		t.Fatal(err)
	}
	const reason = "INC-7: ledger rollback running"
	no := false
	silence := func(ns, reason string, ms ...api.Matcher) api.ActionRequest {
		return api.ActionRequest{Kind: api.ActionSilence, Target: api.Target{Namespace: ns}, Reason: reason,
			Params: api.Params{Matchers: ms, Duration: "2h"}}
	}
	alertname := api.Matcher{Name: "alertname", Value: "HighErrorRatio"}
	cases := []struct {
		name   string
		sub    Subject
		req    api.ActionRequest
		effect Effect
		code   string
		reason string
	}{
		{"oncall silences", Subject{User: "alice"}, silence("payments", reason, alertname), Allow, "", "oncalls of payments may silence in production"},
		{"the team's own matcher again", Subject{User: "alice"}, silence("payments", reason, api.Matcher{Name: "team", Value: "payments"}, alertname), Allow, "", ""},
		{"another team's alerts", Subject{User: "alice"}, silence("payments", reason, api.Matcher{Name: "team", Value: "search"}, alertname), Deny, api.CodeForbidden,
			`team payments can silence only its own alerts, which match team="payments": the matcher team="search" would change that`},
		{"a regexp on the team label", Subject{User: "alice"}, silence("payments", reason, api.Matcher{Name: "team", Value: "pay.*|search", IsRegex: true}), Deny, api.CodeForbidden, `the matcher team=~"pay.*|search"`},
		{"a negation of the team label", Subject{User: "alice"}, silence("payments", reason, api.Matcher{Name: "team", Value: "payments", IsEqual: &no}), Deny, api.CodeForbidden, `team!="payments"`},
		{"another of search's labels", Subject{User: "bob"}, silence("search-dev", reason, api.Matcher{Name: "tier", Value: "db"}), Deny, api.CodeForbidden, `which match tier="web"`},
		{"no reason", Subject{User: "bob"}, silence("search-dev", "  ", alertname), Deny, api.CodeReasonRequired, "a silence needs a reason"},
		{"short reason in production", Subject{User: "alice"}, silence("payments", "INC-7", alertname), Deny, api.CodeReasonRequired, "at least 10 characters"},
		// A silence covers the team's alerts of every namespace: the dev namespace does not
		// make it a dev action (members may silence in dev, not in production).
		{"member through the dev namespace", Subject{User: "dan"}, silence("payments-dev", reason, alertname), Deny, api.CodeForbidden, "no policy rule allows silence to members of payments in production"},
		{"another team's namespace", Subject{User: "alice"}, silence("search-dev", reason, alertname), Deny, api.CodeForbidden, "alice is not a member of team search"},
		{"read-only", Subject{User: "alice", ReadOnly: true}, silence("payments", reason, alertname), Deny, api.CodeReadOnly, ""},
		{"expire", Subject{User: "alice"}, api.ActionRequest{Kind: api.ActionExpireSilence, Target: api.Target{Namespace: "payments"}, Reason: reason}, Allow, "", "may expire-silence"},
	}
	for _, tc := range cases {
		d := c.Decide(tc.sub, tc.req)
		if d.Effect != tc.effect || d.Code != tc.code || !strings.Contains(d.Reason, tc.reason) {
			t.Errorf("%s: %+v", tc.name, d)
		}
	}
	// Deny by default: the example file has no silence rule.
	if d := example(t).Decide(Subject{User: "ada"}, silence("payments", reason, alertname)); d.Effect != Deny || !strings.Contains(d.Reason, "no policy rule allows silence") {
		t.Errorf("no rule: %+v", d)
	}
}

func TestSilenceMatchers(t *testing.T) {
	c, err := Parse("server.yaml", []byte(silenceConfig))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Teams["search"].SilenceMatchers([]api.Matcher{{Name: "alertname", Value: "X"}, {Name: "tier", Value: "web"}, {Name: "owner", Value: "search"}})
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, m := range got {
		s = append(s, m.String())
	}
	if strings.Join(s, ",") != `owner="search",tier="web",alertname="X"` {
		t.Errorf("matchers %v", s)
	}
}
