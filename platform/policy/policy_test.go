package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-dev/vigie/platform/api"
)

func example(t *testing.T) *Config {
	t.Helper()
	c, err := Parse("server.yaml", []byte(exampleConfig))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func replicas(n int32) *int32 { return &n }

func TestDecide(t *testing.T) {
	c := example(t)
	const reason = "error ratio above SLO, INC-1234"
	scale := func(ns string, n int32, reason string) api.ActionRequest {
		return api.ActionRequest{Kind: api.ActionScale, Target: api.Target{Namespace: ns, Name: "checkout"},
			Params: api.Params{Replicas: replicas(n)}, Reason: reason}
	}
	restart := func(ns, reason string) api.ActionRequest {
		return api.ActionRequest{Kind: api.ActionRestart, Target: api.Target{Namespace: ns, Name: "checkout"}, Reason: reason}
	}
	other := func(kind api.ActionKind, ns, reason string) api.ActionRequest {
		return api.ActionRequest{Kind: kind, Target: api.Target{Namespace: ns, Name: "ledger"}, Reason: reason}
	}
	cases := []struct {
		name   string
		sub    Subject
		req    api.ActionRequest
		effect Effect
		code   string
		reason string // substring of Decision.Reason
	}{
		// Deny by default.
		{"unknown user", Subject{User: "mallory"}, restart("payments", reason), Deny, api.CodeForbidden, "not a member of team payments"},
		{"namespace of no team", Subject{User: "ada"}, restart("kube-system", reason), Deny, api.CodeForbidden, "belongs to no team"},
		{"no rule for the role", Subject{User: "alice"}, restart("payments", reason), Deny, api.CodeForbidden, "no policy rule allows restart to members of payments in production"},
		{"no rule for the environment", Subject{User: "bob"}, scale("search-dev", 2, ""), Deny, api.CodeForbidden, "no policy rule allows scale"},
		{"unknown action", Subject{User: "ada"}, api.ActionRequest{Kind: "delete", Target: api.Target{Namespace: "payments", Name: "x"}}, Deny, api.CodeForbidden, "unknown action"},
		{"explicit deny", Subject{User: "alice"}, scale("payments", 2, reason), Deny, api.CodeForbidden, "the policy denies scale to members"},
		// The action's own target decides: the other team's namespace is denied.
		{"lead of search on payments", Subject{User: "sam"}, restart("payments", reason), Deny, api.CodeForbidden, "no policy rule allows restart to members of payments"},
		{"member of payments on search", Subject{User: "alice"}, restart("search", reason), Deny, api.CodeForbidden, "alice is not a member of team search"},
		{"admin of payments on search", Subject{User: "ada"}, scale("search", 2, reason), Deny, api.CodeForbidden, "not a member of team search"},
		{"lead of search on search", Subject{User: "sam"}, restart("search", reason), Allow, "", "leads of search may restart"},
		// Member vs lead, oncall, admin.
		{"lead scales production", Subject{User: "lena"}, scale("payments", 4, reason), Allow, "", "leads of payments may scale in production"},
		{"oncall scales production: approval", Subject{User: "olivia"}, scale("payments", 4, reason), Approval, "", "needs an approval"},
		{"oncall restarts production", Subject{User: "olivia"}, restart("payments", reason), Allow, "", ""},
		{"admin restarts production", Subject{User: "ada"}, restart("payments", reason), Allow, "", ""},
		{"member scales staging", Subject{User: "alice"}, scale("payments-staging", 3, ""), Allow, "", "in staging"},
		{"member restarts dev", Subject{User: "bob"}, restart("search-dev", ""), Allow, "", ""},
		// Production writes need a reason of 10 characters or more; staging does not.
		{"production without reason", Subject{User: "lena"}, restart("payments", ""), Deny, api.CodeReasonRequired, "at least 10 characters (got 0)"},
		{"production reason of 9", Subject{User: "lena"}, restart("payments", "123456789"), Deny, api.CodeReasonRequired, "got 9"},
		{"production reason of spaces", Subject{User: "lena"}, restart("payments", "   too short      "), Deny, api.CodeReasonRequired, "got 9"},
		{"production reason of 10", Subject{User: "lena"}, restart("payments", "1234567890"), Allow, "", ""},
		{"production reason counts characters", Subject{User: "lena"}, restart("payments", "éééééééééé"), Allow, "", ""},
		{"approval needs the reason too", Subject{User: "olivia"}, scale("payments", 4, "short"), Deny, api.CodeReasonRequired, ""},
		// A dry run changes nothing: it needs no reason, and is otherwise decided alike.
		{"production dry run without reason", Subject{User: "lena", DryRun: true}, restart("payments", ""), Allow, "", ""},
		{"dry run of what the role may not do", Subject{User: "alice", DryRun: true}, restart("payments", ""), Deny, api.CodeForbidden, ""},
		{"dry run above the limit", Subject{User: "lena", DryRun: true}, scale("payments", 9, ""), Deny, api.CodeLimit, ""},
		{"read-only dry run", Subject{User: "lena", ReadOnly: true, DryRun: true}, restart("payments", ""), Deny, api.CodeReadOnly, ""},
		// Bounds.
		{"scale above the limit", Subject{User: "lena"}, scale("payments", 9, reason), Deny, api.CodeLimit, "above the limit of 8"},
		{"scale at the limit", Subject{User: "lena"}, scale("payments", 8, reason), Allow, "", ""},
		{"scale to zero", Subject{User: "alice"}, scale("payments-staging", 0, ""), Allow, "", ""},
		// Read-only tokens can call no write, whatever the role.
		{"read-only admin", Subject{User: "ada", ReadOnly: true}, restart("payments", reason), Deny, api.CodeReadOnly, "read-only"},
		{"read-only rollback", Subject{User: "ada", ReadOnly: true}, other(api.ActionRollback, "payments", reason), Deny, api.CodeReadOnly, "read-only"},
		// rollback and delete-pod are in the vocabulary, and denied unless a rule allows them.
		{"oncall rolls back production", Subject{User: "olivia"}, other(api.ActionRollback, "payments", reason), Allow, "", "oncalls of payments may rollback in production"},
		{"oncall deletes a pod in production", Subject{User: "olivia"}, other(api.ActionDeletePod, "payments", reason), Allow, "", "may delete-pod"},
		{"member may not roll back", Subject{User: "alice"}, other(api.ActionRollback, "payments", reason), Deny, api.CodeForbidden, "no policy rule allows rollback to members"},
		{"no rollback rule in staging", Subject{User: "lena"}, other(api.ActionRollback, "payments-staging", ""), Deny, api.CodeForbidden, "no policy rule allows rollback to leads of payments in staging"},
		{"no delete-pod rule in dev", Subject{User: "bob"}, other(api.ActionDeletePod, "search-dev", ""), Deny, api.CodeForbidden, "no policy rule allows delete-pod"},
		{"production rollback needs a reason", Subject{User: "lena"}, other(api.ActionRollback, "payments", "undo"), Deny, api.CodeReasonRequired, "a production rollback needs a reason"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := c.Decide(tc.sub, tc.req)
			if d.Effect != tc.effect || d.Code != tc.code || !strings.Contains(d.Reason, tc.reason) {
				t.Fatalf("Decide = %+v\nwant effect %s code %q reason containing %q", d, tc.effect, tc.code, tc.reason)
			}
			if d.Reason == "" {
				t.Error("a decision without a reason")
			}
		})
	}
}

