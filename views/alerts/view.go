// Package alerts is the alerts screen: the team's alerts from Alertmanager grouped by
// alertname, worst first, with a detail pane (annotations, labels, who silenced, the
// firing history from Prometheus, the runbook rendered inline) and one key to the
// workloads, metrics and logs of the alert's service. It renders the snapshots the root
// sends (views.AlertsSnapshot) and emits navigation intents; the history and the runbook
// are fetched in commands tagged with a generation.
package alerts

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/sources/alertmanager"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/pane"
	"github.com/vigie-dev/vigie/views/table"
)

// View is the alerts screen.
type View struct {
	env   views.Env
	route views.Route

	snap alertmanager.Snapshot
	has  bool // a snapshot arrived
	list table.List
	byID map[string]alertmanager.Alert

	// gen numbers the requests of the detail pane (history, runbook); a result of
	// another generation is dropped.
	gen    uint64
	detail *detail
}

// New returns the alerts screen of a route. A route with a Name shows the alerts of
// that service only (service, app or job label); its Filter is the first filter.
func New(env views.Env, r views.Route) *View {
	v := &View{env: env, route: r, list: table.NewList(columns(), colSeverity)}
	if r.Filter != "" {
		v.list.SetFilter(r.Filter)
	}
	return v
}

// Route returns the route that opened the view.
func (v *View) Route() views.Route { return v.route }

// Capturing reports whether the filter prompt has the keyboard.
func (v *View) Capturing() bool { return v.detail == nil && v.list.Editing() }

// Title is the breadcrumb: "alerts", "alerts · checkout", "alerts · HighErrorRatio".
func (v *View) Title() string {
	t := "alerts"
	if v.route.Name != "" {
		t += " · " + termtext.Line(v.route.Name)
	}
	if v.detail != nil {
		t += " · " + termtext.Line(v.detail.alert.Name)
		if v.detail.showBook {
			t += " · runbook"
		}
	}
	return t
}

// Help is the alerts help (the Silence binding stays disabled until the platform API).
func (v *View) Help() keymaps.Screen { return v.env.Keys.AlertsHelp() }

// Escape goes from the runbook back to the details, closes the details, then clears the
// filter.
func (v *View) Escape() (views.View, bool) {
	if d := v.detail; d != nil {
		if d.showBook {
			d.showBook = false
			d.pane.Reset()
			return v, true
		}
		v.closeDetail()
		return v, true
	}
	return v, v.list.ClearFilter()
}

// Enter restarts what the detail pane was fetching when the view was left.
func (v *View) Enter() tea.Cmd {
	d := v.detail
	if d == nil {
		return nil
	}
	var cmds []tea.Cmd
	if d.hist.loading {
		cmds = append(cmds, v.fetchHistory())
	}
	if d.book.loading {
		cmds = append(cmds, v.fetchRunbook())
	}
	return tea.Batch(cmds...)
}

// Leave cancels what the detail pane is fetching; its late results are dropped (no
// request has generation 0) and Enter asks again.
func (v *View) Leave() {
	if d := v.detail; d != nil {
		d.cancel()
		if d.hist.loading {
			d.hist.gen = 0
		}
		if d.book.loading {
			d.book.gen = 0
		}
	}
}

func (v *View) closeDetail() {
	if v.detail != nil {
		v.detail.cancel()
	}
	v.detail = nil
	v.gen++
}

// wanted reports whether an alert belongs on this screen (the route's service, if any).
func (v *View) wanted(a alertmanager.Alert) bool {
	if v.route.Name == "" {
		return true
	}
	for _, k := range []string{"service", "app", "job"} {
		if a.Labels[k] == v.route.Name {
			return true
		}
	}
	return false
}

func (v *View) alerts() []alertmanager.Alert {
	if v.route.Name == "" {
		return v.snap.Alerts
	}
	var out []alertmanager.Alert
	for _, a := range v.snap.Alerts {
		if v.wanted(a) {
			out = append(out, a)
		}
	}
	return out
}

func (v *View) rebuild() {
	rows, byID := rows(v.alerts(), v.snap.Silences, v.env.Now())
	v.byID = byID
	v.list.SetRows(rows)
	if d := v.detail; d != nil {
		d.follow(v.snap)
	}
}

