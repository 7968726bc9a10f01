// Package audit is the audit screen: the actions of the caller's teams as the platform
// API (`vigie serve`) recorded them — who, what, on which target, why, with which outcome
// and when — newest first, filterable, with a detail pane of every field of a record.
// The log is read in commands tagged with a generation (results of a load the view left
// are dropped) and refreshed while the screen is active; a failed refresh keeps the last
// records on screen, marked stale.
package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/pane"
	"github.com/vigie-dev/vigie/views/table"
)

const (
	maxPages     = 4 // pages read by a full load (the server's 50 each: 200 records)
	maxRecords   = 200
	refreshTicks = 15 // ticks (seconds) between refreshes while the screen is active
	fetchTimeout = 30 * time.Second
)

// NoAPI is what the screen says when no platform API is configured.
const NoAPI = "no platform API configured for this context: actions and their audit go through `vigie serve`"

// pageMsg is one page of the audit log, tagged with the load that asked for it.
type pageMsg struct {
	gen  uint64
	page int // 1 = the newest
	resp api.AuditResponse
	err  error
}

var (
	_ views.View      = (*View)(nil)
	_ views.Lifecycle = (*View)(nil)
)

// View is the audit screen.
type View struct {
	env   views.Env
	route views.Route
	list  table.List

	records []api.AuditRecord // newest first (by seq)
	byID    map[string]api.AuditRecord
	more    bool   // the server holds older records than those loaded
	day     string // the local day the rows' times were written for

	// The running load. gen numbers the loads; a page of another generation is dropped.
	gen         uint64
	loading     bool
	full        bool // the next load reads maxPages pages and replaces the records
	progressive bool // the running load shows each page as it comes (nothing was shown yet)
	pending     []api.AuditRecord
	ctx         context.Context
	cancel      context.CancelFunc
	active      bool
	ticks       int // ticks since the last load started

	at      time.Time // when a load last succeeded (zero: never)
	err     error     // why the last load failed (nil: it did not)
	partial bool      // err is about older pages only: the newest records are fresh

	detail *detail
}

// New returns the audit screen of a route; the route's Filter is the first filter.
func New(env views.Env, r views.Route) *View {
	v := &View{env: env, route: r, list: table.NewList(columns(), colTime), full: true}
	if r.Filter != "" {
		v.list.SetFilter(r.Filter)
	}
	return v
}

// Route returns the route that opened the view.
func (v *View) Route() views.Route { return v.route }

// Capturing reports whether the filter prompt has the keyboard.
func (v *View) Capturing() bool { return v.detail == nil && v.list.Editing() }

// Title is the breadcrumb: "audit", or "audit · #1234" with a record open.
func (v *View) Title() string {
	if v.detail != nil {
		return fmt.Sprintf("audit · #%d", v.detail.rec.Seq)
	}
	return "audit"
}

// Help is the list help with enter opening a record's details.
func (v *View) Help() keymaps.Screen {
	k := v.env.Keys
	h := k.ListHelp()
	open := k.Workloads.Open
	if !open.Enabled() {
		return h
	}
	open.SetHelp(open.Help().Key, "details")
	h.Short = append([]key.Binding{open}, h.Short...)
	h.Groups = append([]keymaps.Group{{Title: keymaps.TitleActions, Bindings: []key.Binding{open}}}, h.Groups...)
	return h
}

// Escape closes the details, then clears the filter.
func (v *View) Escape() (views.View, bool) {
	if v.detail != nil {
		v.detail = nil
		return v, true
	}
	return v, v.list.ClearFilter()
}

// Enter reads the newest records: up to maxPages pages the first time, else until the
// pages meet the records already shown.
func (v *View) Enter() tea.Cmd {
	v.active = true
	return v.load()
}

// Leave cancels the running load; its late pages are dropped and Enter reads again.
func (v *View) Leave() {
	v.active = false
	if v.loading && v.progressive {
		v.full = true // the older pages of the first load are still missing
	}
	v.stop()
}

