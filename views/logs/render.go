package logs

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/sources"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views/chart"
	"github.com/vigie-dev/vigie/views/table"
)

// Render draws the status line, the prompt when open, and the lines (or the zoom).
func (v *View) Render(width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	s := v.env.Styles
	v.width = width
	out := []string{v.status(s, width)}
	if len(v.volume) > 0 && height > 6 {
		out = append(out, v.volumeLine(s, width))
	}
	if v.promptKind != 0 {
		v.prompt.SetWidth(max(1, width-2))
		out = append(out, table.Fit(v.prompt.View(), width))
	}
	h := height - len(out)
	v.height = h
	if h <= 0 {
		return strings.Join(out[:height], "\n")
	}
	if v.zoomed {
		out = append(out, v.renderZoom(s, width, h)...)
	} else {
		out = append(out, v.renderLines(s, width, h)...)
	}
	return strings.Join(out, "\n")
}

func (v *View) status(s *themes.Styles, w int) string {
	var parts []string // the title is in the breadcrumb above
	if v.env.LogsVia != "" {
		parts = append(parts, s.Muted.Render("via "+v.env.LogsVia))
	}
	switch {
	case v.route.Previous:
		parts = append(parts, s.Muted.Render("previous instances"))
	case !v.to.IsZero():
		parts = append(parts, s.Primary.Render("window "+v.from.In(v.loc()).Format("2006-01-02 15:04")+".."+v.to.In(v.loc()).Format("15:04")))
	case v.follow && v.live:
		parts = append(parts, s.OK.Render("● following"))
	case v.live:
		parts = append(parts, s.Warning.Render("‖ paused (f follows)"))
	case v.ended:
		parts = append(parts, s.Muted.Render("ended"))
	default:
		parts = append(parts, s.Muted.Render("◌ connecting"))
	}
	counts := fmt.Sprintf("%s received · %s shown · dropped: %s ring, %s server",
		count(v.ring.received), count(uint64(len(v.shown))), count(v.ring.evicted()), count(v.srvDrp))
	st := s.Muted
	if v.ring.evicted() > 0 || v.srvDrp > 0 {
		st = s.Warning
	}
	parts = append(parts, st.Render(counts))
	if v.filterText != "" {
		parts = append(parts, s.Primary.Render("&"+termtext.Line(v.filterText)))
	}
	if v.searchText != "" {
		parts = append(parts, s.Highlight.Render("/"+termtext.Line(v.searchText)))
	}
	if v.err != "" {
		parts = append(parts, s.Danger.Render("⚠ "+termtext.Line(v.err)))
	}
	if v.notice != "" {
		parts = append(parts, s.Muted.Render(termtext.Line(v.notice)))
	}
	return table.Fit(strings.Join(parts, "  "), w)
}

