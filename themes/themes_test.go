package themes

import (
	"errors"
	"fmt"
	"image/color"
	"regexp"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
)

func builtins(t *testing.T) []Palette {
	t.Helper()
	var ps []Palette
	for _, name := range Names() {
		p, err := Builtin(name)
		if err != nil {
			t.Fatalf("Builtin(%q): %v", name, err)
		}
		if p.Name != name {
			t.Errorf("Builtin(%q).Name = %q", name, p.Name)
		}
		ps = append(ps, p)
	}
	return ps
}

func TestBuiltinsSetEveryToken(t *testing.T) {
	for _, p := range builtins(t) {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
		for _, tok := range Tokens() {
			c, ok := p.Color(tok)
			if !ok {
				t.Fatalf("Color(%q) not found", tok)
			}
			switch {
			case c == nil:
				t.Errorf("%s: token %s is nil", p.Name, tok)
			case p.Monochrome && !isDefault(c):
				t.Errorf("%s: monochrome palette has colour %v for %s", p.Name, c, tok)
			case !p.Monochrome && isDefault(c):
				t.Errorf("%s: token %s is the terminal default", p.Name, tok)
			}
		}
	}
	if !Mono().Monochrome {
		t.Error("Mono is not Monochrome")
	}
}

func TestBuiltinsAreFreshValues(t *testing.T) {
	a := Dark()
	a.Danger = lipgloss.Color("#000000")
	if Dark().Danger == a.Danger {
		t.Fatal("changing a returned palette changed the built-in")
	}
}

func TestBuiltinUnknown(t *testing.T) {
	_, err := Builtin("solarized")
	var ute *UnknownThemeError
	if !errors.As(err, &ute) {
		t.Fatalf("want UnknownThemeError, got %v", err)
	}
	for _, name := range Names() {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not list %q", err, name)
		}
	}
}

func TestPick(t *testing.T) {
	cases := []struct {
		name string
		dark bool
		want string
	}{
		{"", true, NameDark},
		{"", false, NameLight},
		{"auto", true, NameDark},
		{"AUTO", false, NameLight},
		{"light", true, NameLight},
		{"dark", false, NameDark},
		{"high-contrast", false, NameHighContrast},
		{"mono", true, NameMono},
	}
	for _, c := range cases {
		p, err := Pick(c.name, c.dark)
		if err != nil || p.Name != c.want {
			t.Errorf("Pick(%q, %v) = %q, %v; want %q", c.name, c.dark, p.Name, err, c.want)
		}
	}
	_, err := Pick("nope", true)
	if err == nil || !strings.Contains(err.Error(), "auto") || !strings.Contains(err.Error(), "mono") {
		t.Errorf("Pick(nope) error = %v, want one listing valid names", err)
	}
}

func TestForProfile(t *testing.T) {
	for _, prof := range []colorprofile.Profile{colorprofile.ASCII, colorprofile.NoTTY} {
		if got := ForProfile(Dark(), prof); !got.Monochrome {
			t.Errorf("ForProfile(dark, %v) is not mono", prof)
		}
	}
	for _, prof := range []colorprofile.Profile{colorprofile.Unknown, colorprofile.ANSI, colorprofile.ANSI256, colorprofile.TrueColor} {
		if got := ForProfile(Dark(), prof); got.Name != NameDark {
			t.Errorf("ForProfile(dark, %v) = %s", prof, got.Name)
		}
	}
}

// TestSixteenColourLegibility downsamples each colour palette to the 16 ANSI colours, as
// Bubble Tea does on such terminals, and checks that status colours keep their hue family
// and stay apart from each other and from the selection, and that every bar keeps its text
// readable.
func TestSixteenColourLegibility(t *testing.T) {
	to16 := func(c color.Color) color.Color { return colorprofile.ANSI.Convert(c) }
	family := map[string][]ansi.BasicColor{
		"danger":  {ansi.Red, ansi.BrightRed},
		"warning": {ansi.Yellow, ansi.BrightYellow},
		"ok":      {ansi.Green, ansi.BrightGreen},
	}
	for _, p := range builtins(t) {
		if p.Monochrome {
			continue
		}
		got := map[string]color.Color{
			"danger":      to16(p.Danger),
			"warning":     to16(p.Warning),
			"ok":          to16(p.OK),
			"selected-bg": to16(p.SelectedBg),
			"highlight":   to16(p.Highlight),
		}
		for tok, fam := range family {
			in := false
			for _, want := range fam {
				if got[tok] == color.Color(want) {
					in = true
				}
			}
			if !in {
				t.Errorf("%s: %s becomes %v on 16 colours, want one of %v", p.Name, tok, got[tok], fam)
			}
		}
		names := []string{"danger", "warning", "ok", "selected-bg", "highlight"}
		for i, a := range names {
			for _, b := range names[i+1:] {
				if got[a] == got[b] {
					t.Errorf("%s: %s and %s both become %v on 16 colours", p.Name, a, b, got[a])
				}
			}
		}
		pairs := [][3]any{
			{"selected", p.SelectedFg, p.SelectedBg},
			{"header", p.HeaderFg, p.HeaderBg},
			{"production", p.ProductionFg, p.ProductionBg},
		}
		for _, pr := range pairs {
			fg, bg := to16(pr[1].(color.Color)), to16(pr[2].(color.Color))
			if fg == bg {
				t.Errorf("%s: %s fg and bg both become %v on 16 colours", p.Name, pr[0], fg)
			}
		}
		if to16(p.ProductionBg) != to16(p.Danger) && !isRed(to16(p.ProductionBg)) {
			t.Errorf("%s: production banner is not red on 16 colours: %v", p.Name, to16(p.ProductionBg))
		}
	}
}

