package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ThemeAuto is the theme that picks dark or light from the terminal's background.
const ThemeAuto = "auto"

// ThemeNames returns the theme names that are not paths: auto and the built-in themes.
// They mirror package themes, which this package does not import (it stays free of UI
// packages); cmd/vigie tests that the two agree.
func ThemeNames() []string { return []string{ThemeAuto, "dark", "light", "high-contrast", "mono"} }

// UI is the user-interface part of the configuration: the theme and the key overrides.
// This package only checks their shape (and that a theme file exists); the key names and
// the theme file's content are checked by the keymaps and themes packages when the TUI
// is built. The zero value is the default: auto theme, default keys.
type UI struct {
	// Theme is "auto", a built-in theme name (lower case), "" meaning auto, or the path as
	// written when it names a theme file (then ThemeFile is set).
	Theme string
	// ThemeFile is the absolute path of the theme file when Theme names one, else "".
	ThemeFile string
	// Keys maps an action name ("table.filter") to its keys as written; an empty list
	// unbinds the action. Nil when the file has no overrides.
	Keys map[string][]string

	keyPos   map[string]string // action -> "file:line:col" of its key in the file
	keysPos  string            // "file:line:col" of the keys mapping
	themePos string            // "file:line:col" of the theme value, or "$VIGIE_THEME"
}

// KeyPosition returns "file:line:col" of the override of action, else of the keys
// mapping, "" when unknown (no file, or a UI built by hand).
func (u UI) KeyPosition(action string) string {
	if p, ok := u.keyPos[action]; ok {
		return p
	}
	return u.keysPos
}

// ThemePosition returns "file:line:col" of the theme value, "$VIGIE_THEME" when the
// theme came from the environment, or "" when no theme is set.
func (u UI) ThemePosition() string { return u.themePos }

// clone returns a deep copy of u.
func (u UI) clone() UI {
	c := u
	if u.Keys != nil {
		c.Keys = make(map[string][]string, len(u.Keys))
		for k, v := range u.Keys {
			c.Keys[k] = slices.Clone(v)
		}
	}
	c.keyPos = maps.Clone(u.keyPos)
	return c
}

// builtinTheme returns the canonical name of a theme that is not a path.
func builtinTheme(s string) (string, bool) {
	name := strings.ToLower(strings.TrimSpace(s))
	return name, slices.Contains(ThemeNames(), name)
}

// themeExpected ends every theme problem.
func themeExpected() string {
	return "(expected " + strings.Join(ThemeNames(), ", ") + ", or the path of a YAML theme file)"
}

// position formats the position of n in file as "file:line:col".
func position(file string, n *yaml.Node) string {
	if n == nil {
		return file
	}
	return file + ":" + strconv.Itoa(n.Line) + ":" + strconv.Itoa(n.Column)
}

// actionPathRE matches action names that read well after "keys." ("table.filter").
var actionPathRE = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)

// KeyPath returns the field path of the override of action, as problems name it:
// keys.table.filter (action names are dotted, so they are not quoted as other keys with
// dots are), or keys["odd name"].
func KeyPath(action string) string { return joinPath("keys", action) }

// theme decodes the theme key: a built-in name, or a path made absolute (its existence
// is checked by Load, for the theme actually used).
func (p *fileParser) theme(ui *UI, v *yaml.Node, path string) {
	s, ok := p.str(v, path)
	if !ok {
		return
	}
	ui.themePos = position(p.file, deref(v))
	if name, ok := builtinTheme(s); ok {
		ui.Theme = name
		return
	}
	abs, err := expandPath(s, p.dir, p.home)
	if err != nil {
		p.add(v, path, "%v %s", err, themeExpected())
		return
	}
	ui.Theme, ui.ThemeFile = s, abs
}

// keys decodes the keys mapping: action name -> a key or a list of keys.
func (p *fileParser) keys(ui *UI, k, v *yaml.Node, path string) {
	m := p.mapping(v, path)
	if m == nil {
		return
	}
	ui.keysPos = position(p.file, k)
	ui.Keys = map[string][]string{}
	ui.keyPos = map[string]string{}
	for _, kv := range p.pairs(m, path) {
		action := kv.key.Value
		child := KeyPath(action)
		p.pos[child] = kv.value
		ui.keyPos[action] = position(p.file, kv.key)
		if list, ok := p.keyList(kv.value, child); ok {
			ui.Keys[action] = list
		}
	}
}

