package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestUIKeys(t *testing.T) {
	r, err := load(t, `
		current-context: a
		contexts:
		  a:
		    environment: dev
		keys:
		  table.filter: "/"
		  global.quit: [q, ctrl+c]
		  workloads.describe: []   # unbound
		  global.help: 1           # a number is its text
		  "odd name": x            # names are keymaps' business
	`, nil, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"table.filter":       {"/"},
		"global.quit":        {"q", "ctrl+c"},
		"workloads.describe": {},
		"global.help":        {"1"},
		"odd name":           {"x"},
	}
	if !reflect.DeepEqual(r.UI.Keys, want) {
		t.Fatalf("keys = %#v, want %#v", r.UI.Keys, want)
	}
	if r.UI.Keys["workloads.describe"] == nil {
		t.Error("[] must be an empty list, not nil")
	}
	file := r.File.Path
	for action, pos := range map[string]string{
		"table.filter":       file + ":6:3",
		"global.quit":        file + ":7:3",
		"workloads.describe": file + ":8:3",
		"not.overridden":     file + ":5:1", // the keys mapping
	} {
		if got := r.UI.KeyPosition(action); got != pos {
			t.Errorf("KeyPosition(%q) = %q, want %q", action, got, pos)
		}
	}
	if r.UI.Theme != "" || r.UI.ThemeFile != "" || r.UI.ThemePosition() != "" {
		t.Errorf("theme %+v, want none", r.UI)
	}
	// Resolved.UI is a copy: changing it leaves the file's configuration alone.
	r.UI.Keys["global.quit"][0] = "x"
	if r.File.Config.UI.Keys["global.quit"][0] != "q" {
		t.Error("Resolved.UI shares its keys with File.Config.UI")
	}
	if KeyPath("table.filter") != "keys.table.filter" || KeyPath("odd name") != `keys["odd name"]` {
		t.Errorf("KeyPath: %q %q", KeyPath("table.filter"), KeyPath("odd name"))
	}

	var none UI
	if none.KeyPosition("table.filter") != "" || none.ThemePosition() != "" {
		t.Error("zero UI has positions")
	}
}

func TestTheme(t *testing.T) {
	home, dir := t.TempDir(), t.TempDir()
	for _, f := range []string{filepath.Join(dir, "themes", "night.yaml"), filepath.Join(home, "day.yaml")} {
		if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("base: dark\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "config.yaml")
	expected := "(expected auto, dark, light, high-contrast, mono, or the path of a YAML theme file)"
	cases := []struct {
		name              string
		theme             string            // the theme line, "" for none
		env               map[string]string // besides HOME
		wantTheme, wantTF string
		wantPos           string // ThemePosition
		wantErr           string // the whole problem, "" for none
	}{
		{"none", "", nil, "", "", "", ""},
		{"auto", "theme: auto", nil, "auto", "", path + ":1:8", ""},
		{"built-in", "theme: high-contrast", nil, "high-contrast", "", path + ":1:8", ""},
		{"built-in in capitals", "theme: Light", nil, "light", "", path + ":1:8", ""},
		{"relative file", "theme: themes/night.yaml", nil, "themes/night.yaml", filepath.Join(dir, "themes", "night.yaml"), path + ":1:8", ""},
		{"file under ~", "theme: ~/day.yaml", nil, "~/day.yaml", filepath.Join(home, "day.yaml"), path + ":1:8", ""},
		{"missing file", "theme: themes/nope.yaml", nil, "", "", "",
			path + ":1:8: theme: theme file " + filepath.Join(dir, "themes", "nope.yaml") + " does not exist " + expected},
		{"typo of a built-in", "theme: hight-contrast", nil, "", "", "",
			path + ":1:8: theme: theme file " + filepath.Join(dir, "hight-contrast") + ` does not exist; did you mean "high-contrast"? ` + expected},
		{"directory", "theme: themes", nil, "", "", "",
			path + ":1:8: theme: theme file " + filepath.Join(dir, "themes") + " is a directory " + expected},
		{"~user", "theme: ~bob/t.yaml", nil, "", "", "",
			path + `:1:8: theme: cannot expand "~bob/t.yaml": ~user is not supported (expected ~/..., or an absolute path) ` + expected},
		{"env over file", "theme: dark", map[string]string{"VIGIE_THEME": "MONO"}, "mono", "", "$VIGIE_THEME", ""},
		{"env file", "theme: dark", map[string]string{"VIGIE_THEME": "~/day.yaml"}, "~/day.yaml", filepath.Join(home, "day.yaml"), "$VIGIE_THEME", ""},
		{"env replaces a missing file", "theme: nope.yaml", map[string]string{"VIGIE_THEME": "light"}, "light", "", "$VIGIE_THEME", ""},
		{"empty env is unset", "theme: light", map[string]string{"VIGIE_THEME": ""}, "light", "", path + ":1:8", ""},
		{"env missing file", "", map[string]string{"VIGIE_THEME": "/no/such/theme.yaml"}, "", "", "",
			"VIGIE_THEME: theme file /no/such/theme.yaml does not exist " + expected},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			content := c.theme + "\ncurrent-context: a\ncontexts:\n  a:\n    environment: dev\n"
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"HOME": home}
			for k, v := range c.env {
				env[k] = v
			}
			r, err := Load(LoadOptions{Path: path, Env: envOf(env)})
			if c.wantErr != "" {
				ps := problemsOf(t, err)
				if len(ps) != 1 || ps[0].String() != c.wantErr {
					t.Fatalf("got  %v\nwant %s", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.UI.Theme != c.wantTheme || r.UI.ThemeFile != c.wantTF || r.UI.ThemePosition() != c.wantPos {
				t.Errorf("got theme %q file %q at %q, want %q %q at %q", r.UI.Theme, r.UI.ThemeFile, r.UI.ThemePosition(), c.wantTheme, c.wantTF, c.wantPos)
			}
		})
	}
}

func TestThemeNames(t *testing.T) {
	for _, name := range ThemeNames() {
		if got, ok := builtinTheme(" " + strings.ToUpper(name) + " "); !ok || got != name {
			t.Errorf("builtinTheme(%q) = %q, %v", name, got, ok)
		}
	}
	if _, ok := builtinTheme("./dark"); ok {
		t.Error("./dark is a path, not the built-in")
	}
}

func TestRenderUI(t *testing.T) {
	r, err := load(t, baseConfig+"\ttheme: light\n\tkeys:\n\t  global.quit: [q, ctrl+c]\n\t  workloads.describe: []\n", nil, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Render(RenderOptions{Minify: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "theme: light\nkeys:\n  global.quit:\n    - q\n    - ctrl+c\n  workloads.describe: []\ncontexts:\n"
	if !strings.Contains(string(out), want) {
		t.Errorf("view lacks\n%s\ngot:\n%s", want, out)
	}
	out, err = r.Render(RenderOptions{Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Theme string              `json:"theme"`
		Keys  map[string][]string `json:"keys"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Theme != "light" || doc.Keys["workloads.describe"] == nil || len(doc.Keys["global.quit"]) != 2 {
		t.Errorf("JSON: %s", out)
	}

	// A theme file shows as its absolute path, like the other paths.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.yaml"), []byte("base: light\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err = Load(LoadOptions{Path: writeConfig(t, dir, "theme: t.yaml\n"), Env: envOf(map[string]string{"HOME": dir})})
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := r.Render(RenderOptions{}); !strings.Contains(string(out), "theme: "+filepath.Join(dir, "t.yaml")+"\n") {
		t.Errorf("theme file not shown:\n%s", out)
	}
}
