package alerts

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/sources/alertmanager"
	"github.com/vigie-dev/vigie/sources/prom"
	"github.com/vigie-dev/vigie/themes"
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

	top, height int
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

func (d *detail) scroll(n int) {
	d.top = max(0, d.top+n)
}

func (d *detail) wheel(msg tea.MouseWheelMsg) {
	switch msg.Button {
	case tea.MouseWheelUp:
		d.scroll(-3)
	case tea.MouseWheelDown:
		d.scroll(3)
	}
}

// scrollKey scrolls the pane with the table's navigation keys; it reports whether it did.
func (d *detail) scrollKey(msg tea.KeyPressMsg, t keymaps.TableKeyMap) bool {
	page := max(1, d.height)
	switch {
	case key.Matches(msg, t.Up):
		d.scroll(-1)
	case key.Matches(msg, t.Down):
		d.scroll(1)
	case key.Matches(msg, t.Top):
		d.top = 0
	case key.Matches(msg, t.Bottom):
		d.top = 1 << 30 // clamped at render
	case key.Matches(msg, t.PageUp):
		d.scroll(-page)
	case key.Matches(msg, t.PageDown):
		d.scroll(page)
	case key.Matches(msg, t.HalfPageUp):
		d.scroll(-page / 2)
	case key.Matches(msg, t.HalfPageDown):
		d.scroll(page / 2)
	default:
		return false
	}
	return true
}

// line is one logical line of the pane: a muted key column (or an indent) and a text
// wrapped at render time, or a styled line already cut to the width (the runbook).
type line struct {
	indent int    // width of the key column, or of the indent
	key    string // the field's name, drawn muted in the key column
	text   string
	tone   table.Tone
	title  bool // a section title
	styled bool
}

func kv(k, text string, tone table.Tone) line {
	return line{indent: keyWidth, key: k, text: text, tone: tone}
}

func indented(text string, tone table.Tone) line { return line{indent: 2, text: text, tone: tone} }

func title(text string) line { return line{text: text, title: true} }

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
	var body []line
	if d.showBook {
		body = v.runbookLines(width)
	} else {
		body = v.detailLines()
	}
	rows := layout(body, width)
	d.height = max(0, height-1)
	d.top = max(0, min(d.top, len(rows)-max(1, d.height)))
	var b strings.Builder
	b.WriteString(table.Fit(head, width))
	end := min(len(rows), d.top+d.height)
	for _, r := range rows[d.top:end] {
		b.WriteByte('\n')
		b.WriteString(r.draw(s, width))
	}
	return b.String()
}

// row is one screen line of the pane, styled only when drawn.
type row struct {
	key  string // the key column, padded (muted)
	text string
	tone table.Tone
	kind byte // 0 text, 't' section title, 's' already styled
}

func (r row) draw(st *themes.Styles, width int) string {
	switch r.kind {
	case 's':
		return r.text + strings.Repeat(" ", max(0, width-ansi.StringWidth(r.text)))
	case 't':
		return st.Primary.Render(table.Fit(r.text, width))
	}
	kw := ansi.StringWidth(r.key)
	key := r.key
	if strings.TrimSpace(key) != "" {
		key = st.Muted.Render(key)
	}
	text := table.Fit(r.text, width-kw)
	if r.tone != table.ToneNone {
		text = table.ToneStyle(st, r.tone).Render(text)
	}
	return key + text
}

// layout wraps the logical lines to width.
func layout(lines []line, width int) []row {
	var out []row
	for _, l := range lines {
		switch {
		case l.styled:
			out = append(out, row{text: l.text, kind: 's'})
			continue
		case l.title:
			out = append(out, row{text: l.text, kind: 't'})
			continue
		}
		kw := l.indent
		if width-kw < 12 { // too narrow for a key column: the key on a line of its own
			if l.key != "" {
				out = append(out, row{key: table.Fit(l.key, width)})
			}
			kw = 0
		}
		for i, p := range wrap(l.text, width-kw) {
			k := strings.Repeat(" ", kw)
			if i == 0 && kw > 0 {
				k = pad(l.key, kw)
			}
			out = append(out, row{key: k, text: p, tone: l.tone})
		}
	}
	return out
}

// historyLines says how often the alert fired over the last 7 days, newest first.
func (v *View) historyLines() []line {
	d := v.detail
	out := []line{{}, title("History (Prometheus ALERTS, last 7 days)")}
	switch {
	case d.hist.loading:
		return append(out, indented("reading the firing history from Prometheus…", table.ToneMuted))
	case d.hist.note != "":
		return append(out, indented(d.hist.note, table.ToneMuted))
	case d.hist.err != nil:
		return append(out, indented("history: "+termtext.Line(firstLine(d.hist.err.Error())), table.ToneDanger))
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
		return append(out, indented("did not fire in the last 7 days", table.ToneOK))
	}
	sum := "fired " + times(len(all)) + " in the last 7 days"
	if mine != len(all) {
		here := "these labels"
		if svc := service(d.alert); svc != "" {
			here = termtext.Line(svc)
		}
		sum += " (" + times(mine) + " for " + here + ", " + times(len(all)-mine) + " for other services)"
	}
	out = append(out, indented(sum, table.ToneNone))
	now, loc := v.env.Now(), v.loc()
	for i, f := range all {
		if i == maxIntervals {
			out = append(out, indented("… and "+itoa(len(all)-i)+" more", table.ToneMuted))
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
		out = append(out, indented(text, tone))
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
func (v *View) runbookLines(width int) []line {
	d := v.detail
	url := strings.TrimSpace(d.alert.RunbookURL)
	out := []line{kv("Runbook", orDash(termtext.Line(url))+"  [b: back]", table.ToneInfo), {}}
	switch {
	case url == "":
		return append(out,
			line{text: "this alert has no runbook_url", tone: table.ToneWarning},
			line{text: "An alert without a runbook is not actionable: add a runbook_url annotation to its rule.", tone: table.ToneMuted})
	case d.book.loading:
		return append(out, line{text: "fetching the runbook…", tone: table.ToneMuted})
	case d.book.note != "":
		return append(out, line{text: d.book.note, tone: table.ToneMuted})
	case d.book.err != nil:
		return append(out, line{text: "runbook: " + termtext.Line(firstLine(d.book.err.Error())), tone: table.ToneDanger})
	case !d.book.done:
		return out
	case strings.TrimSpace(d.book.md) == "":
		return append(out, line{text: "the runbook is empty", tone: table.ToneWarning})
	}
	if d.book.lines == nil || d.book.width != width {
		d.book.lines, d.book.width = renderMarkdown(v.env.Styles, d.book.md, width), width
	}
	for _, l := range d.book.lines {
		out = append(out, line{text: l, styled: true})
	}
	return out
}
