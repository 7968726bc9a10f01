// Package query is the query screen: read-only SQL on one of the team's databases
// through the platform API (`vigie serve`, POST /v1/queries). It has three panes — the
// saved queries (vigie's own SQL for slow statements, locks, long transactions and
// table sizes), an SQL editor, and the result — under a database picker. A query on a
// team that has production asks for a reason first (prefilled with the last one of the
// session). One query runs at a time; its answer carries the generation of the run that
// asked for it, so an answer for a run the screen left or cancelled is dropped. A refusal
// or failure is shown as the server words it, with its audit id, over the previous
// result, which stays. Every value from the database is drawn with its control
// characters made inert.
package query

import (
	"context"
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textarea"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/table"
)

// NoAPI is what the screen says when no platform API is configured.
const NoAPI = "queries go through the platform API (`vigie serve`): add `platform:` (url, and token or tokenFile) to this context in vigie's config file"

// noDatabase is what the screen says when the team has no database to query.
func noDatabase(team string) string {
	if team == "" {
		team = "TEAM"
	}
	return fmt.Sprintf("team %s has no database on the platform API. An admin adds one to the server's configuration, "+
		"teams.%s.databases.NAME: {dsnEnv: VAR} (or dsnFile: PATH), the DSN of a role with SELECT grants only; "+
		"vigie reads the list (GET /v1/teams) when it starts.", team, team)
}

// focus is the pane that has the keys.
type focus int

const (
	paneSaved focus = iota
	paneEditor
	paneResults
	panes
)

var (
	_ views.View      = (*View)(nil)
	_ views.Lifecycle = (*View)(nil)
)

// View is the query screen.
type View struct {
	env   views.Env
	route views.Route
	team  string
	mem   *views.QueryMemory

	db     int      // the database picked, an index into env.Databases
	saved  []string // api.SavedQueries
	cursor int      // the saved query under the cursor
	focus  focus
	editor textarea.Model
	hist   int // the entry of mem.History in the editor; -1 = none

	// The reason prompt: open while asking is set (the query waiting for its reason).
	asking    *api.QueryRequest
	reason    textinput.Model
	reasonErr string

	// The running query: one at a time. gen numbers the runs; an answer of another
	// generation is dropped.
	gen     uint64
	running *api.QueryRequest
	started time.Time
	cancel  context.CancelFunc
	spin    spinner.Model

	// The result on screen, and what happened to the runs after it.
	res    *answer
	list   table.List
	colOff int      // first data column shown (horizontal scroll)
	cells  [][]cell // the result's values, made safe to draw once
	widths []int    // the natural width of each data column
	fail   *failure // the last run's refusal or failure (nil after a success)
	note   string   // what happened to the last run when it has no answer (cancelled)
	detail *detail
	width  int // of the last render: the horizontal scroll's page
	tableH int // the table's height at the last render
}

// New returns the query screen of team; the route's Query, when set, is put in the
// editor (not run).
func New(env views.Env, r views.Route, team string) *View {
	mem := env.QueryMemory
	if mem == nil {
		mem = &views.QueryMemory{}
	}
	v := &View{env: env, route: r, team: team, mem: mem, saved: api.SavedQueries(), hist: -1,
		spin: spinner.New(spinner.WithSpinner(spinner.MiniDot))}
	v.editor = textarea.New()
	v.editor.ShowLineNumbers = false
	v.editor.Prompt = ""
	v.editor.Placeholder = "one read-only statement: select, with, explain, show, values, table"
	v.editor.CharLimit = 64 << 10 // the server's body limit
	v.editor.SetHeight(editorLines)
	v.reason = textinput.New()
	v.reason.Prompt = "reason: "
	v.reason.Placeholder = fmt.Sprintf("why you query production (%d characters at least; kept in the audit log)", minReason)
	v.reason.CharLimit = 1024
	v.styleInputs()
	v.list = table.NewList(nil, 0)
	if r.Query != "" {
		v.editor.SetValue(r.Query)
		v.setFocus(paneEditor)
	}
	return v
}

