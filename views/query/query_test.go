package query

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/vigie-dev/vigie/internal/screentest"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/table"
)

// enter on a saved query runs it on the picked database, and its rows, their count, the
// time and the audit id are on screen; the result has the keys then.
func TestSavedQueryRuns(t *testing.T) {
	h := newHarness(t, themes.Dark())
	h.Press("j", "j", "j", "enter")
	if len(h.srv.calls) != 1 {
		t.Fatalf("calls: %+v", h.srv.calls)
	}
	got := h.srv.calls[0]
	want := api.QueryRequest{Team: "payments", Database: "payments", Saved: api.SavedTableSizes}
	if got != want {
		t.Fatalf("request %+v, want %+v", got, want)
	}
	s := h.screen(120, 30)
	mustContain(t, s, "✓ 3 rows · 6 ms · audit aud_cd6dc7863464e9f5 · table-sizes on payments/payments",
		"ledger_entries", "122880", "types: schema name · table name · total text")
	if h.v.focus != paneResults {
		t.Fatal("after a saved query the result has the keys")
	}
	// The next database: d picks it, the next run goes there.
	h.Press("d", "tab", "enter")
	if len(h.srv.calls) != 2 || h.srv.calls[1].Database != "analytics" {
		t.Fatalf("d then enter on a saved query runs on the next database: %+v", h.srv.calls)
	}
}

// Free SQL from the editor: ctrl+r sends it as typed; NULL is drawn apart from the empty
// string (dim "NULL"), and a value is right-aligned when its type is a number.
func TestEditorRunsSQLAndShowsNull(t *testing.T) {
	h := newHarness(t, themes.Dark())
	h.srv.answer = func(api.QueryRequest) (api.QueryResult, error) {
		r := oneNull()
		r.Rows = append(r.Rows, []*string{str("2"), nil, str("x")})
		return r, nil
	}
	h.sql("select 1 as one, null as nothing, '' as empty")
	if len(h.srv.calls) != 1 || h.srv.calls[0].SQL != "select 1 as one, null as nothing, '' as empty" || h.srv.calls[0].Saved != "" {
		t.Fatalf("calls: %+v", h.srv.calls)
	}
	if !h.v.Capturing() {
		t.Fatal("after running the editor's SQL the editor keeps the keys")
	}
	mustContain(t, h.screen(140, 30), "2 rows · 0 ms · audit aud_3bb74f6efa19094d", "NOTHING", "NULL")
	row := h.v.list.VisibleRow(0)
	if c := row.Cells[2]; c.Text != "NULL" || c.Tone != table.ToneMuted {
		t.Fatalf("NULL cell %+v: want the dim NULL", c)
	}
	if c := row.Cells[3]; c.Text != "" || c.Tone != table.ToneNone {
		t.Fatalf("an empty string is not NULL: %+v", c)
	}
	h.Press("esc", "j") // the cursor's row is drawn reversed: look at another
	dim := h.v.env.Styles.Muted.Render("NULL")
	dim = dim[:strings.Index(dim, "NULL")+4]
	if raw := h.v.Render(100, 30); !strings.Contains(raw, dim) {
		t.Fatalf("NULL is not drawn in the muted style %q:\n%q", dim, raw)
	}
	h.Press("k")
	// The detail of the row says NULL and (empty string) apart, and every type.
	h.Press("enter")
	s := h.screen(100, 30)
	mustContain(t, s, "row 1 of 2", "nothing  NULL", "empty    (empty string)", "Column types", "one      integer")
}

// A second run while one is in flight is refused with a flash and sends nothing.
func TestSingleFlight(t *testing.T) {
	h := newHarness(t, themes.Dark())
	h.Press("e")
	h.Type("select pg_sleep(5)")
	_, held := h.v.Update(screentest.Key("ctrl+r")) // the run's command, not run yet
	if held == nil || h.v.running == nil {
		t.Fatal("ctrl+r starts a run")
	}
	mustContain(t, h.screen(100, 30), "running select pg_sleep(5) on payments/payments")
	msgs := h.Press("ctrl+r")
	if f := flashes(msgs); len(f) != 1 || !strings.Contains(f[0], "a query is already running") {
		t.Fatalf("a second run must be refused with a flash: %q", f)
	}
	h.Press("esc")          // the saved queries have the keys
	msgs = h.Press("enter") // a saved query, still refused
	if f := flashes(msgs); len(f) != 1 || !strings.Contains(f[0], "already running") {
		t.Fatalf("a saved query while one runs: %q", f)
	}
	if len(h.srv.calls) != 0 {
		t.Fatalf("nothing was sent while the first run is in flight: %+v", h.srv.calls)
	}
	h.Run(held)
	if len(h.srv.calls) != 1 || h.v.running != nil || h.v.res == nil {
		t.Fatalf("the first run's answer is shown: calls %d running %v", len(h.srv.calls), h.v.running)
	}
}

