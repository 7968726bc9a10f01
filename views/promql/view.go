// Package promql is the PromQL console: type an expression, get a chart (a range query
// over the screen's window) or a table (an instant query, when the expression has no
// range result or the server refuses one); metric names, label names and label values
// are completed from the server; a server's error is shown as the server words it, with
// a caret under the position of a parse error.
package promql

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/prometheus/common/model"

	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/sources/prom"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/table"
	"github.com/vigie-dev/vigie/views/timewin"
)

// Timeouts of the console's requests, and the live refresh period in one-second ticks.
const (
	queryTimeout    = 30 * time.Second
	completeTimeout = 5 * time.Second
	refreshEvery    = 30
	prompt          = "PromQL> "
	maxChoices      = 500
)

// View is the PromQL console.
type View struct {
	env   views.Env
	route views.Route

	input  textinput.Model
	scroll int // first cell of the query drawn (the input scrolls to keep the cursor in view)
	width  int // of the last render: the range query's step follows it

	window    textinput.Model // the time window prompt ("t")
	editWin   bool
	windowErr string

	preset     int // index into timewin.Presets when live
	live       bool
	from, to   time.Time
	cursorStep int // chart cursor, in steps from the end; -1 = none
	ticks      int

	ran     string // the last query run (zoom and refresh run it again)
	gen     uint64
	cancel  context.CancelFunc
	loading bool
	res     *result
	list    table.List
	err     error  // the last run's error (nil after a success)
	errQ    string // the query that failed
	errPos  int    // byte offset of a parse error in errQ; -1 = unknown

	comp    *completion
	cgen    uint64
	ccancel context.CancelFunc
}

// Messages of the console's commands, tagged with the generation that asked for them.
type (
	resultMsg struct {
		gen      uint64
		query    string
		from, to time.Time
		step     time.Duration
		val      model.Value
		instant  bool
		err      error
		at       time.Time
	}
)

// New opens the console; r.Query, when set, is run when the view is entered, over
// r.From..r.To when set, else the last hour.
func New(env views.Env, r views.Route) *View {
	in := textinput.New()
	in.Prompt = "" // drawn by the view, which scrolls the query itself
	in.Placeholder = "a PromQL expression: enter runs it, tab completes"
	in.CharLimit = 4096
	st := in.Styles()
	st.Cursor.Blink = false // a steady cursor: no blink ticks, the same screen every time
	in.SetStyles(st)
	in.SetValue(r.Query)
	in.CursorEnd()
	in.Focus()
	win := textinput.New()
	win.Prompt = "window: "
	win.Placeholder = "2026-11-24 22:10..23:40, 22:10..23:40, or 90m / 6h / 2d"
	win.CharLimit = 64
	win.SetStyles(st)
	v := &View{env: env, route: r, input: in, window: win, preset: 1, live: true, cursorStep: -1, errPos: -1, width: 100}
	if !r.From.IsZero() {
		v.live, v.from, v.to = false, r.From, r.To
		if v.to.IsZero() || v.to.After(env.Now()) {
			v.to = env.Now()
		}
	}
	return v
}

func (v *View) Route() views.Route { return v.route }
func (v *View) Title() string      { return "promql" }

// Capturing reports whether the query input or the window prompt has the keyboard.
func (v *View) Capturing() bool { return v.input.Focused() || v.editWin }

// Escape drops the chart's cursor; with none, the root goes back.
func (v *View) Escape() (views.View, bool) {
	if v.cursorStep >= 0 {
		v.cursorStep = -1
		return v, true
	}
	return v, false
}

// Help lists the console's keys: its query keys (made here for the help only: the
// input reads enter, tab and esc itself), the metrics screen's time range keys, the
// table's navigation, and the global keys.
func (v *View) Help() keymaps.Screen {
	k := v.env.Keys
	edit := key.NewBinding(key.WithKeys(k.Table.Filter.Keys()...), key.WithHelp(k.Table.Filter.Help().Key, "edit the query"))
	edit.SetEnabled(k.Table.Filter.Enabled())
	run := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "run the query"))
	complete := key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "complete; again: next choice"))
	leave := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close choices, leave the input"))
	m := k.Metrics
	groups := []keymaps.Group{
		{Title: "Query", Bindings: []key.Binding{run, complete, leave, edit}},
		{Title: "Time range", Bindings: []key.Binding{m.Shorter, m.Longer, m.Window, m.Live, m.Left, m.Right}},
		{Title: keymaps.TitleNavigation, Bindings: k.Table.Navigation()},
		{Title: keymaps.TitleGeneral, Bindings: k.Global.FullHelp()[0]},
	}
	h := keymaps.Screen{Short: enabled([]key.Binding{run, complete, edit, k.Global.Help, k.Global.Quit})}
	for _, g := range groups {
		if g.Bindings = enabled(g.Bindings); len(g.Bindings) > 0 {
			h.Groups = append(h.Groups, g)
		}
	}
	return h
}

