package query

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/pane"
	"github.com/vigie-dev/vigie/views/table"
)

const (
	maxColWidth = 40        // a result column is never wider; its detail has the whole value
	maxCellText = 256       // the runes of a value kept for the table
	maxCopy     = 256 << 10 // bytes of TSV put on the clipboard (terminals cap OSC 52)
	nullText    = "NULL"
)

// cell is a value of the result made safe to draw, for the table (one line, cut).
type cell struct {
	text string
	null bool
	num  float64
	isN  bool
}

// numeric reports whether a PostgreSQL type (as format_type names it) is a number:
// right-aligned and sorted by value.
func numeric(typ string) bool {
	switch {
	case typ == "smallint", typ == "integer", typ == "bigint", typ == "real", typ == "double precision",
		typ == "oid", strings.HasPrefix(typ, "numeric"):
		return true
	}
	return false
}

// show puts a new result on screen: its values are made safe once, the columns scroll
// back to the first.
func (v *View) show(a *answer) {
	v.res, v.detail, v.colOff = a, nil, 0
	cols := a.res.Columns
	num := make([]bool, len(cols))
	v.widths = make([]int, len(cols))
	for i, c := range cols {
		num[i] = numeric(c.Type)
		v.widths[i] = min(maxColWidth, ansi.StringWidth(strings.ToUpper(termtext.Line(c.Name)))+1)
	}
	v.cells = make([][]cell, len(a.res.Rows))
	for r, row := range a.res.Rows {
		out := make([]cell, len(cols))
		for i := range cols {
			var val *string
			if i < len(row) {
				val = row[i]
			}
			c := cell{null: val == nil, text: nullText}
			if val != nil {
				s := *val
				if utf8.RuneCountInString(s) > maxCellText {
					s = string([]rune(s)[:maxCellText])
				}
				c.text = termtext.Line(s)
				if num[i] {
					if f, err := strconv.ParseFloat(*val, 64); err == nil {
						c.num, c.isN = f, true
					}
				}
			}
			out[i] = c
			v.widths[i] = max(v.widths[i], min(maxColWidth, ansi.StringWidth(c.text)))
		}
		v.cells[r] = out
	}
	v.layoutTable(false)
}

// layoutTable builds the table of the columns from colOff: the row number, then the data
// columns, the rightmost dropped first when the screen is narrow. With keep, the filter,
// the sort (when its column is still shown) and the selected row stay.
func (v *View) layoutTable(keep bool) {
	a := v.res
	if a == nil {
		v.list = table.NewList(nil, 0)
		return
	}
	var filter, sel string
	sortCol, desc := 0, false
	if keep {
		filter = v.list.Filter()
		if r, ok := v.list.Selected(); ok {
			sel = r.ID
		}
		sortCol, desc = v.list.Sort()
	}
	cols := []table.Column{{Title: "#", Min: 2, Right: true}}
	shown := a.res.Columns[min(v.colOff, len(a.res.Columns)):]
	for i, c := range shown {
		col := table.Column{Title: termtext.Line(c.Name), Min: 1, Max: maxColWidth, Right: numeric(c.Type),
			Priority: len(shown) - i + 1}
		if i == 0 {
			col.Priority = 0 // cut at the edge rather than dropped: something to read
		}
		cols = append(cols, col)
	}
	if sortCol >= len(cols) {
		sortCol, desc = 0, false
	}
	rows := make([]table.Row, len(v.cells))
	for r, vals := range v.cells {
		cells := make([]table.Cell, 1, len(cols))
		cells[0] = table.Num(strconv.Itoa(r+1), float64(r))
		names := make([]string, 0, len(vals))
		for i, c := range vals {
			names = append(names, c.text)
			if i < v.colOff {
				continue
			}
			tc := table.Cell{Text: c.text, Num: c.num, HasNum: c.isN}
			if c.null {
				tc.Tone = table.ToneMuted
			}
			cells = append(cells, tc)
		}
		rows[r] = table.Row{ID: strconv.Itoa(r), Cells: cells, Name: strings.Join(names, " ")}
	}
	v.list = table.NewList(cols, sortCol)
	if desc {
		v.list.Reverse()
	}
	v.list.SetRows(rows)
	if filter != "" {
		v.list.SetFilter(filter)
	}
	if v.tableH > 0 && v.env.Styles != nil {
		v.list.Render(v.env.Styles, max(1, v.width), v.tableH, "") // the page height, for the cursor below
	}
	for i := range v.list.Len() {
		if v.list.VisibleRow(i).ID == sel {
			v.list.Move(i)
			break
		}
	}
}

func rowIndex(id string) (int, bool) {
	i, err := strconv.Atoi(id)
	return i, err == nil && i >= 0
}

