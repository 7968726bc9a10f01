package keymaps

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
)

// DangerMark starts the help description of dangerous actions.
const DangerMark = "!"

// modifier order as Bubble Tea prints keystrokes ("ctrl+alt+shift+meta+hyper+super+x").
func modifierOrder() []string {
	return []string{"ctrl", "alt", "shift", "meta", "hyper", "super"}
}

// namedKey returns the canonical name of a non-printable key, accepting common aliases.
func namedKey(s string) (string, bool) {
	switch s {
	case "enter", "tab", "backspace", "esc", "space", "up", "down", "left", "right",
		"begin", "find", "insert", "delete", "select", "pgup", "pgdown", "home", "end":
		return s, true
	case "escape":
		return "esc", true
	case "return":
		return "enter", true
	case "pageup":
		return "pgup", true
	case "pagedown":
		return "pgdown", true
	case "del":
		return "delete", true
	case "ins":
		return "insert", true
	}
	if n, ok := strings.CutPrefix(s, "f"); ok {
		if i, err := strconv.Atoi(n); err == nil && i >= 1 && i <= 63 && n == strconv.Itoa(i) {
			return s, true
		}
	}
	return "", false
}

// NormalizeKey checks a key as a user writes it and returns it in the form Bubble Tea v2
// reports it (tea.KeyPressMsg.String), which is what key.Matches compares: a printable
// character as itself ("g", "G", "?", "<"), other keys by name ("enter", "esc", "pgup", "f5",
// "space"), with modifiers in Bubble Tea's order ("ctrl+alt+shift+meta+hyper+super+").
// Names and modifiers are case-insensitive; "shift+g" becomes "G", "alt+G" becomes
// "alt+shift+g" (as a terminal reports it). Sequences ("gg") are not supported.
func NormalizeKey(s string) (string, error) {
	if s == " " {
		return "space", nil
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("empty key")
	}
	if utf8.RuneCountInString(s) == 1 {
		r, _ := utf8.DecodeRuneInString(s)
		if !unicode.IsPrint(r) {
			return "", fmt.Errorf("key %q is not printable: write its name (tab, enter, esc, ...)", s)
		}
		return s, nil
	}

	var parts []string
	if strings.HasSuffix(s, "++") {
		parts = append(strings.Split(s[:len(s)-2], "+"), "+")
	} else {
		parts = strings.Split(s, "+")
	}
	last, mods := parts[len(parts)-1], parts[:len(parts)-1]
	if last == "" {
		return "", fmt.Errorf("key %q: missing key after the last +", s)
	}

	set := map[string]bool{}
	for _, m := range mods {
		lm := strings.ToLower(strings.TrimSpace(m))
		if lm == "control" {
			lm = "ctrl"
		}
		known := false
		for _, o := range modifierOrder() {
			known = known || o == lm
		}
		if !known {
			return "", fmt.Errorf("key %q: unknown modifier %q (want %s)", s, m, strings.Join(modifierOrder(), ", "))
		}
		if set[lm] {
			return "", fmt.Errorf("key %q: modifier %s given twice", s, lm)
		}
		set[lm] = true
	}

	var name string
	if utf8.RuneCountInString(last) == 1 {
		r, _ := utf8.DecodeRuneInString(last)
		switch {
		case r == ' ':
			name = "space"
		case !unicode.IsPrint(r):
			return "", fmt.Errorf("key %q: %q is not printable", s, last)
		case unicode.IsUpper(r):
			set["shift"] = true
			r = unicode.ToLower(r)
			name = string(r)
		default:
			name = string(r)
		}
		if len(set) == 1 && set["shift"] && name != "space" {
			lr := []rune(name)[0]
			if !unicode.IsLetter(lr) {
				return "", fmt.Errorf("key %q: shift+%s depends on the keyboard layout: write the character it types", s, name)
			}
			return string(unicode.ToUpper(lr)), nil
		}
	} else {
		n, ok := namedKey(strings.ToLower(last))
		if !ok {
			return "", fmt.Errorf("key %q: unknown key name %q (want a single character or one of enter, tab, backspace, esc, space, up, down, left, right, home, end, pgup, pgdown, insert, delete, f1-f63; sequences are not supported)", s, last)
		}
		name = n
	}

	var b strings.Builder
	for _, m := range modifierOrder() {
		if set[m] {
			b.WriteString(m)
			b.WriteByte('+')
		}
	}
	b.WriteString(name)
	return b.String(), nil
}

// helpKey is the key column of the help for keys: arrows as symbols, joined by "/".
func helpKey(keys []string) string {
	out := make([]string, len(keys))
	for i, k := range keys {
		switch k {
		case "up":
			out[i] = "↑"
		case "down":
			out[i] = "↓"
		case "left":
			out[i] = "←"
		case "right":
			out[i] = "→"
		default:
			out[i] = k
		}
	}
	return strings.Join(out, "/")
}

// bind makes a binding whose help shows its keys.
func bind(desc string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(helpKey(keys), desc))
}

// bindDanger makes a dangerous binding: its help description carries DangerMark.
func bindDanger(desc string, keys ...string) key.Binding {
	return bind(DangerMark+" "+desc, keys...)
}
