package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

type result struct {
	code           int
	stdout, stderr string
}

// vigie runs the program with args and env (nothing from the real environment).
func vigie(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, deps{
		stdout:  &stdout,
		stderr:  &stderr,
		env:     func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		version: "dev",
	})
	return result{code, stdout.String(), stderr.String()}
}

// setup makes a HOME and an XDG_CONFIG_HOME holding testdata/<name> as the default
// config file (no file when name is ""), and returns the environment and the file path.
func setup(t *testing.T, name string) (map[string]string, string) {
	t.Helper()
	home, xdg := t.TempDir(), t.TempDir()
	path := filepath.Join(xdg, "vigie", "config.yaml")
	if name != "" {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return map[string]string{"HOME": home, "XDG_CONFIG_HOME": xdg}, path
}

func (r result) expect(t *testing.T, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

func TestVersion(t *testing.T) {
	env, _ := setup(t, "")
	r := vigie(t, env, "--version")
	r.expect(t, 0)
	if r.stdout != "vigie dev\n" || r.stderr != "" {
		t.Fatalf("got %q %q", r.stdout, r.stderr)
	}
	info := &debug.BuildInfo{Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"},
	}}
	for _, c := range []struct {
		v    string
		info *debug.BuildInfo
		want string
	}{
		{"dev", nil, "dev"},
		{"dev", &debug.BuildInfo{}, "dev"},
		{"v1.2.3", info, "v1.2.3 (commit 0123456789ab, modified)"},
		{"v1.2.3", &debug.BuildInfo{Settings: info.Settings[:1]}, "v1.2.3 (commit 0123456789ab)"},
	} {
		if got := versionString(c.v, c.info); got != c.want {
			t.Errorf("versionString(%q) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestRootHelp(t *testing.T) {
	env, _ := setup(t, "config.yaml")
	r := vigie(t, env, "--help")
	r.expect(t, 0)
	for _, want := range []string{"Usage:\n  vigie [flags]", "config", "--read-only", "stays read-only", "--command"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestLiveNeedsATerminal(t *testing.T) {
	env, _ := setup(t, "config.yaml")
	r := vigie(t, env)
	r.expect(t, 1)
	if !strings.Contains(r.stderr, "needs a terminal") || !strings.Contains(r.stderr, "vigie doctor") {
		t.Errorf("without a terminal vigie says so and points to doctor, got %q", r.stderr)
	}
	r = vigie(t, env, "--command", "pdos")
	r.expect(t, 2)
	if !strings.Contains(r.stderr, `--command "pdos": unknown screen`) {
		t.Errorf("a bad --command is a usage error naming it, got %q", r.stderr)
	}
}

// A key override that cannot work stops vigie at start-up with its position in the file,
// before any screen; config check finds it too.
func TestBadKeyOverrideIsAConfigError(t *testing.T) {
	env, path := setup(t, "config.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, []byte("keys:\n  table.filtr: \"/\"\n  table.up: \"/\"\n")...)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{nil, {"config", "check"}} {
		r := vigie(t, env, args...)
		r.expect(t, 1)
		for _, want := range []string{path + ":", `unknown key action "table.filtr" (did you mean "table.filter"?)`} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("vigie %v: stderr lacks %q:\n%s", args, want, r.stderr)
			}
		}
		if strings.Contains(r.stderr, "needs a terminal") {
			t.Errorf("vigie %v: the config error comes before the terminal check:\n%s", args, r.stderr)
		}
	}
}

// A PromQL template override that drops the team's scope is refused at start-up, with
// its position in the file.
func TestBadQueryOverrideIsAConfigError(t *testing.T) {
	env, path := setup(t, "config.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(data), "    services: [checkout, ledger]\n",
		"    services:\n      checkout:\n        queries:\n          rate: 'sum(rate(http_requests_total[5m]))'\n      ledger: {}\n", 1)
	if bad == string(data) {
		t.Fatal("fixture changed: no services list to replace")
	}
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	r := vigie(t, env)
	r.expect(t, 1)
	for _, want := range []string{path + ":", "teams.payments.services.checkout.queries.rate"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	env, _ := setup(t, "config.yaml")
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"--bogus"}, "vigie: unknown flag: --bogus\nRun 'vigie --help' for usage.\n"},
		{[]string{"bogus"}, "vigie: unknown command \"bogus\" for \"vigie\"\nRun 'vigie --help' for usage.\n"},
		{[]string{"config", "bogus"}, "vigie: unknown command \"bogus\" for \"vigie config\"\nRun 'vigie config --help' for usage.\n"},
		{[]string{"config", "use-context"}, "vigie: accepts 1 arg(s), received 0\nRun 'vigie config use-context --help' for usage.\n"},
		{[]string{"config", "view", "-o", "xml"}, "vigie: invalid value \"xml\" for -o/--output (expected yaml or json)\nRun 'vigie config view --help' for usage.\n"},
		{[]string{"config", "view", "--read-only=maybe"}, "vigie: invalid argument \"maybe\" for \"--read-only\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax\nRun 'vigie config view --help' for usage.\n"},
		{[]string{"completion", "tcsh"}, "vigie: unknown command \"tcsh\" for \"vigie completion\"\nRun 'vigie completion --help' for usage.\n"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			r := vigie(t, env, c.args...)
			r.expect(t, 2)
			if r.stderr != c.msg || r.stdout != "" {
				t.Fatalf("stderr %q, want %q; stdout %q", r.stderr, c.msg, r.stdout)
			}
		})
	}
}

