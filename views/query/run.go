package query

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"charm.land/bubbles/v2/textarea"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/views"
)

const (
	// minReason is the shortest reason the server takes for a query on a team that has
	// production (policy.MinProductionReason); the screen checks it before sending.
	minReason = 10
	// runTimeout bounds a run: the server's statement timeout is at most 60s.
	runTimeout = 90 * time.Second
	maxHistory = 100
)

// resultMsg is the answer to a run, tagged with its generation.
type resultMsg struct {
	gen uint64
	req api.QueryRequest
	res api.QueryResult
	err error
	at  time.Time
}

// answer is a result on screen and the request it answers.
type answer struct {
	req api.QueryRequest
	res api.QueryResult
}

// failure is a run the server refused or that failed: its words, made safe to draw, and
// the audit record that keeps it.
type failure struct {
	req   api.QueryRequest
	text  string
	audit string
}

// what names a request for the status lines: the saved query's name or the SQL's
// first line, and the database.
func what(req api.QueryRequest) string {
	name := req.Saved
	if name == "" {
		name = firstLine(strings.TrimSpace(req.SQL))
		if utf8.RuneCountInString(name) > 40 {
			name = string([]rune(name)[:39]) + "…"
		}
	}
	db := req.Database
	if req.Team != "" {
		db = req.Team + "/" + db
	}
	return termtext.Line(name) + " on " + termtext.Line(db)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// run asks for req on the picked database: at once, or after a reason when the team has
// production. A run while one is in flight is refused.
func (v *View) run(req api.QueryRequest) tea.Cmd {
	switch {
	case v.env.Query == nil:
		return views.FlashCmd(views.FlashWarning, NoAPI)
	case len(v.env.Databases) == 0:
		return views.FlashCmd(views.FlashWarning, "no database to query: "+noDatabase(v.team))
	case v.running != nil:
		return views.FlashCmd(views.FlashWarning, "a query is already running ("+what(*v.running)+"): wait for its answer, or esc cancels it")
	case req.Saved == "" && strings.TrimSpace(req.SQL) == "":
		return views.FlashCmd(views.FlashWarning, "the editor is empty: type one read-only statement, then "+v.env.Keys.Query.Run.Help().Key+" runs it")
	}
	db := v.env.Databases[min(v.db, len(v.env.Databases)-1)]
	req.Team, req.Database = db.Team, db.Name
	if db.Production {
		v.asking = &req
		v.reasonErr = ""
		v.reason.SetValue(v.mem.Reason)
		v.reason.CursorEnd()
		return v.reason.Focus()
	}
	return v.start(req)
}

// reasonKey handles the reason prompt: enter runs with the reason when it is long
// enough, esc gives up.
func (v *View) reasonKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		v.asking = nil
		v.reason.Blur()
		return views.FlashCmd(views.FlashInfo, "not run: no reason given")
	case "enter":
		r := strings.TrimSpace(v.reason.Value())
		if n := utf8.RuneCountInString(r); n < minReason {
			v.reasonErr = fmt.Sprintf("a query on a team with production needs a reason of at least %d characters (%d so far): say why, it goes to the audit log", minReason, n)
			return nil
		}
		req := *v.asking
		req.Reason = r
		v.asking = nil
		v.reason.Blur()
		return v.start(req)
	}
	var cmd tea.Cmd
	v.reason, cmd = v.reason.Update(msg)
	v.reasonErr = ""
	return cmd
}

// start runs req in a command tagged with a new generation.
func (v *View) start(req api.QueryRequest) tea.Cmd {
	v.gen++
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	v.cancel, v.running, v.started, v.note = cancel, &req, v.env.Now(), ""
	if req.Reason != "" {
		v.mem.Reason = req.Reason
	}
	if req.SQL != "" {
		v.remember(req.SQL)
	}
	gen, query, now := v.gen, v.env.Query, v.env.Now
	run := func() tea.Msg {
		defer cancel()
		res, err := query(ctx, req)
		return resultMsg{gen: gen, req: req, res: res, err: err, at: now()}
	}
	return tea.Batch(run, v.spin.Tick)
}

// remember adds sql to the session's history (once in a row).
func (v *View) remember(sql string) {
	h := v.mem.History
	if len(h) > 0 && h[len(h)-1] == sql {
		return
	}
	h = append(h, sql)
	if len(h) > maxHistory {
		h = h[len(h)-maxHistory:]
	}
	v.mem.History = h
	v.hist = -1
}

// onResult takes the answer of the running query; answers of another generation are
// dropped. A failure keeps the result on screen.
func (v *View) onResult(msg resultMsg) {
	if msg.gen != v.gen || v.running == nil {
		return // a run the screen cancelled or left
	}
	if v.cancel != nil {
		v.cancel()
	}
	v.cancel, v.running = nil, nil
	if msg.err != nil {
		v.fail = failureOf(msg.req, msg.err)
		return
	}
	v.fail = nil
	v.show(&answer{req: msg.req, res: msg.res})
	if v.focus == paneSaved {
		v.setFocus(paneResults)
	}
}

// failureOf words err for the screen: the client's words (the server's message, made for
// a human), sanitised, and the audit record's id when the server named one.
func failureOf(req api.QueryRequest, err error) *failure {
	f := &failure{req: req, text: err.Error()}
	var audited interface{ AuditID() string }
	if errors.As(err, &audited) {
		f.audit = audited.AuditID()
	}
	if errors.Is(err, context.DeadlineExceeded) && f.audit == "" {
		f.text = fmt.Sprintf("no answer from the platform API within %v: %v", runTimeout, err)
	}
	f.text = termtext.Sanitize(strings.TrimSpace(f.text), true)
	f.audit = termtext.Line(f.audit)
	return f
}

// styleInputs gives the editor and the reason prompt the theme's styles, without a
// blinking cursor (a blink redraws the screen twice a second, over SSH too).
func (v *View) styleInputs() {
	s := v.env.Styles
	if s == nil {
		return
	}
	ts := textarea.DefaultDarkStyles()
	for _, st := range []*textarea.StyleState{&ts.Focused, &ts.Blurred} {
		*st = textarea.StyleState{Base: lipgloss.NewStyle(), Text: s.Text, Placeholder: s.Muted, Prompt: s.Muted,
			EndOfBuffer: s.Muted, LineNumber: s.Muted, CursorLineNumber: s.Muted, Selection: s.SelectedRow}
	}
	ts.Blurred.Text = s.Muted
	ts.Cursor = textarea.CursorStyle{Blink: false}
	v.editor.SetStyles(ts)
	is := textinput.DefaultDarkStyles()
	is.Focused.Prompt, is.Focused.Text, is.Focused.Placeholder = s.Primary, s.Text, s.Muted
	is.Blurred = is.Focused
	is.Cursor = textinput.CursorStyle{Blink: false}
	v.reason.SetStyles(is)
}
