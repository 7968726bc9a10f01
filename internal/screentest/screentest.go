// Package screentest holds what the screens' tests share: golden files, key presses, a
// stand-in for the root model that runs a screen's commands, and a check that a drawing
// fits its size. Only tests import it.
//
// It sits below everything (internal/): it imports Bubble Tea and the standard library
// only, so a caller passes in what it needs of the rest (the width of styled text).
package screentest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// Golden compares got with dir/<name>.golden. With update it writes got there instead
// (each test package defines its own -update flag and passes its value).
func Golden(t testing.TB, dir, name, got string, update bool) {
	t.Helper()
	path := filepath.Join(dir, name+".golden")
	if update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run '%s' -update creates it)", err, t.Name())
	}
	if got != string(want) {
		t.Fatalf("screen %s differs from %s (go test -update rewrites it after a deliberate change)\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

// GoldenScreen is Golden for the text of a screen in testdata/<name>.golden: the
// trailing spaces of its lines trimmed, a newline at the end.
func GoldenScreen(t testing.TB, name, screen string, update bool) {
	t.Helper()
	Golden(t, "testdata", name, TrimLines(screen)+"\n", update)
}

// TrimLines removes the trailing spaces of every line of s.
func TrimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// named are the keys Key knows by name.
var named = map[string]rune{
	"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "space": tea.KeySpace,
	"backspace": tea.KeyBackspace, "delete": tea.KeyDelete,
	"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
	"home": tea.KeyHome, "end": tea.KeyEnd, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown,
}

var modifiers = map[string]tea.KeyMod{"ctrl": tea.ModCtrl, "alt": tea.ModAlt, "shift": tea.ModShift}

// Key is the key press of s as a keymap spells it: a named key ("enter", "pgdown"), a
// key with modifiers ("ctrl+r", "shift+tab"), or anything else as typed text (its first
// rune is the code).
func Key(s string) tea.KeyPressMsg {
	var mod tea.KeyMod
	rest := s
	for {
		m, after, ok := strings.Cut(rest, "+")
		if !ok || after == "" || modifiers[m] == 0 {
			break
		}
		mod |= modifiers[m]
		rest = after
	}
	if r, ok := named[rest]; ok {
		return tea.KeyPressMsg{Code: r, Mod: mod}
	}
	if mod != 0 && len([]rune(rest)) == 1 {
		return tea.KeyPressMsg{Code: []rune(rest)[0], Mod: mod}
	}
	return tea.KeyPressMsg{Code: []rune(s)[0], Text: s}
}

// Driver stands in for the root model of one screen: it runs the screen's commands and
// hands the screen's own results back to it, as the program loop does.
type Driver struct {
	// Update is the screen's Update; it returns the command to run next.
	Update func(tea.Msg) tea.Cmd
	// Own reports the messages that go back to Update (the screen's own results); the
	// others (navigation, flashes) are the root's and Run returns them.
	Own func(tea.Msg) bool
}

// Run runs cmd, the commands it batches and those Update returns for the messages fed
// back; it returns the other messages, in order.
func (d Driver) Run(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, d.Run(c)...)
		}
		return out
	case nil:
		return nil
	default:
		if d.Own != nil && d.Own(msg) {
			return d.Run(d.Update(msg))
		}
		return []tea.Msg{msg}
	}
}

// Press sends the key presses of keys (see Key) and runs what they return; it returns
// the messages Run returns.
func (d Driver) Press(keys ...string) []tea.Msg {
	var out []tea.Msg
	for _, k := range keys {
		out = append(out, d.Run(d.Update(Key(k)))...)
	}
	return out
}

// Type sends the key presses of the characters of s, dropping the commands they return
// (a text input's cursor blink, which would wait).
func (d Driver) Type(s string) {
	for _, r := range s {
		d.Update(Key(string(r)))
	}
}

// Fits reports (as an error) a drawing out that does not fit in w×h cells: more lines
// than h, or a line wider than w as width measures it (ansi.StringWidth for styled
// text). An empty drawing fits anywhere.
func Fits(out string, w, h int, width func(string) int) error {
	if out == "" {
		return nil
	}
	lines := strings.Split(out, "\n")
	if len(lines) > h {
		return fmt.Errorf("at %dx%d: %d lines", w, h, len(lines))
	}
	for i, l := range lines {
		if lw := width(l); lw > w {
			return fmt.Errorf("at %dx%d: line %d is %d wide: %q", w, h, i, lw, l)
		}
	}
	return nil
}

// Sizes lists the sizes (width, height) from 0×0 to maxW×maxH, widths first: all of them
// when all is true, else those with a width in widths or a height in heights (every
// width at a few heights and every height at a few widths, for the race detector).
func Sizes(maxW, maxH int, all bool, widths, heights []int) [][2]int {
	var out [][2]int
	for w := 0; w <= maxW; w++ {
		for h := 0; h <= maxH; h++ {
			if all || slices.Contains(widths, w) || slices.Contains(heights, h) {
				out = append(out, [2]int{w, h})
			}
		}
	}
	return out
}

// Inert reports (as an error) a control byte in the drawing raw that its styling did not
// produce: a BEL, a C1 CSI or an OSC sequence in raw, or any control byte but the newline
// in plain (raw with its styling stripped, by ansi.Strip). It also reports a plain that
// does not show want (a payload drawn inert), unless want is "".
func Inert(raw, plain, want string) error {
	if strings.Contains(raw, "\x07") || strings.Contains(raw, "\u009b") {
		return fmt.Errorf("BEL or C1 CSI in the output: %q", raw)
	}
	if strings.Contains(raw, "\x1b]") {
		return fmt.Errorf("an OSC sequence in the output: %q", raw)
	}
	for i := 0; i < len(plain); i++ {
		if c := plain[i]; c == 0x1b || (c < 0x20 && c != '\n') || c == 0x7f {
			return fmt.Errorf("control byte %#x left after stripping SGR: %q", c, plain)
		}
	}
	if !strings.Contains(plain, want) {
		return fmt.Errorf("the payload must be shown, inert:\n%s", plain)
	}
	return nil
}
