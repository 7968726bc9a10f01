package alerts

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/screentest"
	"github.com/vigie-dev/vigie/sources/alertmanager"
	"github.com/vigie-dev/vigie/themes"
)

// sgr matches Select Graphic Rendition sequences.
func sgr() *regexp.Regexp { return regexp.MustCompile(`\x1b\[([0-9;:]*)m`) }

// colourSGR returns the first SGR sequence of s that sets a colour, or "".
func colourSGR(s string) string {
	for _, m := range sgr().FindAllStringSubmatch(s, -1) {
		for p := range strings.FieldsFuncSeq(m[1], func(r rune) bool { return r == ';' || r == ':' }) {
			switch {
			case p == "38" || p == "48" || p == "58":
				return m[0]
			case len(p) == 2 && (p[0] == '3' || p[0] == '4' || p[0] == '9') && p[1] != '9':
				return m[0]
			case len(p) == 3 && p[0] == '1' && p[1] == '0':
				return m[0]
			}
		}
	}
	return ""
}

// evilSnapshot carries the payload in every remote field the screen draws.
func evilSnapshot() alertmanager.Snapshot {
	s := fixture()
	a := &s.Alerts[1]
	a.Name = "High" + evil
	a.Labels["alertname"] = a.Name
	a.Labels["service"] = "check" + evil
	a.Labels["note\x1b[31m"] = evil
	a.Summary, a.Description = "sum "+evil, "line one "+evil+"\nline two\x1b]8;;http://x\x07link\x1b]8;;\x07"
	a.Annotations["summary"], a.Annotations["description"] = a.Summary, a.Description
	a.Annotations["extra"] = evil
	a.RunbookURL = "https://runbooks.local/" + evil
	a.GeneratorURL = "http://prom/graph?g0.expr=up%1b%5d0%3bpwned%07"
	a.Receivers = []string{"pager" + evil}
	s.Silences["s1"] = alertmanager.Silence{ID: "s1", CreatedBy: "mallory" + evil, Comment: evil, EndsAt: testNow.Add(time.Hour)}
	s.Err = &alertmanager.APIError{Op: "get alerts", Code: 500, Msg: "boom " + evil}
	s.StaleSince = ago(time.Minute)
	return s
}

// assertInert fails when raw holds a control byte that styling did not produce, or does
// not show the payload, inert.
func assertInert(t *testing.T, what, raw string) {
	t.Helper()
	if err := screentest.Inert(raw, ansi.Strip(raw), "pwn^[]0;pwned^Ged^[[2J now<U+009B>31m"); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestRemoteTextCannotEscape(t *testing.T) {
	for _, p := range []themes.Palette{themes.Dark(), themes.Mono()} {
		h := newHarness(t, p)
		h.book = "# Runbook " + evil + "\n\n- step " + evil + "\n\n```\n" + evil + "\n```\n\n[link](http://x/\x1b]0;pwned\x07) &#27;[31mred &#x9b;31m &#7;\n"
		h.feed(evilSnapshot())
		h.Press("down")
		assertInert(t, "list", h.v.Render(200, 20))
		h.Press("enter")
		h.hist.Series[0].Labels["service"] = evil
		assertInert(t, "detail", h.v.Render(200, 80))
		h.Press("b")
		raw := h.v.Render(200, 40)
		assertInert(t, "runbook", raw)
		// Character references cannot bring escapes back either (not even styling).
		if strings.Contains(raw, "\x1b[31m") || !strings.Contains(ansi.Strip(raw), "&#27;[31mred") {
			t.Fatalf("a character reference became an escape: %q", raw)
		}
		if strings.Contains(h.v.Title(), "\x1b") {
			t.Fatalf("title %q", h.v.Title())
		}
	}
	// The runbook's own error text, and history errors, too.
	h := newHarness(t, themes.Dark())
	h.bookErr = &alertmanager.APIError{Op: "x", Msg: evil}
	h.histErr = &alertmanager.APIError{Op: "y", Msg: evil}
	h.feed(fixture())
	h.Press("down", "enter")
	assertInert(t, "history error", h.v.Render(200, 80))
	h.Press("b")
	assertInert(t, "runbook error", h.v.Render(200, 20))
}

func TestRenderNeverPanicsNorOverflows(t *testing.T) {
	h := newHarness(t, themes.Dark())
	h.feed(stale())
	states := []struct {
		name string
		prep func() bool // reports whether the view is in the state
	}{
		{"list", func() bool { return h.v.detail == nil }},
		{"filter", func() bool { h.Press("/"); h.Type("-l severity="); return h.v.Capturing() }},
		{"detail", func() bool { h.Press("esc", "down", "enter"); return h.v.detail != nil }},
		{"scrolled", func() bool { h.Press("G"); return h.v.detail != nil }},
		{"runbook", func() bool { h.Press("b", "pgdown"); return h.v.detail != nil && h.v.detail.showBook }},
		{"empty", func() bool {
			h.v.Escape()
			h.v.Escape()
			h.feed(alertmanager.Snapshot{})
			return h.v.detail == nil && h.v.list.Total() == 0
		}},
	}
	// Every size from 0×0 to 200×60; under the race detector every width at a few
	// heights and every height at a few widths.
	sizes := screentest.Sizes(200, 60, !raceEnabled, []int{0, 1, 2, 13, 14, 80, 200}, []int{0, 1, 2, 3, 24, 60})
	for _, st := range states {
		if !st.prep() {
			t.Fatalf("could not reach state %s", st.name)
		}
		for _, sz := range sizes {
			w, ht := sz[0], sz[1]
			if err := screentest.Fits(h.v.Render(w, ht), w, ht, ansi.StringWidth); err != nil {
				t.Fatalf("%s %v", st.name, err)
			}
		}
	}
}
