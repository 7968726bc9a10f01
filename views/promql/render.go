package promql

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views/chart"
	"github.com/vigie-dev/vigie/views/table"
	"github.com/vigie-dev/vigie/views/timewin"
	"github.com/vigie-dev/vigie/views/workloads"
)

// maxErrorLines bounds the lines of a server's error drawn under the input.
const maxErrorLines = 3

// Render draws the query input, the choices or the error, the status line, and the
// chart or the table, in width×height.
func (v *View) Render(width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	v.width = width
	s := v.env.Styles
	lines := []string{v.inputLine(s, width)}
	if v.editWin {
		line := v.window.View()
		if v.windowErr != "" {
			line += "  " + s.FlashError.Render(termtext.Line(v.windowErr))
		}
		lines = append(lines, table.Fit(line, width))
	}
	if v.comp != nil {
		lines = append(lines, v.choicesLine(s, width))
	} else if col, ok := v.caretCol(width); ok {
		lines = append(lines, table.Fit(strings.Repeat(" ", col)+s.Danger.Render("^"), width))
	}
	if v.err != nil {
		lines = append(lines, v.errorLines(s, width)...)
	}
	lines = append(lines, v.statusLine(s, width))
	if len(lines) >= height {
		return strings.Join(lines[:height], "\n")
	}
	if body := v.body(s, width, height-len(lines)); body != "" {
		lines = append(lines, body)
	}
	return strings.Join(lines, "\n")
}

// inputLine draws the prompt and the query, scrolled so that the cursor stays in view
// while the input has the keyboard (from its start otherwise); "…" marks a cut edge.
func (v *View) inputLine(s *themes.Styles, width int) string {
	pw := ansi.StringWidth(prompt)
	avail := width - pw
	if avail <= 0 {
		return table.Fit(s.Primary.Render(prompt), width)
	}
	body := v.input.View()
	bw := ansi.StringWidth(body)
	if !v.input.Focused() {
		v.scroll = 0
	} else {
		runes := []rune(v.input.Value())
		cur := ansi.StringWidth(string(runes[:min(v.input.Position(), len(runes))]))
		if cur < v.scroll+1 { // a cell of margin: the cursor never sits under a "…"
			v.scroll = cur - 1
		}
		if cur > v.scroll+avail-2 {
			v.scroll = cur - avail + 2
		}
		v.scroll = max(0, min(v.scroll, bw-avail))
	}
	if bw > avail || v.scroll > 0 {
		left, right := v.scroll, v.scroll+avail
		cut := ansi.Cut(body, left, right)
		if avail >= 3 {
			if left > 0 {
				cut = s.Muted.Render("…") + ansi.Cut(body, left+1, right)
			}
			if bw > right {
				cut = ansi.Cut(cut, 0, avail-1) + s.Muted.Render("…")
			}
		}
		body = cut
	}
	return table.Fit(s.Primary.Render(prompt)+body, width)
}

// caretCol is the screen column under the parse error's position, when the input still
// holds the query that failed.
func (v *View) caretCol(width int) (int, bool) {
	if v.err == nil || v.errPos < 0 || v.input.Value() != v.errQ {
		return 0, false
	}
	pw := ansi.StringWidth(prompt)
	col := pw + ansi.StringWidth(v.errQ[:v.errPos]) - v.scroll
	return min(max(col, min(pw, width-1)), width-1), true
}

// errorLines are the server's words, sanitised and wrapped, at most maxErrorLines.
func (v *View) errorLines(s *themes.Styles, width int) []string {
	msg := termtext.Sanitize(v.err.Error(), true)
	var out []string
	for _, para := range strings.Split(msg, "\n") {
		out = append(out, strings.Split(ansi.Wrap("⚠ "+para, width, " "), "\n")...)
	}
	if len(out) > maxErrorLines {
		out = out[:maxErrorLines]
		out[maxErrorLines-1] = ansi.Truncate(out[maxErrorLines-1], max(0, width-1), "") + "…"
	}
	for i, l := range out {
		out[i] = table.Fit(s.Danger.Render(l), width)
	}
	return out
}

