package query

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"

	"github.com/vigie-dev/vigie/internal/screentest"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
)

var update = flag.Bool("update", false, "rewrite the golden screens in testdata/")

// testNow is the fixed clock of the tests.
var testNow = time.Date(2026, 11, 26, 14, 30, 0, 0, time.UTC)

// The injected text: an OSC title change, a clear screen and a C1 CSI byte.
const evil = "pwn\x1b]0;pwned\x07ed\x1b[2J now\u009b31m"

// evilShown is evil drawn inert.
const evilShown = "pwn^[]0;pwned^Ged^[[2J now<U+009B>31m"

func str(s string) *string { return &s }

// tableSizes is the answer of the saved query table-sizes on the payments database.
func tableSizes() api.QueryResult {
	return api.QueryResult{ID: "qry_865e343d7b462a55", AuditID: "aud_cd6dc7863464e9f5",
		Columns: []api.Column{{Name: "schema", Type: "name"}, {Name: "table", Type: "name"}, {Name: "total", Type: "text"},
			{Name: "data", Type: "text"}, {Name: "indexes", Type: "text"}, {Name: "estimated_rows", Type: "bigint"}, {Name: "total_bytes", Type: "bigint"}},
		Rows: [][]*string{
			{str("public"), str("orders"), str("120 kB"), str("40 kB"), str("48 kB"), str("500"), str("122880")},
			{str("public"), str("refunds"), str("32 kB"), str("8192 bytes"), str("16 kB"), str("20"), str("32768")},
			{str("public"), str("ledger_entries"), str("9 MB"), str("7 MB"), str("2 MB"), str("120000"), str("9437184")},
		},
		RowCount: 3, DurationMs: 6}
}

// oneNull answers `select 1 as one, null as nothing, ” as empty`.
func oneNull() api.QueryResult {
	return api.QueryResult{ID: "qry_0f62949c897d4ad6", AuditID: "aud_3bb74f6efa19094d",
		Columns:  []api.Column{{Name: "one", Type: "integer"}, {Name: "nothing", Type: "text"}, {Name: "empty", Type: "text"}},
		Rows:     [][]*string{{str("1"), nil, str("")}},
		RowCount: 1, DurationMs: 0}
}

// wide is a result of n rows of 12 columns, one of them long.
func wide(n int) api.QueryResult {
	res := api.QueryResult{AuditID: "aud_wide0000000000001", DurationMs: 12}
	for c := range 12 {
		res.Columns = append(res.Columns, api.Column{Name: fmt.Sprintf("column_%02d", c+1), Type: "text"})
	}
	for r := range n {
		row := make([]*string, 12)
		for c := range row {
			row[c] = str(fmt.Sprintf("r%d-c%d", r+1, c+1))
		}
		row[2] = str(strings.Repeat("a long value that keeps going ", 5) + "END")
		res.Rows = append(res.Rows, row)
	}
	res.RowCount = n
	return res
}

// refusal is the platform client's error: its words, and the audit record's id.
type refusal struct{ msg, audit string }

func (e *refusal) Error() string   { return e.msg }
func (e *refusal) AuditID() string { return e.audit }

// server is a fake platform API: it records the requests and answers with answer.
type server struct {
	calls  []api.QueryRequest
	ctxs   []context.Context
	answer func(api.QueryRequest) (api.QueryResult, error)
}

func (s *server) query(ctx context.Context, req api.QueryRequest) (api.QueryResult, error) {
	s.calls = append(s.calls, req)
	s.ctxs = append(s.ctxs, ctx)
	if s.answer == nil {
		return tableSizes(), nil
	}
	return s.answer(req)
}

// harness is a query screen over a fake server.
type harness struct {
	screentest.Driver
	t   *testing.T
	v   *View
	srv *server
	mem *views.QueryMemory
}

type option func(*views.Env)

func production(env *views.Env) {
	for i := range env.Databases {
		env.Databases[i].Production = true
	}
}

func noAPI(env *views.Env) { env.Query = nil }

func noDatabases(env *views.Env) { env.Databases = nil }

func newHarness(t *testing.T, palette themes.Palette, opts ...option) *harness {
	t.Helper()
	st := themes.NewStyles(palette)
	keys := keymaps.Default()
	h := &harness{t: t, srv: &server{}, mem: &views.QueryMemory{}}
	env := views.Env{Styles: &st, Keys: &keys, Now: func() time.Time { return testNow }, Loc: time.UTC,
		Query:       h.srv.query,
		Databases:   []views.Database{{Team: "payments", Name: "payments"}, {Team: "payments", Name: "analytics"}},
		QueryMemory: h.mem}
	for _, o := range opts {
		o(&env)
	}
	h.v = New(env, views.Route{Screen: views.ScreenQuery}, "payments")
	h.Driver = screentest.Driver{Update: h.send, Own: ownMsg}
	h.Run(h.v.Enter())
	return h
}

// ownMsg reports the view's own results, which the root feeds back to it.
func ownMsg(msg tea.Msg) bool {
	_, ok := msg.(resultMsg)
	return ok
}

func (h *harness) send(msg tea.Msg) tea.Cmd {
	_, cmd := h.v.Update(msg)
	return cmd
}

// sql focuses the editor, types text and runs it; it returns the root's messages.
func (h *harness) sql(text string) []tea.Msg {
	h.Press("e")
	h.Type(text)
	return h.Press("ctrl+r")
}

// screen is the view's text at w×h.
func (h *harness) screen(w, ht int) string { return ansi.Strip(h.v.Render(w, ht)) }

// flashes returns the texts of the flashes among msgs.
func flashes(msgs []tea.Msg) []string {
	var out []string
	for _, m := range msgs {
		if f, ok := m.(views.Flash); ok {
			out = append(out, f.Text)
		}
	}
	return out
}

// throughVT draws out in a w×h virtual terminal and returns what it shows (trailing
// spaces trimmed) and the titles the output tried to set.
func throughVT(t *testing.T, out string, w, h int) (string, []string) {
	t.Helper()
	emu := vt.NewEmulator(w, h)
	var titles []string
	emu.SetCallbacks(vt.Callbacks{Title: func(s string) { titles = append(titles, s) }})
	if _, err := emu.WriteString(strings.ReplaceAll(out, "\n", "\r\n")); err != nil {
		t.Fatal(err)
	}
	return screentest.TrimLines(emu.String()), titles
}

func mustContain(t *testing.T, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Fatalf("screen lacks %q:\n%s", w, s)
		}
	}
}
