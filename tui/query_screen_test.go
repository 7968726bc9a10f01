package tui

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/charmbracelet/colorprofile"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/views"
)

// queryPlatform is a platform API that answers queries (and acts like fakeActor).
type queryPlatform struct {
	fakeActor
	mu     sync.Mutex
	calls  []api.QueryRequest
	answer api.QueryResult
}

func (p *queryPlatform) Query(_ context.Context, req api.QueryRequest) (api.QueryResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, req)
	return p.answer, nil
}

func sp(s string) *string { return &s }

func tableSizesAnswer() api.QueryResult {
	return api.QueryResult{ID: "qry_1", AuditID: "aud_cd6dc7863464e9f5", DurationMs: 6, RowCount: 2,
		Columns: []api.Column{{Name: "schema", Type: "name"}, {Name: "table", Type: "name"}, {Name: "total", Type: "text"},
			{Name: "estimated_rows", Type: "bigint"}},
		Rows: [][]*string{{sp("public"), sp("orders"), sp("120 kB"), sp("500")}, {sp("public"), sp("refunds"), sp("32 kB"), nil}}}
}

// queryTerm opens the query screen in a w×h terminal over platform p with the team's
// databases.
func queryTerm(t *testing.T, w, h int, p Actor, databases ...string) (*Model, *term) {
	t.Helper()
	start := views.Route{Screen: views.ScreenQuery}
	m := newTestModel(start, "dev")
	m.session.Platform, m.session.Databases = p, databases
	dataFuncs(&m.env, m.session)
	m.view = m.open(start) // the start view was built with the env before
	feed := withFeed(m)
	tm := startTerm(t, m, w, h, colorprofile.ANSI256)
	feedTo(t, feed, fixture())
	return m, tm
}

func TestQueryScreens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		p := &queryPlatform{answer: tableSizesAnswer()}
		_, tm := queryTerm(t, size[0], size[1], p, "payments")
		tm.waitFor(wait, "saved queries", "table-sizes")
		for _, k := range []string{"j", "j", "j", "enter"} {
			tm.send(press(k))
		}
		tm.waitFor(wait, "2 rows · 6 ms · audit aud_cd6dc7863464e9f5", "refunds", "NULL")
		golden(t, "query-"+map[int]string{80: "80x24", 120: "120x40"}[size[0]], tm.settle())
		p.mu.Lock()
		got := p.calls
		p.mu.Unlock()
		if len(got) != 1 || got[0] != (api.QueryRequest{Team: "payments", Database: "payments", Saved: "table-sizes"}) {
			t.Fatalf("calls %+v", got)
		}
	}
}

// A value from the database that carries control sequences reaches the terminal inert:
// the title stays, the screen is not cleared.
func TestQueryValuesCannotEscape(t *testing.T) {
	p := &queryPlatform{answer: api.QueryResult{AuditID: "aud_" + evil, Columns: []api.Column{{Name: "v" + evil, Type: "text"}},
		Rows: [][]*string{{sp("x\x1b]0;pwned\x07\x1b[2J" + evil)}}}}
	_, tm := queryTerm(t, 120, 40, p, "payments")
	tm.waitFor(wait, "saved queries")
	tm.send(press("enter"))
	s := tm.waitFor(wait, "x^[]0;pwned^G^[[2Jpwn^[]0;pwned^Ged", "audit aud_pwn^[]0;pwned^Ged^[[2J now<U+009B>31m")
	if !strings.Contains(s, "vigie  ctx local-payments") {
		t.Fatalf("the header must survive (no clear screen):\n%s", s)
	}
	tm.send(press("enter")) // the row's detail
	tm.waitFor(wait, "row 1 of 1")
	tm.settle()
	tm.mu.Lock()
	titles := append([]string(nil), tm.titles...)
	tm.mu.Unlock()
	for _, title := range titles {
		if strings.Contains(title, "pwn") {
			t.Fatalf("a value changed the terminal title to %q", title)
		}
	}
	raw := string(tm.out.Bytes())
	if strings.Contains(raw, "\u009b") || strings.Contains(raw, "\x1b]0;pwned") || strings.Contains(raw, "\x07\x1b[2J") {
		t.Fatal("the raw output carries the injected control sequences")
	}
}

// :query and :sql open the query screen (an argument goes into the editor); :promql and
// :pq still open the PromQL console. Without a platform API the screen says what to set.
func TestPaletteOpensTheQueryScreen(t *testing.T) {
	m := ready(t, views.Route{})
	m.session.Platform, m.session.Databases = &queryPlatform{}, []string{"payments"}
	dataFuncs(&m.env, m.session)
	for _, c := range []struct{ line, screen, query string }{
		{"query", views.ScreenQuery, ""},
		{"sql select 1 as one", views.ScreenQuery, "select 1 as one"},
		{"pq up", views.ScreenPromQL, "up"},
	} {
		drive(t, m, press(":"))
		drive(t, m, typeText(c.line)...)
		drive(t, m, press("enter"))
		if r := m.view.Route(); r.Screen != c.screen || r.Query != c.query {
			t.Fatalf(":%s opened %+v", c.line, r)
		}
		if c.query != "" && !strings.Contains(screen(m), c.query) {
			t.Fatalf(":%s shows the statement:\n%s", c.line, screen(m))
		}
		for m.view.Capturing() {
			drive(t, m, press("esc"))
		}
	}
	m = ready(t, views.Route{})
	drive(t, m, press(":"))
	drive(t, m, typeText("query")...)
	drive(t, m, press("enter"))
	if s := screen(m); !strings.Contains(s, "`platform:`") {
		t.Fatalf("without a platform API the query screen says what to configure:\n%s", s)
	}
}
