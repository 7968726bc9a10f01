package pane

import (
	"strconv"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/screentest"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views/table"
)

func styles() *themes.Styles {
	st := themes.NewStyles(themes.Dark())
	return &st
}

func field(k, text string) Line { return Line{Indent: 8, Key: k, Text: text} }

// plain renders p and strips the styles and the trailing spaces.
func plain(p *Pane, lines []Line, w, h int) string {
	return screentest.TrimLines(ansi.Strip(p.Render(styles(), "head", lines, w, h)))
}

func TestLayout(t *testing.T) {
	lines := []Line{
		field("Name", "checkout"),
		field("Reason", "a reason long enough to wrap"),
		{},
		Title("Section"),
		Indented("indented", table.ToneMuted),
		{Text: "\x1b[1mstyled\x1b[0m", Styled: true},
	}
	var p Pane
	want := "head\n" +
		"Name    checkout\n" +
		"Reason  a reason long\n" +
		"        enough to wrap\n" +
		"\n" +
		"Section\n" +
		"  indented\n" +
		"styled"
	if got := plain(&p, lines, 22, 20); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	// Too narrow for the key column: the key on a line of its own.
	want = "head\nName\ncheckout"
	if got := plain(&p, lines[:1], 12, 20); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	// A styled line is padded to the width.
	if got := p.Render(styles(), "", lines[5:], 10, 2); !strings.HasSuffix(got, "\x1b[0m    ") {
		t.Fatalf("styled line not padded: %q", got)
	}
	if p.Render(styles(), "head", lines, 0, 10) != "" || p.Render(styles(), "head", lines, 10, 0) != "" {
		t.Fatal("nothing fits in no room")
	}
}

func TestRenderFits(t *testing.T) {
	lines := []Line{field("Name", "checkout — a name with a wide ✓ and more words"), Title("Title"), Indented("x", table.ToneOK)}
	var p Pane
	for w := 1; w <= 60; w++ {
		for h := 1; h <= 8; h++ {
			if err := screentest.Fits(p.Render(styles(), "a header longer than some widths", lines, w, h), w, h, ansi.StringWidth); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestScroll(t *testing.T) {
	var lines []Line
	for i := range 20 {
		lines = append(lines, Line{Text: "line " + strconv.Itoa(i)})
	}
	keys := keymaps.DefaultTableKeyMap()
	var p Pane
	first := func() string {
		out := plain(&p, lines, 20, 6) // head and 5 lines
		return strings.Split(out, "\n")[1]
	}
	first()
	steps := []struct {
		key  string
		want string
	}{
		{"j", "line 1"},
		{"down", "line 2"},
		{"k", "line 1"},
		{"pgdown", "line 6"},
		{"ctrl+d", "line 8"},
		{"ctrl+u", "line 6"},
		{"pgup", "line 1"},
		{"G", "line 15"}, // the last page
		{"j", "line 15"}, // clamped
		{"g", "line 0"},
		{"up", "line 0"},
	}
	for _, s := range steps {
		if !p.ScrollKey(screentest.Key(s.key), keys) {
			t.Fatalf("%s does not scroll", s.key)
		}
		if got := first(); got != s.want {
			t.Fatalf("after %s the first line is %q, want %q", s.key, got, s.want)
		}
	}
	if p.ScrollKey(screentest.Key("x"), keys) {
		t.Fatal("x is not a navigation key")
	}
	p.Wheel(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if got := first(); got != "line 3" {
		t.Fatalf("the wheel scrolls three lines, got %q", got)
	}
	p.Wheel(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if got := first(); got != "line 0" {
		t.Fatalf("got %q", got)
	}
	p.Scroll(4)
	p.Reset()
	if got := first(); got != "line 0" {
		t.Fatalf("reset goes to the top, got %q", got)
	}
}

func TestWrap(t *testing.T) {
	if Wrap("abc", 0) != nil {
		t.Fatal("no width, no lines")
	}
	if got := Wrap("one two three", 7); strings.Join(got, "|") != "one two|three" {
		t.Fatalf("got %q", got)
	}
}