func TestConfigViewPrecedence(t *testing.T) {
	env, path := setup(t, "config.yaml")
	env["VIGIE_CONTEXT"] = "prod-eu"                         // env over file's current-context
	env["VIGIE_PROMETHEUS_URL"] = "https://env-prom.example" // env over file
	env["VIGIE_KUBECONFIG"] = "/env/kubeconfig"
	env["VIGIE_TEAM"] = "payments"
	r := vigie(t, env, "config", "view", "--minify", "--team", "search") // flag over env
	r.expect(t, 0)
	want := `# vigie configuration: file < environment < flags, secrets redacted
# file: ` + path + `
# current context: prod-eu
current-context: prod-eu
contexts:
  prod-eu:
    environment: production
    team: search
    readOnly: true
    kube:
      kubeconfig: /env/kubeconfig
      context: prod-eu-1
    prometheus:
      url: https://env-prom.example
      bearerToken: <redacted>
      timeout: 30s
    loki:
      url: https://loki.prod-eu.example.com
      tenant: search
      username: vigie
      password: <redacted>
      timeout: 10s
teams:
  search:
    namespaces:
      - search
      - search-jobs
`
	if r.stdout != want {
		t.Fatalf("got:\n%s\nwant:\n%s", r.stdout, want)
	}

	r = vigie(t, env, "config", "view", "--context", "local", "-o", "json")
	r.expect(t, 0)
	var doc struct {
		Current  string `json:"current-context"`
		Contexts map[string]struct {
			Team     string `json:"team"`
			ReadOnly bool   `json:"readOnly"`
		} `json:"contexts"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if doc.Current != "local" || len(doc.Contexts) != 2 || doc.Contexts["local"].Team != "payments" || !doc.Contexts["prod-eu"].ReadOnly {
		t.Fatalf("got %+v", doc)
	}
}

func TestReadOnlyIsStricterOnly(t *testing.T) {
	env, _ := setup(t, "config.yaml")
	r := vigie(t, env, "config", "view", "--minify", "--read-only")
	r.expect(t, 0)
	if !strings.Contains(r.stdout, "readOnly: true") {
		t.Errorf("--read-only did not apply:\n%s", r.stdout)
	}
	env["VIGIE_READ_ONLY"] = "false"
	r = vigie(t, env, "config", "view", "--minify", "--context", "prod-eu", "--read-only=false")
	r.expect(t, 0)
	if !strings.Contains(r.stdout, "readOnly: true") || !strings.Contains(r.stdout, "# notice: VIGIE_READ_ONLY=false ignored") {
		t.Errorf("prod-eu became writable:\n%s", r.stdout)
	}
	env["VIGIE_READ_ONLY"] = "maybe"
	r = vigie(t, env, "config", "view")
	r.expect(t, 1)
	if r.stderr != "vigie: VIGIE_READ_ONLY: invalid boolean \"maybe\" (expected one of: 1, 0, true, false, yes, no)\n" {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestSecretsNeverShown(t *testing.T) {
	env, _ := setup(t, "config.yaml")
	env["VIGIE_PLATFORM_TOKEN"] = "TOPSECRET-from-env"
	broken, _ := setup(t, "broken.yaml")
	runs := []result{
		vigie(t, env, "config", "view"),
		vigie(t, env, "config", "view", "-o", "json"),
		vigie(t, env, "config", "view", "--minify", "--context", "prod-eu"),
		vigie(t, env, "config", "check"),
		vigie(t, env, "config", "contexts"),
		vigie(t, env, "config", "view", "--context", "prod-eu"), // VIGIE_PLATFORM_TOKEN: no platform there
		vigie(t, broken, "config", "check"),
		vigie(t, broken, "config", "view"),
	}
	for i, r := range runs {
		if strings.Contains(r.stdout+r.stderr, "TOPSECRET") {
			t.Errorf("run %d shows a secret:\n%s%s", i, r.stdout, r.stderr)
		}
	}
	if !strings.Contains(runs[0].stdout, "token: <redacted>") {
		t.Errorf("view does not show redacted token:\n%s", runs[0].stdout)
	}
}

func TestConfigCheck(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		env, path := setup(t, "config.yaml")
		r := vigie(t, env, "config", "check")
		r.expect(t, 0)
		if r.stdout != "config OK: "+path+" (2 contexts, current: local)\n" || r.stderr != "" {
			t.Fatalf("stdout %q stderr %q", r.stdout, r.stderr)
		}
	})
	t.Run("every problem with its position", func(t *testing.T) {
		env, path := setup(t, "broken.yaml")
		r := vigie(t, env, "config", "check")
		r.expect(t, 1)
		want := []string{
			path + `:8:24: contexts.local.prometheus.bearerTokenFile: set either bearerToken or bearerTokenFile, not both`,
			path + `:9:7: contexts.local.prometheus.timout: unknown key; did you mean "timeout"? (valid keys: url, bearerToken, bearerTokenFile, timeout)`,
			path + `:10:3: contexts.local: duplicate key "local" (first defined at line 3, column 3)`,
			path + `:13:18: contexts.prod.environment: invalid value "prd" (expected one of: production, staging, dev)`,
			path + `:15:12: contexts.prod.alertmanager.url: invalid URL "am.example.com": scheme must be http or https (expected an absolute http(s) URL such as http://127.0.0.1:9090)`,
			path + `:16:16: contexts.prod.alertmanager.timeout: invalid duration "soon" (expected a Go duration such as 10s, 1m30s or 500ms)`,
			`vigie: config check failed: 6 problems`,
		}
		if got := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("stderr:\n%s\nwant:\n%s", r.stderr, strings.Join(want, "\n"))
		}
	})
	t.Run("missing default file", func(t *testing.T) {
		env, path := setup(t, "")
		r := vigie(t, env, "config", "check")
		r.expect(t, 0)
		for _, want := range []string{"no config file at " + path + ": no contexts defined", "To create a context, write " + path, "environment: dev"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
			}
		}
	})
	t.Run("missing explicit file", func(t *testing.T) {
		env, _ := setup(t, "")
		missing := filepath.Join(env["HOME"], "nope.yaml")
		r := vigie(t, env, "--config", missing, "config", "check")
		r.expect(t, 1)
		if r.stderr != "vigie: config file "+missing+" (from --config) does not exist\n" {
			t.Fatalf("stderr %q", r.stderr)
		}
		env["VIGIE_CONFIG"] = missing
		r = vigie(t, env, "config", "view")
		r.expect(t, 1)
		if r.stderr != "vigie: config file "+missing+" (from $VIGIE_CONFIG) does not exist\n" {
			t.Fatalf("stderr %q", r.stderr)
		}
	})
	t.Run("unknown context and team", func(t *testing.T) {
		env, _ := setup(t, "config.yaml")
		env["VIGIE_CONTEXT"] = "staging"
		r := vigie(t, env, "config", "check", "--team", "ghosts")
		r.expect(t, 1)
		want := "VIGIE_CONTEXT: unknown context \"staging\" (known contexts: local, prod-eu)\n" +
			"--team: unknown team \"ghosts\" (known teams: payments, search)\n" +
			"vigie: config check failed: 2 problems\n"
		if r.stderr != want {
			t.Fatalf("stderr:\n%s\nwant:\n%s", r.stderr, want)
		}
	})
}

