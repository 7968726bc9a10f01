package main

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigie-dev/vigie/internal/config"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/sources/prom"
	"github.com/vigie-dev/vigie/themes"
)

// loadUI writes content as dir/config.yaml and loads its UI part.
func loadUI(t *testing.T, dir, content string, env map[string]string) config.UI {
	t.Helper()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	e := map[string]string{"HOME": dir}
	for k, v := range env {
		e[k] = v
	}
	res, err := config.Load(config.LoadOptions{Path: path, Env: func(k string) (string, bool) {
		v, ok := e[k]
		return v, ok
	}})
	if err != nil {
		t.Fatal(err)
	}
	return res.UI
}

func keysOf(t *testing.T, s keymaps.Set, action string) []string {
	t.Helper()
	b, ok := s.Lookup(action)
	if !ok {
		t.Fatalf("no action %s", action)
	}
	return b.Keys()
}

func TestBuildUI(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"night.yaml": "base: light\ndanger: \"#ff3030\"\n",
		"bad.yaml":   "base: dark\nprimary: \"#12345\"\nwarnng: 3\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "config.yaml")
	bad := filepath.Join(dir, "bad.yaml")

	cases := []struct {
		name     string
		yaml     string            // the config file; "" builds from the zero config.UI
		env      map[string]string // besides HOME
		readOnly bool
		check    func(t *testing.T, s uiSetup)
		wantErr  []string // every line of the error (a prefix of it), in order
	}{
		{
			name: "no configuration: default keys, auto theme",
			check: func(t *testing.T, s uiSetup) {
				if s.Theme != "auto" || s.UserTheme != nil {
					t.Errorf("theme %q %v, want auto", s.Theme, s.UserTheme)
				}
				if got := keysOf(t, s.Keys, "table.filter"); !slices.Equal(got, []string{"/"}) {
					t.Errorf("table.filter keys %q", got)
				}
				for _, name := range keymaps.Dangerous() {
					if b, _ := s.Keys.Lookup(name); !b.Enabled() {
						t.Errorf("%s disabled without read-only", name)
					}
				}
			},
		},
		{
			name: "overrides change the bindings",
			yaml: "keys:\n  table.filter: f\n  global.quit: [Q, Ctrl+q, Q]\n  workloads.describe: []\n",
			check: func(t *testing.T, s uiSetup) {
				for action, want := range map[string][]string{
					"table.filter":       {"f"},
					"global.quit":        {"Q", "ctrl+q"}, // normalised, once each
					"workloads.describe": {},
					"table.up":           {"up", "k"}, // untouched
				} {
					if got := keysOf(t, s.Keys, action); !slices.Equal(got, want) {
						t.Errorf("%s keys %q, want %q", action, got, want)
					}
				}
				if got := s.Keys.Table.Filter.Help().Key; got != "f" {
					t.Errorf("help shows %q, want f", got)
				}
			},
		},
		{
			name:    "unknown action",
			yaml:    "theme: dark\nkeys:\n  tabel.filter: f\n",
			wantErr: []string{cfg + `:3:3: keys.tabel.filter: unknown key action "tabel.filter" (did you mean "table.filter"?)`},
		},
		{
			name: "conflict with a default binding",
			yaml: "keys:\n  table.filter: k\n",
			wantErr: []string{cfg + `:2:3: keys.table.filter: key "k" is already bound to table.up on the list screen` +
				` (expected a free key, or override table.up too)`},
		},
		{
			name: "conflict between two overrides",
			yaml: "keys:\n  workloads.logs: x\n  global.help: x\n",
			wantErr: []string{cfg + `:2:3: keys.workloads.logs: key "x" is also bound to global.help on the workloads screen` +
				` (expected different keys for them: both are live there)`},
		},
		{
			name: "every problem at once, in file order",
			yaml: "keys:\n  workloads.restrat: X\n  global.quit: [q, ctrl+]\n  alerts.silenc: Z\n",
			wantErr: []string{
				"3 configuration problems:",
				cfg + `:2:3: keys.workloads.restrat: unknown key action "workloads.restrat" (did you mean "workloads.restart"?)`,
				cfg + `:3:3: keys.global.quit: key "ctrl+": missing key after the last +`,
				cfg + `:4:3: keys.alerts.silenc: unknown key action "alerts.silenc" (did you mean "alerts.silence"?)`,
			},
		},
		{
			name:     "read-only disables the dangerous bindings, overridden or not",
			yaml:     "keys:\n  workloads.restart: ctrl+x\n",
			readOnly: true,
			check: func(t *testing.T, s uiSetup) {
				for _, name := range keymaps.Dangerous() {
					if b, _ := s.Keys.Lookup(name); b.Enabled() {
						t.Errorf("%s enabled in read-only mode", name)
					}
				}
				if got := keysOf(t, s.Keys, "workloads.restart"); !slices.Equal(got, []string{"ctrl+x"}) {
					t.Errorf("restart keys %q", got)
				}
				if b, _ := s.Keys.Lookup("workloads.describe"); !b.Enabled() {
					t.Error("read-only disabled a safe binding")
				}
			},
		},
		{
			name: "built-in theme passes through",
			yaml: "theme: High-Contrast\n",
			check: func(t *testing.T, s uiSetup) {
				if s.Theme != "high-contrast" || s.UserTheme != nil {
					t.Errorf("theme %q %v", s.Theme, s.UserTheme)
				}
			},
		},
		{
			name: "theme file",
			yaml: "theme: night.yaml\n",
			check: func(t *testing.T, s uiSetup) {
				if s.UserTheme == nil || s.UserTheme.Name != "night" || s.UserTheme.Dark || s.Theme != "auto" {
					t.Fatalf("got %q %+v", s.Theme, s.UserTheme)
				}
			},
		},
		{
			name: "theme file with a bad colour, and a key problem",
			yaml: "theme: bad.yaml\nkeys:\n  global.hlep: h\n",
			wantErr: []string{
				"3 configuration problems:",
				cfg + `:3:3: keys.global.hlep: unknown key action "global.hlep" (did you mean "global.help"?)`,
				bad + `:2:10: primary: bad colour "#12345": want #rrggbb (theme file named at ` + cfg + `:1:8)`,
				bad + `:3:1: unknown token "warnng" (did you mean "warning"?)`,
			},
		},
		{
			name: "theme file from the environment",
			yaml: "theme: dark\n",
			env:  map[string]string{"VIGIE_THEME": bad},
			wantErr: []string{
				"2 configuration problems:",
				bad + `:2:10: primary: bad colour "#12345": want #rrggbb (theme file named at $VIGIE_THEME)`,
				bad + `:3:1: unknown token "warnng" (did you mean "warning"?)`,
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ui config.UI
			if c.yaml != "" {
				ui = loadUI(t, dir, c.yaml, c.env)
			}
			s, err := buildUI(ui, c.readOnly)
			if c.wantErr != nil {
				if err == nil {
					t.Fatal("no error")
				}
				lines := strings.Split(err.Error(), "\n")
				for i, w := range c.wantErr {
					if i >= len(lines) || !strings.HasPrefix(lines[i], w) {
						t.Fatalf("error:\n%v\nwant line %d: %s", err, i, w)
					}
				}
				if len(lines) != len(c.wantErr) {
					t.Fatalf("error:\n%v\nwant %d lines", err, len(c.wantErr))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, s)
		})
	}
}

// TestBuildUIErrorTypes checks that callers can still tell the problems apart.
func TestBuildUIErrorTypes(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.yaml"), []byte("danger: red\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ui := loadUI(t, dir, "theme: t.yaml\nkeys:\n  nope: x\n  table.up: \"ctrl+\"\n", nil)
	_, err := buildUI(ui, false)
	var unknown *keymaps.UnknownActionError
	var bad *keymaps.KeyError
	var parse *themes.ParseError
	if !errors.As(err, &unknown) || !errors.As(err, &bad) || !errors.As(err, &parse) {
		t.Fatalf("error types lost: %v", err)
	}
}

// TestBuildUIWithoutPositions covers a config.UI built by hand: problems still name the
// field.
func TestBuildUIWithoutPositions(t *testing.T) {
	_, err := buildUI(config.UI{Keys: map[string][]string{"table.filter": {"j"}}}, false)
	want := `keys.table.filter: key "j" is already bound to table.down on the list screen`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v, want %s...", err, want)
	}
	s, err := buildUI(config.UI{Theme: "mono"}, false)
	if err != nil || s.Theme != "mono" {
		t.Fatalf("mono: %q %v", s.Theme, err)
	}
	if _, err := buildUI(config.UI{Theme: "sepia"}, false); err == nil || !strings.Contains(err.Error(), `theme: unknown theme "sepia"`) {
		t.Fatalf("sepia: %v", err)
	}
}

// TestThemeNamesAgree keeps the names config accepts as built-in themes equal to the
// names package themes knows (config cannot import themes).
func TestThemeNamesAgree(t *testing.T) {
	want := append([]string{themes.NameAuto}, themes.Names()...)
	if got := config.ThemeNames(); !slices.Equal(got, want) {
		t.Fatalf("config.ThemeNames() = %q, themes has %q", got, want)
	}
}

// TestKeyActionsDocumented keeps docs/config.md listing every action name.
func TestKeyActionsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "config.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range keymaps.Names() {
		if !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("docs/config.md does not list the key action %s", name)
		}
	}
}

// The signal names the config accepts are the ones sources/prom has templates for.
func TestSignalNamesAgree(t *testing.T) {
	want := slices.Sorted(maps.Keys(prom.DefaultTemplates()))
	got := slices.Sorted(slices.Values(config.SignalNames()))
	for _, n := range want {
		if !slices.Contains(got, n) {
			t.Errorf("config does not accept the signal %q of sources/prom", n)
		}
	}
	for _, n := range got {
		if _, ok := prom.DefaultTemplates()[n]; !ok && !strings.HasPrefix(n, "latency_") {
			t.Errorf("config accepts %q, which sources/prom has no template for", n)
		}
	}
}