// choicesLine draws the completion: the choices on one line, the inserted one
// highlighted and in view, or why there are none.
func (v *View) choicesLine(s *themes.Styles, width int) string {
	c := v.comp
	switch {
	case c.loading:
		return table.Fit(s.Muted.Render("completing "+c.ctx.Kind.String()+"…"), width)
	case c.err != "":
		return table.Fit(s.Warning.Render(termtext.Line(c.err)), width)
	}
	count := fmt.Sprintf(" (%d)", len(c.items))
	if c.idx >= 0 {
		count = fmt.Sprintf(" (%d/%d)", c.idx+1, len(c.items))
	}
	avail := width - ansi.StringWidth(count)
	names := make([]string, len(c.items))
	for i, it := range c.items {
		names[i] = termtext.Line(it)
		if c.ctx.Kind == KindLabelValue {
			names[i] = termtext.Line(QuoteValue(it))
		}
	}
	// The first choice drawn: enough before the current one for it to fit.
	first := 0
	if c.idx > 0 {
		w := 0
		for first = c.idx; first > 0; first-- {
			w += ansi.StringWidth(names[first]) + 2
			if w+ansi.StringWidth(names[first-1])+2 > avail {
				break
			}
		}
	}
	var b strings.Builder
	used := 0
	for i := first; i < len(names); i++ {
		n := names[i]
		if used > 0 {
			if used+2+ansi.StringWidth(n) > avail {
				break
			}
			b.WriteString("  ")
			used += 2
		}
		if i == c.idx {
			b.WriteString(s.SelectedRow.Render(n))
		} else {
			b.WriteString(s.Text.Render(n))
		}
		used += ansi.StringWidth(n)
	}
	return table.Fit(b.String()+s.Muted.Render(count), width)
}

// statusLine says what is drawn: the window and step of a chart or the instant of a
// table, the series count, stale data and its age, no data, a query running.
func (v *View) statusLine(s *themes.Styles, width int) string {
	loc := v.loc()
	var parts []string
	r := v.res
	switch {
	case r == nil && v.loading:
		parts = append(parts, s.Muted.Render("running…"))
	case r == nil:
		parts = append(parts, s.Muted.Render(v.windowText(loc)+" · enter runs · tab completes · esc leaves the input"))
	case r.instant:
		parts = append(parts, "instant at "+r.instTime.In(loc).Format("2006-01-02 15:04:05"), plural(r.total, r.kind))
	default:
		parts = append(parts, v.windowText(loc), s.Muted.Render("step "+timewin.Span(r.step)), plural(r.total, r.kind))
		if r.more > 0 {
			parts = append(parts, s.Muted.Render(fmt.Sprintf("top %d charted", len(r.series))))
		}
		if v.cursorStep >= 0 {
			parts = append(parts, s.Highlight.Render("cursor "+v.cursorAt().In(loc).Format("15:04:05")))
		}
	}
	if r != nil {
		if r.nodata {
			parts = append(parts, s.Warning.Render("no data"))
		}
		if v.loading {
			parts = append(parts, s.Muted.Render("running…"))
		}
		if v.err != nil {
			parts = append(parts, s.Stale.Render("STALE ⚠ from "+workloads.Age(r.at, v.env.Now())+" ago"))
		}
		if r.query != v.input.Value() {
			parts = append(parts, s.Muted.Render("result of "+termtext.Line(r.query)))
		}
	}
	return table.Fit(strings.Join(parts, "  "), width)
}

func plural(n int, kind string) string {
	switch kind {
	case "scalar", "string":
		return kind
	case "vector":
		if n == 1 {
			return "1 sample"
		}
		return fmt.Sprintf("%d samples", n)
	}
	if n == 1 {
		return "1 series"
	}
	return fmt.Sprintf("%d series", n)
}

// windowText is the window: "last 1h", or its bounds.
func (v *View) windowText(loc *time.Location) string {
	if v.live {
		return "last " + timewin.Span(timewin.Presets()[v.preset])
	}
	return v.from.In(loc).Format("2006-01-02 15:04") + " .. " + v.to.In(loc).Format("2006-01-02 15:04")
}

