// Package jobs is the jobs screen: the team's runbook job templates (what an admin
// registered in the platform API's configuration) and their recent runs. Enter on a
// template asks the root for the guarded run form (typed parameters, the server's dry run,
// a reason, a typed confirmation); the screen itself never acts. The runs are polled from
// the platform API while the screen is active, pollTicks seconds after the last answer —
// one request at a time, results of a poll the screen left dropped by generation, the
// last runs kept and marked stale when a poll fails.
package jobs

import (
	"context"
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/pane"
	"github.com/vigie-dev/vigie/views/table"
)

const (
	pollTicks    = 2 // ticks (seconds) between polls while the screen is active
	fetchTimeout = 10 * time.Second
)

// Which list has the keys.
const (
	focusTemplates = iota
	focusRuns
)

// NoAPI is what the screen says without a platform API.
const NoAPI = "runbook jobs run through the platform API (`vigie serve`): this context has none — add `platform:` to it in the config"

// NoTemplates is what the screen says when the team has no template.
const NoTemplates = "no job template for this team: an admin registers them in the platform API's configuration, under teams.<team>.jobs (docs/platform.md, \"Runbook jobs\")"

// runsMsg is the answer of one poll, tagged with the generation that asked for it.
type runsMsg struct {
	gen  uint64
	runs []api.JobRun
	err  error
}

var (
	_ views.View      = (*View)(nil)
	_ views.Lifecycle = (*View)(nil)
)

// View is the jobs screen.
type View struct {
	env   views.Env
	route views.Route

	templates table.List
	runs      table.List
	focus     int
	byTpl     map[string]api.JobTemplate // by namespace/name
	byRun     map[string]api.JobRun
	list      []api.JobRun // newest first, as the server sent them

	// The poll. gen numbers the polls the screen may still accept; Leave retires it.
	gen     uint64
	loading bool
	cancel  context.CancelFunc
	active  bool
	ticks   int
	at      time.Time // the last successful poll (zero: none yet)
	err     error     // why the last poll failed (nil: it did not)

	detail *detail
}

// New returns the jobs screen; the route's Filter filters the runs.
func New(env views.Env, r views.Route) *View {
	v := &View{env: env, route: r, templates: table.NewList(templateColumns(), colTName),
		runs: table.NewList(runColumns(), colRStarted), byTpl: map[string]api.JobTemplate{}, byRun: map[string]api.JobRun{}}
	rows := make([]table.Row, 0, len(env.JobTemplates))
	for _, t := range env.JobTemplates {
		v.byTpl[templateID(t)] = t
		rows = append(rows, templateRow(t))
	}
	v.templates.SetRows(rows)
	if len(rows) == 0 {
		v.focus = focusRuns
	}
	if r.Filter != "" {
		v.runs.SetFilter(r.Filter)
		v.focus = focusRuns
	}
	return v
}

// Route returns the route that opened the view.
func (v *View) Route() views.Route { return v.route }

// Title is the breadcrumb: "jobs", or "jobs · NAME" with a run open.
func (v *View) Title() string {
	if v.detail != nil {
		return "jobs · " + termtext.Line(v.detail.run.Name)
	}
	return "jobs"
}

// Capturing reports whether a filter prompt has the keyboard.
func (v *View) Capturing() bool { return v.detail == nil && v.focused().Editing() }

// Help is the jobs help, or the details' help; it follows read-only mode (no run key then).
func (v *View) Help() keymaps.Screen {
	if v.detail != nil {
		return v.env.Keys.JobsDetailHelp()
	}
	return v.env.Keys.JobsHelp()
}

func (v *View) focused() *table.List {
	if v.focus == focusRuns {
		return &v.runs
	}
	return &v.templates
}

// Escape closes the details, then clears the focused list's filter.
func (v *View) Escape() (views.View, bool) {
	if v.detail != nil {
		v.detail = nil
		return v, true
	}
	return v, v.focused().ClearFilter()
}

// Enter polls at once, then every pollTicks ticks.
func (v *View) Enter() tea.Cmd {
	v.active = true
	return v.load()
}

// Leave cancels the poll in flight; its answer is dropped.
func (v *View) Leave() {
	v.active = false
	if v.cancel != nil {
		v.cancel()
		v.cancel = nil
	}
	v.loading = false
	v.gen++
}

// load starts a poll unless one is in flight (single flight).
func (v *View) load() tea.Cmd {
	v.ticks = 0
	if v.env.Jobs == nil || v.loading {
		return nil
	}
	v.loading = true
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	v.cancel = cancel
	gen, fetch := v.gen, v.env.Jobs
	return func() tea.Msg {
		defer cancel()
		runs, err := fetch(ctx)
		if err != nil {
			err = fmt.Errorf("job runs: %w", err)
		}
		return runsMsg{gen: gen, runs: runs, err: err}
	}
}

// onRuns takes a poll's answer: new runs, or the error with the last runs kept.
func (v *View) onRuns(msg runsMsg) {
	if msg.gen != v.gen {
		return // a poll of a screen we left
	}
	v.loading, v.ticks = false, 0 // the next poll is pollTicks after this answer
	if v.cancel != nil {
		v.cancel()
		v.cancel = nil
	}
	if msg.err != nil {
		v.err = msg.err
		return
	}
	v.err, v.at = nil, v.env.Now()
	v.list = msg.runs
	v.rebuildRuns()
}