// count formats n with thousands separators.
func count(n uint64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// prefix is the time and pod columns of a record.
func (v *View) prefix(s *themes.Styles, r *sources.LogRecord) string {
	var b strings.Builder
	if v.stamps {
		if r.At.IsZero() {
			b.WriteString(strings.Repeat(" ", 12))
		} else {
			b.WriteString(r.At.In(v.env.Now().Location()).Format("15:04:05.000"))
		}
		b.WriteByte(' ')
	}
	if v.pods && r.Pod != "" {
		who := r.Pod
		if r.Container != "" {
			who += "/" + r.Container
		}
		b.WriteString(table.Fit(termtext.Line(who), 36))
		b.WriteByte(' ')
	}
	return b.String()
}

// rows turns one record into its screen rows (one, or several when wrapping).
func (v *View) rows(s *themes.Styles, r *sources.LogRecord, w int, selected bool) []string {
	pre := v.prefix(s, r)
	text := termtext.Line(r.Line)
	avail := max(1, w-ansi.StringWidth(pre))
	var chunks []string
	if v.wrap {
		chunks = strings.Split(ansi.Hardwrap(text, avail, true), "\n")
	} else {
		chunks = []string{ansi.Cut(text, v.left, v.left+avail)}
	}
	tone := DetectLevel(r.Line).Tone()
	out := make([]string, len(chunks))
	for i, c := range chunks {
		p := pre
		if i > 0 {
			p = strings.Repeat(" ", ansi.StringWidth(pre))
		}
		if selected {
			out[i] = s.SelectedRow.Render(table.Fit(p+c, w))
			continue
		}
		body := v.highlight(s, c, tone)
		out[i] = s.Muted.Render(p) + body + strings.Repeat(" ", max(0, avail-ansi.StringWidth(c)))
	}
	return out
}

// highlight draws the search matches of a chunk in the highlight style, the rest in the
// level's tone.
func (v *View) highlight(s *themes.Styles, c string, tone table.Tone) string {
	base := table.ToneStyle(s, tone)
	paint := func(x string) string {
		if tone == table.ToneNone || x == "" {
			return x
		}
		return base.Render(x)
	}
	if v.search == nil {
		return paint(c)
	}
	locs := v.search.FindAllStringIndex(c, -1)
	if len(locs) == 0 {
		return paint(c)
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		if l[1] == l[0] {
			continue
		}
		b.WriteString(paint(c[last:l[0]]))
		b.WriteString(s.Highlight.Render(c[l[0]:l[1]]))
		last = l[1]
	}
	b.WriteString(paint(c[last:]))
	return b.String()
}

// renderLines draws h rows ending with the cursor's line when following, else keeping
// the cursor in view.
func (v *View) renderLines(s *themes.Styles, w, h int) []string {
	if len(v.shown) == 0 {
		msg := "no lines yet"
		switch {
		case v.ring.received > 0:
			msg = "no line passes the filter &" + termtext.Line(v.filterText)
		case v.ended:
			msg = "no lines in this window"
		}
		return []string{s.Muted.Render(table.Fit(msg, w))}
	}
	v.cursor = max(0, min(v.cursor, len(v.shown)-1))
	if v.follow {
		v.cursor = len(v.shown) - 1
	}
	// Rows of a record, cached for this frame.
	rowsOf := func(i int) []string {
		r, ok := v.ring.get(v.shown[i])
		if !ok {
			return []string{""}
		}
		return v.rows(s, r, w, i == v.cursor)
	}
	if v.recenter {
		v.top, v.recenter = max(0, v.cursor-h/3), false
	}
	if v.cursor < v.top {
		v.top = v.cursor
	}
	// Make sure the cursor's rows fit below top: move top down while they do not.
	used := 0
	for i := v.cursor; i >= v.top; i-- {
		n := 1
		if v.wrap {
			n = len(rowsOf(i))
		}
		if used+n > h && i < v.cursor {
			v.top = i + 1
			break
		}
		used += n
	}
	var out []string
	for i := v.top; i < len(v.shown) && len(out) < h; i++ {
		out = append(out, rowsOf(i)...)
	}
	if len(out) > h {
		out = out[:h]
	}
	return out
}

// renderZoom pretty-prints the cursor's record.
func (v *View) renderZoom(s *themes.Styles, w, h int) []string {
	r, ok := v.current()
	if !ok {
		return []string{s.Muted.Render("no line to zoom")}
	}
	head := s.Primary.Render("zoom") + "  " + s.Muted.Render(strings.TrimSpace(v.prefix(s, r))+"  (z or esc closes, c copies)")
	out := []string{table.Fit(head, w)}
	zl, ok := Zoom(r.Line, 4)
	if !ok {
		for _, l := range strings.Split(ansi.Hardwrap(termtext.Line(r.Line), w, true), "\n") {
			out = append(out, l)
		}
		return clip(out, h)
	}
	keyW := 0
	for _, z := range zl {
		keyW = max(keyW, 2*z.Indent+ansi.StringWidth(z.Key))
	}
	keyW = min(keyW, w/3)
	for _, z := range zl {
		k := strings.Repeat("  ", z.Indent) + z.Key
		val := z.Value
		st := table.ToneStyle(s, z.Tone)
		line := s.HelpKey.Render(table.Fit(k, keyW)) + "  " + st.Render(val)
		for _, l := range strings.Split(ansi.Hardwrap(line, w, true), "\n") {
			out = append(out, l)
		}
	}
	return clip(out, h)
}

func clip(lines []string, h int) []string {
	if len(lines) > h {
		return lines[:h]
	}
	return lines
}

// volumeLine draws the lines per step over the window, buckets with errors in the
// danger colour.
func (v *View) volumeLine(s *themes.Styles, w int) string {
	label := "volume "
	total, errs := 0.0, 0.0
	for _, bk := range v.volume {
		total, errs = total+bk.Lines, errs+bk.Errors
	}
	suffix := fmt.Sprintf(" %s lines", count(uint64(total)))
	errText := ""
	if errs > 0 {
		errText = fmt.Sprintf(", %s errors", count(uint64(errs)))
	}
	cells := max(1, min(len(v.volume), w-len(label)-len(suffix)-len(errText)))
	lines := make([]float64, len(v.volume))
	for i, b := range v.volume {
		lines[i] = b.Lines
	}
	spark := []rune(chart.Sparkline(lines, cells))
	var b strings.Builder
	b.WriteString(s.Muted.Render(label))
	n := len(v.volume)
	for i, r := range spark {
		from, to := i*n/len(spark), max(i*n/len(spark)+1, (i+1)*n/len(spark))
		errs := 0.0
		for _, bk := range v.volume[min(from, n):min(to, n)] {
			errs += bk.Errors
		}
		st := s.Info
		if errs > 0 {
			st = s.Danger
		}
		if v.bucket >= from && v.bucket < to {
			st = st.Reverse(true) // the selected bucket
		}
		b.WriteString(st.Render(string(r)))
	}
	b.WriteString(s.Muted.Render(suffix))
	if errText != "" {
		b.WriteString(s.Danger.Render(errText))
	}
	return table.Fit(b.String(), w)
}
