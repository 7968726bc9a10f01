package policy

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/platform/api"
)

const jobsConfig = `
teams:
  payments:
    namespaces: {payments: production, payments-dev: dev}
    prometheusMatchers: {cluster: local}
    lokiMatchers: {cluster: local, tenant: payments}
    oncall: {schedule: payments-primary}
    jobs:
      flush-cache:
        description: Flush the ledger's read cache
        namespace: payments-dev
        image: registry.local/tools:1.4
        command: ["/bin/flush-cache", "--service={{service}}", "--batch={{batch}}", "--dry-run={{dry}}", "{{ticket}}:{{service}}"]
        timeout: 10m
        serviceAccountName: runbooks
        params:
          service: {type: enum, values: [ledger, checkout], default: ledger, description: Which service}
          batch:   {type: int, min: 1, max: 1000, default: 100}
          dry:     {type: bool, default: "true"}
          ticket:  {type: string, pattern: '[A-Z]+-[0-9]+', required: true, description: The incident ticket}
          note:    {type: string}
      reindex:
        namespace: payments
        image: registry.local/tools:1.4
        command: [/bin/reindex]
  search:
    namespaces: {search: dev}
`

func jobsCfg(t *testing.T) *Config {
	t.Helper()
	c, err := Parse("server.yaml", []byte(jobsConfig))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseJobsAndScope(t *testing.T) {
	c := jobsCfg(t)
	p := c.Teams["payments"]
	if p.PrometheusMatchers["cluster"] != "local" || len(p.PrometheusMatchers) != 1 || p.LokiMatchers["tenant"] != "payments" || p.OncallSchedule != "payments-primary" {
		t.Errorf("scope %v %v %q", p.PrometheusMatchers, p.LokiMatchers, p.OncallSchedule)
	}
	if s := c.Teams["search"]; s.PrometheusMatchers != nil || s.OncallSchedule != "" || len(s.Jobs) != 0 {
		t.Errorf("search has scope it was not given: %+v", s)
	}
	if got := strings.Join(p.JobNames(), ","); got != "flush-cache,reindex" {
		t.Fatalf("jobs %s", got)
	}
	ts := p.JobTemplates()
	fc := ts[0]
	if fc.Name != "flush-cache" || fc.Namespace != "payments-dev" || fc.Environment != api.EnvDev || fc.Timeout != "10m" ||
		fc.Image != "registry.local/tools:1.4" || len(fc.Command) != 5 || fc.Command[1] != "--service={{service}}" {
		t.Errorf("flush-cache %+v", fc)
	}
	var names []string
	for _, prm := range fc.Params {
		names = append(names, prm.Name)
	}
	if strings.Join(names, ",") != "service,batch,dry,ticket,note" {
		t.Errorf("params in file order: %v", names)
	}
	if b := fc.Params[1]; b.Type != api.JobParamInt || *b.Min != 1 || *b.Max != 1000 || b.Default != "100" {
		t.Errorf("batch %+v", b)
	}
	if tk := fc.Params[3]; tk.Pattern != `^(?:[A-Z]+-[0-9]+)$` || !tk.Required {
		t.Errorf("ticket: the pattern is anchored by the server: %+v", tk)
	}
	if n := fc.Params[4]; n.Pattern != DefaultJobPattern {
		t.Errorf("a string without a pattern shows the default one: %+v", n)
	}
	if r := ts[1]; r.Environment != api.EnvProduction || r.Timeout != "15m" || r.Params != nil {
		t.Errorf("reindex %+v", r)
	}
	if p.Job("flush-cache").ServiceAccountName != "runbooks" || p.Job("flush-cache").Timeout != 10*time.Minute {
		t.Errorf("template %+v", p.Job("flush-cache"))
	}
	// The wire form is a copy: changing it does not change the configuration.
	*fc.Params[1].Min = 500
	fc.Command[0] = "/bin/sh"
	if again := p.JobTemplates()[0]; *again.Params[1].Min != 1 || again.Command[0] != "/bin/flush-cache" {
		t.Error("JobTemplates shares the configuration's memory")
	}
}

func TestParseJobProblems(t *testing.T) {
	data := `teams:
  payments:
    namespaces: {payments: dev}
    prometheusMatchers: {__name__: up, cluster: ""}
    oncall: {schedule: Payments_Primary, rota: x}
    jobs:
      Flush:
        namespace: payments
      flush:
        namespace: search
        image: "registry.local/tools 1.4"
        command: ["/bin/flush", "--x={{nope}}", "--y={{ service }}", "}}"]
        timeout: 48h
        serviceAccountName: Runbooks
        shell: true
        params:
          service: {type: enum, default: ledger}
          batch:   {type: int, min: 10, max: 1, default: 5}
          dry:     {type: bool, default: "yes"}
          mode:    {type: text}
          ticket:  {type: string, pattern: '[A-Z+', required: true}
          count:   {type: int, pattern: '[0-9]+', default: 3}
          level:   {type: int}
          code:    {type: string, pattern: '[A-Z]+'}
          Bad:     {type: string}
          tag:     {type: string, required: true, default: x}
      nocmd:
        namespace: payments
        image: x
  search:
    namespaces: {search: dev}
`
	_, err := Parse("server.yaml", []byte(data))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %v, want Errors", err)
	}
	want := []string{
		`server.yaml:4:26: teams.payments.prometheusMatchers.__name__: label name "__name__"`,
		`server.yaml:4:49: teams.payments.prometheusMatchers.cluster: an empty value`,
		`server.yaml:5:24: teams.payments.oncall.schedule: schedule id "Payments_Primary"`,
		`server.yaml:5:42: teams.payments.oncall.rota: unknown key (valid keys: schedule)`,
		`server.yaml:7:7: teams.payments.jobs.Flush: job template name: a lowercase RFC 1123 label`,
		`server.yaml:11:16: teams.payments.jobs.flush.image: want an image reference`,
		`server.yaml:12:33: teams.payments.jobs.flush.command[1]: {{nope}} names no parameter of the template (params: none)`,
		`server.yaml:12:49: teams.payments.jobs.flush.command[2]: "--y={{ service }}": a {{ that is not a placeholder`,
		`server.yaml:12:70: teams.payments.jobs.flush.command[3]: "}}": a }} without its {{`,
		`server.yaml:13:18: teams.payments.jobs.flush.timeout: 48h0m0s is out of range [1m0s, 24h0m0s]`,
		`server.yaml:14:29: teams.payments.jobs.flush.serviceAccountName: service account name:`,
		`server.yaml:15:9: teams.payments.jobs.flush.shell: unknown key`,
		`server.yaml:17:11: teams.payments.jobs.flush.params.service: an enum needs its values`,
		`server.yaml:18:37: teams.payments.jobs.flush.params.batch.min: min 10 is above max 1`,
		`server.yaml:19:42: teams.payments.jobs.flush.params.dry.default: "yes": want true or false`,
		`server.yaml:20:27: teams.payments.jobs.flush.params.mode.type: unknown type "text"`,
		`server.yaml:21:44: teams.payments.jobs.flush.params.ticket.pattern: not an RE2 regular expression: error parsing regexp: missing closing ]: ` + "`[A-Z+`",
		`server.yaml:22:41: teams.payments.jobs.flush.params.count.pattern: only a parameter of type string takes pattern`,
		`server.yaml:23:11: teams.payments.jobs.flush.params.level: give it a default or make it required`,
		`server.yaml:24:11: teams.payments.jobs.flush.params.code: its pattern does not accept the empty value`,
		`server.yaml:25:11: teams.payments.jobs.flush.params.Bad: parameter name:`,
		`server.yaml:26:60: teams.payments.jobs.flush.params.tag.default: a required parameter takes no default`,
		`server.yaml:27:7: teams.payments.jobs.nocmd: the template needs a command`,
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
		// The namespace is checked once the whole team is read, whatever the key order.
		"teams:\n  p:\n    jobs:\n      j: {namespace: q, image: x, command: [a]}\n    namespaces: {p: dev}\n  q:\n    namespaces: {q: dev}\n":                        `server.yaml:4:22: teams.p.jobs.j.namespace: "q" is not a namespace of team p (its namespaces: p)`,
		"teams:\n  p:\n    namespaces: {p: dev}\n    jobs:\n      j: {image: x, command: [a]}\n":                                                                      "say where its Jobs run",
		"teams:\n  p:\n    namespaces: {p: dev}\n    jobs:\n      j: {namespace: p, image: x, command: []}\n":                                                         "want 1 to 128 argv elements, got 0",
		"teams:\n  p:\n    namespaces: {p: dev}\n    jobs:\n      j: {namespace: p, image: x, command: \"/bin/sh -c x\"}\n":                                           "expected a list, got a string",
		"teams:\n  p:\n    namespaces: {p: dev}\n    jobs:\n      j: {namespace: p, image: x, command: [\"a\\tb\"]}\n":                                                "control characters are not allowed",
		"teams:\n  p:\n    namespaces: {p: dev}\n    jobs:\n      j: {namespace: p, image: x, command: [a], timeout: 30s}\n":                                          "30s is out of range [1m0s, 24h0m0s]",
		"teams:\n  p:\n    namespaces: {p: dev}\n    jobs:\n      " + strings.Repeat("a", 53) + ": {namespace: p, image: x, command: [a]}\n":                          "53 characters, at most 52",
		"teams:\n  p:\n    namespaces: {p: dev}\n    jobs:\n      j: {namespace: p, image: x, command: [a], params: {n: {type: int, default: 0x10}}}\n":               `"0x10" is not a whole number`,
		"teams:\n  p:\n    namespaces: {p: dev}\n    jobs:\n      j: {namespace: p, image: x, command: [a], params: {n: {type: enum, values: [a, a], default: a}}}\n": `"a" is listed twice`,
		"teams:\n  p:\n    namespaces: {p: dev}\n    jobs:\n      j: {namespace: p, image: x, command: [a], params: {n: {default: a}}}\n":                             "say its type",
		"teams:\n  p:\n    namespaces: {p: dev}\n    jobs:\n      j: {namespace: p, image: x, command: [a], params: {n: {type: string, default: \"a b\"}}}\n":         `"a b" does not match ^[A-Za-z0-9._:/@=+-]{0,128}$`,
	} {
		_, err := Parse("server.yaml", []byte(data))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q:\n got %v\nwant %s", data, err, want)
		}
	}
}