// noKey is the problem of a null key: YAML reads a bare ~ as null, a bare # as a
// comment and a bare ! as a tag, which are all keys a user may mean.
const noKey = `no key given (expected a key, a list of keys, or [] to unbind; quote keys that YAML reads specially, such as "~", "#" or "!")`

// keyList decodes a key ("ctrl+f") or a list of keys; [] is an empty, non-nil list.
func (p *fileParser) keyList(n *yaml.Node, path string) ([]string, bool) {
	s := deref(n)
	switch {
	case isNull(s):
		p.add(n, path, noKey)
		return nil, false
	case s.Kind == yaml.ScalarNode:
		k, ok := p.key(n, path)
		if !ok {
			return nil, false
		}
		return []string{k}, true
	case s.Kind != yaml.SequenceNode:
		p.add(n, path, "expected a key or a list of keys, got %s", describe(s))
		return nil, false
	}
	out := make([]string, 0, len(s.Content))
	good := true
	for i, item := range s.Content {
		itemPath := path + "[" + strconv.Itoa(i) + "]"
		switch it := deref(item); {
		case isNull(it):
			p.add(item, itemPath, noKey)
			good = false
		case it.Kind != yaml.ScalarNode:
			p.add(item, itemPath, "expected a key, got %s", describe(it))
			good = false
		default:
			k, ok := p.key(item, itemPath)
			good = good && ok
			out = append(out, k)
		}
	}
	return out, good
}

// key decodes one scalar key. Its syntax is keymaps' business; only emptiness is
// checked here.
func (p *fileParser) key(n *yaml.Node, path string) (string, bool) {
	s := deref(n)
	switch {
	case s.Value == "" && s.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		p.add(n, path, `empty key: a bare > or | starts a YAML block (expected a quoted key such as ">")`)
		return "", false
	case s.Value == "":
		p.add(n, path, `empty key (expected a key such as "/", "G" or "ctrl+f"; use [] to unbind)`)
		return "", false
	}
	v := s.Value
	return v, true
}

// selectUI sets r.UI: the file's theme and keys, with VIGIE_THEME over the theme, and
// checks that the theme file in use exists.
func (r *Resolved) selectUI(o overrides, home string, p parsed) []Problem {
	r.UI = r.File.Config.UI.clone()
	if s := o.theme; s.set() {
		r.UI.Theme, r.UI.ThemeFile, r.UI.themePos = s.value, "", "$"+s.source
		if name, ok := builtinTheme(s.value); ok {
			r.UI.Theme = name
		} else {
			path, err := expandPath(s.value, "", home)
			if err == nil {
				path, err = filepath.Abs(path)
			}
			if err != nil {
				return []Problem{{Path: s.source, Msg: fmt.Sprintf("%v %s", err, themeExpected())}}
			}
			r.UI.ThemeFile = path
		}
	}
	if r.UI.ThemeFile == "" {
		return nil
	}
	msg := checkThemeFile(r.UI.Theme, r.UI.ThemeFile)
	switch {
	case msg == "":
		return nil
	case o.theme.set():
		return []Problem{{Path: o.theme.source, Msg: msg}}
	}
	pr := Problem{File: p.d.file, Path: "theme", Msg: msg}
	if n := deref(p.d.pos["theme"]); n != nil {
		pr.Line, pr.Col = n.Line, n.Column
	}
	return []Problem{pr}
}

// checkThemeFile says what is wrong with the theme file at abs (written as written), or
// "". A value close to a built-in name gets a hint: "drak" is a typo, not a file.
func checkThemeFile(written, abs string) string {
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("theme file %s does not exist%s %s", abs, suggest(written, ThemeNames()), themeExpected())
	case err != nil:
		return fmt.Sprintf("cannot use theme file: %v", err)
	case st.IsDir():
		return fmt.Sprintf("theme file %s is a directory %s", abs, themeExpected())
	}
	return ""
}
