package themes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
)

func TestParseOverrides(t *testing.T) {
	src := `# my theme
base: light
danger: "#ff0000"
selected-bg: 24
header-bg: ""
ok: "10"
`
	p, err := Parse("mine", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "mine" || p.Dark {
		t.Errorf("name %q dark %v: want mine on the light base", p.Name, p.Dark)
	}
	if p.Danger != lipgloss.Color("#ff0000") {
		t.Errorf("danger = %v", p.Danger)
	}
	if p.SelectedBg != lipgloss.Color("24") || p.OK != lipgloss.Color("10") {
		t.Errorf("selected-bg = %v, ok = %v", p.SelectedBg, p.OK)
	}
	if _, ok := p.HeaderBg.(lipgloss.NoColor); !ok {
		t.Errorf("header-bg = %v, want the terminal default", p.HeaderBg)
	}
	if p.Text != Light().Text {
		t.Errorf("text = %v, want the light base's %v", p.Text, Light().Text)
	}
}

func TestParseBaseAnywhereDefaultsDark(t *testing.T) {
	p, err := Parse("t", []byte("danger: 1\nbase: high-contrast\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Danger != lipgloss.Color("1") || p.OK != HighContrast().OK {
		t.Errorf("override or base lost: %+v", p)
	}
	p, err = Parse("t", []byte("ok: 2\n"))
	if err != nil || p.Text != Dark().Text {
		t.Errorf("no base: got %v, %v; want the dark base", p.Text, err)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{"unknown token", "base: dark\n  \ndangr: \"#ff0000\"\n", []string{
			"t.yaml:3:1:", `unknown token "dangr"`, `did you mean "danger"`, "selected-bg", "production-fg", "highlight"}},
		{"bad hex", "base: dark\nwarning: \"#ffzz00\"\n", []string{"t.yaml:2:10:", "warning", "#rrggbb"}},
		{"short hex", "ok: \"#fff\"\n", []string{"t.yaml:1:5:", "#rrggbb"}},
		{"unquoted hex", "base: dark\ninfo: #00ff00\n", []string{"t.yaml:2:6:", "must be quoted"}},
		{"ansi out of range", "base: dark\ninfo: 256\n", []string{"t.yaml:2:7:", "0 to 255"}},
		{"negative", "info: -1\n", []string{"t.yaml:1:7:", "bad colour"}},
		{"word", "info: red\n", []string{"t.yaml:1:7:", "bad colour \"red\""}},
		{"list", "info: [1, 2]\n", []string{"t.yaml:1:7:", "want a colour"}},
		{"unknown base", "base: solarized\n", []string{"t.yaml:1:7:", "unknown base", "high-contrast"}},
		{"duplicate", "ok: 1\nok: 2\n", []string{"t.yaml:2:1:", "set twice"}},
		{"mono takes no colours", "base: mono\ndanger: 1\n", []string{"t.yaml:2:1:", "mono"}},
		{"not a mapping", "- dark\n", []string{"t.yaml:1:1:", "mapping"}},
		{"empty", "", []string{"t.yaml:", "empty"}},
		{"syntax", "base: dark\n  ok: : :\n", []string{"t.yaml:2:"}},
		{"two documents", "base: dark\n---\nbase: light\n", []string{"t.yaml:", "more than one"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(c.src))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, err := Parse("t.yaml", []byte("nope: 1\nok: blue\n"))
	if err == nil || !strings.Contains(err.Error(), "t.yaml:1:1:") || !strings.Contains(err.Error(), "t.yaml:2:5:") {
		t.Fatalf("want both problems, got %v", err)
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "night.yaml")
	if err := os.WriteFile(path, []byte("base: dark\nprimary: 33\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "night" || p.Primary != lipgloss.Color("33") {
		t.Errorf("got %q primary %v", p.Name, p.Primary)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("base: dark\nprimry: 33\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(bad); err == nil || !strings.Contains(err.Error(), bad+":2:1:") {
		t.Errorf("error %v lacks the file position", err)
	}
	if _, err := LoadFile(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("missing file: no error")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("base: dark\ndanger: \"#ff0000\"\n"))
	f.Add([]byte("ok: 300\n"))
	f.Add([]byte("- [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz", data)
		if err == nil {
			if verr := p.Validate(); verr != nil {
				t.Fatalf("Parse accepted an invalid palette: %v", verr)
			}
			_ = NewStyles(p).Danger.Render("x")
		}
	})
}
