package query

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/screentest"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
)

// evilResult carries the payload in every string of the answer the screen draws.
func evilResult() api.QueryResult {
	return api.QueryResult{AuditID: "aud_" + evil, DurationMs: 3, Truncated: true, Message: "cut " + evil,
		Columns: []api.Column{{Name: "name" + evil, Type: "text" + evil}, {Name: "n", Type: "integer"}},
		Rows: [][]*string{
			{str("value " + evil), str("1")},
			{str("multi\nline " + evil + "\r\n\x1b]8;;http://x\x07link\x1b]8;;\x07"), nil},
		}}
}

func assertInert(t *testing.T, what, raw string) {
	t.Helper()
	if err := screentest.Inert(raw, ansi.Strip(raw), evilShown); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Nothing from the database or the server reaches the terminal as a control sequence:
// values, column names and types, the audit id, the server's error, the database names.
func TestDatabaseTextCannotEscape(t *testing.T) {
	for _, p := range []themes.Palette{themes.Dark(), themes.Mono()} {
		h := newHarness(t, p, func(env *views.Env) {
			env.Databases = []views.Database{{Team: "pay" + evil, Name: "db" + evil}, {Team: "search", Name: "main"}}
		})
		assertInert(t, "picker", h.v.Render(200, 30))
		h.srv.answer = func(api.QueryRequest) (api.QueryResult, error) { return evilResult(), nil }
		h.sql("select '" + evil + "'")
		raw := h.v.Render(300, 30)
		assertInert(t, "result", raw)
		mustContain(t, ansi.Strip(raw), "NAME"+strings.ToUpper(evilShown)[:4], "value pwn^[]0;pwned^Ged^[[2J", "audit aud_"+evilShown)
		h.Press("esc", "j", "enter")
		raw = h.v.Render(200, 40)
		assertInert(t, "detail", raw)
		mustContain(t, ansi.Strip(raw), "line "+evilShown+"^M", "^[]8;;http://x^Glink")
		h.v.Escape()
		h.srv.answer = func(api.QueryRequest) (api.QueryResult, error) {
			return api.QueryResult{}, &refusal{msg: "PostgreSQL: " + evil, audit: "aud_" + evil}
		}
		h.Press("e", "ctrl+r")
		raw = h.v.Render(300, 30)
		assertInert(t, "error", raw)
		mustContain(t, ansi.Strip(raw), "PostgreSQL: "+evilShown, "audit aud_"+evilShown)
		// Through a terminal: the title never changes and the screen is not cleared.
		got, titles := throughVT(t, raw, 300, 30)
		if len(titles) > 0 || !strings.Contains(got, "query database") {
			t.Fatalf("titles %q, screen:\n%s", titles, got)
		}
		text, _ := tsv(evilResult())
		if strings.ContainsAny(text, "\x1b\x07\u009b") {
			t.Fatalf("the TSV copy carries control characters: %q", text)
		}
	}
}

// The screen never draws outside its size, whatever the state.
func TestRenderNeverPanicsNorOverflows(t *testing.T) {
	h := newHarness(t, themes.Dark(), production)
	states := []struct {
		name string
		prep func() bool
	}{
		{"start", func() bool { return true }},
		{"reason", func() bool { h.Press("enter"); h.Type("short"); h.Press("enter"); return h.v.asking != nil }},
		{"result", func() bool {
			h.Type(" but now long enough")
			h.srv.answer = func(api.QueryRequest) (api.QueryResult, error) { return wide(30), nil }
			h.Press("enter")
			return h.v.res != nil
		}},
		{"scrolled", func() bool { h.Press("l", "l", "G"); return h.v.colOff == 2 }},
		{"filter", func() bool { h.Press("/"); h.Type("r2"); return h.v.Capturing() }},
		{"error", func() bool {
			h.Press("esc", "e")
			h.Type("select 1")
			h.srv.answer = func(api.QueryRequest) (api.QueryResult, error) {
				return api.QueryResult{}, &refusal{msg: strings.Repeat("a long refusal ", 30), audit: "aud_1"}
			}
			h.Press("ctrl+r")
			h.Press("enter")
			return h.v.fail != nil
		}},
		{"running", func() bool {
			h.v.Update(views.Tick{})
			_, _ = h.v.Update(keyRun())
			return h.v.asking != nil || h.v.running != nil
		}},
		{"detail", func() bool { h.v.asking = nil; h.Press("esc", "enter"); return h.v.detail != nil }},
		{"no API", func() bool { h.v.detail = nil; h.v.env.Query = nil; return true }},
	}
	// Every width at the heights where the layout changes, and every height at the widths
	// where it does (the panes side by side from 60 columns); under the race detector a
	// sparser sweep.
	sizes := screentest.Sizes(160, 50, false, []int{0, 1, 2, 13, 24, 40, 59, 60, 61, 80, 120, 160}, []int{0, 1, 2, 3, 5, 6, 7, 8, 10, 24, 50})
	if raceEnabled {
		sizes = screentest.Sizes(160, 50, false, []int{0, 1, 13, 60, 80}, []int{0, 1, 3, 7, 24})
	}
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

func keyRun() any { return screentest.Key("ctrl+r") }
