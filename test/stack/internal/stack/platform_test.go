package stack

import (
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// keysOf returns the sorted keys of a decoded YAML mapping.
func keysOf(t *testing.T, m any) []string {
	t.Helper()
	mm, ok := m.(map[string]any)
	if !ok {
		t.Fatalf("not a mapping: %v", m)
	}
	var ks []string
	for k := range mm {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// The server configuration: exactly the keys platform/policy's strict decoder knows (an
// unknown key fails `vigie serve`), teams owning their namespace as class dev, the users'
// roles, and the policy.
func TestPlatformServerConfig(t *testing.T) {
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(PlatformServerConfig(PlatformUsers, 10)), &cfg); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(keysOf(t, cfg), ","); got != "limits,policy,teams,users" {
		t.Fatalf("top-level keys %s", got)
	}
	teams := cfg["teams"].(map[string]any)
	for team, services := range map[string]string{"payments": "checkout,ledger,fraud-worker", "search": "search-api,indexer"} {
		tm := teams[team]
		keys := "databases,namespaces,selector,services"
		if team == "payments" {
			keys = "databases,jobs,lokiMatchers,namespaces,oncall,prometheusMatchers,selector,services"
		}
		if got := strings.Join(keysOf(t, tm), ","); got != keys {
			t.Fatalf("team %s keys %s", team, got)
		}
		m := tm.(map[string]any)
		if db := m["databases"].(map[string]any)[team].(map[string]any); db["dsnEnv"] != PlatformDSNEnv(team) {
			t.Errorf("team %s database %v: the DSN comes from the server's environment", team, db)
		}
		ns := m["namespaces"].(map[string]any)
		if len(ns) != 1 || ns[team] != "dev" || m["selector"] != "team="+team {
			t.Errorf("team %s = %v", team, m)
		}
		var got []string
		for _, s := range m["services"].([]any) {
			got = append(got, s.(string))
		}
		if strings.Join(got, ",") != services {
			t.Errorf("team %s services %v, want %s", team, got, services)
		}
	}
	if len(teams) != 2 {
		t.Errorf("teams %v", keysOf(t, teams))
	}
	users := cfg["users"].(map[string]any)
	want := map[string]map[string]any{"alice": {"payments": "oncall"}, "bob": {"search": "oncall"}, "lena": {"payments": "lead"}}
	if len(users) != len(want) {
		t.Errorf("users %v", users)
	}
	for u, roles := range want {
		got := users[u].(map[string]any)
		for team, role := range roles {
			if len(got) != 1 || got[team] != role {
				t.Errorf("user %s = %v, want %v", u, got, roles)
			}
		}
	}
	policy := cfg["policy"].(map[string]any)
	if got := strings.Join(keysOf(t, policy), ","); got != "dev,production" {
		t.Fatalf("policy classes %s", got)
	}
	for _, action := range []string{"scale", "restart", "rollback", "delete-pod", "job"} {
		dev := policy["dev"].(map[string]any)[action].(map[string]any)
		for _, role := range []string{"member", "oncall", "lead", "admin"} {
			if dev[role] != "allow" {
				t.Errorf("dev %s %s = %v", action, role, dev[role])
			}
		}
		prod := policy["production"].(map[string]any)[action].(map[string]any)
		if len(prod) != 3 || prod["oncall"] != "approval" || prod["lead"] != "allow" || prod["admin"] != "allow" {
			t.Errorf("production %s = %v", action, prod)
		}
	}
	limits := cfg["limits"].(map[string]any)
	if len(limits) != 1 || limits["maxReplicas"] != float64(10) {
		t.Errorf("limits %v", limits)
	}
}

// Team payments has a runbook job template in its namespace (class dev, where every role may
// run it), typed parameters, label equalities that every series and stream of the stack
// carries, and an on-call schedule.
func TestPlatformPaymentsScope(t *testing.T) {
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(PlatformServerConfig(PlatformUsers, 10)), &cfg); err != nil {
		t.Fatal(err)
	}
	p := cfg["teams"].(map[string]any)["payments"].(map[string]any)
	if pm, lm := p["prometheusMatchers"].(map[string]any), p["lokiMatchers"].(map[string]any); len(pm) != 1 || pm["team"] != "payments" || len(lm) != 1 || lm["team"] != "payments" {
		t.Errorf("matchers %v %v", pm, lm)
	}
	if oc := p["oncall"].(map[string]any); oc["schedule"] != PlatformOncallSchedule {
		t.Errorf("oncall %v", oc)
	}
	jobs := p["jobs"].(map[string]any)
	j, ok := jobs[PlatformJobTemplate].(map[string]any)
	if len(jobs) != 1 || !ok {
		t.Fatalf("jobs %v", jobs)
	}
	if j["namespace"] != "payments" || j["image"] == "" || len(j["command"].([]any)) != 4 {
		t.Errorf("template %v", j)
	}
	params := j["params"].(map[string]any)
	types := map[string]string{}
	for name, prm := range params {
		types[name] = prm.(map[string]any)["type"].(string)
	}
	if types["service"] != "enum" || types["batch"] != "int" || types["ticket"] != "string" || len(types) != 3 {
		t.Errorf("params %v: want an enum, an int and a string", types)
	}
	for _, arg := range j["command"].([]any)[1:] {
		found := false
		for name := range params {
			found = found || strings.Contains(arg.(string), "{{"+name+"}}")
		}
		if !found {
			t.Errorf("argv element %q uses no parameter", arg)
		}
	}
	prod := cfg["policy"].(map[string]any)["production"].(map[string]any)["job"].(map[string]any)
	if prod["oncall"] != "approval" || prod["lead"] != "allow" || prod["member"] != nil {
		t.Errorf("production job policy %v", prod)
	}
	if s := cfg["teams"].(map[string]any)["search"].(map[string]any); s["jobs"] != nil || s["prometheusMatchers"] != nil {
		t.Errorf("search %v", s)
	}
}

// Every context of vigie.yaml has a platform user, and the env keys follow the user names.
func TestPlatformUsers(t *testing.T) {
	contexts := map[string]bool{}
	for _, pu := range PlatformUsers {
		contexts[pu.Context] = true
		if !slices.Contains([]string{"member", "oncall", "lead", "admin"}, pu.Role) {
			t.Errorf("%s: role %s", pu.Name, pu.Role)
		}
	}
	for _, c := range []string{"local-payments", "local-search", "local-admin"} {
		if !contexts[c] {
			t.Errorf("context %s has no platform user", c)
		}
	}
	if got := PlatformTokenEnvKey("alice"); got != "VIGIE_STACK_ALICE_PLATFORM_TOKEN_FILE" {
		t.Errorf("PlatformTokenEnvKey = %s", got)
	}
}

func TestPlatformCommandLines(t *testing.T) {
	if got, want := strings.Join(VigieBuildArgs("/s/bin/vigie"), " "), "build -o /s/bin/vigie ./cmd/vigie"; got != want {
		t.Errorf("VigieBuildArgs = %q, want %q", got, want)
	}
	dsn := PlatformDSN("/s/platform/platform.db")
	if dsn != "sqlite:/s/platform/platform.db" {
		t.Errorf("PlatformDSN = %s", dsn)
	}
	if got, want := strings.Join(TokenCreateArgs("/s/platform/server.yaml", dsn, "alice"), " "),
		"serve token create --config=/s/platform/server.yaml --db=sqlite:/s/platform/platform.db --user=alice --expires=720h --note=local platform (stack up)"; got != want {
		t.Errorf("TokenCreateArgs = %q, want %q", got, want)
	}
	if got, want := strings.Join(PlatformArgs("/s/platform/server.yaml", dsn, 8443, "/s/pki/admin.kubeconfig", "http://127.0.0.1:9093"), " "),
		"serve --config=/s/platform/server.yaml --db=sqlite:/s/platform/platform.db --listen=127.0.0.1:8443 --kubeconfig=/s/pki/admin.kubeconfig --kube-context=local-admin --alertmanager-url=http://127.0.0.1:9093"; got != want {
		t.Errorf("PlatformArgs = %q, want %q", got, want)
	}
}

func TestParseToken(t *testing.T) {
	if tok, err := ParseToken([]byte("vgt_AbC-d_9\n")); err != nil || tok != "vgt_AbC-d_9" {
		t.Errorf("ParseToken = %q, %v", tok, err)
	}
	for _, bad := range []string{"", "\n", "vgt_a\nvgt_b\n", "token vgt_a", "abc"} {
		if _, err := ParseToken([]byte(bad)); err == nil {
			t.Errorf("ParseToken(%q): want an error", bad)
		}
	}
}
