package keymaps

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"

	"github.com/vigie-dev/vigie/internal/textdist"
)

// Set holds the key maps of every screen. Build it with Default; the zero Set has no keys.
type Set struct {
	Global    GlobalKeyMap
	Table     TableKeyMap
	Workloads WorkloadsKeyMap
	Logs      LogsKeyMap
	Alerts    AlertsKeyMap
	Home      HomeKeyMap
	Metrics   MetricsKeyMap
	Query     QueryKeyMap
	Jobs      JobsKeyMap
}

// Default returns the default keys of every screen.
func Default() Set {
	return Set{
		Global:    DefaultGlobalKeyMap(),
		Table:     DefaultTableKeyMap(),
		Workloads: DefaultWorkloadsKeyMap(),
		Logs:      DefaultLogsKeyMap(),
		Alerts:    DefaultAlertsKeyMap(),
		Home:      DefaultHomeKeyMap(),
		Metrics:   DefaultMetricsKeyMap(),
		Query:     DefaultQueryKeyMap(),
		Jobs:      DefaultJobsKeyMap(),
	}
}

// Actions lists every binding of s with its name, in a stable order. The bindings point
// into s.
func (s *Set) Actions() []Action {
	var all []Action
	all = append(all, s.Global.Actions()...)
	all = append(all, s.Table.Actions()...)
	all = append(all, s.Workloads.Actions()...)
	all = append(all, s.Logs.Actions()...)
	all = append(all, s.Alerts.Actions()...)
	all = append(all, s.Home.Actions()...)
	all = append(all, s.Metrics.Actions()...)
	all = append(all, s.Query.Actions()...)
	all = append(all, s.Jobs.Actions()...)
	return all
}

// Lookup returns the binding named name, pointing into s.
func (s *Set) Lookup(name string) (*key.Binding, bool) {
	for _, a := range s.Actions() {
		if a.Name == name {
			return a.Binding, true
		}
	}
	return nil, false
}

// Names returns every action name in a stable order.
func Names() []string {
	s := Set{}
	acts := s.Actions()
	names := make([]string, len(acts))
	for i, a := range acts {
		names[i] = a.Name
	}
	return names
}

// Dangerous returns the names of the actions that change the cluster or the alerting state.
// Read-only mode disables them; the platform API refuses them anyway.
func Dangerous() []string {
	return []string{
		"workloads.restart",
		"workloads.scale",
		"workloads.rollback",
		"workloads.delete-pod",
		"alerts.silence",
		"jobs.run",
	}
}

// IsDangerous reports whether the action named name is in Dangerous.
func IsDangerous(name string) bool {
	return slices.Contains(Dangerous(), name)
}

// ApplyReadOnly disables every dangerous binding. Disabled bindings never match a key and
// vanish from the help.
func (s *Set) ApplyReadOnly() {
	for _, name := range Dangerous() {
		if b, ok := s.Lookup(name); ok {
			b.SetEnabled(false)
		}
	}
}

// UnknownActionError is an override for an action name that does not exist.
type UnknownActionError struct {
	Name       string
	Suggestion string // the closest valid name
}

func (e *UnknownActionError) Error() string {
	return fmt.Sprintf("unknown key action %q (did you mean %q?)", e.Name, e.Suggestion)
}

// KeyError is an override with a key that cannot be bound.
type KeyError struct {
	Action string
	Key    string
	Err    error
}

func (e *KeyError) Error() string { return fmt.Sprintf("%s: %v", e.Action, e.Err) }
func (e *KeyError) Unwrap() error { return e.Err }

// ConflictError is one key bound to two actions live on the same screen.
type ConflictError struct {
	Key     string
	Actions [2]string
	Screen  string // the first screen where both are live
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("key %q is bound to both %s and %s (both live on the %s screen)",
		e.Key, e.Actions[0], e.Actions[1], e.Screen)
}

// Apply sets the keys of the named actions: overrides maps an action name to the keys that
// replace its defaults (see NormalizeKey for the syntax); an empty list unbinds the action.
// The help shows the new keys. Every unknown name (with the closest valid one) and bad key
// is reported; once all are valid, every conflict is. On any error s is left unchanged.
func (s *Set) Apply(overrides map[string][]string) error {
	next := *s
	names := make([]string, 0, len(overrides))
	for name := range overrides {
		names = append(names, name)
	}
	sort.Strings(names)

	var errs []error
	for _, name := range names {
		b, ok := next.Lookup(name)
		if !ok {
			errs = append(errs, &UnknownActionError{Name: name, Suggestion: suggest(name)})
			continue
		}
		var keys []string
		bad := false
		for _, k := range overrides[name] {
			nk, err := NormalizeKey(k)
			if err != nil {
				errs = append(errs, &KeyError{Action: name, Key: k, Err: err})
				bad = true
				continue
			}
			if !slices.Contains(keys, nk) {
				keys = append(keys, nk)
			}
		}
		if bad {
			continue
		}
		b.SetKeys(keys...)
		b.SetHelp(helpKey(keys), b.Help().Desc)
	}
	if len(errs) == 0 {
		if err := next.Check(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	*s = next
	return nil
}

// screen is a set of actions live at the same time.
type screen struct {
	name    string
	actions []Action
}

// screens lists the combinations of key maps that are live together, smallest first.
func (s *Set) screens() []screen {
	g, t := s.Global.Actions(), s.Table.Actions()
	cat := func(parts ...[]Action) []Action { return slices.Concat(parts...) }
	return append([]screen{
		{"every", g},
		{"list", cat(g, t)},
		{"workloads", cat(g, t, s.Workloads.Actions())},
		{"alerts", cat(g, t, s.Alerts.Actions())},
		{"logs", cat(g, s.Table.navigationActions(), s.Logs.Actions())},
		{"home", cat(g, t, s.Home.Actions())},
		{"metrics", cat(g, s.Metrics.Actions())},
	}, slices.Concat(s.queryScreens(), s.jobsScreens())...)
}

// Conflicts returns every key bound to two actions live on the same screen, each pair
// once, enabled or not (read-only mode must not hide a conflict that returns with write
// access).
func (s *Set) Conflicts() []ConflictError {
	var out []ConflictError
	seen := map[string]bool{}
	for _, sc := range s.screens() {
		owner := map[string]string{}
		for _, a := range sc.actions {
			for _, k := range a.Binding.Keys() {
				first, taken := owner[k]
				if !taken {
					owner[k] = a.Name
					continue
				}
				if first == a.Name {
					continue
				}
				id := k + "\x00" + first + "\x00" + a.Name
				if seen[id] {
					continue
				}
				seen[id] = true
				out = append(out, ConflictError{Key: k, Actions: [2]string{first, a.Name}, Screen: sc.name})
			}
		}
	}
	return out
}

// Check returns the conflicts of s as one error, or nil.
func (s *Set) Check() error {
	var errs []error
	for _, c := range s.Conflicts() {
		errs = append(errs, &c)
	}
	return errors.Join(errs...)
}

// suggest returns the valid action name closest to name. A name without a scope is also
// compared with the part after each valid name's dot ("restart" -> "workloads.restart").
func suggest(name string) string {
	best, bestD := "", -1
	lname := strings.ToLower(name)
	for _, valid := range Names() {
		d := textdist.Levenshtein(lname, valid)
		if _, action, ok := strings.Cut(valid, "."); ok && !strings.Contains(lname, ".") {
			d = min(d, textdist.Levenshtein(lname, action))
		}
		if bestD < 0 || d < bestD {
			best, bestD = valid, d
		}
	}
	return best
}
