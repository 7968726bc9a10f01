package keymaps

import (
	"testing"

	tea "charm.land/bubbletea/v2"
)

func TestNormalizeKey(t *testing.T) {
	cases := map[string]string{
		"q":              "q",
		"G":              "G",
		"?":              "?",
		"+":              "+",
		" ":              "space",
		"space":          "space",
		"F5":             "f5",
		"f12":            "f12",
		"Enter":          "enter",
		"return":         "enter",
		"ESCAPE":         "esc",
		"PageDown":       "pgdown",
		"ctrl+x":         "ctrl+x",
		"Ctrl+X":         "ctrl+shift+x",
		"control+r":      "ctrl+r",
		"shift+ctrl+x":   "ctrl+shift+x",
		"shift+g":        "G",
		"alt+G":          "alt+shift+g",
		"shift+tab":      "shift+tab",
		"super+alt+up":   "alt+super+up",
		"ctrl++":         "ctrl++",
		"ctrl+space":     "ctrl+space",
		" ctrl+r ":       "ctrl+r",
		"é":              "é",
		"ctrl+alt+pgup":  "ctrl+alt+pgup",
		"meta+hyper+del": "meta+hyper+delete",
	}
	for in, want := range cases {
		got, err := NormalizeKey(in)
		if err != nil || got != want {
			t.Errorf("NormalizeKey(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "  ", "ctrl+", "foo", "gg", "ctrl+ctrl+x", "win+x", "shift+1", "\x01", "f0", "f64", "f05", "ctrl+\t"} {
		if got, err := NormalizeKey(bad); err == nil {
			t.Errorf("NormalizeKey(%q) = %q, want an error", bad, got)
		}
	}
}

// TestNormalizeKeyMatchesTea checks normalised keys against the strings that Bubble Tea v2
// reports for the same key presses.
func TestNormalizeKeyMatchesTea(t *testing.T) {
	cases := []struct {
		user string
		msg  tea.KeyPressMsg
	}{
		{"shift+g", tea.KeyPressMsg{Code: 'g', ShiftedCode: 'G', Text: "G", Mod: tea.ModShift}},
		{"ctrl+r", tea.KeyPressMsg{Code: 'r', Mod: tea.ModCtrl}},
		{"shift+ctrl+x", tea.KeyPressMsg{Code: 'x', Mod: tea.ModCtrl | tea.ModShift}},
		{"alt+G", tea.KeyPressMsg{Code: 'g', Mod: tea.ModAlt | tea.ModShift}},
		{"F5", tea.KeyPressMsg{Code: tea.KeyF5}},
		{"space", tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}},
		{"PageUp", tea.KeyPressMsg{Code: tea.KeyPgUp}},
		{"shift+tab", tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}},
		{"<", tea.KeyPressMsg{Code: '<', Text: "<"}},
	}
	for _, c := range cases {
		got, err := NormalizeKey(c.user)
		if err != nil || got != c.msg.String() {
			t.Errorf("NormalizeKey(%q) = %q, %v; Bubble Tea says %q", c.user, got, err, c.msg.String())
		}
	}
}

func FuzzNormalizeKey(f *testing.F) {
	for _, s := range []string{"ctrl+x", "F5", "shift+g", "++", "ctrl++", "a+b+c", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeKey(s)
		if err != nil {
			return
		}
		again, err := NormalizeKey(got)
		if err != nil || again != got {
			t.Fatalf("NormalizeKey(%q) = %q, which normalises to %q, %v", s, got, again, err)
		}
	})
}