// stop cancels the running load and retires its generation.
func (v *View) stop() {
	if v.cancel != nil {
		v.cancel()
	}
	v.ctx, v.cancel = nil, nil
	v.loading, v.pending = false, nil
	v.gen++
}

// load starts reading the audit log from its newest record.
func (v *View) load() tea.Cmd {
	v.stop()
	v.ticks = 0
	if v.env.Audit == nil {
		return nil
	}
	v.loading = true
	v.progressive = len(v.records) == 0
	v.ctx, v.cancel = context.WithTimeout(context.Background(), fetchTimeout)
	return v.fetch(0, 1)
}

// fetch reads the page of records before seq before (0 = the newest).
func (v *View) fetch(before int64, page int) tea.Cmd {
	fetch, ctx, gen := v.env.Audit, v.ctx, v.gen
	return func() tea.Msg {
		resp, err := fetch(ctx, "", before)
		if err != nil {
			err = fmt.Errorf("audit log: %w", err)
		}
		return pageMsg{gen: gen, page: page, resp: resp, err: err}
	}
}

// onPage takes a page of the running load and asks for the next one when needed.
func (v *View) onPage(msg pageMsg) tea.Cmd {
	if msg.gen != v.gen || !v.loading {
		return nil // a load the view left or replaced
	}
	if msg.err != nil {
		v.fail(msg.err, msg.page)
		return nil
	}
	recs := msg.resp.Records
	v.pending = append(v.pending, recs...)
	more := msg.resp.Next > 0 && len(recs) > 0
	// A refresh stops where it meets the records on screen.
	meets := !v.full && !v.progressive && len(v.records) > 0 && len(recs) > 0 && recs[len(recs)-1].Seq <= v.records[0].Seq
	if more && !meets && msg.page < maxPages {
		if v.progressive {
			v.show(slices.Clone(v.pending), true)
		}
		return v.fetch(msg.resp.Next, msg.page+1)
	}
	if meets {
		v.show(merge(v.pending, v.records), v.more)
	} else {
		v.show(v.pending, more)
		v.full = false
	}
	v.done(nil, false)
	return nil
}

// fail ends the running load with err. The records on screen stay; a first load that
// failed on an older page keeps the newer pages it read.
func (v *View) fail(err error, page int) {
	partial := v.progressive && page > 1
	if partial {
		v.show(v.pending, true)
	}
	v.done(err, partial)
}

func (v *View) done(err error, partial bool) {
	now := v.env.Now()
	if err == nil || partial {
		v.at = now
	}
	v.err, v.partial = err, partial
	if v.cancel != nil {
		v.cancel()
	}
	v.ctx, v.cancel, v.loading, v.pending = nil, nil, false, nil
}

