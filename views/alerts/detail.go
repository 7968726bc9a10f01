package alerts

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/sources/alertmanager"
	"github.com/vigie-dev/vigie/sources/prom"
	"github.com/vigie-dev/vigie/views/pane"
	"github.com/vigie-dev/vigie/views/table"
)

const (
	historyWindow = 7 * 24 * time.Hour
	fetchTimeout  = 30 * time.Second
	maxIntervals  = 200 // history lines drawn at most
)

// Results of the detail pane's commands, tagged with the generation that asked.
type (
	historyMsg struct {
		gen uint64
		h   prom.AlertHistory
		err error
	}
	runbookMsg struct {
		gen uint64
		md  string
		err error
	}
)

// histState is the firing history of the detail's alert.
type histState struct {
	gen           uint64
	loading, done bool
	h             prom.AlertHistory
	err           error
	note          string // why there is no history to read ("" = there is)
}

// bookState is the detail's runbook; lines are its rendering at width.
type bookState struct {
	gen           uint64
	loading, done bool
	md            string
	err           error
	note          string // why there is no runbook to read ("" = there is)
	width         int
	lines         []string
}

// detail is the pane of one alert. It follows the alert through new snapshots and says
// so when Alertmanager no longer has it.
type detail struct {
	alert     alertmanager.Alert
	silences  []alertmanager.Silence // the silences of the alert the snapshot carries
	inhibitor []string               // names of the alerts that inhibit it
	gone      bool
	showBook  bool

	hist       histState
	book       bookState
	cancelHist context.CancelFunc
	cancelBook context.CancelFunc

	pane pane.Pane // scroll position
}

func newDetail(a alertmanager.Alert) *detail {
	return &detail{alert: a}
}

// cancel stops what the pane is fetching.
func (d *detail) cancel() {
	for _, c := range []context.CancelFunc{d.cancelHist, d.cancelBook} {
		if c != nil {
			c()
		}
	}
}

// follow takes the alert's latest state from a snapshot.
func (d *detail) follow(s alertmanager.Snapshot) {
	found := false
	for _, a := range s.Alerts {
		if a.Fingerprint == d.alert.Fingerprint && (a.Fingerprint != "" || maps.Equal(a.Labels, d.alert.Labels)) {
			d.alert, found = a, true
			break
		}
	}
	if s.Err == nil || found { // a failed poll keeps the old alerts: do not call it resolved
		d.gone = !found
	}
	d.silences = d.silences[:0]
	for _, id := range d.alert.SilencedBy {
		if si, ok := s.Silences[id]; ok {
			d.silences = append(d.silences, si)
		}
	}
	d.inhibitor = d.inhibitor[:0]
	for _, a := range s.Alerts {
		if slices.Contains(d.alert.InhibitedBy, a.Fingerprint) {
			d.inhibitor = append(d.inhibitor, a.Name+" ("+orDash(service(a))+")")
		}
	}
}

// kv is a field: its name in the key column, then its text.
func kv(k, text string, tone table.Tone) pane.Line {
	return pane.Line{Indent: keyWidth, Key: k, Text: text, Tone: tone}
}

const keyWidth = 13

// renderDetail draws the pane: a header line, then the details or the runbook, scrolled.
func (v *View) renderDetail(width, height int) string {
	d, s := v.detail, v.env.Styles
	a := d.alert
	name := orDash(a.Name)
	if svc := service(a); svc != "" {
		name += " · " + svc
	}
	head := s.Primary.Render(termtext.Line(name))
	head += "  " + table.ToneStyle(s, levelTone(a.Level())).Render(severityText(a))
	head += " " + s.Muted.Render("· "+stateText(a, v.snap.Silences))
	if d.gone {
		head += "  " + s.OK.Render("resolved: no longer in Alertmanager (last known state below)")
	}
	if m := v.staleMarker(); m != "" {
		head += "  " + s.Stale.Render(m)
	}
	var body []pane.Line
	if d.showBook {
		body = v.runbookLines(width)
	} else {
		body = v.detailLines()
	}
	return d.pane.Render(s, head, body, width, height)
}

