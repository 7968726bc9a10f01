package keymaps

import "charm.land/bubbles/v2/key"

// Group is one titled column of the help screen.
type Group struct {
	Title    string
	Bindings []key.Binding
}

// Screen is the help of one screen: its own actions, its navigation, its dangerous actions
// in a column of their own, and the global keys. It implements help.KeyMap, and its Groups
// carry titles for a fuller "?" screen. Disabled bindings and empty groups are left out;
// build a Screen when rendering so that it follows read-only mode and overrides.
type Screen struct {
	Short  []key.Binding
	Groups []Group
}

// ShortHelp implements help.KeyMap.
func (h Screen) ShortHelp() []key.Binding { return h.Short }

// FullHelp implements help.KeyMap: one column per group.
func (h Screen) FullHelp() [][]key.Binding {
	cols := make([][]key.Binding, len(h.Groups))
	for i, g := range h.Groups {
		cols[i] = g.Bindings
	}
	return cols
}

// Group titles of the help screens.
const (
	TitleNavigation = "Navigation"
	TitleList       = "List"
	TitleActions    = "Actions"
	TitleDangerous  = "Guarded (confirm)"
	TitleGeneral    = "General"
)

func newScreen(short []key.Binding, groups ...Group) Screen {
	h := Screen{Short: enabled(short)}
	for _, g := range groups {
		if g.Bindings = enabled(g.Bindings); len(g.Bindings) > 0 {
			h.Groups = append(h.Groups, g)
		}
	}
	return h
}

func enabled(bs []key.Binding) []key.Binding {
	var out []key.Binding
	for _, b := range bs {
		if b.Enabled() {
			out = append(out, b)
		}
	}
	return out
}

func (s Set) general() Group {
	return Group{TitleGeneral, s.Global.FullHelp()[0]}
}

func (s Set) short(own ...key.Binding) []key.Binding {
	return append(own, s.Global.Help, s.Global.Quit)
}

// ListHelp is the help of a list screen with no keys of its own.
func (s Set) ListHelp() Screen {
	t := s.Table.FullHelp()
	return newScreen(s.short(s.Table.Filter),
		Group{TitleNavigation, t[0]}, Group{TitleList, t[1]}, s.general())
}

// WorkloadsHelp is the help of the workloads screen.
func (s Set) WorkloadsHelp() Screen {
	t, w := s.Table.FullHelp(), s.Workloads.FullHelp()
	return newScreen(s.short(append(s.Workloads.ShortHelp(), s.Table.Filter)...),
		Group{TitleActions, w[0]}, Group{TitleDangerous, w[1]},
		Group{TitleNavigation, t[0]}, Group{TitleList, t[1]}, s.general())
}

// AlertsHelp is the help of the alerts screen.
func (s Set) AlertsHelp() Screen {
	t, a := s.Table.FullHelp(), s.Alerts.FullHelp()
	return newScreen(s.short(append(s.Alerts.ShortHelp(), s.Table.Filter)...),
		Group{TitleActions, a[0]}, Group{TitleDangerous, a[1]},
		Group{TitleNavigation, t[0]}, Group{TitleList, t[1]}, s.general())
}

// LogsHelp is the help of the logs screen.
func (s Set) LogsHelp() Screen {
	l := s.Logs.FullHelp()
	return newScreen(s.short(s.Logs.ShortHelp()...),
		Group{"Search", l[0]}, Group{"Display", l[1]}, Group{"Time and export", l[2]},
		Group{TitleNavigation, s.Table.Navigation()}, s.general())
}

// HomeHelp is the help of the team home screen.
func (s Set) HomeHelp() Screen {
	t := s.Table.FullHelp()
	return newScreen(s.short(append(s.Home.ShortHelp(), s.Table.Filter)...),
		Group{TitleActions, s.Home.FullHelp()[0]},
		Group{TitleNavigation, t[0]}, Group{TitleList, t[1]}, s.general())
}

// MetricsHelp is the help of the metrics screen.
func (s Set) MetricsHelp() Screen {
	m := s.Metrics.FullHelp()
	return newScreen(s.short(s.Metrics.ShortHelp()...),
		Group{"Time range", m[0]}, Group{"Cursor", m[1]}, s.general())
}