// Update handles the snapshots, the clock, the detail's results and the keys.
func (v *View) Update(msg tea.Msg) (views.View, tea.Cmd) {
	switch msg := msg.(type) {
	case views.AlertsSnapshot:
		v.snap, v.has = msg.Snap, true
		v.rebuild()
	case views.Tick:
		if v.has {
			v.rebuild()
		}
	case historyMsg:
		if d := v.detail; d != nil && msg.gen == d.hist.gen {
			d.hist.loading, d.hist.done, d.hist.h, d.hist.err = false, true, msg.h, msg.err
		}
	case runbookMsg:
		if d := v.detail; d != nil && msg.gen == d.book.gen {
			d.book.loading, d.book.done, d.book.md, d.book.err = false, true, msg.md, msg.err
			d.book.lines, d.book.width = nil, 0
		}
	case tea.MouseWheelMsg:
		if v.detail != nil {
			v.detail.pane.Wheel(msg)
		} else {
			v.list.HandleMouse(msg)
		}
	case tea.KeyPressMsg:
		if v.detail != nil {
			if v.detail.pane.ScrollKey(msg, v.env.Keys.Table) {
				return v, nil
			}
			return v, v.key(msg, v.detail.alert)
		}
		if ok, cmd := v.list.HandleKey(msg, v.env.Keys.Table); ok {
			return v, cmd
		}
		if a, ok := v.selected(); ok {
			return v, v.key(msg, a)
		}
	}
	return v, nil
}

func (v *View) selected() (alertmanager.Alert, bool) {
	r, ok := v.list.Selected()
	if !ok {
		return alertmanager.Alert{}, false
	}
	a, ok := v.byID[r.ID]
	return a, ok
}

// key handles the alerts keys on alert a (the selected row, or the open detail).
func (v *View) key(msg tea.KeyPressMsg, a alertmanager.Alert) tea.Cmd {
	k := v.env.Keys.Alerts
	switch {
	case key.Matches(msg, k.Open):
		if v.detail == nil {
			return v.openDetail(a)
		}
	case key.Matches(msg, k.Runbook):
		var open tea.Cmd
		if v.detail == nil {
			open = v.openDetail(a)
		} else if v.detail.showBook {
			v.detail.showBook = false
			v.detail.pane.Reset()
			return nil
		}
		return tea.Batch(open, v.showRunbook())
	case key.Matches(msg, k.Workloads):
		return navigate(workloadsRoute(a))
	case key.Matches(msg, k.Metrics):
		return navigate(metricsRoute(a, v.env.Now()))
	case key.Matches(msg, k.Logs):
		r, err := logsRoute(a)
		if err != nil {
			return views.FlashCmd(views.FlashWarning, err.Error())
		}
		return navigate(r)
	case key.Matches(msg, k.Silence):
		return silenceRequest(a)
	}
	return nil
}

// silenceRequest asks the root to silence this alert (its name, and its service when it
// has one) through the platform API; the server adds the team's own matchers.
func silenceRequest(a alertmanager.Alert) tea.Cmd {
	ms := map[string]string{"alertname": a.Name}
	for _, l := range []string{"service", "app"} {
		if v := a.Labels[l]; v != "" {
			ms[l] = v
			break
		}
	}
	req := views.ActionRequested{Kind: "silence", Namespace: a.Labels["namespace"], Name: a.Name, Matchers: ms}
	return func() tea.Msg { return req }
}

func navigate(r views.Route) tea.Cmd {
	return func() tea.Msg { return views.Navigate{Route: r} }
}

// openDetail opens the detail pane on a and starts reading its history.
func (v *View) openDetail(a alertmanager.Alert) tea.Cmd {
	v.closeDetail()
	v.detail = newDetail(a)
	v.detail.follow(v.snap)
	return v.fetchHistory()
}

// fetchHistory asks Prometheus when the detail's alert fired over the last 7 days.
func (v *View) fetchHistory() tea.Cmd {
	d := v.detail
	v.gen++
	d.hist = histState{gen: v.gen}
	fetch := v.env.AlertHistory
	if fetch == nil {
		d.hist.done, d.hist.note = true, "history needs Prometheus: none is configured for this context"
		return nil
	}
	d.hist.loading = true
	end := v.env.Now()
	start := end.Add(-historyWindow)
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	d.cancelHist = cancel
	gen, name := v.gen, d.alert.Name
	return func() tea.Msg {
		defer cancel()
		h, err := fetch(ctx, name, start, end)
		return historyMsg{gen: gen, h: h, err: err}
	}
}

