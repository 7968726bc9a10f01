package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLogs(t *testing.T) {
	cases := []struct {
		name string
		yaml string // the logs section, "" for none
		want LogsConfig
		errs []string // "line:col: path: message" prefixes; none when valid
	}{
		{name: "defaults", want: LogsConfig{RingSize: 100000, MaxStreams: 8, Since: 15 * time.Minute}},
		{name: "null section", yaml: "logs:\n", want: DefaultLogs()},
		{name: "all set", yaml: "logs:\n  ringSize: 1_000_000\n  maxStreams: 64\n  since: 2h\n",
			want: LogsConfig{RingSize: 1000000, MaxStreams: 64, Since: 2 * time.Hour}},
		{name: "bounds", yaml: "logs: {ringSize: 1000, maxStreams: 1}\n",
			want: LogsConfig{RingSize: 1000, MaxStreams: 1, Since: DefaultLogSince}},
		{name: "one set", yaml: "logs: {ringSize: 5000000}\n",
			want: LogsConfig{RingSize: 5000000, MaxStreams: DefaultLogMaxStreams, Since: DefaultLogSince}},
		{name: "out of range", yaml: "logs:\n  ringSize: 999\n  maxStreams: 65\n", errs: []string{
			`2:13: logs.ringSize: 999 is out of range (expected a whole number from 1000 to 5000000)`,
			`3:15: logs.maxStreams: 65 is out of range (expected a whole number from 1 to 64)`,
		}},
		{name: "too large", yaml: "logs: {ringSize: 5000001, maxStreams: 0}\n", errs: []string{
			`1:18: logs.ringSize: 5000001 is out of range (expected a whole number from 1000 to 5000000)`,
			`1:39: logs.maxStreams: 0 is out of range (expected a whole number from 1 to 64)`,
		}},
		{name: "not whole numbers", yaml: "logs: {ringSize: 1e5, maxStreams: \"8\"}\n", errs: []string{
			`1:18: logs.ringSize: invalid value "1e5" (expected a whole number from 1000 to 5000000)`,
			`1:35: logs.maxStreams: invalid value "8" (expected a whole number from 1 to 64)`,
		}},
		{name: "huge", yaml: "logs: {ringSize: 99999999999999999999, maxStreams: [8]}\n", errs: []string{
			`1:18: logs.ringSize: invalid value "99999999999999999999"`,
			`1:52: logs.maxStreams: expected a whole number, got a list`,
		}},
		{name: "since", yaml: "logs: {since: 15}\n", errs: []string{
			`1:15: logs.since: invalid duration "15" (expected a Go duration such as 10s, 1m30s or 500ms)`,
		}},
		{name: "since zero", yaml: "logs: {since: 0s}\n", errs: []string{
			`1:15: logs.since: invalid duration "0s" (expected a duration greater than 0, such as 10s)`,
		}},
		{name: "unknown key", yaml: "logs: {ring_size: 1000}\n", errs: []string{
			`1:8: logs.ring_size: unknown key; did you mean "ringSize"? (valid keys: ringSize, maxStreams, since)`,
		}},
		{name: "not a mapping", yaml: "logs: 1000\n", errs: []string{`1:7: logs: expected a mapping, got a number`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := load(t, c.yaml, nil, Overrides{})
			if len(c.errs) > 0 {
				ps := problemsOf(t, err)
				if len(ps) != len(c.errs) {
					t.Fatalf("got %d problems, want %d:\n%v", len(ps), len(c.errs), err)
				}
				for i, w := range c.errs {
					if got := strings.TrimPrefix(ps[i].String(), ps[i].File+":"); !strings.HasPrefix(got, w) {
						t.Errorf("problem %d:\ngot  %s\nwant %s...", i, got, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Logs != c.want || r.File.Config.Logs != c.want {
				t.Errorf("logs %+v (file %+v), want %+v", r.Logs, r.File.Config.Logs, c.want)
			}
		})
	}
}

func TestRunbooks(t *testing.T) {
	home, dir, cwd := t.TempDir(), t.TempDir(), t.TempDir()
	for _, d := range []string{filepath.Join(dir, "runbooks"), filepath.Join(home, "rb"), filepath.Join(cwd, "env-rb")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "file.md"), []byte("# x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(cwd)
	path := filepath.Join(dir, "config.yaml")
	expected := "(expected an existing folder holding the runbooks)"
	cases := []struct {
		name     string
		runbooks string            // the runbooks line of context a, "" for none
		env      map[string]string // besides HOME
		mode     SecretFiles
		want     string // Context.Runbooks
		wantErr  []string
	}{
		{name: "none"},
		// Context b's folder does not exist, but only the selected context's is checked.
		{name: "relative to the file", runbooks: "runbooks: runbooks", want: filepath.Join(dir, "runbooks")},
		{name: "under ~", runbooks: "runbooks: ~/rb", want: filepath.Join(home, "rb")},
		{name: "absolute, trailing slash", runbooks: "runbooks: " + dir + "/runbooks/", want: filepath.Join(dir, "runbooks")},
		{name: "missing", runbooks: "runbooks: nope", wantErr: []string{
			path + ":4:15: contexts.a.runbooks: runbooks folder " + filepath.Join(dir, "nope") + " does not exist " + expected}},
		{name: "a file", runbooks: "runbooks: file.md", wantErr: []string{
			path + ":4:15: contexts.a.runbooks: runbooks folder " + filepath.Join(dir, "file.md") + " is a file, not a folder " + expected}},
		{name: "~user", runbooks: "runbooks: ~bob/rb", wantErr: []string{
			path + `:4:15: contexts.a.runbooks: cannot expand "~bob/rb": ~user is not supported (expected ~/..., or an absolute path)`}},
		{name: "empty", runbooks: `runbooks: ""`, wantErr: []string{
			path + ":4:15: contexts.a.runbooks: must not be empty (remove the key to leave it unset)"}},
		{name: "env over file, relative to the current folder", runbooks: "runbooks: nope",
			env: map[string]string{"VIGIE_RUNBOOKS": "env-rb"}, want: filepath.Join(cwd, "env-rb")},
		{name: "env under ~", env: map[string]string{"VIGIE_RUNBOOKS": "~/rb"}, want: filepath.Join(home, "rb")},
		{name: "env missing", runbooks: "runbooks: runbooks", env: map[string]string{"VIGIE_RUNBOOKS": "/no/such/rb"}, wantErr: []string{
			"VIGIE_RUNBOOKS: runbooks folder /no/such/rb does not exist " + expected}},
		{name: "empty env is unset", runbooks: "runbooks: runbooks", env: map[string]string{"VIGIE_RUNBOOKS": ""}, want: filepath.Join(dir, "runbooks")},
		{name: "selecting the context with a missing folder", env: map[string]string{"VIGIE_CONTEXT": "b"}, wantErr: []string{
			path + ":7:15: contexts.b.runbooks: runbooks folder " + filepath.Join(dir, "gone") + " does not exist " + expected}},
		{name: "every context with SecretFilesAll", runbooks: "runbooks: runbooks", mode: SecretFilesAll, want: filepath.Join(dir, "runbooks"), wantErr: []string{
			path + ":7:15: contexts.b.runbooks: runbooks folder " + filepath.Join(dir, "gone") + " does not exist " + expected}},
		{name: "env without a context", env: map[string]string{"VIGIE_CONTEXT": "", "VIGIE_RUNBOOKS": "/x"}, wantErr: []string{
			"VIGIE_RUNBOOKS: no context is selected to apply it to"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			current := "current-context: a\n"
			if c.name == "env without a context" {
				current = ""
			}
			content := current + "contexts:\n  a:\n    " + c.runbooks + "\n    environment: dev\n  b:\n    runbooks: gone\n    environment: dev\n"
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"HOME": home}
			for k, v := range c.env {
				env[k] = v
			}
			r, err := Load(LoadOptions{Path: path, Env: envOf(env), SecretFiles: c.mode})
			if len(c.wantErr) > 0 {
				ps := problemsOf(t, err)
				if len(ps) != len(c.wantErr) {
					t.Fatalf("got %d problems, want %d:\n%v", len(ps), len(c.wantErr), err)
				}
				for i, w := range c.wantErr {
					if !strings.HasPrefix(ps[i].String(), w) {
						t.Errorf("got  %s\nwant %s", ps[i], w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Context.Runbooks != c.want {
				t.Errorf("runbooks %q, want %q", r.Context.Runbooks, c.want)
			}
		})
	}
}

func TestRenderLogsAndRunbooks(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "rb"), 0o700); err != nil {
		t.Fatal(err)
	}
	render := func(content string) string {
		t.Helper()
		r, err := Load(LoadOptions{Path: writeConfig(t, dir, content), Env: envOf(map[string]string{"HOME": dir})})
		if err != nil {
			t.Fatal(err)
		}
		out, err := r.Render(RenderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	out := render("current-context: a\nlogs: {maxStreams: 4}\ncontexts:\n  a:\n    environment: dev\n    runbooks: rb\n")
	for _, want := range []string{
		"logs:\n  ringSize: 100000\n  maxStreams: 4\n  since: 15m0s\ncontexts:\n",
		"    readOnly: false\n    runbooks: " + filepath.Join(dir, "rb") + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("view lacks\n%s\ngot:\n%s", want, out)
		}
	}
	// Defaults are not shown: view shows what is set.
	out = render("current-context: a\nlogs: {since: 15m}\ncontexts:\n  a:\n    environment: dev\n")
	if strings.Contains(out, "logs:") || strings.Contains(out, "runbooks:") {
		t.Errorf("view shows defaults:\n%s", out)
	}
}
