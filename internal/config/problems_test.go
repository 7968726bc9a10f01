package config

import (
	"strings"
	"testing"
)

// TestFileProblems checks the exact position, path and message of file problems. Each
// case is a whole file; want lists "line:col: path: message" (a prefix of it).
func TestFileProblems(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want []string
	}{
		{
			name: "unknown key nested in a context",
			yaml: `
				contexts:
				  prod:
				    environment: production
				    prometheus:
				      url: http://p
				      timout: 5s
			`,
			want: []string{`6:7: contexts.prod.prometheus.timout: unknown key; did you mean "timeout"? (valid keys: url, bearerToken, bearerTokenFile, timeout)`},
		},
		{
			name: "unknown top-level key",
			yaml: "current_context: a\n",
			want: []string{`1:1: current_context: unknown key; did you mean "current-context"? (valid keys: current-context, log-file, theme, keys, logs, contexts, teams)`},
		},
		{
			name: "unknown key without suggestion",
			yaml: "contexts:\n  a:\n    environment: dev\n    kube:\n      zzzzzz: 1\n",
			want: []string{`5:7: contexts.a.kube.zzzzzz: unknown key (valid keys: kubeconfig, context)`},
		},
		{
			name: "duplicate context",
			yaml: `
				contexts:
				  prod:
				    environment: production
				  prod:
				    environment: dev
			`,
			want: []string{`4:3: contexts.prod: duplicate key "prod" (first defined at line 2, column 3)`},
		},
		{
			name: "duplicate field",
			yaml: "contexts:\n  a:\n    environment: dev\n    environment: staging\n",
			want: []string{`4:5: contexts.a.environment: duplicate key "environment" (first defined at line 3, column 5)`},
		},
		{
			name: "bad environment",
			yaml: "contexts:\n  a:\n    environment: prod\n",
			want: []string{`3:18: contexts.a.environment: invalid value "prod" (expected one of: production, staging, dev)`},
		},
		{
			name: "missing environment",
			yaml: "contexts:\n  a:\n    readOnly: true\n",
			want: []string{`2:3: contexts.a.environment: required (expected one of: production, staging, dev)`},
		},
		{
			name: "bad URLs",
			yaml: `
				contexts:
				  a:
				    environment: dev
				    prometheus:
				      url: localhost:9090
				    alertmanager:
				      url: "http://"
				    loki:
				      url: ftp://loki
				    platform:
				      url: "http://h/ x?token=1"
			`,
			want: []string{
				`5:12: contexts.a.prometheus.url: invalid URL "localhost:": scheme must be http or https`,
				`7:12: contexts.a.alertmanager.url: invalid URL "http:": no host`,
				`9:12: contexts.a.loki.url: invalid URL "ftp://loki": scheme must be http or https`,
				`11:12: contexts.a.platform.url: invalid URL "http://h/%20x": must not have a query or fragment`,
			},
		},
		{
			name: "missing URL",
			yaml: "contexts:\n  a:\n    environment: dev\n    prometheus:\n      timeout: 5s\n",
			want: []string{`4:5: contexts.a.prometheus.url: required (expected an absolute http(s) URL)`},
		},
		{
			name: "bad durations",
			yaml: `
				contexts:
				  a:
				    environment: dev
				    prometheus:
				      url: http://p
				      timeout: 10
				    alertmanager:
				      url: http://a
				      timeout: 0s
			`,
			want: []string{
				`6:16: contexts.a.prometheus.timeout: invalid duration "10" (expected a Go duration such as 10s, 1m30s or 500ms)`,
				`9:16: contexts.a.alertmanager.timeout: invalid duration "0s" (expected a duration greater than 0, such as 10s)`,
			},
		},
		{
			name: "token and tokenFile",
			yaml: `
				contexts:
				  a:
				    environment: dev
				    prometheus:
				      url: http://p
				      bearerToken: abc
				      bearerTokenFile: /t
				    platform:
				      url: http://p
				      tokenFile: /t
				      token: abc
			`,
			want: []string{
				`7:24: contexts.a.prometheus.bearerTokenFile: set either bearerToken or bearerTokenFile, not both`,
				`10:18: contexts.a.platform.tokenFile: set either token or tokenFile, not both`,
			},
		},
		{
			name: "loki auth",
			yaml: `
				contexts:
				  a:
				    environment: dev
				    loki:
				      url: http://l
				      username: u
				  b:
				    environment: dev
				    loki:
				      url: http://l
				      username: u
				      password: p
				      bearerToken: t
			`,
			want: []string{
				`6:17: contexts.a.loki.username: username needs a password (expected password or passwordFile)`,
				`11:17: contexts.b.loki: set either username/password or bearerToken/bearerTokenFile, not both`,
			},
		},
		{
			name: "wrong types",
			yaml: `
				contexts:
				  a:
				    environment: [dev]
				    readOnly: yes
				    prometheus: http://p
				teams: [payments]
			`,
			want: []string{
				`3:18: contexts.a.environment: expected a string, got a list`,
				`4:15: contexts.a.readOnly: invalid value "yes" (expected true or false)`,
				`5:17: contexts.a.prometheus: expected a mapping, got a string`,
				`6:8: teams: expected a mapping, got a list`,
			},
		},
		{
			name: "names",
			yaml: "contexts:\n  Prod:\n    environment: dev\n  " + strings.Repeat("a", 64) + ":\n    environment: dev\n",
			want: []string{
				`2:3: contexts.Prod: invalid name "Prod" (expected lower-case letters, digits, '.', '_' or '-', starting with a letter or digit)`,
				`4:3: contexts.` + strings.Repeat("a", 64) + `: name "` + strings.Repeat("a", 64) + `" is too long: 64 characters (expected at most 63)`,
			},
		},
		{
			name: "teams",
			yaml: `
				current-context: a
				contexts:
				  a:
				    environment: dev
				    team: ghosts
				teams:
				  payments:
				    namespaces: [payments, Bad_NS]
				    selector: "team in (a"
				  search:
				    services: [x]
				  none:
				    namespaces: []
			`,
			want: []string{
				`5:11: contexts.a.team: unknown team "ghosts" (known teams: none, payments, search)`,
				`8:28: teams.payments.namespaces[1]: invalid namespace "Bad_NS"`,
				`9:15: teams.payments.selector: invalid label selector "team in (a"`,
				`10:3: teams.search.namespaces: required (expected a list of at least one namespace)`,
				`13:17: teams.none.namespaces: must list at least one namespace`,
			},
		},
		{
			name: "current-context names an unknown context",
			yaml: "current-context: nope\ncontexts:\n  a:\n    environment: dev\n  b:\n    environment: dev\n",
			want: []string{`1:18: current-context: unknown context "nope" (known contexts: a, b)`},
		},
		{
			name: "YAML syntax error",
			yaml: "current-context: a\ncontexts: x\n  a: b\n",
			want: []string{`3: invalid YAML: mapping values are not allowed in this context`},
		},
		{
			name: "several documents",
			yaml: "contexts: {}\n---\nteams: {}\n",
			want: []string{`2:1: the file holds more than one YAML document`},
		},
		{
			name: "empty string",
			yaml: "contexts:\n  a:\n    environment: dev\n    team: \"\"\n",
			want: []string{`4:11: contexts.a.team: must not be empty (remove the key to leave it unset)`},
		},
		{
			name: "theme",
			yaml: "themes: dark\n",
			want: []string{`1:1: themes: unknown key; did you mean "theme"? (valid keys: current-context, log-file, theme, keys, logs, contexts, teams)`},
		},
		{
			name: "theme of the wrong type",
			yaml: "theme: [dark]\n",
			want: []string{`1:8: theme: expected a string, got a list`},
		},
		{
			name: "theme file that does not exist, close to a built-in name",
			yaml: "theme: drak\n",
			want: []string{`1:8: theme: theme file /`}, // the whole message: TestTheme
		},
		{
			name: "keys of the wrong shapes",
			yaml: `
				keys:
				  table.filter: {key: f}
				  global.quit: [q, [ctrl+c]]
				  global.help: ""
				  global.back:
				  table.top: [g, ~]
				  table.top: [home]
				  "tabel up": 1
				  table.sort-next: >
				  global.palette: !
			`,
			want: []string{
				`2:17: keys.table.filter: expected a key or a list of keys, got a mapping`,
				`3:20: keys.global.quit[1]: expected a key, got a list`,
				`4:16: keys.global.help: empty key (expected a key such as "/", "G" or "ctrl+f"; use [] to unbind)`,
				`5:15: keys.global.back: no key given (expected a key, a list of keys, or [] to unbind; quote`,
				`6:18: keys.table.top[1]: no key given`,
				`7:3: keys.table.top: duplicate key "table.top" (first defined at line 6, column 3)`,
				`9:20: keys.table.sort-next: empty key: a bare > or | starts a YAML block (expected a quoted key such as ">")`,
				`10:19: keys.global.palette: no key given (expected a key, a list of keys, or [] to unbind; quote keys that YAML reads specially, such as "~", "#" or "!")`,
			},
		},
		{
			name: "keys not a mapping",
			yaml: "keys: [q]\n",
			want: []string{`1:7: keys: expected a mapping, got a list`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := load(t, c.yaml, nil, Overrides{})
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

func TestEmptyFiles(t *testing.T) {
	for _, content := range []string{"", "# just a comment\n", "---\n", "~\n", "contexts:\nteams:\n"} {
		r, err := load(t, content, nil, Overrides{})
		if err != nil {
			t.Fatalf("%q: %v", content, err)
		}
		if !r.File.Exists || len(r.File.Config.Contexts) != 0 || r.Context != nil {
			t.Fatalf("%q: got %+v", content, r)
		}
	}
}

func TestErrorsFormat(t *testing.T) {
	one := Errors{{File: "c.yaml", Line: 3, Col: 5, Path: "contexts.a", Msg: "bad"}}
	if got := one.Error(); got != "c.yaml:3:5: contexts.a: bad" {
		t.Errorf("got %q", got)
	}
	two := append(one, Problem{Path: "VIGIE_TEAM", Msg: "worse"}, Problem{File: "c.yaml", Line: 7, Msg: "no column"})
	want := "3 configuration problems:\nc.yaml:3:5: contexts.a: bad\nc.yaml:7: no column\nVIGIE_TEAM: worse"
	if got := normalize(two).Error(); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