func TestResolveJob(t *testing.T) {
	j := jobsCfg(t).Teams["payments"].Job("flush-cache")
	r, err := j.Resolve(map[string]string{"ticket": "INC-42", "batch": "250"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/bin/flush-cache", "--service=ledger", "--batch=250", "--dry-run=true", "INC-42:ledger"}
	if !slices.Equal(r.Command, want) {
		t.Errorf("argv %q, want %q", r.Command, want)
	}
	if r.Values["service"] != "ledger" || r.Values["batch"] != "250" || r.Values["dry"] != "true" || r.Values["note"] != "" || len(r.Values) != 5 {
		t.Errorf("values (defaults filled in) %v", r.Values)
	}
	if r.Env["VIGIE_PARAM_TICKET"] != "INC-42" || r.Env["VIGIE_PARAM_SERVICE"] != "ledger" || len(r.Env) != 5 {
		t.Errorf("env %v", r.Env)
	}

	for _, c := range []struct {
		values     map[string]string
		param, msg string
	}{
		{map[string]string{}, "ticket", "required (The incident ticket)"},
		{map[string]string{"ticket": "inc-42"}, "ticket", `"inc-42" does not match ^(?:[A-Z]+-[0-9]+)$`},
		{map[string]string{"ticket": "INC-42\nrm -rf /"}, "ticket", "control characters are not allowed"},
		{map[string]string{"ticket": "INC-42; rm -rf /"}, "ticket", "does not match"},
		{map[string]string{"ticket": "INC-1", "note": "x; rm -rf /"}, "note", `"x; rm -rf /" does not match`},
		{map[string]string{"ticket": "INC-1", "note": "{{ticket}}"}, "note", "does not match"},
		{map[string]string{"ticket": "INC-1", "batch": "0"}, "batch", "0 is out of range [1, 1000]"},
		{map[string]string{"ticket": "INC-1", "batch": "1001"}, "batch", "1001 is out of range [1, 1000]"},
		{map[string]string{"ticket": "INC-1", "batch": "+5"}, "batch", `"+5" is not a whole number`},
		{map[string]string{"ticket": "INC-1", "batch": "5 "}, "batch", "not a whole number"},
		{map[string]string{"ticket": "INC-1", "batch": "99999999999999999999"}, "batch", "not a whole number"},
		{map[string]string{"ticket": "INC-1", "dry": "yes"}, "dry", "want true or false"},
		{map[string]string{"ticket": "INC-1", "service": "search"}, "service", `"search": want one of ledger, checkout`},
		{map[string]string{"ticket": "INC-1", "zeta": "1", "alpha": "2"}, "alpha", `template flush-cache has no parameter "alpha" (its parameters: service, batch, dry, ticket, note)`},
		{map[string]string{"ticket": strings.Repeat("A", 1025)}, "ticket", "1025 characters, at most 1024"},
		{map[string]string{"ticket": "INC-1\xff"}, "ticket", "not valid UTF-8"},
	} {
		_, err := j.Resolve(c.values)
		var ve *JobValueError
		if !errors.As(err, &ve) || ve.Param != c.param || !strings.Contains(ve.Msg, c.msg) {
			t.Errorf("%q: got %v, want %s: %s", c.values, err, c.param, c.msg)
			continue
		}
		if ve.Field() != "params.values."+c.param || !strings.HasPrefix(err.Error(), "params.values."+c.param+": ") {
			t.Errorf("field %s, error %v", ve.Field(), err)
		}
	}
	// A template without parameters takes none.
	r, err = jobsCfg(t).Teams["payments"].Job("reindex").Resolve(nil)
	if err != nil || !slices.Equal(r.Command, []string{"/bin/reindex"}) || len(r.Values) != 0 {
		t.Errorf("reindex: %+v %v", r, err)
	}
	if _, err := jobsCfg(t).Teams["payments"].Job("reindex").Resolve(map[string]string{"x": "1"}); err == nil || !strings.Contains(err.Error(), "its parameters: none") {
		t.Errorf("reindex with a value: %v", err)
	}
}

var oracleRE = regexp.MustCompile(`\{\{([a-z][a-z0-9_]*)\}\}`)

// FuzzExpandArgs: whatever the values, the argv has exactly the template's elements,
// and each is its template element with each placeholder replaced by exactly its value
// (checked against an independent, single-pass replacement): a value never splits an
// element, is never read as a placeholder, and brings no other text.
func FuzzExpandArgs(f *testing.F) {
	f.Add("--service={{service}}", "ledger", "x; rm -rf /", "{{b}}")
	f.Add("{{a}}{{b}}{{a}}", "a b", "$(id)", "`id`")
	f.Add("plain", "", "\x00", "}}{{")
	f.Add("--x={{b}}-{{c}}", "{{c}}", "{{a}}", "'\"")
	f.Fuzz(func(t *testing.T, arg, a, b, c string) {
		segs, err := parseArg(arg)
		if err != nil {
			return // the configuration refuses this element
		}
		values := map[string]string{"a": a, "b": b, "c": c}
		args := [][]segment{segs, {{lit: "/bin/tool"}}, segs}
		out := expandArgs(args, values)
		if len(out) != 3 || out[1] != "/bin/tool" {
			t.Fatalf("argv %q", out)
		}
		want := oracleRE.ReplaceAllStringFunc(arg, func(m string) string { return values[m[2:len(m)-2]] })
		if out[0] != want || out[2] != want {
			t.Fatalf("arg %q values %q: got %q, want %q", arg, values, out[0], want)
		}
		// Without placeholders the element is unchanged.
		if !strings.Contains(arg, "{{") && out[0] != arg {
			t.Fatalf("%q became %q", arg, out[0])
		}
	})
}
