package config

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const baseConfig = `
	current-context: dev
	log-file: /var/log/file.log
	contexts:
	  dev:
	    environment: dev
	    team: payments
	    kube:
	      kubeconfig: /file/kubeconfig
	      context: file-kube
	    prometheus:
	      url: http://file-prom:9090
	    loki:
	      url: http://file-loki:3100
	      tenant: file-tenant
	    platform:
	      url: http://file-platform
	      token: file-token
	  prod:
	    environment: production
	    readOnly: true
	teams:
	  payments:
	    namespaces: [payments]
	  search:
	    namespaces: [search]
	    selector: team=search
`

func TestPrecedenceFileEnvFlags(t *testing.T) {
	type want struct {
		context, kubeconfig, kubeContext, team, logFile, prom, lokiTenant, platform string
	}
	cases := []struct {
		name  string
		env   map[string]string
		flags Overrides
		want  want
	}{
		{
			name: "file only",
			want: want{"dev", "/file/kubeconfig", "file-kube", "payments", "/var/log/file.log", "http://file-prom:9090", "file-tenant", "file-token"},
		},
		{
			name: "env over file",
			env: map[string]string{
				"VIGIE_KUBECONFIG": "/env/kubeconfig", "VIGIE_TEAM": "search", "VIGIE_LOG_FILE": "/env.log",
				"VIGIE_PROMETHEUS_URL": "http://env-prom", "VIGIE_LOKI_TENANT": "env-tenant", "VIGIE_PLATFORM_TOKEN": "env-token",
			},
			want: want{"dev", "/env/kubeconfig", "file-kube", "search", "/env.log", "http://env-prom", "env-tenant", "env-token"},
		},
		{
			name:  "flags over env",
			env:   map[string]string{"VIGIE_KUBECONFIG": "/env/kubeconfig", "VIGIE_TEAM": "search", "VIGIE_LOG_FILE": "/env.log"},
			flags: Overrides{Kubeconfig: "/flag/kubeconfig", Team: "payments", LogFile: "/flag.log"},
			want:  want{"dev", "/flag/kubeconfig", "file-kube", "payments", "/flag.log", "http://file-prom:9090", "file-tenant", "file-token"},
		},
		{
			name:  "context: env over file, flag over env",
			env:   map[string]string{"VIGIE_CONTEXT": "no-such-context-but-overridden"},
			flags: Overrides{Context: "dev"},
			want:  want{"dev", "/file/kubeconfig", "file-kube", "payments", "/var/log/file.log", "http://file-prom:9090", "file-tenant", "file-token"},
		},
		{
			name: "empty variables are unset",
			env:  map[string]string{"VIGIE_CONTEXT": "", "VIGIE_TEAM": "", "VIGIE_PROMETHEUS_URL": ""},
			want: want{"dev", "/file/kubeconfig", "file-kube", "payments", "/var/log/file.log", "http://file-prom:9090", "file-tenant", "file-token"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := load(t, baseConfig, c.env, c.flags)
			if err != nil {
				t.Fatal(err)
			}
			ctx := r.Context
			got := want{ctx.Name, ctx.Kube.Kubeconfig, ctx.Kube.Context, ctx.Team, r.LogFile,
				ctx.Prometheus.URL.String(), ctx.Loki.Tenant, ctx.Platform.Token.Reveal()}
			if got != c.want {
				t.Fatalf("got  %+v\nwant %+v", got, c.want)
			}
			if r.Team == nil || r.Team.Name != c.want.team {
				t.Fatalf("team = %+v, want %s", r.Team, c.want.team)
			}
			if r.File.Config.Contexts["dev"].Kube.Kubeconfig != "/file/kubeconfig" {
				t.Fatal("overrides leaked into File.Config")
			}
		})
	}
}