func (v *View) cursorAt() time.Time {
	if v.res == nil || v.cursorStep < 0 {
		return time.Time{}
	}
	return v.res.to.Add(-time.Duration(v.cursorStep) * v.res.step)
}

// body is the chart or the table in width×h.
func (v *View) body(s *themes.Styles, width, h int) string {
	r := v.res
	if r == nil || h <= 0 {
		return ""
	}
	if r.instant {
		var lines []string
		if r.common != "" {
			lines = append(lines, table.Fit(s.Muted.Render("all: ")+s.Primary.Render(r.common), width))
			h--
		}
		if h > 0 {
			lines = append(lines, v.list.Render(s, width, h, "no data"))
		}
		return strings.Join(lines, "\n")
	}
	return v.chartBlock(s, width, h)
}

// chartBlock draws the chart with a legend of as many lines as its series need (up to
// a quarter of the height) in place of the chart's one-line legend.
func (v *View) chartBlock(s *themes.Styles, width, h int) string {
	r := v.res
	title := r.common
	if title == "" {
		title = termtext.Line(r.query)
	}
	c := chart.Chart{Title: title, Series: r.series, From: r.from, To: r.to, Cursor: v.cursorAt(), Loc: v.loc()}
	legend := v.legend(s, width, max(1, h/4))
	chartH := h - len(legend) + 1 // the chart's own legend line is replaced
	if chartH < 4 {
		return fitBlock(c.Render(s, width, h), width)
	}
	lines := strings.Split(c.Render(s, width, chartH), "\n")
	if len(lines) == chartH {
		lines = lines[:chartH-1]
	}
	return fitBlock(strings.Join(append(lines, legend...), "\n"), width)
}

// fitBlock makes every line of a block exactly width cells.
func fitBlock(b string, width int) string {
	ls := strings.Split(b, "\n")
	for i, l := range ls {
		ls[i] = table.Fit(l, width)
	}
	return strings.Join(ls, "\n")
}

// legendStyles are the series colours in the chart's order (views/chart seriesStyles;
// a test holds the two together).
func legendStyles(s *themes.Styles) []lipgloss.Style {
	return []lipgloss.Style{s.Primary.UnsetBold(), s.Info, s.Warning, s.OK, s.Danger, s.Text}
}

// legend names the charted series in columns, with their values at the cursor, and
// counts those left out; at most maxRows lines.
func (v *View) legend(s *themes.Styles, width, maxRows int) []string {
	r := v.res
	styles := legendStyles(s)
	cursor := v.cursorAt()
	items := make([]string, 0, len(r.series)+1)
	for i, se := range r.series {
		item := styles[i%len(styles)].Render("━ ") + se.Name
		if !cursor.IsZero() {
			item += " " + s.Primary.Render(chart.Format(chart.ValueAt(se.Points, cursor), chart.UnitNone))
		}
		items = append(items, item)
	}
	if r.more > 0 {
		items = append(items, s.Muted.Render(fmt.Sprintf("+%d more", r.more)))
	}
	if len(items) == 0 {
		return []string{""}
	}
	colW := 0
	for _, it := range items {
		colW = max(colW, ansi.StringWidth(it)+3)
	}
	cols := max(1, min(len(items), width/max(1, colW)))
	rows := (len(items) + cols - 1) / cols
	if rows > maxRows { // the last cell counts what does not fit
		shown := maxRows*cols - 1
		left := len(r.series) - shown + r.more
		items = append(items[:shown:shown], s.Muted.Render(fmt.Sprintf("+%d more", left)))
		rows = maxRows
	}
	out := make([]string, rows)
	for row := range rows {
		var b strings.Builder
		for col := range cols {
			i := row*cols + col
			if i >= len(items) {
				break
			}
			if cols > 1 && col < cols-1 {
				b.WriteString(table.Fit(items[i], colW))
			} else {
				b.WriteString(items[i])
			}
		}
		out[row] = table.Fit(b.String(), width)
	}
	return out
}
