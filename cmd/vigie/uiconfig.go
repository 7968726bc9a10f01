package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vigie-dev/vigie/internal/config"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/themes"
)

// uiSetup is what the TUI needs from the UI part of the configuration.
type uiSetup struct {
	Keys keymaps.Set
	// Theme is a built-in name or "auto" (dark or light from the terminal's background).
	// When UserTheme is set it is "auto" and unused.
	Theme     string
	UserTheme *themes.Palette // non-nil when the config names a theme file
}

// buildUI applies the key overrides to keymaps.Default() (Set.Apply), applies read-only
// mode (Set.ApplyReadOnly) when readOnly, and loads the theme file with themes.LoadFile.
// Every problem is reported at once, each naming its position in the config file:
//
//	/home/a/.config/vigie/config.yaml:12:3: keys.table.filter: key "/" is already bound to table.up on the list screen (...)
//	/home/a/.config/vigie/config.yaml:14:3: keys.tabel.filter: unknown key action "tabel.filter" (did you mean "table.filter"?)
//
// The error is a uiErrors; errors.As finds the keymaps and themes errors in it.
func buildUI(ui config.UI, readOnly bool) (uiSetup, error) {
	out := uiSetup{Keys: keymaps.Default(), Theme: themes.NameAuto}
	var errs uiErrors
	if len(ui.Keys) > 0 {
		if err := out.Keys.Apply(ui.Keys); err != nil {
			errs = append(errs, keyProblems(ui, err)...)
		}
	}
	if readOnly {
		out.Keys.ApplyReadOnly()
	}
	switch {
	case ui.ThemeFile != "":
		p, err := themes.LoadFile(ui.ThemeFile)
		if err != nil {
			errs = append(errs, themeProblems(ui, err)...)
			break
		}
		out.UserTheme = &p
	case ui.Theme != "":
		// config accepts the names themes knows (tested); check anyway rather than start
		// with a theme nobody asked for.
		if _, err := themes.Pick(ui.Theme, true); err != nil {
			errs = append(errs, positioned(ui.ThemePosition(), "theme", err))
			break
		}
		out.Theme = strings.ToLower(strings.TrimSpace(ui.Theme))
	}
	if len(errs) > 0 {
		errs.sort()
		return uiSetup{}, errs
	}
	return out, nil
}

// uiErrors is every problem found in the keys and the theme of the configuration.
type uiErrors []error

// Error lists every problem, one per line, as config.Errors does.
func (e uiErrors) Error() string {
	if len(e) == 1 {
		return e[0].Error()
	}
	lines := []string{fmt.Sprintf("%d configuration problems:", len(e))}
	for _, err := range e {
		lines = append(lines, err.Error())
	}
	return strings.Join(lines, "\n")
}

func (e uiErrors) Unwrap() []error { return e }

// sort orders the problems in the config file by position, as config.Errors are; the
// others (inside a theme file, or without a position) follow in their order.
func (e uiErrors) sort() {
	type key struct {
		file      string
		line, col int
	}
	keyOf := func(err error) key {
		var p *posError
		if errors.As(err, &p) {
			if file, lc, ok := cutPosition(p.pos); ok {
				return key{file, lc[0], lc[1]}
			}
		}
		return key{}
	}
	slices.SortStableFunc(e, func(a, b error) int {
		ka, kb := keyOf(a), keyOf(b)
		switch {
		case (ka.line == 0) != (kb.line == 0):
			if ka.line == 0 {
				return 1
			}
			return -1
		case ka.file != kb.file:
			return strings.Compare(ka.file, kb.file)
		case ka.line != kb.line:
			return ka.line - kb.line
		}
		return ka.col - kb.col
	})
}

// cutPosition splits "file:line:col" into the file and [line, col].
func cutPosition(pos string) (string, [2]int, bool) {
	rest, c, ok1 := cutLastColon(pos)
	file, l, ok2 := cutLastColon(rest)
	line, err1 := strconv.Atoi(l)
	col, err2 := strconv.Atoi(c)
	if !ok1 || !ok2 || err1 != nil || err2 != nil {
		return "", [2]int{}, false
	}
	return file, [2]int{line, col}, true
}

func cutLastColon(s string) (string, string, bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// posError is a problem at a position of the config file ("file:line:col", or
// "$VIGIE_THEME", or "" when unknown) and a field path.
type posError struct {
	pos, path string
	msg       string
	err       error // the keymaps or themes error, for errors.As
}

func (e *posError) Error() string {
	var b strings.Builder
	if e.pos != "" {
		b.WriteString(e.pos + ": ")
	}
	if e.path != "" {
		b.WriteString(e.path + ": ")
	}
	b.WriteString(e.msg)
	return b.String()
}

func (e *posError) Unwrap() error { return e.err }

func positioned(pos, path string, err error) error {
	return &posError{pos: pos, path: path, msg: err.Error(), err: err}
}

// leaves flattens errors.Join trees (Set.Apply joins its problems, and the conflicts of
// Set.Check are joined inside).
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// keyProblems turns what Set.Apply returned into one problem per key error, each at the
// position of the override it is about.
func keyProblems(ui config.UI, err error) []error {
	var out []error
	for _, leaf := range leaves(err) {
		var unknown *keymaps.UnknownActionError
		var bad *keymaps.KeyError
		var conflict *keymaps.ConflictError
		switch {
		case errors.As(leaf, &unknown):
			out = append(out, positioned(ui.KeyPosition(unknown.Name), config.KeyPath(unknown.Name), leaf))
		case errors.As(leaf, &bad):
			out = append(out, &posError{pos: ui.KeyPosition(bad.Action), path: config.KeyPath(bad.Action), msg: bad.Err.Error(), err: leaf})
		case errors.As(leaf, &conflict):
			out = append(out, conflictProblem(ui, conflict))
		default:
			out = append(out, positioned(ui.KeyPosition(""), "keys", leaf))
		}
	}
	return out
}

// conflictProblem reports a conflict at the override that caused it: the action whose
// keys were overridden, naming the one that already had the key.
func conflictProblem(ui config.UI, c *keymaps.ConflictError) error {
	a, b := c.Actions[0], c.Actions[1]
	_, overA := ui.Keys[a]
	_, overB := ui.Keys[b]
	switch {
	case overA && overB:
		return &posError{pos: ui.KeyPosition(b), path: config.KeyPath(b), err: c,
			msg: fmt.Sprintf("key %q is also bound to %s on the %s screen (expected different keys for them: both are live there)", c.Key, a, c.Screen)}
	case overA:
		a, b = b, a
		fallthrough
	case overB:
		return &posError{pos: ui.KeyPosition(b), path: config.KeyPath(b), err: c,
			msg: fmt.Sprintf("key %q is already bound to %s on the %s screen (expected a free key, or override %s too)", c.Key, a, c.Screen, a)}
	}
	return positioned(ui.KeyPosition(""), "keys", c)
}

// themeProblems reports a theme file that does not load. A problem inside the file is
// at its own position (where the editor should jump), with where the config names it.
func themeProblems(ui config.UI, err error) []error {
	from := ui.ThemePosition()
	if from == "" {
		from = "the configuration"
	}
	var out []error
	for _, leaf := range leaves(err) {
		var pe *themes.ParseError
		if errors.As(leaf, &pe) {
			out = append(out, &posError{msg: fmt.Sprintf("%v (theme file named at %s)", leaf, from), err: leaf})
			continue
		}
		out = append(out, positioned(ui.ThemePosition(), "theme", leaf))
	}
	return out
}
