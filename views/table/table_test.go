package table

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/themes"
)

func testCols() []Column {
	return []Column{
		{Title: "Name", Min: 6, Max: 30, Flex: true},
		{Title: "Status", Min: 6},
		{Title: "Restarts", Min: 3, Right: true, Desc: true},
		{Title: "Node", Min: 6, Priority: 1},
	}
}

func row(name, status string, restarts int, app string) Row {
	return Row{
		ID:     name,
		Labels: map[string]string{"app": app},
		Cells:  []Cell{Text(name), Text(status), Num(fmt.Sprint(restarts), float64(restarts)), Text("node-1")},
	}
}

func names(m Model) []string {
	var out []string
	for i := range m.Len() {
		out = append(out, m.VisibleRow(i).ID)
	}
	return out
}

func seeded() Model {
	m := New(testCols(), 0)
	m.SetRows([]Row{
		row("ledger-2", "Running", 0, "ledger"),
		row("checkout-10", "Running", 1, "checkout"),
		row("checkout-9", "CrashLoopBackOff", 7, "checkout"),
		row("fraud-worker-1", "Running", 2, "fraud"),
	})
	return m
}

func TestSortNaturalAndByColumn(t *testing.T) {
	m := seeded()
	if got, want := strings.Join(names(m), " "), "checkout-9 checkout-10 fraud-worker-1 ledger-2"; got != want {
		t.Fatalf("name order = %q, want %q (digits compared as numbers)", got, want)
	}
	m.SortBy(2) // restarts: descending first
	if got := names(m)[0]; got != "checkout-9" {
		t.Fatalf("restarts sort starts with %q, want the pod with most restarts", got)
	}
	m.Reverse()
	if col, desc := m.Sort(); col != 2 || desc {
		t.Fatalf("Sort() = %d,%v after reverse, want 2,false", col, desc)
	}
	if got := names(m)[0]; got != "ledger-2" {
		t.Fatalf("reversed restarts sort starts with %q, want ledger-2 (0 restarts)", got)
	}
	m.SortNext(1)
	if col, _ := m.Sort(); col != 3 {
		t.Fatalf("SortNext moved to column %d, want 3", col)
	}
	m.SortNext(1)
	if col, _ := m.Sort(); col != 0 {
		t.Fatalf("SortNext wraps to column %d, want 0", col)
	}
}

func TestFuzzyAndLabelFilter(t *testing.T) {
	m := seeded()
	m.SetFilter("chk")
	if got := strings.Join(names(m), " "); got != "checkout-9 checkout-10" {
		t.Fatalf("fuzzy chk = %q", got)
	}
	m.SetFilter("-l app in (fraud,ledger)")
	if got := strings.Join(names(m), " "); got != "fraud-worker-1 ledger-2" {
		t.Fatalf("label filter = %q", got)
	}
	m.SetFilter("-l app in (")
	if m.FilterError() == "" {
		t.Fatal("an invalid selector must be reported")
	}
	if got := strings.Join(names(m), " "); got != "fraud-worker-1 ledger-2" {
		t.Fatalf("an invalid selector must keep the previous filter, rows = %q", got)
	}
	m.SetFilter("")
	if m.Len() != 4 {
		t.Fatalf("clearing the filter shows %d rows, want 4", m.Len())
	}
}

func TestCursorFollowsRowThroughUpdates(t *testing.T) {
	m := seeded()
	m.Render(&themes.Styles{}, 80, 10, "")
	m.Move(2)
	sel, _ := m.Selected()
	if sel.ID != "fraud-worker-1" {
		t.Fatalf("selected %q", sel.ID)
	}
	// A new pod sorts before the selection: the cursor stays on the same pod.
	m.SetRows(append([]Row{row("auth-1", "Pending", 0, "auth")}, rowsOf(m)...))
	if sel, _ := m.Selected(); sel.ID != "fraud-worker-1" {
		t.Fatalf("after an insert the cursor is on %q, want fraud-worker-1", sel.ID)
	}
	// The selected pod goes away: the cursor stays at the same height, on a neighbour.
	var rest []Row
	for _, r := range rowsOf(m) {
		if r.ID != "fraud-worker-1" {
			rest = append(rest, r)
		}
	}
	m.SetRows(rest)
	if sel, ok := m.Selected(); !ok || sel.ID != "ledger-2" {
		t.Fatalf("after the selected row left, cursor on %q, want its neighbour ledger-2", sel.ID)
	}
	m.SetRows(nil)
	if _, ok := m.Selected(); ok {
		t.Fatal("an empty table has no selection")
	}
}

func rowsOf(m Model) []Row {
	out := make([]Row, m.Total())
	copy(out, m.rows)
	return out
}