// The answer of a run the user cancelled (esc) or left is dropped: a later run's result
// is the one on screen, and the cancelled run's request context is done.
func TestStaleAnswerIsDropped(t *testing.T) {
	h := newHarness(t, themes.Dark())
	h.srv.answer = func(req api.QueryRequest) (api.QueryResult, error) {
		if req.SQL == "select 'old'" {
			return api.QueryResult{Columns: []api.Column{{Name: "which", Type: "text"}}, Rows: [][]*string{{str("OLD-ANSWER")}}}, nil
		}
		return api.QueryResult{Columns: []api.Column{{Name: "which", Type: "text"}}, Rows: [][]*string{{str("NEW-ANSWER")}}}, nil
	}
	h.Press("e")
	h.Type("select 'old'")
	_, old := h.v.Update(screentest.Key("ctrl+r"))
	h.Press("esc") // leaves the editor
	if _, done := h.v.Escape(); !done || h.v.running != nil {
		t.Fatal("esc cancels the running query")
	}
	mustContain(t, h.screen(100, 30), "cancelled")
	h.sql("")
	h.Press("ctrl+u")
	h.Type("select 'new'")
	h.Press("ctrl+r")
	h.Run(old) // the late answer of the cancelled run
	s := h.screen(100, 30)
	if strings.Contains(s, "OLD-ANSWER") || !strings.Contains(s, "NEW-ANSWER") {
		t.Fatalf("the cancelled run's answer must be dropped:\n%s", s)
	}
	if h.srv.ctxs[len(h.srv.ctxs)-1].Err() == nil {
		t.Fatal("the cancelled run's request context must be done")
	}
	// Leaving the screen cancels the same way.
	h.Press("ctrl+u")
	h.Type("select 'old'")
	_, old = h.v.Update(screentest.Key("ctrl+r"))
	h.v.Leave()
	h.Run(old)
	if s := h.screen(100, 30); strings.Contains(s, "OLD-ANSWER") || !strings.Contains(s, "cancelled when you left the screen") {
		t.Fatalf("an answer arriving after Leave is dropped:\n%s", s)
	}
}

// A refusal is shown as the server words it, with its audit id; the previous result stays
// on screen, marked as such.
func TestErrorKeepsThePreviousResult(t *testing.T) {
	h := newHarness(t, themes.Dark())
	h.Press("j", "j", "j", "enter")
	h.srv.answer = func(api.QueryRequest) (api.QueryResult, error) {
		return api.QueryResult{}, &refusal{msg: "not allowed: sql: DELETE is refused: a query runs one read-only statement (SELECT, WITH, EXPLAIN without ANALYZE, SHOW, VALUES or TABLE)",
			audit: "aud_6b040753e1c1a561"}
	}
	h.sql("delete from orders")
	s := h.screen(120, 30)
	mustContain(t, s, "✖ not allowed: sql: DELETE is refused", "audit aud_6b040753e1c1a561",
		"previous result: 3 rows · 6 ms · audit aud_cd6dc7863464e9f5 · table-sizes on payments/payments", "ledger_entries")
	// A timeout and a transport error are shown too; the rows stay.
	h.srv.answer = func(api.QueryRequest) (api.QueryResult, error) {
		return api.QueryResult{}, &refusal{msg: "the query ran longer than its limit of 10s and was cancelled (limits.queryTimeout)", audit: "aud_a139bdc04e3ee710"}
	}
	h.Press("ctrl+r")
	mustContain(t, h.screen(120, 30), "limits.queryTimeout", "audit aud_a139bdc04e3ee710", "ledger_entries")
	h.srv.answer = func(api.QueryRequest) (api.QueryResult, error) {
		return api.QueryResult{}, errors.New("platform POST /v1/queries: dial tcp 127.0.0.1:1: connection refused")
	}
	h.Press("ctrl+r")
	s = h.screen(120, 30)
	mustContain(t, s, "connection refused", "ledger_entries")
	if strings.Contains(s, "audit aud_a139") {
		t.Fatal("an error without an audit record names none")
	}
	// The next success clears the error.
	h.srv.answer = nil
	h.Press("ctrl+r")
	if s := h.screen(120, 30); strings.Contains(s, "✖") || !strings.Contains(s, "audit aud_cd6dc7863464e9f5 · delete from orders") {
		t.Fatalf("a success clears the error:\n%s", s)
	}
}

