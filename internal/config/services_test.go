package config

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const servicesConfig = `
	current-context: a
	contexts:
	  a:
	    environment: dev
	    team: payments
	teams:
	  payments:
	    namespaces: [payments]
	    alertMatchers: {team: pay, env: "prod"}
	    services:
	      checkout:
	        slo: {objective: 99.5}
	        queries:
	          error_ratio: 'sum(rate(errors{{.Selector}}[{{.Window}}]))'
	          latency: |
	            histogram_quantile({{.Quantile}}, x{{.Selector}})
	          latency_p99: max(y{{.Selector}})
	      ledger: {}
	      fraud:
	      payouts:
	        slo: {objective: 99, window: 1d12h}
	  search:
	    namespaces: [search]
	    services: [indexer, query]
	  ops:
	    namespaces: [ops]
`

func TestServices(t *testing.T) {
	r, err := load(t, servicesConfig, nil, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	pay := r.File.Config.Teams["payments"]
	if want := []string{"checkout", "ledger", "fraud", "payouts"}; !slices.Equal(pay.Services, want) {
		t.Errorf("services %q, want %q (file order)", pay.Services, want)
	}
	want := map[string]ServiceConfig{
		"checkout": {SLO: &SLO{Objective: 0.995, Window: DefaultSLOWindow}, Queries: map[string]string{
			"error_ratio": "sum(rate(errors{{.Selector}}[{{.Window}}]))",
			"latency":     "histogram_quantile({{.Quantile}}, x{{.Selector}})\n",
			"latency_p99": "max(y{{.Selector}})",
		}},
		"ledger":  {},
		"fraud":   {},
		"payouts": {SLO: &SLO{Objective: 0.99, Window: 36 * time.Hour}},
	}
	if !reflect.DeepEqual(pay.ServiceConfig, want) {
		t.Errorf("service config\ngot  %#v\nwant %#v", pay.ServiceConfig, want)
	}
	if want := map[string]string{"team": "pay", "env": "prod"}; !maps.Equal(pay.AlertMatchers, want) {
		t.Errorf("alert matchers %v, want %v", pay.AlertMatchers, want)
	}
	search := r.File.Config.Teams["search"]
	if !slices.Equal(search.Services, []string{"indexer", "query"}) || !reflect.DeepEqual(search.ServiceConfig, map[string]ServiceConfig{"indexer": {}, "query": {}}) {
		t.Errorf("list form: %q %#v", search.Services, search.ServiceConfig)
	}
	ops := r.File.Config.Teams["ops"]
	if ops.Services != nil || ops.ServiceConfig != nil || !maps.Equal(ops.AlertMatchers, map[string]string{"team": "ops"}) {
		t.Errorf("ops: %+v", ops)
	}

	// Resolved.Team is a deep copy.
	r.Team.ServiceConfig["checkout"].SLO.Objective = 0.5
	r.Team.ServiceConfig["checkout"].Queries["rate"] = "x"
	r.Team.AlertMatchers["team"] = "x"
	if c := pay.ServiceConfig["checkout"]; c.SLO.Objective != 0.995 || c.Queries["rate"] != "" || pay.AlertMatchers["team"] != "pay" {
		t.Error("Resolved.Team shares its settings with File.Config")
	}

	file := r.File.Path
	for _, c := range []struct{ team, service, signal, want string }{
		{"payments", "checkout", "error_ratio", file + ":14:24"},
		{"payments", "checkout", "latency", file + ":15:20"},
		{"payments", "checkout", "latency_p99", file + ":17:24"},
		{"payments", "checkout", "latency_p50", file + ":15:20"}, // the shared latency template
		{"payments", "checkout", "rate", file + ":11:7"},         // no template: the service
		{"payments", "ledger", "rate", file + ":18:7"},
		{"search", "query", "cpu", file + ":24:25"}, // list form: the name
		{"ops", "nope", "cpu", file + ":25:3"},      // unknown service: the team
		{"ghosts", "x", "cpu", ""},
	} {
		if got := r.QueryPosition(c.team, c.service, c.signal); got != c.want {
			t.Errorf("QueryPosition(%s, %s, %s) = %q, want %q", c.team, c.service, c.signal, got, c.want)
		}
	}
	if got := QueryPath("payments", "web.v2", "cpu"); got != `teams.payments.services["web.v2"].queries.cpu` {
		t.Errorf("QueryPath = %q", got)
	}
	var none *Resolved
	if none.QueryPosition("a", "b", "cpu") != "" || (&Config{}).QueryPosition("a", "b", "cpu") != "" {
		t.Error("positions without a file")
	}
}

func TestAlertMatchersDefault(t *testing.T) {
	// A team named when the file defines none still gets the default matchers.
	r, err := load(t, "current-context: a\ncontexts:\n  a:\n    environment: dev\n", nil, Overrides{Team: "payments"})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(r.Team.AlertMatchers, map[string]string{"team": "payments"}) {
		t.Errorf("alert matchers %v", r.Team.AlertMatchers)
	}
}

func TestSLOWindow(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * 24 * time.Hour, true}, {"12h", 12 * time.Hour, true}, {"90m", 90 * time.Minute, true},
		{"1d12h30m", 36*time.Hour + 30*time.Minute, true}, {"0d", 0, true}, {"99999d", 99999 * 24 * time.Hour, true},
		{"", 0, false}, {"30", 0, false}, {"1.5d", 0, false}, {"12h1d", 0, false}, {"10s", 0, false},
		{"1w", 0, false}, {"-1d", 0, false}, {"100000d", 0, false}, {" 30d", 0, false},
	} {
		got, ok := parseSLOWindow(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("parseSLOWindow(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
		if ok && got > 0 {
			if back, _ := parseSLOWindow(formatSLOWindow(got)); back != got {
				t.Errorf("formatSLOWindow(%v) = %q does not read back", got, formatSLOWindow(got))
			}
		}
	}
	if got := formatSLOWindow(90 * time.Second); got != "1m30s" {
		t.Errorf("formatSLOWindow(90s) = %q", got)
	}
}

// TestServiceProblems checks each bad value of alertMatchers and services with its
// position, as TestFileProblems does.
func TestServiceProblems(t *testing.T) {
	const team = "teams:\n  payments:\n    namespaces: [payments]\n"
	expObjective := "(expected a percentage greater than 0 and less than 100, such as 99.5)"
	cases := []struct {
		name string
		yaml string // after team
		want []string
	}{
		{
			name: "services of the wrong type",
			yaml: "    services: checkout\n",
			want: []string{`4:15: teams.payments.services: expected a list of service names or a mapping of service names to settings, got a string`},
		},
		{
			name: "list form",
			yaml: "    services: [a, \"\", a, ~, {b: {}}]\n",
			want: []string{
				`4:19: teams.payments.services[1]: empty service name (expected a name such as checkout)`,
				`4:23: teams.payments.services[2]: service "a" is listed twice`,
				`4:26: teams.payments.services[3]: expected a service name, got null`,
				`4:29: teams.payments.services[4]: expected a service name, got a mapping`,
			},
		},
		{
			name: "mapping form",
			yaml: `
				    services:
				      "": {}
				      a: {sla: {objective: 99}}
				      b: [slo]
				      a: {}
			`,
			want: []string{
				`5:7: teams.payments.services[""]: empty service name`,
				`6:11: teams.payments.services.a.sla: unknown key; did you mean "slo"? (valid keys: slo, queries)`,
				`7:10: teams.payments.services.b: expected a mapping, got a list`,
				`8:7: teams.payments.services.a: duplicate key "a" (first defined at line 6, column 7)`,
			},
		},
		{
			name: "objective",
			yaml: `
				    services:
				      a: {slo: {objective: 0}}
				      b: {slo: {objective: 100}}
				      c: {slo: {objective: -1.5}}
				      d: {slo: {objective: "99.9"}}
				      e: {slo: {objective: 0.995%}}
				      f: {slo: {objective: [99]}}
				      g: {slo: {objective: .nan}}
				      h: {slo: {window: 7d}}
				      i: {slo: {}}
				      j: {slo: 99.5}
				      k: {slo: ~}
			`,
			want: []string{
				`5:28: teams.payments.services.a.slo.objective: objective 0 is out of range ` + expObjective,
				`6:28: teams.payments.services.b.slo.objective: objective 100 is out of range`,
				`7:28: teams.payments.services.c.slo.objective: objective -1.5 is out of range`,
				`8:28: teams.payments.services.d.slo.objective: invalid objective "99.9" ` + expObjective,
				`9:28: teams.payments.services.e.slo.objective: invalid objective "0.995%"`,
				`10:28: teams.payments.services.f.slo.objective: expected a number, got a list`,
				`11:28: teams.payments.services.g.slo.objective: invalid objective ".nan"`,
				`12:11: teams.payments.services.h.slo.objective: required ` + expObjective,
				`13:11: teams.payments.services.i.slo.objective: required`,
				`14:16: teams.payments.services.j.slo: expected a mapping, got a number`,
			},
		},
		{
			name: "window",
			yaml: `
				    services:
				      a: {slo: {objective: 99, window: 30}}
				      b: {slo: {objective: 99, window: 0d}}
				      c: {slo: {objective: 99, window: 1.5d}}
				      d: {slo: {objective: 99, window: 720h0m0s}}
				      e: {slo: {objective: 99, window: {days: 30}}}
			`,
			want: []string{
				`5:40: teams.payments.services.a.slo.window: invalid duration "30" (expected days, hours or minutes such as 30d, 7d, 12h or 1d12h)`,
				`6:40: teams.payments.services.b.slo.window: invalid duration "0d" (expected a duration greater than 0, such as 30d)`,
				`7:40: teams.payments.services.c.slo.window: invalid duration "1.5d"`,
				`8:40: teams.payments.services.d.slo.window: invalid duration "720h0m0s"`,
				`9:40: teams.payments.services.e.slo.window: expected a duration, got a mapping`,
			},
		},
		{
			name: "queries",
			yaml: `
				    services:
				      a:
				        queries:
				          errors_ratio: x
				          latency_p90: x
				          p99: x
				          rate: ~
				          cpu: [x]
				          memory: "  "
				          latency: ""
				      b: {queries: [rate]}
			`,
			want: []string{
				`7:11: teams.payments.services.a.queries.errors_ratio: unknown signal; did you mean "error_ratio"? (valid signals: rate, error_ratio, latency, latency_p50, latency_p95, latency_p99, cpu, memory)`,
				`8:11: teams.payments.services.a.queries.latency_p90: unknown signal; did you mean "latency_p50"?`,
				`9:11: teams.payments.services.a.queries.p99: unknown signal (valid signals: rate,`,
				`10:17: teams.payments.services.a.queries.rate: no template given (expected a PromQL template; remove the key to keep the default query)`,
				`11:16: teams.payments.services.a.queries.cpu: expected a PromQL template string, got a list`,
				`12:19: teams.payments.services.a.queries.memory: empty template (expected a PromQL template; remove the key to keep the default query)`,
				`13:20: teams.payments.services.a.queries.latency: empty template`,
				`14:20: teams.payments.services.b.queries: expected a mapping, got a list`,
			},
		},
		{
			name: "alert matchers",
			yaml: `
				    alertMatchers: {team: payments, team-name: x, 1st: x, env: ~, tier: [a], zone: "", n: 1}
				  search:
				    namespaces: [search]
				    alertMatchers: {}
				  ops:
				    namespaces: [ops]
				    alertMatchers: [team=ops]
			`,
			want: []string{
				`4:37: teams.payments.alertMatchers.team-name: invalid label name "team-name" (expected letters, digits and '_', not starting with a digit)`,
				`4:51: teams.payments.alertMatchers.1st: invalid label name "1st"`,
				`4:64: teams.payments.alertMatchers.env: no value given (expected the label's value, such as payments)`,
				`4:73: teams.payments.alertMatchers.tier: expected a label value, got a list`,
				`4:84: teams.payments.alertMatchers.zone: empty label value (expected a value such as payments: an empty value would match the alerts that lack the label)`,
				`7:20: teams.search.alertMatchers: must not be empty (expected label: value pairs such as {team: search}; remove the key for that default)`,
				`10:20: teams.ops.alertMatchers: expected a mapping, got a list`,
			},
		},
		{
			name: "unknown team key",
			yaml: "    alertmatcher: {team: x}\n",
			want: []string{`4:5: teams.payments.alertmatcher: unknown key; did you mean "alertMatchers"? (valid keys: namespaces, selector, alertMatchers, services)`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			content := team + strings.TrimPrefix(dedent(c.yaml), "\n")
			_, err := load(t, content, nil, Overrides{})
			ps := problemsOf(t, err)
			if len(ps) != len(c.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(ps), len(c.want), err)
			}
			for i, w := range c.want {
				got := strings.TrimPrefix(ps[i].String(), ps[i].File+":")
				if !strings.HasPrefix(got, w) {
					t.Errorf("problem %d:\ngot  %s\nwant %s...", i, got, w)
				}
			}
		})
	}
}

