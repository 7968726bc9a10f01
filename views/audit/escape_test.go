package audit

import (
	"errors"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/screentest"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/themes"
)

// evilRecords carry the payload in every field from the server the screen draws.
func evilRecords() []api.AuditRecord {
	recs := fixture()
	r := &recs[0]
	r.ID, r.RequestID, r.ActionID, r.TokenID = "aud"+evil, "req"+evil, "act"+evil, "tok"+evil
	r.User, r.Team, r.Role, r.Kind = "alice"+evil, "pay"+evil, api.Role("on"+evil), api.ActionKind("scale"+evil)
	r.Type, r.Status, r.Code = "outcome"+evil, "ok"+evil, "code"+evil
	r.Target = target("payments"+evil, "checkout"+evil)
	r.Reason = "why " + evil
	r.Message = "line one " + evil + "\nline two\x1b]8;;http://x\x07link\x1b]8;;\x07"
	r.Changes = []api.Change{{Field: "spec" + evil, From: "3" + evil, To: "5" + evil}}
	r.PrevHash, r.Hash = "\x1b[2J\x1b]0;x\x07", "\u009b31m"+evil
	return recs
}

// assertInert fails when raw holds a control byte that styling did not produce, or does
// not show the payload, inert.
func assertInert(t *testing.T, what, raw string) {
	t.Helper()
	if err := screentest.Inert(raw, ansi.Strip(raw), "pwn^[]0;pwned^Ged^[[2J now<U+009B>31m"); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestServerTextCannotEscape(t *testing.T) {
	for _, p := range []themes.Palette{themes.Dark(), themes.Mono()} {
		h := newHarness(t, p, evilRecords())
		h.enter()
		assertInert(t, "list", h.v.Render(400, 20))
		h.Press("enter")
		if h.v.detail == nil {
			t.Fatal("no detail")
		}
		assertInert(t, "detail", h.v.Render(200, 80))
		for _, w := range []string{"Reason      why pwn^[", "Message     line one pwn^[", "line two^[]8;;http://x^Glink",
			"spec" + "pwn^[]0;pwned^Ged^[[2J now<U+009B>31m: 3pwn^["} {
			if !strings.Contains(ansi.Strip(h.v.Render(300, 80)), w) {
				t.Fatalf("detail lacks %q:\n%s", w, ansi.Strip(h.v.Render(300, 80)))
			}
		}
		if strings.ContainsAny(h.v.Title(), "\x1b\x07") {
			t.Fatalf("title %q", h.v.Title())
		}
		h.v.Escape()
		// The server's error text, on the status line and in the detail's marker.
		h.srv.err = errors.New("boom " + evil)
		h.tick(15)
		assertInert(t, "stale list", h.v.Render(300, 20))
		h.Press("enter")
		assertInert(t, "stale detail", h.v.Render(300, 20))
	}
	h := newHarness(t, themes.Dark(), nil)
	h.srv.err = errors.New("first " + evil)
	h.enter()
	assertInert(t, "first error", h.v.Render(300, 20))
}

func TestRenderNeverPanicsNorOverflows(t *testing.T) {
	h := newHarness(t, themes.Dark(), fixture())
	h.enter()
	states := []struct {
		name string
		prep func() bool // reports whether the view is in the state
	}{
		{"list", func() bool { return h.v.detail == nil && h.v.list.Total() == 12 }},
		{"filter", func() bool { h.Press("/"); h.Type("-l outcome="); return h.v.Capturing() }},
		{"detail", func() bool {
			h.Press("esc", "down", "down", "down", "down", "down", "down", "enter")
			return h.v.detail != nil
		}},
		{"scrolled", func() bool { h.Press("G"); return h.v.detail != nil }},
		{"stale detail", func() bool {
			h.srv.err = errors.New("platform GET /v1/audit: 503 unavailable")
			h.tick(15)
			return h.v.err != nil && h.v.detail != nil
		}},
		{"stale list", func() bool { h.v.Escape(); return h.v.detail == nil && h.v.err != nil }},
		{"empty", func() bool {
			h.srv.err, h.srv.records = nil, nil
			h.srv.records = []api.AuditRecord{}
			h.v.records = nil
			h.tick(15)
			return h.v.list.Total() == 0
		}},
		{"no API", func() bool { h.v.env.Audit = nil; return true }},
	}
	// Every size from 0×0 to 160×50; under the race detector every width at a few
	// heights and every height at a few widths.
	sizes := screentest.Sizes(160, 50, !raceEnabled, []int{0, 1, 2, 13, 14, 80, 160}, []int{0, 1, 2, 3, 24, 50})
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

// The target column names what was acted on: a query's database, a silence's namespace,
// an object's namespace/name; a database name from the server cannot reach the terminal.
func TestTargetText(t *testing.T) {
	for _, c := range []struct {
		r    api.AuditRecord
		want string
	}{
		{api.AuditRecord{Kind: api.QuerySQL, Query: &api.QueryAudit{Database: "payments"}}, "db payments"},
		{api.AuditRecord{Kind: api.ActionSilence, Target: &api.Target{Namespace: "payments"}}, "payments"},
		{api.AuditRecord{Kind: api.ActionScale, Target: &api.Target{Namespace: "payments", Name: "ledger"}}, "payments/ledger"},
		{api.AuditRecord{Kind: api.ActionScale}, "-"},
	} {
		if got := targetText(c.r); got != c.want {
			t.Errorf("%s: %q, want %q", c.r.Kind, got, c.want)
		}
	}
	if got := targetText(api.AuditRecord{Query: &api.QueryAudit{Database: "x\x1b]0;pwned\x07"}}); strings.ContainsAny(got, "\x1b\x07") {
		t.Errorf("control characters reach the screen: %q", got)
	}
}