// On a team with production a reason is asked before running, never sent short, and
// prefilled with the last one of the session (which outlives the screen).
func TestProductionAsksForAReason(t *testing.T) {
	h := newHarness(t, themes.Dark(), production)
	h.Press("enter")
	if len(h.srv.calls) != 0 || !h.v.Capturing() {
		t.Fatal("enter opens the reason prompt and sends nothing")
	}
	mustContain(t, h.screen(100, 30), "▲ production", "why run slow-queries on payments/payments?", "reason:")
	h.Type("checking")
	h.Press("enter")
	if len(h.srv.calls) != 0 {
		t.Fatal("a short reason is never sent")
	}
	mustContain(t, h.screen(120, 30), "needs a reason of at least 10 characters (8 so far)")
	h.Type(" INC-42 latency")
	h.Press("enter")
	if len(h.srv.calls) != 1 || h.srv.calls[0].Reason != "checking INC-42 latency" {
		t.Fatalf("the reason goes with the query: %+v", h.srv.calls)
	}
	if h.mem.Reason != "checking INC-42 latency" {
		t.Fatalf("the session remembers the reason: %q", h.mem.Reason)
	}
	// esc at the prompt runs nothing.
	h.Press("tab", "enter")
	if h.v.reason.Value() != "checking INC-42 latency" {
		t.Fatalf("the prompt is prefilled with the last reason: %q", h.v.reason.Value())
	}
	msgs := h.Press("esc")
	if len(h.srv.calls) != 1 || h.v.Capturing() {
		t.Fatal("esc at the reason prompt runs nothing")
	}
	if f := flashes(msgs); len(f) != 1 || !strings.Contains(f[0], "not run") {
		t.Fatalf("flashes %q", f)
	}
	// A new screen of the same session prefills it too.
	v2 := New(h.v.env, views.Route{Screen: views.ScreenQuery}, "payments")
	v2.Update(screentest.Key("enter"))
	if v2.asking == nil || v2.reason.Value() != "checking INC-42 latency" {
		t.Fatal("the last reason outlives the screen")
	}
	// Without production no reason is asked.
	d := newHarness(t, themes.Dark())
	d.Press("enter")
	if len(d.srv.calls) != 1 || d.srv.calls[0].Reason != "" {
		t.Fatalf("dev: %+v", d.srv.calls)
	}
}

// Without a platform API, or a team without a database, the screen says what to
// configure; keys send nothing.
func TestNothingToQuery(t *testing.T) {
	h := newHarness(t, themes.Dark(), noAPI)
	mustContain(t, h.screen(80, 20), "platform API", "`platform:`")
	msgs := h.Press("enter")
	if len(flashes(msgs)) != 1 {
		t.Fatal("enter without an API flashes why")
	}
	h = newHarness(t, themes.Dark(), noDatabases)
	s := h.screen(80, 20)
	mustContain(t, s, "team payments has no database", "teams.payments.databases.NAME")
	h.Press("enter")
	if len(h.srv.calls) != 0 {
		t.Fatal("no database: nothing is sent")
	}
}

// A result cut by the server's row cap says so, with the limit's name.
func TestTruncationLine(t *testing.T) {
	h := newHarness(t, themes.Dark())
	h.srv.answer = func(api.QueryRequest) (api.QueryResult, error) {
		r := wide(1000)
		r.Truncated = true
		r.Message = "1000 rows in 12 ms; truncated: the query has more rows than the limit of 1000 (limits.queryRows)"
		return r, nil
	}
	h.sql("select * from events")
	mustContain(t, h.screen(160, 30), "1000 rows · 12 ms · truncated at 1000 rows (limits.queryRows) · audit aud_wide0000000000001")
	h.srv.answer = func(api.QueryRequest) (api.QueryResult, error) {
		r := wide(10)
		r.Truncated = true
		r.Message = "10 rows in 12 ms; truncated: the rows would be larger than the limit of 1024 bytes (limits.queryBytes)"
		return r, nil
	}
	h.Press("ctrl+r")
	mustContain(t, h.screen(160, 30), "truncated at 10 rows by the size limit (limits.queryBytes)")
}

