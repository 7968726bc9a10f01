package table

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/themes"
)

const gap = 2 // spaces between columns

// ToneStyle returns the style of tone t in s.
func ToneStyle(s *themes.Styles, t Tone) lipgloss.Style {
	switch t {
	case ToneMuted:
		return s.Muted
	case ToneInfo:
		return s.Info
	case ToneOK:
		return s.OK
	case ToneWarning:
		return s.Warning
	case ToneDanger:
		return s.Danger
	}
	return s.Cell
}

// layout returns the width of each column for a screen width; 0 means dropped.
func (m Model) layout(width int) []int {
	ws := make([]int, len(m.cols))
	for i, c := range m.cols {
		if c.HideSame && m.same[i] {
			continue // every row says the same: nothing to read there
		}
		w := max(m.natural[i], c.Min)
		if c.Max > 0 {
			w = min(w, c.Max)
		}
		ws[i] = w
	}
	total := func() int {
		t, n := 0, 0
		for _, w := range ws {
			if w > 0 {
				t += w
				n++
			}
		}
		return t + gap*max(0, n-1)
	}
	// First the optional flex columns give width down to their minimum, then optional
	// columns are dropped (lowest priority first), and only then do the essential flex
	// columns (names, messages) get cut.
	shrink := func(essential bool) bool {
		over := total() - width
		widest := -1
		for i, c := range m.cols {
			if c.Flex && (c.Priority == 0) == essential && ws[i] > max(c.Min, 1) && (widest < 0 || ws[i] > ws[widest]) {
				widest = i
			}
		}
		if over <= 0 || widest < 0 {
			return false
		}
		ws[widest] -= min(over, ws[widest]-max(m.cols[widest].Min, 1))
		return true
	}
	for shrink(false) {
	}
	for over := total() - width; over > 0; over = total() - width {
		drop := -1
		for i, c := range m.cols {
			if ws[i] > 0 && c.Priority > 0 && (drop < 0 || c.Priority < m.cols[drop].Priority) {
				drop = i
			}
		}
		if drop < 0 {
			break
		}
		ws[drop] = 0
	}
	for shrink(true) {
	}
	// Still too wide: cut the rightmost columns at the screen's edge.
	for over := total() - width; over > 0; over = total() - width {
		last := -1
		for i := range ws {
			if ws[i] > 0 {
				last = i
			}
		}
		if last < 0 {
			break
		}
		ws[last] = max(0, ws[last]-over)
	}
	// Give what is left to the flex columns that were cut.
	if extra := width - total(); extra > 0 {
		for i, c := range m.cols {
			if c.Flex && ws[i] > 0 && ws[i] < m.natural[i] && (c.Max == 0 || ws[i] < c.Max) {
				add := min(extra, m.natural[i]-ws[i])
				ws[i] += add
				extra -= add
			}
		}
	}
	return ws
}

// Render draws the header and the visible rows in width×height. empty is shown when the
// table has no rows at all (e.g. "no pods" or "loading…").
func (m *Model) Render(s *themes.Styles, width, height int, empty string) string {
	if width <= 0 || height <= 0 {
		m.height = max(0, height-1)
		return ""
	}
	m.height = max(1, height-1)
	m.clamp()
	ws := m.layout(width)

	var b strings.Builder
	b.Grow((height + 1) * (width + 16))
	b.WriteString(s.TableHeader.Render(m.headerLine(ws, width)))
	if height == 1 {
		return b.String()
	}
	if len(m.view) == 0 {
		msg := empty
		if len(m.rows) > 0 {
			msg = "no row matches the filter " + m.filter
		}
		b.WriteByte('\n')
		b.WriteString(s.Muted.Render(fit(msg, width, false)))
		return b.String()
	}
	end := min(len(m.view), m.offset+m.height)
	for vi := m.offset; vi < end; vi++ {
		b.WriteByte('\n')
		m.renderRow(&b, s, m.rows[m.view[vi]], ws, width, vi == m.cursor)
	}
	return b.String()
}

func (m Model) headerLine(ws []int, width int) string {
	var b strings.Builder
	first := true
	for i, c := range m.cols {
		if ws[i] == 0 {
			continue
		}
		if !first {
			b.WriteString(strings.Repeat(" ", gap))
		}
		first = false
		title := strings.ToUpper(c.Title)
		if i == m.sortCol {
			if m.sortDesc {
				title += "↓"
			} else {
				title += "↑"
			}
		}
		b.WriteString(fit(title, ws[i], c.Right))
	}
	return fit(b.String(), width, false)
}

func (m Model) renderRow(b *strings.Builder, s *themes.Styles, r Row, ws []int, width int, selected bool) {
	if selected {
		var line strings.Builder
		m.cells(&line, nil, r, ws)
		b.WriteString(s.SelectedRow.Render(fit(line.String(), width, false)))
		return
	}
	used := m.cells(b, s, r, ws)
	if used < width {
		b.WriteString(strings.Repeat(" ", width-used))
	}
}

// cells writes the cells of r; with s nil they are unstyled. It returns the width written.
func (m Model) cells(b *strings.Builder, s *themes.Styles, r Row, ws []int) int {
	used, first := 0, true
	for i, c := range m.cols {
		if ws[i] == 0 {
			continue
		}
		if !first {
			b.WriteString("  ")
			used += gap
		}
		first = false
		cell := cellOf(r, i)
		text := fit(cell.Text, ws[i], c.Right)
		if s != nil && cell.Tone != ToneNone {
			b.WriteString(ToneStyle(s, cell.Tone).Render(text))
		} else {
			b.WriteString(text)
		}
		used += ws[i]
	}
	return used
}

// fit truncates s to w cells with an ellipsis, then pads it to exactly w.
func fit(s string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	sw := width(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = ansi.StringWidth(s)
	}
	if sw == w {
		return s
	}
	pad := strings.Repeat(" ", w-sw)
	if right {
		return pad + s
	}
	return s + pad
}

// Fit is fit for the views: truncate to w cells with an ellipsis and pad to w.
func Fit(s string, w int) string { return fit(s, w, false) }

// width is the display width of plain text, with a fast path for ASCII (most names).
func width(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < 0x20 {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}