// showRunbook turns the pane to the runbook, fetching it unless it is there already.
func (v *View) showRunbook() tea.Cmd {
	d := v.detail
	d.showBook = true
	d.pane.Reset()
	if d.book.done && d.book.err == nil && d.book.note == "" || d.book.loading {
		return nil
	}
	return v.fetchRunbook()
}

func (v *View) fetchRunbook() tea.Cmd {
	d := v.detail
	v.gen++
	d.book = bookState{gen: v.gen}
	url := strings.TrimSpace(d.alert.RunbookURL)
	fetch := v.env.Runbook
	switch {
	case url == "":
		d.book.done = true
		return nil
	case fetch == nil:
		d.book.done, d.book.note = true, "no runbook source: runbooks are read over HTTP or from the configured runbook root"
		return nil
	}
	d.book.loading = true
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	d.cancelBook = cancel
	gen := v.gen
	return func() tea.Msg {
		defer cancel()
		md, err := fetch(ctx, url)
		return runbookMsg{gen: gen, md: md, err: err}
	}
}

// Render draws the list, or the detail pane when one is open, in width×height.
func (v *View) Render(width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	if v.detail != nil {
		return v.renderDetail(width, height)
	}
	head := v.status(width)
	prompt := v.list.PromptLine(v.env.Styles, width)
	rest := height - pane.LineCount(head) - pane.LineCount(prompt)
	if rest <= 0 {
		return pane.FirstLines(pane.Join(head, prompt), height)
	}
	return pane.Join(head, prompt, v.list.Render(v.env.Styles, width, rest, v.emptyText()))
}

func (v *View) emptyText() string {
	switch {
	case !v.has:
		return "waiting for Alertmanager…"
	case v.snap.AlertsAt.IsZero() && v.snap.Err != nil:
		return "no data from Alertmanager yet: " + termtext.Line(firstLine(v.snap.Err.Error()))
	case v.route.Name != "":
		return "nothing is firing for " + termtext.Line(v.route.Name)
	}
	return "nothing is firing for the team"
}

// status is the line above the table: how many alerts, in which state, and whether the
// data is stale (its age and the error as Alertmanager worded it).
func (v *View) status(width int) string {
	s := v.env.Styles
	parts := []string{s.Primary.Render("alerts")}
	if v.route.Name != "" {
		parts[0] = s.Primary.Render("alerts of " + termtext.Line(v.route.Name))
	}
	shown, total := v.list.Len(), v.list.Total()
	count := fmt.Sprintf("%d", total)
	if shown != total {
		count = fmt.Sprintf("%d of %d", shown, total)
	}
	parts = append(parts, s.Muted.Render("["+count+"]"))
	if !v.has {
		parts = append(parts, s.Muted.Render("waiting for Alertmanager…"))
		return table.Fit(strings.Join(parts, " "), width)
	}
	c := countStates(v.alerts())
	firing := fmt.Sprintf("%d firing", c.active)
	switch {
	case c.active == 0:
		parts = append(parts, s.OK.Render(firing))
	default:
		parts = append(parts, s.Danger.Render(firing))
	}
	quiet := []string{fmt.Sprintf("%d silenced", c.silenced), fmt.Sprintf("%d inhibited", c.inhibited)}
	if c.muted > 0 {
		quiet = append(quiet, fmt.Sprintf("%d muted", c.muted))
	}
	parts = append(parts, s.Muted.Render("· "+strings.Join(quiet, " · ")))
	line := strings.Join(parts, " ")
	if m := v.staleMarker(); m != "" {
		// On the same line when it fits, else on a line of its own: the error matters.
		if ansi.StringWidth(line)+1+ansi.StringWidth(m) <= width {
			return table.Fit(line+" "+s.Stale.Render(m), width)
		}
		return table.Fit(line, width) + "\n" + table.Fit(s.Stale.Render(m), width)
	}
	return table.Fit(line, width)
}

// staleMarker is "STALE ⚠ last data 42s ago: <error>" while polls fail, "" otherwise.
func (v *View) staleMarker() string {
	if !v.has || (v.snap.Err == nil && !v.snap.Stale()) {
		return ""
	}
	msg := "unknown error"
	if v.snap.Err != nil {
		msg = termtext.Line(firstLine(v.snap.Err.Error()))
	}
	since := v.snap.AlertsAt
	if since.IsZero() {
		return "STALE ⚠ no data yet: " + msg
	}
	return "STALE ⚠ last data " + age(since, v.env.Now()) + " ago: " + msg
}