func TestRenderServices(t *testing.T) {
	r, err := load(t, servicesConfig, nil, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Render(RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"    alertMatchers:\n      env: prod\n      team: pay\n    services:\n      checkout:\n        slo:\n          objective: 99.5\n          window: 30d\n",
		"      ledger: {}\n      fraud: {}\n      payouts:\n        slo:\n          objective: 99\n          window: 1d12h\n",
		"  search:\n    namespaces:\n      - search\n    services:\n      - indexer\n      - query\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("view lacks\n%s\ngot:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "team: search") || strings.Contains(string(out), "team: ops") {
		t.Errorf("view shows default alert matchers:\n%s", out)
	}
	// What view prints reads back as the same teams.
	back := parse("view.yaml", "/", "/", out)
	if len(back.d.problems) > 0 {
		t.Fatalf("view does not parse: %v\n%s", normalize(back.d.problems), out)
	}
	for name, team := range r.File.Config.Teams {
		got := back.cfg.Teams[name]
		if !slices.Equal(got.Services, team.Services) || !reflect.DeepEqual(got.ServiceConfig, team.ServiceConfig) || !maps.Equal(got.AlertMatchers, team.AlertMatchers) {
			t.Errorf("team %s reads back as %+v, want %+v", name, got, team)
		}
	}

	out, err = r.Render(RenderOptions{Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Teams map[string]struct {
			Services json.RawMessage `json:"services"`
		} `json:"teams"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	pay := string(doc.Teams["payments"].Services)
	if i, j := strings.Index(pay, `"ledger"`), strings.Index(pay, `"fraud"`); i < 0 || j < i || !strings.Contains(pay, `"objective": 99.5`) {
		t.Errorf("payments services not in file order:\n%s", pay)
	}
	if !strings.Contains(pay, `"latency_p99": "max(y{{.Selector}})"`) {
		t.Errorf("template escaped:\n%s", pay)
	}
	var list []string
	if err := json.Unmarshal(doc.Teams["search"].Services, &list); err != nil || !slices.Equal(list, []string{"indexer", "query"}) {
		t.Errorf("search services %s", doc.Teams["search"].Services)
	}
}