// Route returns the route that opened the view.
func (v *View) Route() views.Route { return v.route }

// Title is the breadcrumb: "query", "query · row 3" with a row open.
func (v *View) Title() string {
	if v.detail != nil {
		return fmt.Sprintf("query · row %d", v.detail.row+1)
	}
	return "query"
}

// Help is the query screen's help.
func (v *View) Help() keymaps.Screen { return v.env.Keys.QueryHelp() }

// Capturing reports whether a text input has the keyboard: the reason prompt, the
// editor, or the result's filter prompt.
func (v *View) Capturing() bool {
	if v.asking != nil {
		return true
	}
	if v.detail != nil {
		return false
	}
	return v.focus == paneEditor || (v.focus == paneResults && v.list.Editing())
}

// Escape closes a row's detail, then cancels the running query, then clears the
// result's filter.
func (v *View) Escape() (views.View, bool) {
	switch {
	case v.detail != nil:
		v.detail = nil
		return v, true
	case v.running != nil:
		v.stop("cancelled: the platform API may still record it in the audit log")
		return v, true
	case v.focus == paneResults && v.list.ClearFilter():
		return v, true
	}
	return v, false
}

// Enter focuses the editor again when it had the keys.
func (v *View) Enter() tea.Cmd {
	if v.focus == paneEditor {
		return v.editor.Focus()
	}
	return nil
}

// Leave cancels the running query: its answer, should it come, is dropped.
func (v *View) Leave() {
	if v.running != nil {
		v.stop("cancelled when you left the screen")
	}
}

// stop cancels the running query and retires its generation.
func (v *View) stop(note string) {
	if v.cancel != nil {
		v.cancel()
	}
	v.cancel, v.running = nil, nil
	v.gen++
	v.note = note
}

// Update handles the answers, the spinner and the keys.
func (v *View) Update(msg tea.Msg) (views.View, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		v.onResult(msg)
	case spinner.TickMsg:
		if v.running != nil {
			var cmd tea.Cmd
			v.spin, cmd = v.spin.Update(msg)
			return v, cmd
		}
	case tea.MouseWheelMsg:
		switch {
		case v.detail != nil:
			v.detail.pane.Wheel(msg)
		case v.res != nil:
			v.list.HandleMouse(msg)
		}
	case tea.PasteMsg:
		var cmd tea.Cmd
		switch {
		case v.asking != nil:
			v.reason, cmd = v.reason.Update(msg)
		case v.focus == paneEditor:
			v.editor, cmd = v.editor.Update(msg)
		}
		return v, cmd
	case tea.KeyPressMsg:
		return v, v.key(msg)
	}
	return v, nil
}

func (v *View) key(msg tea.KeyPressMsg) tea.Cmd {
	k := v.env.Keys
	q := k.Query
	switch {
	case v.asking != nil:
		return v.reasonKey(msg)
	case v.detail != nil:
		if key.Matches(msg, q.Copy) {
			return v.copyResult()
		}
		v.detail.pane.ScrollKey(msg, k.Table)
		return nil
	case v.focus == paneEditor:
		return v.editorKey(msg)
	case v.focus == paneResults && v.list.Editing():
		_, cmd := v.list.HandleKey(msg, k.Table)
		return cmd
	}
	switch {
	case key.Matches(msg, q.NextPane):
		return v.setFocus((v.focus + 1) % panes)
	case key.Matches(msg, q.PrevPane):
		return v.setFocus((v.focus + panes - 1) % panes)
	case key.Matches(msg, q.Edit):
		return v.setFocus(paneEditor)
	case key.Matches(msg, q.Database):
		if n := len(v.env.Databases); n > 1 {
			v.db = (v.db + 1) % n
		}
		return nil
	}
	if v.focus == paneSaved {
		return v.savedKey(msg)
	}
	return v.resultKey(msg)
}