func TestDecideReportsTeamAndEnvironment(t *testing.T) {
	d := example(t).Decide(Subject{User: "lena"}, api.ActionRequest{Kind: api.ActionRestart,
		Target: api.Target{Namespace: "payments-staging", Name: "x"}})
	if d.Team != "payments" || d.Role != api.RoleLead || d.Environment != api.EnvStaging {
		t.Errorf("%+v", d)
	}
}

func TestEmptyPolicyDeniesEverything(t *testing.T) {
	c, err := Parse("s.yaml", []byte("teams:\n  a: {namespaces: {a: dev}}\nusers:\n  u: {a: admin}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range api.ActionKinds() {
		if d := c.Decide(Subject{User: "u"}, api.ActionRequest{Kind: k, Target: api.Target{Namespace: "a", Name: "x"}, Params: api.Params{Replicas: replicas(1)}}); d.Effect != Deny {
			t.Errorf("%s allowed without a policy: %+v", k, d)
		}
	}
	if c.Limits.MaxReplicas != DefaultMaxReplicas {
		t.Errorf("default max replicas %d", c.Limits.MaxReplicas)
	}
}

func TestParseExample(t *testing.T) {
	c := example(t)
	if got := c.TeamNames(); len(got) != 2 || got[0] != "payments" {
		t.Errorf("teams %v", got)
	}
	team, env, ok := c.Owner("search-dev")
	if !ok || team.Name != "search" || env != "dev" || team.Selector != "team=search" {
		t.Errorf("Owner(search-dev) = %+v %s %v", team, env, ok)
	}
	if ns := c.Teams["payments"].NamespaceNames(); len(ns) != 2 || ns[0] != "payments" {
		t.Errorf("namespaces %v", ns)
	}
	if m := c.Memberships("sam"); len(m) != 2 || m[0] != (api.Membership{Team: "payments", Role: "member"}) {
		t.Errorf("memberships %v", m)
	}
	if c.Limits.MaxReplicas != 8 || !c.KnownUser("alice") || c.KnownUser("mallory") {
		t.Errorf("limits %+v", c.Limits)
	}
}

func TestParseProblemsHavePositions(t *testing.T) {
	data := `teams:
  payments:
    namespaces: {payments: production}
    namespace: {x: dev}
    selector: "team in (("
  empty: {}
  search:
    namespaces: {payments: dev, Search: dev, search: prod}
users:
  alice: {payments: member, billing: lead}
  Bob: {search: member}
  carol: {search: boss}
policy:
  production:
    scale: {member: allow, oncall: maybe, intern: allow}
    rollout: {lead: allow}
  qa: {}
limits:
  maxReplicas: -1
  maxSilence: 2h
extra: true
`
	_, err := Parse("server.yaml", []byte(data))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %v, want Errors", err)
	}
	want := []string{
		`server.yaml:4:5: teams.payments.namespace: unknown key (valid keys: namespaces, selector, services, alertMatchers, databases, prometheusMatchers, lokiMatchers, oncall, jobs)`,
		`server.yaml:5:15: teams.payments.selector: label selector:`,
		"server.yaml:6:3: teams.empty: the team has no namespaces",
		`server.yaml:8:18: teams.search.namespaces.payments: namespace "payments" already belongs to team "payments"`,
		`server.yaml:8:33: teams.search.namespaces.Search: namespace: a lowercase RFC 1123 label`,
		`server.yaml:8:54: teams.search.namespaces.search: unknown environment class "prod"`,
		`server.yaml:10:29: users.alice.billing: unknown team "billing"`,
		`server.yaml:11:3: users.Bob: user name:`,
		`server.yaml:12:19: users.carol.search: unknown role "boss"`,
		`server.yaml:15:36: policy.production.scale.oncall: unknown effect "maybe"`,
		`server.yaml:15:43: policy.production.scale.intern: unknown role "intern"`,
		`server.yaml:16:5: policy.production.rollout: unknown action "rollout"`,
		`server.yaml:17:3: policy.qa: unknown environment class "qa"`,
		`server.yaml:19:16: limits.maxReplicas: -1 is out of range [0, 10000]`,
		`server.yaml:21:1: extra: unknown key (valid keys: teams, users, policy, limits, alertmanager)`,
	}
	if len(errs) != len(want) {
		t.Errorf("%d problems, want %d:\n%v", len(errs), len(want), err)
	}
	for i := 0; i < len(errs) && i < len(want); i++ {
		if !strings.HasPrefix(errs[i].String(), want[i]) {
			t.Errorf("problem %d:\n got %s\nwant %s", i, errs[i], want[i])
		}
	}
}

func TestParseStructure(t *testing.T) {
	for data, want := range map[string]string{
		"":                                  "the file is empty",
		"teams: [a]":                        "teams: expected a mapping, got a list",
		"teams:\n  a: {namespaces: {a: 1}}": "expected a string, got a number",
		"teams:\n  a: {namespaces: {a: dev}}\n  a: {namespaces: {b: dev}}": "duplicate key (first at line 2, column 3)",
		"x: &a {}\nteams: *a": "aliases are not supported",
		"teams: {a: {namespaces: {a: dev}, services: [x, 3]}}": "services[1]: expected a string",
		"limits: {maxReplicas: many}":                          "expected an integer, got a string",
		"teams: :":                                             "server.yaml:",
	} {
		_, err := Parse("server.yaml", []byte(data))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", data, err, want)
		}
	}
}

func TestLoad(t *testing.T) {
	p := filepath.Join(t.TempDir(), "server.yaml")
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
	if err := os.WriteFile(p, []byte(exampleConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := Load(p); err != nil || c.File != p {
		t.Fatalf("Load = %v", err)
	}
}
