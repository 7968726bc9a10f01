package tui

import (
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/vigie-dev/vigie/views"
)

const wait = 5 * time.Second

// liveTerm starts the model of start at w×h and feeds it the fixture.
func liveTerm(t *testing.T, start views.Route, env string, w, h int, profile colorprofile.Profile, termEnv ...string) (*Model, *term) {
	t.Helper()
	m := newTestModel(start, env)
	feed := withFeed(m)
	tm := startTerm(t, m, w, h, profile, termEnv...)
	feedTo(t, feed, fixture())
	return m, tm
}

func TestGoldenScreens(t *testing.T) {
	cases := []struct {
		name  string
		start views.Route
		w, h  int
		keys  []string
		want  string
	}{
		{"pods-80x24", views.Route{Screen: views.ScreenPods}, 80, 24, nil, "CrashLoopBackOff"},
		{"pods-120x40", views.Route{Screen: views.ScreenPods}, 120, 40, nil, "CrashLoopBackOff"},
		{"deployments-80x24", views.Route{Screen: views.ScreenDeployments}, 80, 24, nil, "fraud-worker"},
		{"deployments-120x40", views.Route{Screen: views.ScreenDeployments}, 120, 40, nil, "fraud-worker"},
		{"home-80x24", views.Route{}, 80, 24, nil, "fraud-worker"},
		{"home-120x40", views.Route{}, 120, 40, nil, "fraud-worker"},
		{"events-80x24", views.Route{Screen: views.ScreenEvents}, 80, 24, nil, "BackOff"},
		{"describe-120x40", views.Route{Screen: views.ScreenPods}, 120, 40, []string{"/", "f", "r", "a", "enter", "d"}, "Restart Count"},
		{"help-80x24", views.Route{Screen: views.ScreenPods}, 80, 24, []string{"?"}, "Navigation"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, tm := liveTerm(t, c.start, "dev", c.w, c.h, colorprofile.ANSI256)
			tm.waitFor(wait, "payments")
			for _, k := range c.keys {
				tm.send(press(k))
			}
			tm.waitFor(wait, c.want)
			golden(t, c.name, tm.settle())
		})
	}
}

func TestProductionIsUnmistakable(t *testing.T) {
	_, dev := liveTerm(t, views.Route{}, "dev", 80, 24, colorprofile.ANSI256)
	_, prod := liveTerm(t, views.Route{}, "production", 80, 24, colorprofile.ANSI256)
	dev.waitFor(wait, "fraud-worker")
	prod.waitFor(wait, "fraud-worker", "▲ PRODUCTION")
	dev.settle()
	prod.settle()
	devBg, prodBg := dev.cell(40, 0).Style.Bg, prod.cell(40, 0).Style.Bg
	if prodBg == nil || devBg == prodBg {
		t.Fatalf("the production header must have its own background: dev %v, production %v", devBg, prodBg)
	}
	if dev.cell(40, 2).Style.Bg == prodBg {
		t.Fatal("the production colour is for the header bar only")
	}
}

// sgr matches Select Graphic Rendition sequences.
var sgr = regexp.MustCompile(`\x1b\[([0-9;:]*)m`)

func TestNoColorWritesNoColourSequences(t *testing.T) {
	m, tm := liveTerm(t, views.Route{Screen: views.ScreenPods}, "production", 120, 40, colorprofile.Ascii, "NO_COLOR=1")
	tm.send(tea.ColorProfileMsg{Profile: colorprofile.Ascii})
	tm.waitFor(wait, "CrashLoopBackOff", "▲ PRODUCTION")
	tm.send(press("j"), press("j"))
	tm.settle()
	if !m.palette.Monochrome {
		t.Fatal("below 16 colours the TUI switches to the monochrome theme (meaning by attributes)")
	}
	out := tm.out.Bytes()
	for _, seq := range sgr.FindAllSubmatch(out, -1) {
		for _, p := range strings.FieldsFunc(string(seq[1]), func(r rune) bool { return r == ';' || r == ':' }) {
			switch {
			case p == "38" || p == "48" || p == "58":
				t.Fatalf("colour sequence %q under NO_COLOR", seq[0])
			case len(p) == 2 && (p[0] == '3' || p[0] == '4' || p[0] == '9') && p[1] != '9':
				t.Fatalf("colour sequence %q under NO_COLOR", seq[0])
			case len(p) == 3 && p[0] == '1' && p[1] == '0':
				t.Fatalf("colour sequence %q under NO_COLOR", seq[0])
			}
		}
	}
	// Meaning survives: the selected row is still distinguishable (reverse video).
	if !strings.Contains(string(out), "\x1b[7m") && !strings.Contains(string(out), ";7m") {
		t.Fatal("without colour the selection must be drawn in reverse video")
	}
}

func TestRemoteTextCannotEscape(t *testing.T) {
	m := newTestModel(views.Route{Screen: views.ScreenEvents}, "dev")
	feed := withFeed(m)
	tm := startTerm(t, m, 120, 40, colorprofile.ANSI256)
	snap := fixture()
	snap.Events[0].Message = "Back-off " + evil
	snap.Pods[3].Annotations = map[string]string{"note": evil}
	feedTo(t, feed, snap)
	s := tm.waitFor(wait, "Back-off pwn^[]0;pwned^Ged^[[2J")
	if !strings.Contains(s, "vigie  ctx local-payments") {
		t.Fatalf("the header must survive (no clear screen):\n%s", s)
	}
	// Describe the crash-looping pod: its annotation holds the same payload.
	tm.send(press(":"))
	for _, r := range "pods fraud" {
		tm.send(press(string(r)))
	}
	tm.send(press("enter"))
	tm.waitFor(wait, "pods [1 of 6]")
	tm.send(press("d"))
	s = tm.waitFor(wait, "note=pwn^[]0;pwned^Ged^[[2J now<U+009B>31m", "vigie  ctx local-payments")
	tm.send(press("y"))
	tm.waitFor(wait, "kind: Pod")
	s = tm.settle()
	if !strings.Contains(s, "pwned") {
		t.Fatalf("the YAML view shows the annotation inert too:\n%s", s)
	}
	tm.mu.Lock()
	titles := append([]string(nil), tm.titles...)
	tm.mu.Unlock()
	for _, title := range titles {
		if strings.Contains(title, "pwn") {
			t.Fatalf("remote text changed the terminal title to %q", title)
		}
	}
	raw := string(tm.out.Bytes())
	if strings.Contains(raw, "\u009b") || strings.Contains(raw, "ed\x1b[2J now") || strings.Contains(raw, "\x1b]0;pwned") {
		t.Fatal("the raw output carries the injected control sequences")
	}
}

func TestResizeRelayouts(t *testing.T) {
	_, tm := liveTerm(t, views.Route{Screen: views.ScreenPods}, "dev", 120, 40, colorprofile.ANSI256)
	tm.waitFor(wait, "NODE")
	for _, sz := range [][2]int{{1, 1}, {3, 2}, {80, 24}} {
		tm.resize(sz[0], sz[1])
		tm.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
	}
	s := tm.waitFor(wait, "CrashLoopBackOff")
	if strings.Contains(s, "NODE") {
		t.Fatalf("at 80 columns the node column is dropped, not wrapped:\n%s", s)
	}
}