func TestConfigPath(t *testing.T) {
	env, xdgPath := setup(t, "")
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"xdg", env, nil, xdgPath},
		{"home", map[string]string{"HOME": env["HOME"]}, nil, filepath.Join(env["HOME"], ".config", "vigie", "config.yaml")},
		{"env", map[string]string{"HOME": env["HOME"], "VIGIE_CONFIG": "/etc/vigie.yaml"}, nil, "/etc/vigie.yaml"},
		{"flag", map[string]string{"HOME": env["HOME"], "VIGIE_CONFIG": "/etc/vigie.yaml"}, []string{"--config", "/opt/v.yaml"}, "/opt/v.yaml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := vigie(t, c.env, append(c.args, "config", "path")...)
			r.expect(t, 0)
			if r.stdout != c.want+"\n" {
				t.Fatalf("got %q, want %q", r.stdout, c.want)
			}
		})
	}
}

func TestConfigContexts(t *testing.T) {
	env, _ := setup(t, "config.yaml")
	want := "CURRENT  NAME     ENVIRONMENT  TEAM      READ-ONLY  KUBE-CONTEXT\n" +
		"*        local    dev          payments  no         kind-vigie\n" +
		"         prod-eu  production   search    yes        prod-eu-1\n"
	for _, cmd := range []string{"contexts", "get-contexts"} {
		r := vigie(t, env, "config", cmd)
		r.expect(t, 0)
		if r.stdout != want {
			t.Fatalf("%s:\n%s\nwant:\n%s", cmd, r.stdout, want)
		}
	}
	r := vigie(t, env, "config", "contexts", "--context", "prod-eu", "--team", "payments")
	r.expect(t, 0)
	if !strings.Contains(r.stdout, "*        prod-eu  production   payments  yes") {
		t.Fatalf("overrides not shown:\n%s", r.stdout)
	}
}

