// Package chart draws time series in the terminal: braille line charts with a value axis
// in units, a time axis in the user's time zone, deploy markers, a legend and a cursor
// that reads exact values; and sparklines for tables.
package chart

import (
	"fmt"
	"math"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views/table"
)

// Unit is how values are written on the axis and at the cursor.
type Unit string

// Units.
const (
	UnitNone    Unit = ""
	UnitPerSec  Unit = "req/s"
	UnitRatio   Unit = "%"     // a 0..1 ratio written as a percentage
	UnitSeconds Unit = "s"     // durations: written as ms or s
	UnitBytes   Unit = "bytes" // written with binary prefixes
)

// Format writes v in unit u, compactly ("12.3/s", "1.25%", "340ms", "64Mi"). NaN is "–".
func Format(v float64, u Unit) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	switch u {
	case UnitPerSec:
		return compact(v) + "/s"
	case UnitRatio:
		p := v * 100
		switch {
		case p == 0:
			return "0%"
		case math.Abs(p) < 0.1:
			return fmt.Sprintf("%.3f%%", p)
		case math.Abs(p) < 10:
			return fmt.Sprintf("%.2f%%", p)
		}
		return fmt.Sprintf("%.1f%%", p)
	case UnitSeconds:
		switch a := math.Abs(v); {
		case a == 0:
			return "0"
		case a < 0.001:
			return fmt.Sprintf("%.0fµs", v*1e6)
		case a < 1:
			return fmt.Sprintf("%.0fms", v*1e3)
		case a < 60:
			return fmt.Sprintf("%.2fs", v)
		}
		return time.Duration(v * float64(time.Second)).Round(time.Second).String()
	case UnitBytes:
		units := []string{"", "Ki", "Mi", "Gi", "Ti"}
		i := 0
		for math.Abs(v) >= 1024 && i < len(units)-1 {
			v /= 1024
			i++
		}
		if v == math.Trunc(v) {
			return fmt.Sprintf("%.0f%s", v, units[i])
		}
		return fmt.Sprintf("%.1f%s", v, units[i])
	}
	return compact(v)
}