// visibleColumns is how many data columns from colOff fit in width, as the table lays
// them out (row number first, two cells between columns); at least one.
func (v *View) visibleColumns(width int) int {
	used := max(2, len(strconv.Itoa(len(v.cells)))) // the row number: "#" and its sort arrow, or its digits
	n := 0
	for i := v.colOff; i < len(v.widths); i++ {
		used += 2 + v.widths[i]
		if used > width && n > 0 {
			break
		}
		n++
	}
	return max(1, n)
}

// scroll moves the columns by one, keeping the last ones on screen.
func (v *View) scroll(delta int) {
	if v.res == nil {
		return
	}
	n := len(v.res.res.Columns)
	next := v.colOff + delta
	if delta > 0 && v.colOff+v.visibleColumns(max(1, v.width)) >= n {
		return // the last column is shown already
	}
	next = max(0, min(next, n-1))
	if next == v.colOff {
		return
	}
	v.colOff = next
	v.layoutTable(true)
}

// detail is the pane of one row: every column with its whole value, made safe to draw
// once (a value may be long).
type detail struct {
	row   int
	lines []pane.Line
	pane  pane.Pane
}

// detailLines are the row's columns, name then value (wrapped, its lines kept), then the
// columns' PostgreSQL types.
func detailLines(a *answer, r int) []pane.Line {
	row := a.res.Rows[r]
	kw := 4
	for _, c := range a.res.Columns {
		kw = max(kw, min(24, ansi.StringWidth(termtext.Line(c.Name))+2))
	}
	var out []pane.Line
	for i, c := range a.res.Columns {
		name := termtext.Line(c.Name)
		if i >= len(row) || row[i] == nil {
			out = append(out, pane.Line{Indent: kw, Key: name, Text: nullText, Tone: table.ToneMuted})
			continue
		}
		val := *row[i]
		if val == "" {
			out = append(out, pane.Line{Indent: kw, Key: name, Text: "(empty string)", Tone: table.ToneMuted})
			continue
		}
		for j, l := range strings.Split(termtext.Sanitize(strings.TrimRight(val, "\n"), true), "\n") {
			k := ""
			if j == 0 {
				k = name
			}
			out = append(out, pane.Line{Indent: kw, Key: k, Text: l})
		}
	}
	out = append(out, pane.Line{}, pane.Title("Column types"))
	for _, c := range a.res.Columns {
		out = append(out, pane.Line{Indent: kw, Key: termtext.Line(c.Name), Text: termtext.Line(c.Type), Tone: table.ToneMuted})
	}
	return out
}

// renderDetail draws the row's pane.
func (v *View) renderDetail(width, height int) string {
	s := v.env.Styles
	head := s.Primary.Render(fmt.Sprintf("row %d of %d", v.detail.row+1, len(v.res.res.Rows))) +
		s.Muted.Render(" · "+what(v.res.req)+" · esc closes")
	return v.detail.pane.Render(s, head, v.detail.lines, width, height)
}

// tsv is the result as tab-separated values with a header line, in PostgreSQL's COPY
// text form: NULL is \N, backslash, tab, newline and carriage return are escaped, other
// control characters are made inert. It stops before maxCopy bytes; n is the rows in it.
func tsv(res api.QueryResult) (out string, n int) {
	esc := strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)
	field := func(s string) string { return termtext.Line(esc.Replace(s)) }
	var b strings.Builder
	for i, c := range res.Columns {
		if i > 0 {
			b.WriteByte('\t')
		}
		b.WriteString(field(c.Name))
	}
	b.WriteByte('\n')
	var line strings.Builder
	for _, row := range res.Rows {
		line.Reset()
		for i := range res.Columns {
			if i > 0 {
				line.WriteByte('\t')
			}
			if i >= len(row) || row[i] == nil {
				line.WriteString(`\N`)
			} else {
				line.WriteString(field(*row[i]))
			}
		}
		line.WriteByte('\n')
		if b.Len()+line.Len() > maxCopy {
			break
		}
		b.WriteString(line.String())
		n++
	}
	return b.String(), n
}

// copyResult puts the result on the clipboard as TSV (OSC 52, which works over SSH).
func (v *View) copyResult() tea.Cmd {
	if v.res == nil {
		return views.FlashCmd(views.FlashInfo, "no result to copy yet")
	}
	text, n := tsv(v.res.res)
	msg := fmt.Sprintf("%d rows copied as TSV (OSC 52)", n)
	if total := len(v.res.res.Rows); n < total {
		msg = fmt.Sprintf("%d of %d rows copied as TSV (OSC 52): the clipboard takes %d KiB at most", n, total, maxCopy>>10)
	}
	return tea.Batch(tea.SetClipboard(text), views.FlashCmd(views.FlashInfo, msg))
}
