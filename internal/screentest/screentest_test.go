package screentest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
)

// recorder is a testing.TB that records failures instead of stopping the test.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Fatal(args ...any)              { r.failed = strings.TrimSpace(fmt.Sprint(args...)); panic(r) }
func (r *recorder) Fatalf(format string, a ...any) { r.Fatal(fmt.Sprintf(format, a...)) }

// fails runs f with a recorder and returns what it failed with ("" if it did not).
func fails(t *testing.T, f func(tb testing.TB)) (msg string) {
	r := &recorder{TB: t}
	defer func() {
		if p := recover(); p != nil {
			if p != r {
				panic(p)
			}
			msg = r.failed
		}
	}()
	f(r)
	return ""
}

func TestGoldenWritesThenCompares(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "testdata")
	if msg := fails(t, func(tb testing.TB) { Golden(tb, dir, "screen", "a\nb\n", false) }); !strings.Contains(msg, "-update creates it") {
		t.Fatalf("a missing golden file says how to create it, got %q", msg)
	}
	if msg := fails(t, func(tb testing.TB) { Golden(tb, dir, "screen", "a\nb\n", true) }); msg != "" {
		t.Fatalf("update: %s", msg)
	}
	b, err := os.ReadFile(filepath.Join(dir, "screen.golden"))
	if err != nil || string(b) != "a\nb\n" {
		t.Fatalf("written %q, %v", b, err)
	}
	if msg := fails(t, func(tb testing.TB) { Golden(tb, dir, "screen", "a\nb\n", false) }); msg != "" {
		t.Fatalf("same screen: %s", msg)
	}
	msg := fails(t, func(tb testing.TB) { Golden(tb, dir, "screen", "a\nc\n", false) })
	if !strings.Contains(msg, "differs") || !strings.Contains(msg, "--- got\na\nc") {
		t.Fatalf("a changed screen fails with both versions, got %q", msg)
	}
}

func TestGoldenScreenTrimsAndEndsTheText(t *testing.T) {
	t.Chdir(t.TempDir())
	if msg := fails(t, func(tb testing.TB) { GoldenScreen(tb, "list", "a  \nb ", true) }); msg != "" {
		t.Fatal(msg)
	}
	if b, err := os.ReadFile(filepath.Join("testdata", "list.golden")); err != nil || string(b) != "a\nb\n" {
		t.Fatalf("written %q, %v", b, err)
	}
	if msg := fails(t, func(tb testing.TB) { GoldenScreen(tb, "list", "a\nb", false) }); msg != "" {
		t.Fatalf("the trailing spaces do not count: %s", msg)
	}
}

func TestTrimLines(t *testing.T) {
	if got := TrimLines("a  \n  b \n\n c"); got != "a\n  b\n\n c" {
		t.Fatalf("got %q", got)
	}
}

func TestKey(t *testing.T) {
	cases := []struct {
		in   string
		want tea.KeyPressMsg
		str  string // what keymaps match against
	}{
		{"enter", tea.KeyPressMsg{Code: tea.KeyEnter}, "enter"},
		{"esc", tea.KeyPressMsg{Code: tea.KeyEscape}, "esc"},
		{"pgdown", tea.KeyPressMsg{Code: tea.KeyPgDown}, "pgdown"},
		{"up", tea.KeyPressMsg{Code: tea.KeyUp}, "up"},
		{"shift+tab", tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}, "shift+tab"},
		{"ctrl+r", tea.KeyPressMsg{Code: 'r', Mod: tea.ModCtrl}, "ctrl+r"},
		{"G", tea.KeyPressMsg{Code: 'G', Text: "G"}, "G"},
		{"+", tea.KeyPressMsg{Code: '+', Text: "+"}, "+"},
		{"é", tea.KeyPressMsg{Code: 'é', Text: "é"}, "é"},
	}
	for _, c := range cases {
		got := Key(c.in)
		if got.Code != c.want.Code || got.Mod != c.want.Mod || got.Text != c.want.Text {
			t.Errorf("Key(%q) = %+v, want %+v", c.in, got, c.want)
		}
		if got.String() != c.str {
			t.Errorf("Key(%q).String() = %q, want %q", c.in, got.String(), c.str)
		}
	}
}