// Wide results scroll by column; long values are cut with an ellipsis in the table and
// shown whole, wrapped, in the row's detail.
func TestWideResultScrollsAndDetailShowsAll(t *testing.T) {
	h := newHarness(t, themes.Dark())
	h.srv.answer = func(api.QueryRequest) (api.QueryResult, error) { return wide(5), nil }
	h.sql("select * from wide")
	h.Press("esc")
	s := h.screen(80, 30)
	mustContain(t, s, "columns 1–", "of 12", "COLUMN_01", "…")
	if strings.Contains(s, "COLUMN_12") {
		t.Fatalf("12 columns do not fit in 80 cells:\n%s", s)
	}
	for range 11 {
		h.Press("l")
	}
	s = h.screen(80, 30)
	mustContain(t, s, "COLUMN_12", "of 12")
	if strings.Contains(s, "COLUMN_01 ") {
		t.Fatalf("scrolled right, the first column is gone:\n%s", s)
	}
	h.Press("h")
	if h.v.colOff == 0 {
		t.Fatal("h scrolls back")
	}
	h.Press("j", "enter")
	s = h.screen(80, 40)
	mustContain(t, s, "row 2 of 5", "column_03", "END", "r2-c12")
	if strings.Contains(s, "…") {
		t.Fatalf("the detail shows values whole:\n%s", s)
	}
}

// Up and down in an empty editor recall the SQL of the session.
func TestHistory(t *testing.T) {
	h := newHarness(t, themes.Dark())
	h.sql("select 1")
	h.Press("ctrl+u")
	h.Type("select 2")
	h.Press("ctrl+r", "ctrl+u")
	if h.v.editor.Value() != "" {
		t.Fatalf("editor %q", h.v.editor.Value())
	}
	for _, step := range []struct{ key, want string }{{"up", "select 2"}, {"up", "select 1"}, {"up", "select 1"}, {"down", "select 2"}, {"down", ""}} {
		h.Press(step.key)
		if got := h.v.editor.Value(); got != step.want {
			t.Fatalf("%s: editor %q, want %q", step.key, got, step.want)
		}
	}
	h.Type("sel")
	h.Press("up")
	if h.v.editor.Value() != "sel" {
		t.Fatal("up in an editor with text moves the cursor, it does not replace the text")
	}
}

// y copies the result as TSV in PostgreSQL's COPY text form.
func TestCopyAsTSV(t *testing.T) {
	res := oneNull()
	res.Rows = append(res.Rows, []*string{str("2"), str("tab\there\nnewline \\ " + evil), nil})
	out, n := tsv(res)
	want := "one\tnothing\tempty\n1\t\\N\t\n2\ttab\\there\\nnewline \\\\ " + evilShown + "\t\\N\n"
	if out != want || n != 2 {
		t.Fatalf("tsv = %q (%d rows), want %q", out, n, want)
	}
	h := newHarness(t, themes.Dark())
	h.Press("enter", "y")
	msgs := h.Press("y")
	if f := flashes(msgs); len(f) != 1 || !strings.Contains(f[0], "3 rows copied as TSV") {
		t.Fatalf("flash %q", f)
	}
	var clip string
	for _, m := range msgs {
		if fmt.Sprintf("%T", m) == "tea.setClipboardMsg" { // Bubble Tea's OSC 52 write
			clip = reflect.ValueOf(m).String()
		}
	}
	if want, _ := tsv(tableSizes()); clip != want {
		t.Fatalf("y puts the result on the clipboard: %q, want %q", clip, want)
	}
}

// The picker names team/database when the session's databases belong to several teams.
func TestPickerAcrossTeams(t *testing.T) {
	h := newHarness(t, themes.Dark(), func(env *views.Env) {
		env.Databases = []views.Database{{Team: "payments", Name: "main"}, {Team: "search", Name: "main", Production: true}}
	})
	mustContain(t, h.screen(120, 20), "payments/main", "search/main")
	h.Press("d", "enter")
	if h.v.asking == nil || h.v.asking.Team != "search" || h.v.asking.Database != "main" {
		t.Fatalf("the second team's production database asks a reason: %+v", h.v.asking)
	}
}

var _ = context.Background