func isRed(c color.Color) bool {
	return c == color.Color(ansi.Red) || c == color.Color(ansi.BrightRed)
}

// sgrParams returns every parameter of every SGR sequence (ESC [ ... m) in s.
func sgrParams(s string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`\x1b\[([0-9;:]*)m`).FindAllStringSubmatch(s, -1) {
		out = append(out, strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == ':' })...)
	}
	return out
}

func renderAll(s Styles) map[string]string {
	return map[string]string{
		"Text": s.Text.Render("x"), "Muted": s.Muted.Render("x"), "Primary": s.Primary.Render("x"),
		"Header": s.Header.Render("x"), "StatusBar": s.StatusBar.Render("x"),
		"TableHeader": s.TableHeader.Render("x"), "Cell": s.Cell.Render("x"),
		"SelectedRow": s.SelectedRow.Render("x"),
		"Danger":      s.Danger.Render("x"), "Warning": s.Warning.Render("x"),
		"OK": s.OK.Render("x"), "Info": s.Info.Render("x"),
		"Dialog": s.Dialog.Render("x"), "DialogDanger": s.DialogDanger.Render("x"),
		"DialogTitle": s.DialogTitle.Render("x"),
		"FlashInfo":   s.FlashInfo.Render("x"), "FlashWarning": s.FlashWarning.Render("x"),
		"FlashError": s.FlashError.Render("x"), "Production": s.Production.Render("x"),
		"ReadOnly": s.ReadOnly.Render("x"), "Stale": s.Stale.Render("x"),
		"Highlight": s.Highlight.Render("x"), "HelpKey": s.HelpKey.Render("x"),
		"HelpDesc": s.HelpDesc.Render("x"), "HelpSeparator": s.HelpSeparator.Render("x"),
	}
}

func isColourParam(p string) bool {
	var n int
	if _, err := fmt.Sscan(p, &n); err != nil {
		return false
	}
	return (n >= 30 && n <= 38) || (n >= 40 && n <= 48) || (n >= 90 && n <= 97) || (n >= 100 && n <= 107) || n == 58
}

func TestMonoRendersNoColour(t *testing.T) {
	s := NewStyles(Mono())
	all := renderAll(s)
	var joined strings.Builder
	for name, out := range all {
		joined.WriteString(out)
		if strings.Contains(out, "38;") || strings.Contains(out, "48;") {
			t.Errorf("%s renders a colour: %q", name, out)
		}
		for _, p := range sgrParams(out) {
			if isColourParam(p) {
				t.Errorf("%s renders colour SGR parameter %s: %q", name, p, out)
			}
		}
	}
	has := func(style, param string) {
		t.Helper()
		for _, p := range sgrParams(all[style]) {
			if p == param {
				return
			}
		}
		t.Errorf("mono %s = %q lacks SGR %s", style, all[style], param)
	}
	has("SelectedRow", "7") // reverse
	has("Production", "7")
	has("Production", "1")
	has("Danger", "1")  // bold
	has("Warning", "4") // underline
	has("Muted", "2")   // faint
	if !strings.Contains(all["DialogDanger"], "╔") {
		t.Errorf("mono destructive dialog lacks its double border: %q", all["DialogDanger"])
	}
}

func TestColourStylesRenderColour(t *testing.T) {
	for _, p := range builtins(t) {
		if p.Monochrome {
			continue
		}
		all := renderAll(NewStyles(p))
		for _, name := range []string{"Danger", "SelectedRow", "Production", "Header"} {
			colour := false
			for _, prm := range sgrParams(all[name]) {
				colour = colour || isColourParam(prm)
			}
			if !colour {
				t.Errorf("%s: %s renders no colour: %q", p.Name, name, all[name])
			}
		}
	}
}

func TestTerminalDefaultBarsUseReverse(t *testing.T) {
	p := Dark()
	p.SelectedBg = lipgloss.NoColor{}
	out := NewStyles(p).SelectedRow.Render("x")
	found := false
	for _, prm := range sgrParams(out) {
		found = found || prm == "7"
	}
	if !found {
		t.Errorf("selected row with terminal-default background is not reversed: %q", out)
	}
}

func TestHelpStyles(t *testing.T) {
	s := NewStyles(Dark())
	h := s.Help()
	if h.ShortKey.Render("k") != s.HelpKey.Render("k") || h.FullDesc.Render("d") != s.HelpDesc.Render("d") {
		t.Error("help styles do not come from the theme")
	}
}