func (v *View) loc() *time.Location {
	if v.env.Loc != nil {
		return v.env.Loc
	}
	return time.Local
}

// template returns the template a run was made from, when the team still has it.
func (v *View) template(r api.JobRun) *api.JobTemplate {
	if t, ok := v.byTpl[r.Namespace+"/"+r.Template]; ok {
		return &t
	}
	return nil
}

func (v *View) rebuildRuns() {
	now := v.env.Now()
	v.byRun = make(map[string]api.JobRun, len(v.list))
	rows := make([]table.Row, 0, len(v.list))
	for _, r := range v.list {
		v.byRun[runID(r)] = r
		rows = append(rows, runRow(r, v.template(r), now, v.loc()))
	}
	v.runs.SetRows(rows)
	if v.detail != nil { // the open run follows the polls
		if r, ok := v.byRun[runID(v.detail.run)]; ok {
			v.detail.run = r
		}
	}
}

// Update handles the polls, the clock and the keys.
func (v *View) Update(msg tea.Msg) (views.View, tea.Cmd) {
	switch msg := msg.(type) {
	case runsMsg:
		v.onRuns(msg)
	case views.Tick:
		if len(v.list) > 0 {
			v.rebuildRuns() // ages and running durations move on
		}
		if v.active && v.env.Jobs != nil {
			if v.ticks++; v.ticks >= pollTicks && !v.loading {
				return v, v.load()
			}
		}
	case tea.MouseWheelMsg:
		if v.detail != nil {
			v.detail.pane.Wheel(msg)
		} else {
			v.focused().HandleMouse(msg)
		}
	case tea.KeyPressMsg:
		return v, v.key(msg)
	}
	return v, nil
}

// navigation is the table's keys without sorting: the lists keep their order.
func (v *View) navigation() keymaps.TableKeyMap {
	km := v.env.Keys.Table
	km.SortNext.SetEnabled(false)
	km.SortPrev.SetEnabled(false)
	km.SortReverse.SetEnabled(false)
	return km
}

func (v *View) key(msg tea.KeyPressMsg) tea.Cmd {
	k := v.env.Keys
	if v.detail != nil {
		switch {
		case v.detail.pane.ScrollKey(msg, k.Table):
		case key.Matches(msg, k.Jobs.Logs):
			return v.logs(v.detail.run)
		case key.Matches(msg, k.Jobs.Run):
			return v.runAgain(v.detail.run)
		case key.Matches(msg, k.Global.Refresh):
			return v.load()
		}
		return nil
	}
	l := v.focused()
	if l.Editing() {
		_, cmd := l.HandleKey(msg, k.Table)
		return cmd
	}
	switch {
	case key.Matches(msg, k.Jobs.Switch):
		v.focus = 1 - v.focus
		return nil
	case key.Matches(msg, k.Jobs.Open):
		return v.open()
	case key.Matches(msg, k.Jobs.Run):
		if v.focus == focusRuns {
			if r, ok := v.selectedRun(); ok {
				return v.runAgain(r)
			}
			return nil
		}
		return v.open()
	case key.Matches(msg, k.Jobs.Logs):
		if r, ok := v.selectedRun(); ok && v.focus == focusRuns {
			return v.logs(r)
		}
		return views.FlashCmd(views.FlashInfo, "logs are a run's: tab to the runs, then l")
	case key.Matches(msg, k.Global.Refresh):
		return v.load()
	}
	_, cmd := l.HandleKey(msg, v.navigation())
	return cmd
}

func (v *View) selectedRun() (api.JobRun, bool) {
	row, ok := v.runs.Selected()
	if !ok {
		return api.JobRun{}, false
	}
	r, ok := v.byRun[row.ID]
	return r, ok
}

// open runs the selected template (the root opens the form), or opens the selected run.
func (v *View) open() tea.Cmd {
	if v.focus == focusRuns {
		if r, ok := v.selectedRun(); ok {
			v.detail = &detail{run: r}
		}
		return nil
	}
	row, ok := v.templates.Selected()
	if !ok {
		return nil
	}
	return v.request(v.byTpl[row.ID], nil)
}

// runAgain opens the form of a run's template with the run's values.
func (v *View) runAgain(r api.JobRun) tea.Cmd {
	t := v.template(r)
	if t == nil {
		return views.FlashCmd(views.FlashWarning, "template "+termtext.Line(r.Template)+" is no longer one of the team's: it cannot run again")
	}
	return v.request(*t, r.Values)
}

// request asks the root for the guarded run form of a template.
func (v *View) request(t api.JobTemplate, values map[string]string) tea.Cmd {
	if !v.env.Keys.Jobs.Run.Enabled() {
		return views.FlashCmd(views.FlashWarning, "read-only: jobs cannot run from this context")
	}
	req := views.ActionRequested{Kind: string(api.ActionJob), Namespace: t.Namespace, Name: t.Name, Values: values}
	return func() tea.Msg { return req }
}

// logs opens the logs screen of a run's pods, from a minute before it was created.
func (v *View) logs(r api.JobRun) tea.Cmd {
	route := views.Route{Screen: views.ScreenLogs, Kind: "job", Namespace: r.Namespace, Name: r.Name}
	if !r.Created.IsZero() {
		route.From = r.Created.Add(-time.Minute)
	}
	return func() tea.Msg { return views.Navigate{Route: route} }
}

// detail is the pane of one run; it follows the polls.
type detail struct {
	run  api.JobRun
	pane pane.Pane
}