func TestUseContext(t *testing.T) {
	env, path := setup(t, "config.yaml")
	before, _ := os.ReadFile(path)

	r := vigie(t, env, "config", "use-context", "staging")
	r.expect(t, 1)
	if r.stderr != "vigie: use-context: unknown context \"staging\" (known contexts: local, prod-eu)\n" {
		t.Fatalf("stderr %q", r.stderr)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("file changed after an error")
	}

	r = vigie(t, env, "config", "use-context", "prod-eu")
	r.expect(t, 0)
	if r.stdout != "current context is now \"prod-eu\" ("+path+")\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
	after, _ := os.ReadFile(path)
	want := strings.Replace(string(before), "current-context: local   # the laptop stack", "current-context: prod-eu   # the laptop stack", 1)
	if string(after) != want {
		t.Fatalf("file:\n%s\nwant:\n%s", after, want)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	r = vigie(t, env, "config", "contexts")
	if !strings.Contains(r.stdout, "*        prod-eu") {
		t.Fatalf("contexts after use-context:\n%s", r.stdout)
	}

	env["VIGIE_CONTEXT"] = "local"
	r = vigie(t, env, "config", "use-context", "local")
	r.expect(t, 0)
	if r.stderr != "note: VIGIE_CONTEXT=local is set and overrides current-context\n" {
		t.Errorf("stderr %q", r.stderr)
	}

	empty, _ := setup(t, "")
	r = vigie(t, empty, "config", "use-context", "local")
	r.expect(t, 1)
	if !strings.Contains(r.stderr, "does not exist") {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestCompletion(t *testing.T) {
	env, _ := setup(t, "config.yaml")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "--context", ""}, "local\tdev, team payments\nprod-eu\tproduction, team search, read-only\n:4\n"},
		{[]string{"__complete", "config", "view", "--context", "pr"}, "prod-eu\tproduction, team search, read-only\n:4\n"},
		{[]string{"__completeNoDesc", "--context", ""}, "local\nprod-eu\n:4\n"},
		{[]string{"__complete", "--team", ""}, "payments\tnamespaces payments\nsearch\tnamespaces search,search-jobs\n:4\n"},
		{[]string{"__complete", "config", "use-context", "l"}, "local\tdev, team payments\n:4\n"},
		{[]string{"__complete", "config", "use-context", "local", ""}, ":4\n"},
		{[]string{"__complete", "config", "view", "-o", ""}, "yaml\njson\n:4\n"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			r := vigie(t, env, c.args...)
			r.expect(t, 0)
			if r.stdout != c.want {
				t.Fatalf("got %q, want %q", r.stdout, c.want)
			}
		})
	}
	// A --config given on the command line is used for completion.
	other := filepath.Join(t.TempDir(), "other.yaml")
	if err := os.WriteFile(other, []byte("contexts:\n  staging-us:\n    environment: staging\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := vigie(t, env, "__complete", "--config", other, "--context", "")
	if r.stdout != "staging-us\tstaging\n:4\n" {
		t.Fatalf("got %q", r.stdout)
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		r := vigie(t, env, "completion", shell)
		r.expect(t, 0)
		if !strings.Contains(r.stdout, "vigie") || len(r.stdout) < 500 {
			t.Errorf("%s completion script looks wrong: %.200s", shell, r.stdout)
		}
	}
}

func TestLogFile(t *testing.T) {
	env, _ := setup(t, "config.yaml")
	logPath := filepath.Join(t.TempDir(), "vigie.log")
	r := vigie(t, env, "--log-file", logPath, "config", "check")
	r.expect(t, 0)
	if strings.Contains(r.stdout+r.stderr, "configuration loaded") {
		t.Fatal("log lines on the terminal")
	}
	st, err := os.Stat(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("log mode %v, want 0600", st.Mode().Perm())
	}
	r = vigie(t, env, "--log-file", logPath, "config", "view") // appends
	r.expect(t, 0)
	data, _ := os.ReadFile(logPath)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 log lines, got:\n%s", data)
	}
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec["msg"] != "configuration loaded" || rec["context"] != "local" {
			t.Errorf("log line %q: %v", l, err)
		}
	}
	if strings.Contains(string(data), "TOPSECRET") {
		t.Error("secret in the log")
	}

	env["VIGIE_LOG_FILE"] = filepath.Join(t.TempDir(), "missing-dir", "x", "vigie.log")
	r = vigie(t, env, "config", "view")
	r.expect(t, 1)
	if !strings.HasPrefix(r.stderr, "vigie: opening log file: open ") {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestControlCharactersAreInert(t *testing.T) {
	env, path := setup(t, "")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	evil := "contexts:\n  \"evil\\e[2J\":\n    environment: \"dev\\e[31m\"\nteams:\n  t:\n    namespaces: [t]\n    selector: \"a=\\e[2J,b in (\"\n  \"x\\e]0;title\\a\": {}\n"
	if err := os.WriteFile(path, []byte(evil), 0o600); err != nil {
		t.Fatal(err)
	}
	env["VIGIE_TEAM"] = "\x1b[2Jteam"
	for _, args := range [][]string{{"config", "check"}, {"config", "view"}} {
		r := vigie(t, env, args...)
		r.expect(t, 1)
		if strings.ContainsAny(r.stdout+r.stderr, "\x1b\a") {
			t.Errorf("%v prints control characters:\n%q", args, r.stderr)
		}
	}
}