type (
	loaded  struct{ n int }
	navMsg  struct{}
	counter struct{ loads, keys int }
)

func TestDriverFeedsBackOwnMessagesOnly(t *testing.T) {
	var c counter
	load := func(n int) tea.Cmd { return func() tea.Msg { return loaded{n} } }
	d := Driver{
		Update: func(msg tea.Msg) tea.Cmd {
			switch msg := msg.(type) {
			case tea.KeyPressMsg:
				c.keys++
				if msg.String() == "enter" {
					return tea.Batch(load(2), func() tea.Msg { return navMsg{} }, func() tea.Msg { return nil })
				}
			case loaded:
				c.loads++
				if msg.n > 0 {
					return load(msg.n - 1) // a load that starts another
				}
			}
			return nil
		},
		Own: func(msg tea.Msg) bool { _, ok := msg.(loaded); return ok },
	}
	out := d.Press("j", "enter")
	if c.keys != 2 || c.loads != 3 {
		t.Fatalf("keys %d, loads %d: want 2 keys and 3 chained loads", c.keys, c.loads)
	}
	if len(out) != 1 {
		t.Fatalf("only the root's messages come back, got %#v", out)
	}
	if _, ok := out[0].(navMsg); !ok {
		t.Fatalf("got %#v", out[0])
	}
	var typed []string
	d.Update = func(msg tea.Msg) tea.Cmd {
		typed = append(typed, msg.(tea.KeyPressMsg).Text)
		return func() tea.Msg { panic("Type runs no command") }
	}
	d.Type("a b")
	if strings.Join(typed, "|") != "a| |b" {
		t.Fatalf("typed %q", typed)
	}
	if d.Run(nil) != nil {
		t.Fatal("a nil command runs nothing")
	}
}

func TestFits(t *testing.T) {
	width := utf8.RuneCountInString
	cases := []struct {
		out  string
		w, h int
		bad  string // substring of the error; "" when it fits
	}{
		{"", 0, 0, ""},
		{"ab\nc", 2, 2, ""},
		{"ab\nc", 2, 1, "2 lines"},
		{"ab\nabc", 2, 5, "line 1 is 3 wide"},
	}
	for _, c := range cases {
		err := Fits(c.out, c.w, c.h, width)
		switch {
		case c.bad == "" && err != nil:
			t.Errorf("%q in %dx%d: %v", c.out, c.w, c.h, err)
		case c.bad != "" && (err == nil || !strings.Contains(err.Error(), c.bad)):
			t.Errorf("%q in %dx%d: want an error with %q, got %v", c.out, c.w, c.h, c.bad, err)
		}
	}
}

func TestInert(t *testing.T) {
	cases := []struct {
		raw, plain, want string
		bad              string // substring of the error; "" when inert
	}{
		{"\x1b[31mred^[\x1b[0m\nok", "red^[\nok", "red^[", ""},
		{"a\x07", "a\x07", "", "BEL"},
		{"a\u009b31m", "a\u009b31m", "", "C1 CSI"},
		{"\x1b]0;title\x1b\\", "", "", "OSC"},
		{"a\x1b[2J", "a\x1b[2J", "", "control byte 0x1b"},
		{"tab\t", "tab\t", "", "control byte 0x9"},
		{"shown", "shown", "hidden", "must be shown"},
	}
	for _, c := range cases {
		err := Inert(c.raw, c.plain, c.want)
		switch {
		case c.bad == "" && err != nil:
			t.Errorf("%q: %v", c.raw, err)
		case c.bad != "" && (err == nil || !strings.Contains(err.Error(), c.bad)):
			t.Errorf("%q: want an error with %q, got %v", c.raw, c.bad, err)
		}
	}
}

func TestSizes(t *testing.T) {
	if got := Sizes(2, 1, true, nil, nil); len(got) != 6 || got[0] != [2]int{0, 0} || got[1] != [2]int{0, 1} || got[5] != [2]int{2, 1} {
		t.Fatalf("all sizes, widths first: %v", got)
	}
	got := Sizes(3, 3, false, []int{1}, []int{0})
	want := [][2]int{{0, 0}, {1, 0}, {1, 1}, {1, 2}, {1, 3}, {2, 0}, {3, 0}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}
