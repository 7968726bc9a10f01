package keymaps

import (
	"slices"

	"charm.land/bubbles/v2/key"
)

// JobsKeyMap holds the jobs screen's keys: the team's runbook job templates and their
// recent runs, two lists that tab switches between. The screen does not sort (templates
// by name, runs newest first), so the table's sort keys are not live there and r is free.
type JobsKeyMap struct {
	Open   key.Binding // a template: its run form; a run: its details
	Run    key.Binding // dangerous: the run form (of a run: its template, with its values)
	Logs   key.Binding // the logs of a run's pods
	Switch key.Binding // templates <-> runs
}

// DefaultJobsKeyMap returns the default jobs keys.
func DefaultJobsKeyMap() JobsKeyMap {
	return JobsKeyMap{
		Open:   bind("run form / run details", "enter"),
		Run:    bindDanger("run the job (again)", "r"),
		Logs:   bind("logs of the run", "l"),
		Switch: bind("templates ⇄ runs", "tab"),
	}
}

// Actions names the bindings of k.
func (k *JobsKeyMap) Actions() []Action {
	return []Action{
		{"jobs.open", &k.Open},
		{"jobs.run", &k.Run},
		{"jobs.logs", &k.Logs},
		{"jobs.switch", &k.Switch},
	}
}

// jobsScreens is the jobs screen's combination of live keys: the global keys, the table's
// navigation and filter (no sorting), and its own.
func (s *Set) jobsScreens() []screen {
	t := &s.Table
	return []screen{
		{"jobs", slices.Concat(s.Global.Actions(), t.navigationActions(), []Action{{"table.filter", &t.Filter}}, s.Jobs.Actions())},
	}
}

// ShortHelp implements help.KeyMap.
func (k JobsKeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Open, k.Run, k.Logs, k.Switch} }

// FullHelp implements help.KeyMap: what the lists open, then the guarded run.
func (k JobsKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Open, k.Logs, k.Switch}, {k.Run}}
}

// JobsHelp is the help of the jobs screen.
func (s Set) JobsHelp() Screen {
	j := s.Jobs.FullHelp()
	return newScreen(s.short(s.Jobs.ShortHelp()...),
		Group{TitleActions, j[0]}, Group{TitleDangerous, j[1]},
		Group{TitleNavigation, s.Table.Navigation()}, Group{TitleList, []key.Binding{s.Table.Filter}}, s.general())
}

// JobsDetailHelp is the help of a run's details: its logs, running it again, scrolling.
func (s Set) JobsDetailHelp() Screen {
	return newScreen(s.short(s.Jobs.Logs, s.Jobs.Run, s.Global.Back),
		Group{TitleActions, []key.Binding{s.Jobs.Logs}}, Group{TitleDangerous, []key.Binding{s.Jobs.Run}},
		Group{TitleNavigation, s.Table.Navigation()}, s.general())
}