// show puts records (newest first) on screen.
func (v *View) show(records []api.AuditRecord, more bool) {
	slices.SortStableFunc(records, func(a, b api.AuditRecord) int { return compareInt(b.Seq, a.Seq) })
	if keep := max(maxRecords, len(v.records)); len(records) > keep {
		records, more = records[:keep], true
	}
	v.records, v.more = records, more
	v.rebuild()
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// merge joins newer records with those on screen; a record already there is kept once.
func merge(newer, held []api.AuditRecord) []api.AuditRecord {
	out := make([]api.AuditRecord, 0, len(newer)+len(held))
	seen := make(map[string]bool, len(newer)+len(held))
	for _, list := range [][]api.AuditRecord{newer, held} {
		for _, r := range list {
			if id := recordID(r); !seen[id] {
				seen[id] = true
				out = append(out, r)
			}
		}
	}
	return out
}

func (v *View) loc() *time.Location {
	if v.env.Loc != nil {
		return v.env.Loc
	}
	return time.Local
}

func (v *View) rebuild() {
	now := v.env.Now()
	v.day = now.In(v.loc()).Format(time.DateOnly)
	rows, byID := rows(v.records, now, v.loc())
	v.byID = byID
	v.list.SetRows(rows)
}

// Update handles the pages, the clock and the keys.
func (v *View) Update(msg tea.Msg) (views.View, tea.Cmd) {
	switch msg := msg.(type) {
	case pageMsg:
		return v, v.onPage(msg)
	case views.Tick:
		if v.env.Now().In(v.loc()).Format(time.DateOnly) != v.day && len(v.records) > 0 {
			v.rebuild() // yesterday's times now carry their date
		}
		if v.active && v.env.Audit != nil {
			v.ticks++
			if v.ticks >= refreshTicks && !v.loading {
				return v, v.load()
			}
		}
	case tea.MouseWheelMsg:
		if v.detail != nil {
			v.detail.pane.Wheel(msg)
		} else {
			v.list.HandleMouse(msg)
		}
	case tea.KeyPressMsg:
		return v, v.key(msg)
	}
	return v, nil
}

func (v *View) key(msg tea.KeyPressMsg) tea.Cmd {
	k := v.env.Keys
	if v.detail != nil {
		if v.detail.pane.ScrollKey(msg, k.Table) {
			return nil
		}
	} else if ok, cmd := v.list.HandleKey(msg, k.Table); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, k.Global.Refresh):
		return v.load()
	case v.detail == nil && key.Matches(msg, k.Workloads.Open):
		if r, ok := v.list.Selected(); ok {
			if rec, ok := v.byID[r.ID]; ok {
				v.detail = &detail{rec: rec}
			}
		}
	}
	return nil
}

// Render draws the list, or the detail pane when one is open, in width×height.
func (v *View) Render(width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	if v.detail != nil {
		return v.renderDetail(width, height)
	}
	s := v.env.Styles
	head := v.status(width)
	if v.env.Audit == nil {
		var body []string
		for _, l := range pane.Wrap(NoAPI, width) {
			body = append(body, s.Muted.Render(table.Fit(l, width)))
		}
		return pane.FirstLines(pane.Join(head, strings.Join(body, "\n")), height)
	}
	prompt := v.list.PromptLine(s, width)
	rest := height - pane.LineCount(head) - pane.LineCount(prompt)
	if rest <= 0 {
		return pane.FirstLines(pane.Join(head, prompt), height)
	}
	return pane.Join(head, prompt, v.list.Render(s, width, rest, v.emptyText()))
}

func (v *View) emptyText() string {
	switch {
	case v.at.IsZero() && v.err != nil:
		return "no audit records: " + errText(v.err)
	case v.at.IsZero():
		return "loading the audit log…"
	}
	return "no action of your teams is recorded yet"
}

// status is the line above the table: how many records, and whether they are live, still
// loading, or stale after a failed refresh (with the server's error).
func (v *View) status(width int) string {
	s := v.env.Styles
	shown, total := v.list.Len(), v.list.Total()
	count := fmt.Sprintf("%d", total)
	if v.more {
		count += "+"
	}
	if shown != total {
		count = fmt.Sprintf("%d of %s", shown, count)
	}
	parts := []string{s.Primary.Render("audit"), s.Muted.Render("[" + count + "]")}
	p := pane.Polled{API: v.env.Audit != nil, At: v.at, Err: v.err}
	if v.partial {
		p.Err = nil // the newest records came: only older pages failed (said below)
	}
	state, stale := p.State(s, v.env.Now())
	if state != "" {
		parts = append(parts, state)
	}
	if v.partial && v.err != nil && !v.at.IsZero() {
		parts = append(parts, s.Warning.Render("older records not loaded: "+errText(v.err)))
	}
	return pane.StatusLine(strings.Join(parts, " "), stale, width)
}

// errText is the first line of an error, made safe to draw.
func errText(err error) string { return pane.ErrText(err) }