func compact(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 1e9:
		return fmt.Sprintf("%.1fG", v/1e9)
	case a >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 0.01:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

// Point is one sample.
type Point struct {
	At time.Time
	V  float64
}

// Series is one line of a chart.
type Series struct {
	Name   string // already sanitised
	Points []Point
	Tone   table.Tone // ToneNone = the next colour of the palette
}

// Marker is an instant on the time axis: a deploy (rollout) of the service.
type Marker struct {
	At    time.Time
	Label string // "rev 3", already sanitised
}

// Chart is what to draw.
type Chart struct {
	Title    string
	Series   []Series
	From, To time.Time
	Unit     Unit
	Markers  []Marker
	Cursor   time.Time      // zero: no cursor
	Loc      *time.Location // nil: local time
	// Min and Max force the value range (both zero: from the data, starting at 0 when
	// all values are positive).
	Min, Max float64
}

// seriesStyles are the colours of the series, in order, from the theme.
func seriesStyles(s *themes.Styles) []lipgloss.Style {
	return []lipgloss.Style{s.Primary.UnsetBold(), s.Info, s.Warning, s.OK, s.Danger, s.Text}
}

// Render draws the chart in w×h cells: the title line, the plot with its value axis, the
// time axis, and the legend (with the values at the cursor when there is one).
func (c Chart) Render(s *themes.Styles, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	if h < 4 || w < 16 {
		return table.Fit(c.Title, w)
	}
	loc := c.Loc
	if loc == nil {
		loc = time.Local
	}
	lo, hi, ok := c.bounds()
	axisW := 0
	labels := make([]string, 0, 3)
	if ok {
		for _, v := range []float64{hi, (lo + hi) / 2, lo} {
			l := Format(v, c.Unit)
			labels = append(labels, l)
			axisW = max(axisW, ansi.StringWidth(l))
		}
	}
	plotW := max(1, w-axisW-1)
	plotH := max(1, h-3) // title, time axis, legend
	grid := newCanvas(plotW, plotH)
	styles := seriesStyles(s)
	span := c.To.Sub(c.From)
	xOf := func(t time.Time) int {
		if span <= 0 {
			return 0
		}
		return int(math.Round(float64(t.Sub(c.From)) / float64(span) * float64(plotW*2-1)))
	}
	yOf := func(v float64) int {
		if hi == lo {
			return plotH*4 - 1
		}
		return int(math.Round((hi - v) / (hi - lo) * float64(plotH*4-1)))
	}
	for i, se := range c.Series {
		color := i % len(styles)
		prev := false
		var px, py int
		for _, p := range se.Points {
			if p.At.Before(c.From) || p.At.After(c.To) || math.IsNaN(p.V) {
				prev = false // a gap in the data stays a gap
				continue
			}
			x, y := xOf(p.At), yOf(p.V)
			if prev {
				grid.line(px, py, x, y, color)
			} else {
				grid.dot(x, y, color)
			}
			px, py, prev = x, y, true
		}
	}
	markerCol := map[int]string{}
	for _, m := range c.Markers {
		if !m.At.Before(c.From) && !m.At.After(c.To) {
			markerCol[xOf(m.At)/2] = m.Label
		}
	}
	cursorCol := -1
	if !c.Cursor.IsZero() && !c.Cursor.Before(c.From) && !c.Cursor.After(c.To) {
		cursorCol = xOf(c.Cursor) / 2
	}

	var b strings.Builder
	b.WriteString(table.Fit(s.Primary.Render(c.Title), w))
	for row := range plotH {
		b.WriteByte('\n')
		label := ""
		switch {
		case ok && row == 0:
			label = labels[0]
		case ok && row == plotH/2 && plotH > 2:
			label = labels[1]
		case ok && row == plotH-1:
			label = labels[2]
		}
		b.WriteString(s.Muted.Render(fmt.Sprintf("%*s", axisW, label)))
		b.WriteString(s.Muted.Render("┤"))
		if !ok {
			if row == plotH/2 {
				b.WriteString(s.Muted.Render(table.Fit("  no data in this window", plotW)))
			} else {
				b.WriteString(strings.Repeat(" ", plotW))
			}
			continue
		}
		for col := range plotW {
			cell := grid.cell(col, row)
			switch {
			case cell.bits != 0:
				st := styles[cell.color]
				if col == cursorCol {
					st = st.Reverse(true)
				}
				b.WriteString(st.Render(string(rune(0x2800 + int(cell.bits)))))
			case col == cursorCol:
				b.WriteString(s.Highlight.Render("│"))
			case markerCol[col] != "":
				b.WriteString(s.Warning.Render("┊"))
			default:
				b.WriteByte(' ')
			}
		}
	}
	b.WriteByte('\n')
	b.WriteString(strings.Repeat(" ", axisW+1) + c.timeAxis(s, plotW, loc, markerCol))
	b.WriteByte('\n')
	b.WriteString(table.Fit(c.legend(s, styles, loc), w))
	return b.String()
}

// bounds returns the value range to draw.
func (c Chart) bounds() (lo, hi float64, ok bool) {
	if c.Min != 0 || c.Max != 0 {
		return c.Min, c.Max, c.Max > c.Min
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, se := range c.Series {
		for _, p := range se.Points {
			if math.IsNaN(p.V) || math.IsInf(p.V, 0) || p.At.Before(c.From) || p.At.After(c.To) {
				continue
			}
			lo, hi = math.Min(lo, p.V), math.Max(hi, p.V)
		}
	}
	if math.IsInf(lo, 1) {
		return 0, 0, false
	}
	if lo >= 0 {
		lo = 0 // rates, ratios and latencies read best from zero
	}
	if hi == lo {
		hi = lo + 1
	}
	return lo, hi * 1.05, true
}

// timeAxis writes a few time labels along the plot, and the deploy markers' labels.
func (c Chart) timeAxis(s *themes.Styles, w int, loc *time.Location, markers map[int]string) string {
	line := []rune(strings.Repeat(" ", w))
	layout := "15:04"
	if c.To.Sub(c.From) > 36*time.Hour {
		layout = "01-02 15h"
	}
	place := func(col int, text string) {
		r := []rune(text)
		if col+len(r) > w {
			col = w - len(r)
		}
		if col < 0 {
			return
		}
		for i := range r {
			if line[col+i] != ' ' || (col+i+1 < w && line[col+i+1] != ' ' && i == len(r)-1) {
				return // overlaps a label already placed
			}
		}
		copy(line[col:], r)
	}
	n := max(2, w/14)
	for i := range n {
		t := c.From.Add(time.Duration(float64(c.To.Sub(c.From)) * float64(i) / float64(n-1)))
		col := int(float64(w-1) * float64(i) / float64(n-1))
		text := t.In(loc).Format(layout)
		if i == n-1 {
			col -= len(text) - 1
		}
		place(col, text)
	}
	axis := string(line)
	for col, label := range markers {
		if col < w {
			axis = replaceAt(axis, col, "▲"+label)
		}
	}
	return s.Muted.Render(ansi.Truncate(axis, w, ""))
}

func replaceAt(s string, col int, text string) string {
	r := []rune(s)
	t := []rune(text)
	for i := range t {
		if col+i < len(r) {
			r[col+i] = t[i]
		}
	}
	return string(r)
}

// legend names the series; with a cursor, each with its value at the cursor.
func (c Chart) legend(s *themes.Styles, styles []lipgloss.Style, loc *time.Location) string {
	var parts []string
	if !c.Cursor.IsZero() {
		parts = append(parts, s.Highlight.Render(c.Cursor.In(loc).Format("15:04:05")))
	}
	for i, se := range c.Series {
		item := styles[i%len(styles)].Render("━ ") + se.Name
		if !c.Cursor.IsZero() {
			item += " " + s.Primary.Render(Format(valueAt(se.Points, c.Cursor), c.Unit))
		}
		parts = append(parts, item)
	}
	return strings.Join(parts, "   ")
}

// valueAt returns the value of the sample nearest to t (NaN when there is none within
// the series' typical step).
func valueAt(ps []Point, t time.Time) float64 {
	best, bestD := math.NaN(), time.Duration(math.MaxInt64)
	for _, p := range ps {
		d := p.At.Sub(t)
		if d < 0 {
			d = -d
		}
		if d < bestD {
			best, bestD = p.V, d
		}
	}
	return best
}

// ValueAt is valueAt for the views (the cursor readout of a table of series).
func ValueAt(ps []Point, t time.Time) float64 { return valueAt(ps, t) }
