package query

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/views/pane"
	"github.com/vigie-dev/vigie/views/table"
)

// savedText describes vigie's saved queries in one line each.
func savedText(name string) string {
	switch name {
	case "slow-queries":
		return "statements by total time (pg_stat_statements)"
	case "locks":
		return "locks held and awaited, with their sessions"
	case "long-transactions":
		return "open transactions, oldest first"
	case "table-sizes":
		return "tables by size, indexes and TOAST included"
	}
	return ""
}

// Render draws the screen in width×height: the database picker, the saved queries and
// the editor side by side, the run's status, then the result.
func (v *View) Render(width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	v.width = width
	v.styleInputs()
	if v.detail != nil {
		return v.renderDetail(width, height)
	}
	s := v.env.Styles
	lines := []string{v.header(width)}
	var note string
	switch {
	case v.env.Query == nil:
		note = NoAPI
	case len(v.env.Databases) == 0:
		note = noDatabase(v.team)
	}
	if note != "" {
		for _, l := range pane.Wrap(note, width) {
			lines = append(lines, s.Warning.Render(table.Fit(l, width)))
		}
		return strings.Join(cut(lines, height), "\n")
	}
	lines = append(lines, v.panes(width)...)
	lines = append(lines, v.status(width)...)
	rest := height - len(lines)
	if rest <= 0 || v.res == nil {
		return strings.Join(cut(lines, height), "\n")
	}
	if p := v.list.PromptLine(s, width); p != "" {
		lines = append(lines, p)
		rest--
	}
	v.tableH = rest
	if rest > 0 {
		lines = append(lines, v.list.Render(s, width, rest, "the query returned no rows"))
	}
	return strings.Join(lines, "\n")
}

// firstKey is the first key of a binding as its help shows it ("←" of "←/h").
func firstKey(b key.Binding) string {
	k, _, _ := strings.Cut(b.Help().Key, "/")
	return k
}

func cut(lines []string, n int) []string {
	if len(lines) > n {
		return lines[:n]
	}
	return lines
}

// header is the database picker: the team's databases, the picked one highlighted, and
// whether a reason will be asked.
func (v *View) header(width int) string {
	s := v.env.Styles
	parts := []string{s.Primary.Render("query")}
	dbs := v.env.Databases
	if v.env.Query == nil {
		dbs = nil
	}
	teams := map[string]bool{}
	for _, d := range dbs {
		teams[d.Team] = true
	}
	if len(dbs) > 0 {
		parts = append(parts, s.Muted.Render("database"))
		for i, d := range dbs {
			name := termtext.Line(d.Name)
			if len(teams) > 1 {
				name = termtext.Line(d.Team) + "/" + name
			}
			if i == v.db {
				parts = append(parts, s.SelectedRow.Render(" "+name+" "))
			} else {
				parts = append(parts, s.Muted.Render(name))
			}
		}
		if len(dbs) > 1 {
			parts = append(parts, s.Muted.Render("("+firstKey(v.env.Keys.Query.Database)+" next)"))
		}
		d := dbs[min(v.db, len(dbs)-1)]
		if d.Production {
			parts = append(parts, s.Warning.Render("▲ production: each query needs a reason"))
		} else {
			parts = append(parts, s.Muted.Render("· team "+termtext.Line(d.Team)+" · read-only, audited"))
		}
	}
	return table.Fit(strings.Join(parts, " "), width)
}

// panes draws the saved queries and the editor side by side, or the focused one alone
// on a narrow screen.
func (v *View) panes(width int) []string {
	if width < 60 {
		if v.focus == paneEditor {
			return v.editorPane(width)
		}
		return v.savedPane(width)
	}
	lw := max(24, min(56, width*2/5))
	rw := width - lw - 3
	left, right := v.savedPane(lw), v.editorPane(rw)
	sep := v.env.Styles.Muted.Render(" │ ")
	out := make([]string, paneHeight)
	for i := range out {
		out[i] = table.Fit(left[i], lw) + sep + table.Fit(right[i], rw)
	}
	return out
}

// title is a pane's title: highlighted when the pane has the keys, with its hint.
func (v *View) title(text string, focused bool, hint string) string {
	s := v.env.Styles
	t := s.Muted.Render(text)
	if focused {
		t = s.Primary.Render("▸ " + text)
	}
	return t + "  " + s.Muted.Render(hint)
}

func (v *View) savedPane(width int) []string {
	s := v.env.Styles
	q := v.env.Keys.Query
	focused := v.focus == paneSaved
	hint := ""
	if focused {
		hint = firstKey(q.Open) + " runs"
	}
	out := []string{table.Fit(v.title("saved queries", focused, hint), width)}
	nameW := 0
	for _, n := range v.saved {
		nameW = max(nameW, len(n))
	}
	first := max(0, min(v.cursor-(paneHeight-2), len(v.saved)-(paneHeight-1)))
	for i := first; i < len(v.saved) && len(out) < paneHeight; i++ {
		name := v.saved[i]
		line := "  " + name + strings.Repeat(" ", nameW-len(name)) + "  "
		switch {
		case i == v.cursor && focused:
			out = append(out, s.SelectedRow.Render(table.Fit(line+savedText(name), width)))
		case i == v.cursor:
			out = append(out, table.Fit(s.Primary.Render(line)+s.Muted.Render(savedText(name)), width))
		default:
			out = append(out, table.Fit(line+s.Muted.Render(savedText(name)), width))
		}
	}
	for len(out) < paneHeight {
		out = append(out, "")
	}
	return out
}