func TestRenderOnlyVisibleRowsAndWidths(t *testing.T) {
	m := New(testCols(), 0)
	var rows []Row
	for i := range 10000 {
		rows = append(rows, row(fmt.Sprintf("pod-%05d", i), "Running", i%5, "x"))
	}
	m.SetRows(rows)
	s := themes.NewStyles(themes.Dark())
	out := m.Render(&s, 80, 20, "")
	lines := strings.Split(out, "\n")
	if len(lines) != 20 {
		t.Fatalf("rendered %d lines, want 20 (header + 19 rows)", len(lines))
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w != 80 {
			t.Fatalf("line %d is %d cells wide, want 80: %q", i, w, ansi.Strip(l))
		}
	}
	m.Bottom()
	out = ansi.Strip(m.Render(&s, 80, 20, ""))
	if !strings.Contains(out, "pod-09999") || strings.Contains(out, "pod-00000") {
		t.Fatal("after G the last row must be visible and the first not")
	}
}

func TestNarrowDropsLowPriorityColumns(t *testing.T) {
	m := seeded()
	s := themes.Styles{}
	wide := ansi.Strip(m.Render(&s, 100, 5, ""))
	if !strings.Contains(wide, "NODE") {
		t.Fatalf("wide table lacks NODE:\n%s", wide)
	}
	narrow := ansi.Strip(m.Render(&s, 40, 5, ""))
	if strings.Contains(narrow, "NODE") {
		t.Fatalf("40-column table still shows NODE (priority 1 goes first):\n%s", narrow)
	}
	if !strings.Contains(narrow, "STATUS") {
		t.Fatalf("40-column table lost STATUS:\n%s", narrow)
	}
	for _, w := range []int{0, 1, 2, 5, 13} {
		for _, h := range []int{0, 1, 2} {
			out := m.Render(&s, w, h, "empty")
			for _, l := range strings.Split(out, "\n") {
				if ansi.StringWidth(l) > w {
					t.Fatalf("%dx%d: line wider than the screen: %q", w, h, l)
				}
			}
		}
	}
}

func TestListFilterPromptKeys(t *testing.T) {
	l := NewList(testCols(), 0)
	l.SetRows(seeded().rows)
	km := keymaps.DefaultTableKeyMap()
	press := func(s string) {
		t.Helper()
		var msg tea.KeyPressMsg
		switch s {
		case "enter":
			msg = tea.KeyPressMsg{Code: tea.KeyEnter}
		case "esc":
			msg = tea.KeyPressMsg{Code: tea.KeyEscape}
		default:
			msg = tea.KeyPressMsg{Code: rune(s[0]), Text: s}
		}
		l.HandleKey(msg, km)
	}
	press("/")
	if !l.Capturing() {
		t.Fatal("/ must open the filter prompt")
	}
	for _, c := range "led" {
		press(string(c))
	}
	if l.Len() != 1 {
		t.Fatalf("typing filters as you go: %d rows, want 1", l.Len())
	}
	press("esc")
	if l.Capturing() || l.Filter() != "" || l.Len() != 4 {
		t.Fatalf("esc in the prompt restores the previous filter: capturing=%v filter=%q rows=%d", l.Capturing(), l.Filter(), l.Len())
	}
	press("/")
	press("c")
	press("enter")
	if l.Capturing() || l.Filter() != "c" {
		t.Fatalf("enter keeps the filter: capturing=%v filter=%q", l.Capturing(), l.Filter())
	}
	press("G")
	if l.Cursor() != l.Len()-1 {
		t.Fatalf("G moves to the last row: cursor %d of %d", l.Cursor(), l.Len())
	}
	if !l.ClearFilter() || l.Len() != 4 {
		t.Fatal("ClearFilter must drop the filter")
	}
	if l.ClearFilter() {
		t.Fatal("ClearFilter with no filter reports nothing done")
	}
}

// Replacing the rows with the same rows (same IDs, same places) keeps the order and the
// cursor, also when a changed cell moves a row.
func TestSetRowsSameIDsKeepsOrder(t *testing.T) {
	mk := func(ages ...float64) []Row {
		var rows []Row
		for i, a := range ages {
			id := string(rune('a' + i))
			rows = append(rows, Row{ID: id, Cells: []Cell{Text(id), Num("", a)}})
		}
		return rows
	}
	m := New([]Column{{Title: "Name"}, {Title: "Age"}}, 1)
	m.SetRows(mk(3, 1, 2))
	order := func() string {
		var b strings.Builder
		for i := range m.Len() {
			b.WriteString(m.VisibleRow(i).ID)
		}
		return b.String()
	}
	if got := order(); got != "bca" {
		t.Fatalf("order %s, want bca", got)
	}
	m.Move(1) // on c
	m.SetRows(mk(3, 1, 2))
	if got := order(); got != "bca" {
		t.Errorf("same rows: order %s, want bca", got)
	}
	m.SetRows(mk(3, 5, 2)) // b got older: it moves last
	if got := order(); got != "cab" {
		t.Errorf("after a change: order %s, want cab", got)
	}
	if r, _ := m.Selected(); r.ID != "c" {
		t.Errorf("cursor on %s, want c", r.ID)
	}
}