func TestEnvCreatesSections(t *testing.T) {
	r, err := load(t, `
		current-context: bare
		contexts:
		  bare:
		    environment: staging
	`, map[string]string{
		"VIGIE_ALERTMANAGER_URL": "https://am.example.com/", "VIGIE_LOKI_URL": "http://loki",
		"VIGIE_LOKI_TENANT": "t1", "VIGIE_PLATFORM_URL": "https://platform", "VIGIE_PLATFORM_TOKEN": "tok",
	}, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	c := r.Context
	if c.Alertmanager.URL.String() != "https://am.example.com/" || c.Alertmanager.Timeout != DefaultTimeout {
		t.Errorf("alertmanager = %+v", c.Alertmanager)
	}
	if c.Loki.URL.Host != "loki" || c.Loki.Tenant != "t1" {
		t.Errorf("loki = %+v", c.Loki)
	}
	if c.Platform.URL.Host != "platform" || c.Platform.Token.Reveal() != "tok" {
		t.Errorf("platform = %+v", c.Platform)
	}
}

func TestReadOnlyOnlyStricter(t *testing.T) {
	cases := []struct {
		fileRO bool
		env    string // VIGIE_READ_ONLY, "" unset
		flag   bool
		want   bool
		notice bool
	}{
		{false, "", false, false, false},
		{false, "", true, true, false},
		{false, "true", false, true, false},
		{false, "1", false, true, false},
		{false, "no", true, true, false},
		{true, "", false, true, false},
		{true, "false", false, true, true},
		{true, "0", false, true, true},
		{true, "no", false, true, true},
		{true, "yes", false, true, false},
	}
	for _, c := range cases {
		name := strings.Join([]string{"file=" + boolStr(c.fileRO), "env=" + c.env, "flag=" + boolStr(c.flag)}, ",")
		t.Run(name, func(t *testing.T) {
			r, err := load(t, `
				current-context: c
				contexts:
				  c:
				    environment: production
				    readOnly: `+boolStr(c.fileRO)+`
			`, map[string]string{"VIGIE_READ_ONLY": c.env}, Overrides{ReadOnly: c.flag})
			if err != nil {
				t.Fatal(err)
			}
			if r.Context.ReadOnly != c.want {
				t.Errorf("ReadOnly = %v, want %v", r.Context.ReadOnly, c.want)
			}
			if got := len(r.Notices) > 0; got != c.notice {
				t.Errorf("notices = %q, want notice: %v", r.Notices, c.notice)
			}
		})
	}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestEnvironmentOnlyStricter(t *testing.T) {
	cases := []struct {
		file, env string
		want      Environment
		notice    bool
	}{
		{"dev", "", Dev, false},
		{"dev", "staging", Staging, false},
		{"dev", "production", Production, false},
		{"production", "dev", Production, true},
		{"staging", "dev", Staging, true},
		{"staging", "staging", Staging, false},
	}
	for _, c := range cases {
		t.Run(c.file+"+"+c.env, func(t *testing.T) {
			r, err := load(t, `
				current-context: c
				contexts:
				  c:
				    environment: `+c.file+`
			`, map[string]string{"VIGIE_ENVIRONMENT": c.env}, Overrides{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Context.Environment != c.want || (len(r.Notices) > 0) != c.notice {
				t.Errorf("environment %s notices %q, want %s notice %v", r.Context.Environment, r.Notices, c.want, c.notice)
			}
		})
	}
}

func TestOverrideProblems(t *testing.T) {
	cases := []struct {
		name  string
		env   map[string]string
		flags Overrides
		want  []string // one problem each, in order
	}{
		{"bad read-only", map[string]string{"VIGIE_READ_ONLY": "maybe"}, Overrides{},
			[]string{`VIGIE_READ_ONLY: invalid boolean "maybe" (expected one of: 1, 0, true, false, yes, no)`}},
		{"bad environment", map[string]string{"VIGIE_ENVIRONMENT": "prod"}, Overrides{},
			[]string{`VIGIE_ENVIRONMENT: invalid value "prod" (expected one of: production, staging, dev)`}},
		{"bad URL", map[string]string{"VIGIE_PROMETHEUS_URL": "localhost:9090"}, Overrides{},
			[]string{`VIGIE_PROMETHEUS_URL: invalid URL "localhost:": scheme must be http or https`}},
		{"unknown context from env", map[string]string{"VIGIE_CONTEXT": "nope"}, Overrides{},
			[]string{`VIGIE_CONTEXT: unknown context "nope" (known contexts: dev, prod)`}},
		{"unknown context from flag", nil, Overrides{Context: "nope"},
			[]string{`--context: unknown context "nope" (known contexts: dev, prod)`}},
		{"unknown team from flag", nil, Overrides{Team: "ghosts"},
			[]string{`--team: unknown team "ghosts" (known teams: payments, search)`}},
		{"unknown team from env", map[string]string{"VIGIE_TEAM": "ghosts"}, Overrides{},
			[]string{`VIGIE_TEAM: unknown team "ghosts" (known teams: payments, search)`}},
		{"tenant without loki", map[string]string{"VIGIE_CONTEXT": "prod", "VIGIE_LOKI_TENANT": "x"}, Overrides{},
			[]string{`VIGIE_LOKI_TENANT: context "prod" has no loki section to apply it to`}},
		{"all at once", map[string]string{"VIGIE_READ_ONLY": "2", "VIGIE_TEAM": "ghosts"}, Overrides{Context: "nope"},
			[]string{`VIGIE_READ_ONLY: invalid boolean "2"`, `--context: unknown context "nope"`, `VIGIE_TEAM: unknown team "ghosts"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := load(t, baseConfig, c.env, c.flags)
			ps := problemsOf(t, err)
			if len(ps) != len(c.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(ps), len(c.want), err)
			}
			for i, w := range c.want {
				if !strings.HasPrefix(ps[i].String(), w) {
					t.Errorf("problem %d = %q, want prefix %q", i, ps[i].String(), w)
				}
			}
		})
	}
}

func TestOverridesWithoutContext(t *testing.T) {
	r, err := load(t, "contexts:\n  a:\n    environment: dev\n", nil, Overrides{ReadOnly: true, Team: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Context != nil || r.Team == nil || r.Team.Name != "x" || r.Team.Namespaces != nil {
		t.Fatalf("context %+v team %+v", r.Context, r.Team)
	}
	_, err = load(t, "contexts:\n  a:\n    environment: dev\n", map[string]string{"VIGIE_PROMETHEUS_URL": "http://p"}, Overrides{})
	if ps := problemsOf(t, err); len(ps) != 1 || !strings.Contains(ps[0].String(), "VIGIE_PROMETHEUS_URL: no context is selected") {
		t.Fatalf("got %v", err)
	}
}

func TestFindFile(t *testing.T) {
	home, xdg := t.TempDir(), t.TempDir()
	cases := []struct {
		name   string
		opts   LoadOptions
		want   string
		source Source
	}{
		{"flag", LoadOptions{Path: "/a/flag.yaml", Env: envOf(map[string]string{"VIGIE_CONFIG": "/a/env.yaml", "XDG_CONFIG_HOME": xdg, "HOME": home})}, "/a/flag.yaml", SourceFlag},
		{"env", LoadOptions{Env: envOf(map[string]string{"VIGIE_CONFIG": "/a/env.yaml", "XDG_CONFIG_HOME": xdg, "HOME": home})}, "/a/env.yaml", SourceEnv},
		{"env with ~", LoadOptions{Env: envOf(map[string]string{"VIGIE_CONFIG": "~/v.yaml", "HOME": home})}, filepath.Join(home, "v.yaml"), SourceEnv},
		{"xdg", LoadOptions{Env: envOf(map[string]string{"XDG_CONFIG_HOME": xdg, "HOME": home})}, filepath.Join(xdg, "vigie", "config.yaml"), SourceXDG},
		{"relative xdg is ignored", LoadOptions{Env: envOf(map[string]string{"XDG_CONFIG_HOME": "rel", "HOME": home})}, filepath.Join(home, ".config", "vigie", "config.yaml"), SourceDefault},
		{"home", LoadOptions{Env: envOf(map[string]string{"HOME": home})}, filepath.Join(home, ".config", "vigie", "config.yaml"), SourceDefault},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := FindFile(c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if f.Path != c.want || f.Source != c.source || f.Exists {
				t.Fatalf("got %s from %s (exists %v), want %s from %s", f.Path, f.Source, f.Exists, c.want, c.source)
			}
		})
	}
	if _, err := FindFile(LoadOptions{}); err == nil || !strings.Contains(err.Error(), "$HOME is not set") {
		t.Fatalf("zero options: got %v", err)
	}
}

func TestMissingFile(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")

	// Default file missing: an empty configuration.
	r, err := Load(LoadOptions{Env: envOf(map[string]string{"HOME": dir})})
	if err != nil {
		t.Fatal(err)
	}
	if r.File.Exists || len(r.File.Config.Contexts) != 0 || r.Context != nil || r.File.Source != SourceDefault {
		t.Fatalf("got %+v", r)
	}
	// ... but selecting a context in it is an error saying why.
	_, err = Load(LoadOptions{Env: envOf(map[string]string{"HOME": dir, "VIGIE_CONTEXT": "prod"})})
	if ps := problemsOf(t, err); !strings.Contains(ps[0].Msg, "no contexts are defined") || !strings.Contains(ps[0].Msg, "does not exist") {
		t.Fatalf("got %v", err)
	}

	// Explicit files missing: errors naming the file and where it came from.
	for _, opts := range []LoadOptions{
		{Path: missing, Env: envOf(map[string]string{"HOME": dir})},
		{Env: envOf(map[string]string{"HOME": dir, "VIGIE_CONFIG": missing})},
	} {
		_, err := Load(opts)
		if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "does not exist") {
			t.Fatalf("got %v", err)
		}
	}
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tok"), []byte("file-token\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "empty"), []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := writeConfig(t, dir, dedent(`
		current-context: a
		contexts:
		  a:
		    environment: dev
		    prometheus:
		      url: http://p
		      bearerTokenFile: tok          # relative to the config file
		  b:
		    environment: dev
		    platform:
		      url: http://p
		      tokenFile: missing-token
		  c:
		    environment: dev
		    loki:
		      url: http://l
		      username: u
		      passwordFile: empty
	`))
	opts := LoadOptions{Path: path, Env: envOf(map[string]string{"HOME": dir})}

	r, err := Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Context.Prometheus.BearerToken.Reveal(); got != "file-token" {
		t.Fatalf("token = %q", got)
	}

	opts.SecretFiles = SecretFilesNone
	if r, err = Load(opts); err != nil || r.Context.Prometheus.BearerToken.IsSet() {
		t.Fatalf("SecretFilesNone read the token: %v", err)
	}

	opts.SecretFiles = SecretFilesAll
	_, err = Load(opts)
	ps := problemsOf(t, err)
	want := []string{
		path + ":12:18: contexts.b.platform.tokenFile: cannot read secret file: open " + filepath.Join(dir, "missing-token") + ": no such file or directory",
		path + ":18:21: contexts.c.loki.passwordFile: secret file " + filepath.Join(dir, "empty") + " is empty",
	}
	if len(ps) != len(want) {
		t.Fatalf("got %v", err)
	}
	for i := range want {
		if ps[i].String() != want[i] {
			t.Errorf("got  %s\nwant %s", ps[i], want[i])
		}
	}
}

func TestTimeoutsAndPaths(t *testing.T) {
	r, err := load(t, `
		current-context: a
		log-file: logs/vigie.log
		contexts:
		  a:
		    environment: dev
		    kube:
		      kubeconfig: ~/kube/config
		    prometheus:
		      url: http://p
		      timeout: 1m30s
		    alertmanager:
		      url: http://a
	`, map[string]string{"HOME": "/home/me"}, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Context.Prometheus.Timeout != 90*time.Second || r.Context.Alertmanager.Timeout != DefaultTimeout {
		t.Errorf("timeouts %v %v", r.Context.Prometheus.Timeout, r.Context.Alertmanager.Timeout)
	}
	if r.Context.Kube.Kubeconfig != "/home/me/kube/config" {
		t.Errorf("kubeconfig %q", r.Context.Kube.Kubeconfig)
	}
	if want := filepath.Join(filepath.Dir(r.File.Path), "logs", "vigie.log"); r.LogFile != want {
		t.Errorf("log file %q, want %q", r.LogFile, want)
	}
}

func TestMergeKeys(t *testing.T) {
	r, err := load(t, `
		current-context: prod-ro
		contexts:
		  prod: &prod
		    environment: production
		    prometheus:
		      url: http://p
		  prod-ro:
		    <<: *prod
		    readOnly: true
	`, nil, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Context; c.Environment != Production || !c.ReadOnly || c.Prometheus.URL.Host != "p" {
		t.Fatalf("got %+v", c)
	}
}

// TestExampleConfigs keeps testdata/full.yaml (the documented example) valid and
// testdata/broken.yaml reporting every one of its problems.
func TestExampleConfigs(t *testing.T) {
	env := envOf(map[string]string{"HOME": "/home/me"})
	r, err := Load(LoadOptions{Path: "testdata/full.yaml", Env: env, SecretFiles: SecretFilesAll})
	if err != nil {
		t.Fatal(err)
	}
	if r.ContextName() != "local-payments" || len(r.File.Config.Contexts) != 2 || r.Team.Name != "payments" {
		t.Fatalf("got %+v", r)
	}
	prod := r.File.Config.Contexts["prod-eu"]
	if prod.Prometheus.BearerToken.Reveal() != "prom-token-from-file-XYZ" || prod.Loki.Password.Reveal() != "loki-password-from-file-XYZ" {
		t.Error("secret files of prod-eu not read")
	}
	if r.Context.Kube.Kubeconfig != "/home/me/.kube/vigie-local" || r.Context.Prometheus.Timeout != 5*time.Second {
		t.Errorf("local-payments: %+v", r.Context)
	}
	if r.UI.Theme != "auto" || len(r.UI.Keys) != 3 || r.UI.Keys["workloads.describe"] == nil {
		t.Errorf("ui: %+v", r.UI)
	}
	if want := (LogsConfig{RingSize: 200000, MaxStreams: 16, Since: time.Hour}); r.Logs != want {
		t.Errorf("logs %+v, want %+v", r.Logs, want)
	}
	if want, _ := filepath.Abs("testdata/runbooks"); r.Context.Runbooks != want {
		t.Errorf("runbooks %q, want %q", r.Context.Runbooks, want)
	}
	pay, search := r.File.Config.Teams["payments"], r.File.Config.Teams["search"]
	if !slices.Equal(pay.Services, []string{"checkout", "ledger"}) || !slices.Equal(search.Services, []string{"indexer", "query"}) {
		t.Errorf("services %q %q", pay.Services, search.Services)
	}
	if slo := pay.ServiceConfig["checkout"].SLO; slo == nil || *slo != (SLO{Objective: 0.995, Window: 30 * 24 * time.Hour}) || len(pay.ServiceConfig["checkout"].Queries) != 2 {
		t.Errorf("checkout: %+v", pay.ServiceConfig["checkout"])
	}
	if !reflect.DeepEqual(pay.ServiceConfig["ledger"], ServiceConfig{}) || !reflect.DeepEqual(search.ServiceConfig["query"], ServiceConfig{}) {
		t.Errorf("ledger %+v, query %+v: want no settings", pay.ServiceConfig["ledger"], search.ServiceConfig["query"])
	}
	if !maps.Equal(pay.AlertMatchers, map[string]string{"team": "payments", "tier": "backend"}) || !maps.Equal(search.AlertMatchers, map[string]string{"team": "search"}) {
		t.Errorf("alert matchers %v %v", pay.AlertMatchers, search.AlertMatchers)
	}

	_, err = Load(LoadOptions{Path: "testdata/broken.yaml", Env: env, SecretFiles: SecretFilesAll})
	ps := problemsOf(t, err)
	if len(ps) != 34 {
		t.Errorf("broken.yaml: %d problems, want 34:\n%v", len(ps), err)
	}
	for _, secret := range []string{"hunter2", "TOPSECRET"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("broken.yaml problems show %q", secret)
		}
	}
}