func (v *View) editorPane(width int) []string {
	q := v.env.Keys.Query
	focused := v.focus == paneEditor
	hint := firstKey(q.Edit) + " edits"
	if focused {
		hint = firstKey(q.Run) + " runs · esc leaves · ↑ history"
	}
	out := []string{table.Fit(v.title("SQL", focused, hint), width)}
	v.editor.SetWidth(max(1, width))
	v.editor.SetHeight(editorLines)
	for _, l := range strings.Split(v.editor.View(), "\n") {
		if len(out) == paneHeight {
			break
		}
		out = append(out, table.Fit(l, width))
	}
	for len(out) < paneHeight {
		out = append(out, "")
	}
	return out
}

// status is what happened to the runs: the reason prompt, the running query, the last
// refusal or failure with its audit id, and the result's summary with the column types.
func (v *View) status(width int) []string {
	s := v.env.Styles
	var out []string
	fit := func(l string) { out = append(out, table.Fit(l, width)) }
	switch {
	case v.asking != nil:
		fit(s.Warning.Render("▲ production: ") + "why run " + what(*v.asking) + "?")
		v.reason.SetWidth(max(1, width-ansi.StringWidth(v.reason.Prompt)-1))
		fit(v.reason.View())
		if v.reasonErr != "" {
			for _, l := range pane.Wrap(v.reasonErr, width) {
				fit(s.Danger.Render(l))
			}
		} else {
			fit(s.Muted.Render("enter runs · esc cancels · the reason goes to the audit log with the query"))
		}
	case v.running != nil:
		el := v.env.Now().Sub(v.started).Truncate(time.Second)
		fit(s.Primary.Render(v.spin.View()) + " running " + what(*v.running) + "… " + el.String() + s.Muted.Render(" · esc cancels"))
	}
	if f := v.fail; f != nil {
		text := f.text
		if f.audit != "" {
			text += " · audit " + f.audit
		}
		wrapped := pane.Wrap(strings.ReplaceAll(text, "\n", " "), max(1, width-2))
		if len(wrapped) > 3 {
			wrapped = append(wrapped[:2], ansi.Truncate(wrapped[2], max(1, width-3), "")+"…")
		}
		for i, l := range wrapped {
			mark := "  "
			if i == 0 {
				mark = "✖ "
			}
			fit(s.Danger.Render(mark + l))
		}
	}
	if v.note != "" {
		fit(s.Info.Render("• " + v.note))
	}
	if v.res == nil {
		if v.running == nil && v.fail == nil && v.asking == nil {
			q := v.env.Keys.Query
			for _, l := range pane.Wrap(fmt.Sprintf("%s on a saved query runs it; %s edits SQL and %s runs it. Queries are read-only, time-limited and audited.",
				firstKey(q.Open), firstKey(q.Edit), firstKey(q.Run)), width) {
				fit(s.Muted.Render(l))
			}
		}
		return out
	}
	fit(v.summary())
	fit(v.types(width))
	return out
}

// summary is the result's line: the rows, the time, the cut, the audit id, what ran.
func (v *View) summary() string {
	s := v.env.Styles
	r := v.res.res
	prefix := s.OK.Render("✓ ")
	if v.fail != nil || v.running != nil || v.note != "" || v.asking != nil {
		prefix = s.Muted.Render("previous result: ")
	}
	rows := fmt.Sprintf("%d rows", len(r.Rows))
	if len(r.Rows) == 1 {
		rows = "1 row"
	}
	line := prefix + rows + s.Muted.Render(" · ") + fmt.Sprintf("%d ms", r.DurationMs)
	if r.Truncated {
		cut := fmt.Sprintf("truncated at %d rows (limits.queryRows)", len(r.Rows))
		if strings.Contains(r.Message, "limits.queryBytes") {
			cut = fmt.Sprintf("truncated at %d rows by the size limit (limits.queryBytes)", len(r.Rows))
		}
		line += s.Muted.Render(" · ") + s.Warning.Render(cut)
	}
	if r.AuditID != "" {
		line += s.Muted.Render(" · audit " + termtext.Line(r.AuditID))
	}
	return line + s.Muted.Render(" · "+what(v.res.req))
}

// types lists the shown columns' PostgreSQL types, and where the horizontal scroll is
// when not every column fits.
func (v *View) types(width int) string {
	s := v.env.Styles
	cols := v.res.res.Columns
	var parts []string
	for _, c := range cols[min(v.colOff, len(cols)):] {
		parts = append(parts, termtext.Line(c.Name)+" "+termtext.Line(c.Type))
	}
	line := s.Muted.Render("types: " + strings.Join(parts, " · "))
	if n := v.visibleColumns(width); v.colOff > 0 || v.colOff+n < len(cols) {
		q := v.env.Keys.Query
		where := s.Info.Render(fmt.Sprintf("columns %d–%d of %d (%s/%s) ", v.colOff+1, min(len(cols), v.colOff+n), len(cols),
			firstKey(q.Left), firstKey(q.Right)))
		line = where + line
	}
	if len(cols) == 0 {
		line = s.Muted.Render("no columns")
	}
	return line
}