// historyLines says how often the alert fired over the last 7 days, newest first.
func (v *View) historyLines() []pane.Line {
	d := v.detail
	out := []pane.Line{{}, pane.Title("History (Prometheus ALERTS, last 7 days)")}
	switch {
	case d.hist.loading:
		return append(out, pane.Indented("reading the firing history from Prometheus…", table.ToneMuted))
	case d.hist.note != "":
		return append(out, pane.Indented(d.hist.note, table.ToneMuted))
	case d.hist.err != nil:
		return append(out, pane.Indented("history: "+termtext.Line(firstLine(d.hist.err.Error())), table.ToneDanger))
	case !d.hist.done:
		return out
	}
	h := d.hist.h
	type firing struct {
		prom.Interval
		target string
	}
	var all []firing
	mine := 0
	for _, s := range h.Series {
		target := ""
		if matches(s, d.alert) {
			mine += len(s.Intervals)
		} else {
			target = orDash(serviceOf(s.Labels))
		}
		for _, i := range s.Intervals {
			all = append(all, firing{i, target})
		}
	}
	slices.SortStableFunc(all, func(a, b firing) int { return b.Start.Compare(a.Start) })
	if len(all) == 0 {
		return append(out, pane.Indented("did not fire in the last 7 days", table.ToneOK))
	}
	sum := "fired " + times(len(all)) + " in the last 7 days"
	if mine != len(all) {
		here := "these labels"
		if svc := service(d.alert); svc != "" {
			here = termtext.Line(svc)
		}
		sum += " (" + times(mine) + " for " + here + ", " + times(len(all)-mine) + " for other services)"
	}
	out = append(out, pane.Indented(sum, table.ToneNone))
	now, loc := v.env.Now(), v.loc()
	for i, f := range all {
		if i == maxIntervals {
			out = append(out, pane.Indented("… and "+itoa(len(all)-i)+" more", table.ToneMuted))
			break
		}
		start := f.Start.In(loc)
		end, dur := "ongoing", age(f.Start, now)
		if !f.Ongoing {
			end = f.End.In(loc).Format("2006-01-02 15:04")
			if sameDay(start, f.End.In(loc)) {
				end = f.End.In(loc).Format("15:04")
			}
			dur = age(f.Start, f.End)
			if f.Duration() == 0 && h.Step > 0 {
				dur = "<" + age(f.Start, f.Start.Add(h.Step))
			}
		}
		text := start.Format("2006-01-02 15:04") + " – " + pad(end, 16) + " " + padLeft(dur, 6)
		if f.target != "" {
			text += "  " + termtext.Line(f.target)
		}
		tone := table.ToneNone
		if f.Ongoing {
			tone = table.ToneWarning
		}
		out = append(out, pane.Indented(text, tone))
	}
	return out
}

// matches reports whether a history series is the detail's alert: every label they
// both carry agrees.
func matches(s prom.AlertSeries, a alertmanager.Alert) bool {
	for k, v := range s.Labels {
		if av, ok := a.Labels[k]; ok && av != v {
			return false
		}
	}
	return true
}

func serviceOf(labels map[string]string) string {
	return service(alertmanager.Alert{Labels: labels})
}

func times(n int) string {
	switch n {
	case 0:
		return "0 times"
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return itoa(n) + " times"
}

func sameDay(a, b time.Time) bool {
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}

func (v *View) loc() *time.Location {
	if v.env.Loc != nil {
		return v.env.Loc
	}
	return time.Local
}

// when is an absolute time in the user's zone with its age: "2026-11-26 02:18:00 UTC
// (42m ago)".
func (v *View) when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	now := v.env.Now()
	rel := age(t, now) + " ago"
	if t.After(now) {
		rel = "in " + age(now, t)
	}
	return t.In(v.loc()).Format("2006-01-02 15:04:05 MST") + " (" + rel + ")"
}

// runbookLines is the runbook pane: the URL, then the Markdown rendered to width, or why
// there is none.
func (v *View) runbookLines(width int) []pane.Line {
	d := v.detail
	url := strings.TrimSpace(d.alert.RunbookURL)
	out := []pane.Line{kv("Runbook", orDash(termtext.Line(url))+"  [b: back]", table.ToneInfo), {}}
	switch {
	case url == "":
		return append(out,
			pane.Line{Text: "this alert has no runbook_url", Tone: table.ToneWarning},
			pane.Line{Text: "An alert without a runbook is not actionable: add a runbook_url annotation to its rule.", Tone: table.ToneMuted})
	case d.book.loading:
		return append(out, pane.Line{Text: "fetching the runbook…", Tone: table.ToneMuted})
	case d.book.note != "":
		return append(out, pane.Line{Text: d.book.note, Tone: table.ToneMuted})
	case d.book.err != nil:
		return append(out, pane.Line{Text: "runbook: " + termtext.Line(firstLine(d.book.err.Error())), Tone: table.ToneDanger})
	case !d.book.done:
		return out
	case strings.TrimSpace(d.book.md) == "":
		return append(out, pane.Line{Text: "the runbook is empty", Tone: table.ToneWarning})
	}
	if d.book.lines == nil || d.book.width != width {
		d.book.lines, d.book.width = renderMarkdown(v.env.Styles, d.book.md, width), width
	}
	for _, l := range d.book.lines {
		out = append(out, pane.Line{Text: l, Styled: true})
	}
	return out
}