func enabled(bs []key.Binding) []key.Binding {
	return slices.DeleteFunc(slices.Clone(bs), func(b key.Binding) bool { return !b.Enabled() })
}

// Enter runs the query again (the route's, the first time).
func (v *View) Enter() tea.Cmd {
	q := v.ran
	if q == "" {
		q = strings.TrimSpace(v.input.Value())
		if q == "" || v.route.Query == "" {
			return nil
		}
	}
	return v.run(q)
}

// Leave cancels the query and the completion in flight; their late answers are dropped
// by generation.
func (v *View) Leave() {
	v.stopQuery()
	v.dropCompletion()
}

func (v *View) stopQuery() {
	if v.cancel != nil {
		v.cancel()
		v.cancel = nil
	}
	v.gen++
	v.loading = false
}

func (v *View) dropCompletion() {
	if v.ccancel != nil {
		v.ccancel()
		v.ccancel = nil
	}
	v.cgen++
	v.comp = nil
}

// timeWindow is the window charted now.
func (v *View) timeWindow() (time.Time, time.Time) {
	if v.live {
		now := v.env.Now()
		return now.Add(-timewin.Presets()[v.preset]), now
	}
	return v.from, v.to
}

func (v *View) loc() *time.Location {
	if v.env.Loc == nil {
		return time.Local
	}
	return v.env.Loc
}

// run evaluates q over the window: a range query; an instant query at the window's end
// when the range has no series or the server refuses the expression as a range query
// (a string, a range vector).
func (v *View) run(q string) tea.Cmd {
	v.stopQuery()
	v.ran = q
	rng, inst := v.env.PromQuery, v.env.PromInstant
	if rng == nil && inst == nil {
		v.err, v.errQ, v.errPos = errors.New("no Prometheus configured for this context"), q, -1
		return nil
	}
	from, to := v.timeWindow()
	step := prom.Step(max(20, v.width*2), from, to)
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	v.cancel, v.loading = cancel, true
	res := resultMsg{gen: v.gen, query: q, from: from, to: to, step: step, at: v.env.Now()}
	return func() tea.Msg {
		defer cancel()
		var err error
		if rng != nil {
			res.val, err = rng(ctx, q, from, to, step)
			if err == nil && (!empty(res.val) || inst == nil) {
				return res
			}
			if err != nil && (inst == nil || !rangeRefused(err)) {
				res.err = err
				return res
			}
		}
		val, ierr := inst(ctx, q, to)
		switch {
		case ierr != nil && err != nil:
			res.err = err // the range query's words: the query the user asked for
		case ierr != nil:
			res.err = ierr
		case empty(val) && err == nil && rng != nil:
			// no data either way: the empty chart says so over the window
		default:
			res.val, res.instant, res.err = val, true, nil
		}
		return res
	}
}

// rangeRefused reports an error the server gives when the expression cannot be a range
// query (bad data that is no parse error): the instant query may still answer.
func rangeRefused(err error) bool {
	var qe *prom.QueryError
	return errors.As(err, &qe) && qe.Type == "bad_data" && qe.Pos == nil
}

func empty(val model.Value) bool {
	switch val := val.(type) {
	case nil:
		return true
	case model.Matrix:
		return len(val) == 0
	case model.Vector:
		return len(val) == 0
	}
	return false
}

// errorPos is the byte offset of a parse error in q, or -1.
func errorPos(err error, q string) int {
	var qe *prom.QueryError
	if !errors.As(err, &qe) || qe.Pos == nil {
		return -1
	}
	off := qe.Pos.Offset
	if qe.Pos.Line <= 1 {
		off = qe.Pos.Column - 1
	}
	if off < 0 {
		return -1
	}
	off = min(off, len(q))
	for off > 0 && off < len(q) && !utf8.RuneStart(q[off]) {
		off--
	}
	return off
}