// setFocus gives the keys to pane f.
func (v *View) setFocus(f focus) tea.Cmd {
	v.focus = f
	if f == paneEditor {
		v.hist = -1
		return v.editor.Focus()
	}
	v.editor.Blur()
	return nil
}

func (v *View) savedKey(msg tea.KeyPressMsg) tea.Cmd {
	t := v.env.Keys.Table
	switch {
	case key.Matches(msg, v.env.Keys.Query.Open):
		if v.cursor < len(v.saved) {
			return v.run(api.QueryRequest{Saved: v.saved[v.cursor]})
		}
	case key.Matches(msg, t.Up):
		v.cursor = max(0, v.cursor-1)
	case key.Matches(msg, t.Down):
		v.cursor = min(len(v.saved)-1, v.cursor+1)
	case key.Matches(msg, t.Top):
		v.cursor = 0
	case key.Matches(msg, t.Bottom):
		v.cursor = len(v.saved) - 1
	}
	return nil
}

func (v *View) editorKey(msg tea.KeyPressMsg) tea.Cmd {
	q := v.env.Keys.Query
	switch {
	case key.Matches(msg, q.Run):
		return v.run(api.QueryRequest{SQL: v.editor.Value()})
	case key.Matches(msg, v.env.Keys.Global.Back):
		if v.res != nil {
			return v.setFocus(paneResults)
		}
		return v.setFocus(paneSaved)
	case key.Matches(msg, q.NextPane):
		return v.setFocus(paneResults)
	case key.Matches(msg, q.PrevPane):
		return v.setFocus(paneSaved)
	case msg.String() == "up" && v.recall(-1):
		return nil
	case msg.String() == "down" && v.recall(1):
		return nil
	}
	var cmd tea.Cmd
	v.editor, cmd = v.editor.Update(msg)
	if v.hist >= 0 && v.editor.Value() != v.mem.History[v.hist] {
		v.hist = -1 // edited: no longer the history's entry
	}
	return cmd
}

// recall puts the previous (delta -1) or next SQL of the session in the editor when the
// editor is empty or shows an entry of the history; it reports whether it did.
func (v *View) recall(delta int) bool {
	h := v.mem.History
	browsing := v.hist >= 0 && v.hist < len(h) && v.editor.Value() == h[v.hist]
	if len(h) == 0 || (!browsing && v.editor.Value() != "") {
		return false
	}
	switch {
	case !browsing && delta < 0:
		v.hist = len(h) - 1
	case !browsing:
		return false
	default:
		v.hist += delta
	}
	switch {
	case v.hist < 0:
		v.hist = 0
	case v.hist >= len(h):
		v.hist = -1
		v.editor.SetValue("")
		return true
	}
	v.editor.SetValue(h[v.hist])
	return true
}

func (v *View) resultKey(msg tea.KeyPressMsg) tea.Cmd {
	k := v.env.Keys
	q := k.Query
	if v.res == nil {
		return nil
	}
	if ok, cmd := v.list.HandleKey(msg, k.Table); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, q.Open):
		v.openRow()
	case key.Matches(msg, q.Left):
		v.scroll(-1)
	case key.Matches(msg, q.Right):
		v.scroll(1)
	case key.Matches(msg, q.Copy):
		return v.copyResult()
	}
	return nil
}

// openRow opens the detail of the row under the cursor.
func (v *View) openRow() {
	r, ok := v.list.Selected()
	if !ok {
		return
	}
	if i, ok := rowIndex(r.ID); ok && i < len(v.cells) {
		v.detail = &detail{row: i, lines: detailLines(v.res, i)}
	}
}

// Editor sizes.
const editorLines = 4

// paneHeight is the height of the saved queries and editor panes (title included).
const paneHeight = editorLines + 1
