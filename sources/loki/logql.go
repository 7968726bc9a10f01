package loki

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// LogQL built from the team scope. Every value goes through Escape, so a label value or a
// search text can never close its string and add matchers or stages of its own.

// MatchType is a stream selector operator.
type MatchType string

// Stream selector operators.
const (
	MatchEqual     MatchType = "="
	MatchNotEqual  MatchType = "!="
	MatchRegexp    MatchType = "=~"
	MatchNotRegexp MatchType = "!~"
)

// Matcher is one label matcher. For the regexp types Value is a regexp (RE2 syntax,
// anchored by Loki); OneOf builds one from literal values.
type Matcher struct {
	Name  string
	Type  MatchType
	Value string
}

// OneOf matches label name against any of values taken literally: name="v" for one
// value, name=~"v1|v2" (each value regexp-quoted) for several.
func OneOf(name string, values ...string) Matcher {
	if len(values) == 1 {
		return Matcher{Name: name, Type: MatchEqual, Value: values[0]}
	}
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = regexp.QuoteMeta(v)
	}
	return Matcher{Name: name, Type: MatchRegexp, Value: strings.Join(quoted, "|")}
}

func (m Matcher) validate() error {
	if !validLabelName(m.Name) {
		return fmt.Errorf("loki selector: invalid label name %s", quoteName(m.Name))
	}
	switch m.Type {
	case MatchEqual, MatchNotEqual:
	case MatchRegexp, MatchNotRegexp:
		if _, err := regexp.Compile("^(?:" + m.Value + ")$"); err != nil {
			return fmt.Errorf("loki selector: label %s: %w", m.Name, err)
		}
	default:
		return fmt.Errorf("loki selector: unknown match type %q", string(m.Type))
	}
	return nil
}

// String renders the matcher with its value escaped: name="value".
func (m Matcher) String() string { return m.Name + string(m.Type) + Quote(m.Value) }

// Selector builds a stream selector of equality matchers, sorted by label name:
// {app="checkout", namespace="payments"}. Label names must match
// [a-zA-Z_][a-zA-Z0-9_]*; values are escaped.
func Selector(matchers map[string]string) (string, error) {
	ms := make([]Matcher, 0, len(matchers))
	for k, v := range matchers {
		ms = append(ms, Matcher{Name: k, Type: MatchEqual, Value: v})
	}
	return SelectorOf(ms...)
}

// SelectorOf builds a stream selector from matchers, sorted by label name then type.
// At least one matcher is required (Loki also wants one that cannot match the empty
// value; the server says so when it is missing).
func SelectorOf(ms ...Matcher) (string, error) {
	if len(ms) == 0 {
		return "", errors.New("loki selector: no matchers")
	}
	ms = slices.Clone(ms)
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].Name != ms[j].Name {
			return ms[i].Name < ms[j].Name
		}
		return ms[i].Type < ms[j].Type
	})
	parts := make([]string, len(ms))
	for i, m := range ms {
		if err := m.validate(); err != nil {
			return "", err
		}
		parts[i] = m.String()
	}
	return "{" + strings.Join(parts, ", ") + "}", nil
}

// Line filter operators.
const (
	Contains       = "|="
	NotContains    = "!="
	MatchesRegexp  = "|~"
	NotMatchRegexp = "!~"
)

// LineFilter builds a line filter stage: op is |=, !=, |~ or !~. For |= and != text is
// literal; for |~ and !~ it is a regexp (RE2), checked here. A regexp with backslashes is
// written as a raw `string` when it can be (no backtick, no carriage return, valid
// UTF-8), so \d stays readable; otherwise as an escaped "string".
func LineFilter(op, text string) (string, error) {
	switch op {
	case Contains, NotContains:
		return op + " " + Quote(text), nil
	case MatchesRegexp, NotMatchRegexp:
		if _, err := regexp.Compile(text); err != nil {
			return "", fmt.Errorf("loki line filter: %w", err)
		}
		if strings.Contains(text, `\`) && !strings.ContainsAny(text, "`\r") && utf8.ValidString(text) {
			return op + " `" + text + "`", nil
		}
		return op + " " + Quote(text), nil
	default:
		return "", fmt.Errorf("loki line filter: unknown operator %q (want |=, !=, |~ or !~)", op)
	}
}

// Quote returns s as a LogQL double-quoted string literal: "..." with Escape.
func Quote(s string) string { return `"` + Escape(s) + `"` }

// Escape escapes s for the inside of a LogQL double-quoted string (Loki reads it with Go's
// string literal rules): backslash, double quote, newline, carriage return and tab get
// their backslash escapes, other control characters and bytes that are not UTF-8 become
// \xNN, so the literal reads back as exactly s.
func Escape(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteByte(hex[s[i]>>4])
			b.WriteByte(hex[s[i]&0xf])
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func validLabelName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// quoteName shows a rejected label name in an error without letting it break the line.
func quoteName(s string) string { return Quote(s) }