// Update handles the results, the ticks and the keys.
func (v *View) Update(msg tea.Msg) (views.View, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		if msg.gen != v.gen {
			return v, nil
		}
		v.loading, v.cancel = false, nil
		if msg.err != nil { // the last result stays, marked stale
			v.err, v.errQ, v.errPos = msg.err, msg.query, errorPos(msg.err, msg.query)
			return v, nil
		}
		v.err, v.errPos = nil, -1
		v.setResult(msg)
	case completedMsg:
		if msg.gen != v.cgen || v.comp == nil {
			return v, nil
		}
		v.ccancel = nil
		v.comp.loading = false
		if msg.err != nil {
			v.comp.err = msg.err.Error()
			return v, nil
		}
		v.comp.items = choices(msg.items, v.comp.ctx)
		if len(v.comp.items) == 0 {
			v.comp.err = "no " + v.comp.ctx.Kind.String() + " starts with " + `"` + v.comp.ctx.Prefix + `"`
		}
	case views.Tick:
		v.ticks++
		if v.live && v.ran != "" && !v.loading && v.ticks%refreshEvery == 0 && v.errPos < 0 && !badQuery(v.err) {
			return v, v.run(v.ran)
		}
	case tea.MouseWheelMsg:
		if v.res != nil && v.res.instant {
			v.list.HandleMouse(msg)
		}
	case tea.PasteMsg:
		var cmd tea.Cmd
		switch {
		case v.editWin:
			v.window, cmd = v.window.Update(msg)
		case v.input.Focused():
			v.dropCompletion()
			v.input, cmd = v.input.Update(msg)
		}
		return v, cmd
	case tea.KeyPressMsg:
		switch {
		case v.editWin:
			return v, v.windowKey(msg)
		case v.input.Focused():
			return v, v.inputKey(msg)
		}
		return v, v.key(msg)
	}
	return v, nil
}

// badQuery reports an error in the query itself, which a refresh would only repeat.
func badQuery(err error) bool {
	var qe *prom.QueryError
	return errors.As(err, &qe) && qe.Type == "bad_data"
}

func (v *View) inputKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		v.dropCompletion()
		q := strings.TrimSpace(v.input.Value())
		if q == "" {
			return nil
		}
		v.cursorStep = -1
		return v.run(q)
	case "tab":
		return v.tab(1)
	case "shift+tab":
		return v.tab(-1)
	case "esc":
		if v.comp != nil {
			v.dropCompletion()
			return nil
		}
		v.input.Blur()
		return nil
	}
	v.dropCompletion()
	var cmd tea.Cmd
	v.input, cmd = v.input.Update(msg)
	return cmd
}

func (v *View) key(msg tea.KeyPressMsg) tea.Cmd {
	m, t := v.env.Keys.Metrics, v.env.Keys.Table
	switch {
	case key.Matches(msg, t.Filter):
		return v.input.Focus()
	case key.Matches(msg, m.Shorter):
		return v.zoom(-1)
	case key.Matches(msg, m.Longer):
		return v.zoom(1)
	case key.Matches(msg, m.Live):
		v.live, v.cursorStep = true, -1
		return v.rerun()
	case key.Matches(msg, m.Window):
		v.editWin, v.windowErr = true, ""
		v.window.SetValue("")
		return v.window.Focus()
	case key.Matches(msg, m.Left):
		v.moveCursor(1)
	case key.Matches(msg, m.Right):
		v.moveCursor(-1)
	case key.Matches(msg, t.Navigation()...):
		if v.res != nil && v.res.instant {
			v.list.HandleKey(msg, t)
		}
	}
	return nil
}

func (v *View) rerun() tea.Cmd {
	if v.ran == "" {
		return nil
	}
	return v.run(v.ran)
}

// zoom moves to the next shorter (-1) or longer (+1) preset when live, else halves or
// doubles the window around its middle (as the metrics screen does).
func (v *View) zoom(dir int) tea.Cmd {
	var changed bool
	v.preset, v.from, v.to, changed = timewin.Zoom(v.live, v.preset, v.from, v.to, dir, v.env.Now())
	if !changed {
		return nil
	}
	v.cursorStep = -1
	return v.rerun()
}

func (v *View) moveCursor(steps int) {
	if v.res == nil || v.res.instant || len(v.res.series) == 0 {
		return
	}
	if v.cursorStep < 0 {
		v.cursorStep = 0
		return
	}
	n := int(v.res.to.Sub(v.res.from) / max(v.res.step, time.Second))
	v.cursorStep = max(0, min(n, v.cursorStep+steps))
}

func (v *View) windowKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		v.editWin = false
		v.window.Blur()
		return nil
	case "enter":
		from, to, live, err := timewin.ParseWindow(v.window.Value(), v.env.Now(), v.loc())
		if err != nil {
			v.windowErr = err.Error()
			return nil
		}
		v.editWin = false
		v.window.Blur()
		v.live, v.from, v.to, v.cursorStep = false, from, to, -1
		if i := slices.Index(timewin.Presets(), to.Sub(from)); live && i >= 0 {
			v.live, v.preset = true, i
		}
		return v.rerun()
	}
	var cmd tea.Cmd
	v.window, cmd = v.window.Update(msg)
	return cmd
}
