package keymaps

import (
	"slices"

	"charm.land/bubbles/v2/key"
)

// QueryKeyMap holds the query screen's keys: read-only SQL on a team's database through
// the platform API. The screen has three panes (saved queries, the SQL editor, the
// results); tab moves between them. While the editor has the keyboard only Run, the pane
// keys and global.back (leave the editor) are live: every other key types.
//
// Run is ctrl+r, which every terminal delivers; ctrl+enter also runs where the terminal
// reports it apart from enter (the kitty keyboard protocol: kitty, foot, WezTerm,
// Ghostty; not xterm or a default tmux, where it arrives as enter and starts a new line).
type QueryKeyMap struct {
	Run      key.Binding // in the editor
	Edit     key.Binding
	NextPane key.Binding
	PrevPane key.Binding
	Database key.Binding
	Open     key.Binding // run the saved query under the cursor, or open the row's detail
	Left     key.Binding // scroll the result's columns
	Right    key.Binding
	Copy     key.Binding
}

// DefaultQueryKeyMap returns the default query keys.
func DefaultQueryKeyMap() QueryKeyMap {
	return QueryKeyMap{
		Run:      bind("run SQL", "ctrl+r", "ctrl+enter"),
		Edit:     bind("edit SQL", "e"),
		NextPane: bind("next pane", "tab"),
		PrevPane: bind("previous pane", "shift+tab"),
		Database: bind("next database", "d"),
		Open:     bind("run / open row", "enter"),
		Left:     bind("columns left", "left", "h"),
		Right:    bind("columns right", "right", "l"),
		Copy:     bind("copy result (TSV)", "y"),
	}
}

// Actions names the bindings of k.
func (k *QueryKeyMap) Actions() []Action {
	return append(k.listActions(), Action{"query.run", &k.Run})
}

// listActions are the keys live outside the editor.
func (k *QueryKeyMap) listActions() []Action {
	return []Action{
		{"query.edit", &k.Edit},
		{"query.next-pane", &k.NextPane},
		{"query.prev-pane", &k.PrevPane},
		{"query.database", &k.Database},
		{"query.open", &k.Open},
		{"query.left", &k.Left},
		{"query.right", &k.Right},
		{"query.copy", &k.Copy},
	}
}

// queryScreens are the query screen's combinations of live keys: its panes (with the
// global and table keys), and its editor, which takes every other key as text.
func (s *Set) queryScreens() []screen {
	var back []Action
	for _, a := range s.Global.Actions() {
		if a.Name == "global.back" {
			back = append(back, a)
		}
	}
	q := &s.Query
	return []screen{
		{"query", slices.Concat(s.Global.Actions(), s.Table.Actions(), q.listActions())},
		{"query editor", slices.Concat(back, []Action{{"query.run", &q.Run}, {"query.next-pane", &q.NextPane}, {"query.prev-pane", &q.PrevPane}})},
	}
}

// ShortHelp implements help.KeyMap.
func (k QueryKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Open, k.Edit, k.Run, k.NextPane}
}

// FullHelp implements help.KeyMap: running, then the result.
func (k QueryKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Open, k.Edit, k.Run, k.Database, k.NextPane, k.PrevPane},
		{k.Left, k.Right, k.Copy},
	}
}

// QueryHelp is the help of the query screen.
func (s Set) QueryHelp() Screen {
	t, q := s.Table.FullHelp(), s.Query.FullHelp()
	return newScreen(s.short(s.Query.ShortHelp()...),
		Group{"Query", q[0]}, Group{"Result", append(q[1], s.Table.Filter)},
		Group{TitleNavigation, t[0]}, Group{TitleList, t[1]}, s.general())
}
