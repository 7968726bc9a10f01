package prom

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// labelNameRE is the classic Prometheus label name syntax. vigie never emits the quoted
// UTF-8 label names of Prometheus 3: every name it puts in a query matches this.
var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// ValidLabelName reports whether name can appear unquoted in a PromQL selector.
func ValidLabelName(name string) bool { return labelNameRE.MatchString(name) }

// Quote renders s as a PromQL double-quoted string literal. PromQL strings use Go's
// escapes: backslash, double quote and newline are escaped, and so is every other
// control character, so the literal always stays on one line and ends at its closing quote.
// s must be valid UTF-8 (Prometheus label values are).
func Quote(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("promql: value %q is not valid UTF-8", s)
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 {
				fmt.Fprintf(&b, `\u%04x`, r)
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

// Matcher is one label matcher. Op is "=", "!=", "=~" or "!~"; for the regex operators
// Value is a regular expression, already built (see OneOfMatcher for literal values).
type Matcher struct {
	Name, Op, Value string
}

// render validates the name and operator and renders the matcher, value quoted.
func (m Matcher) render() (string, error) {
	if !ValidLabelName(m.Name) {
		return "", fmt.Errorf("promql: invalid label name %q", m.Name)
	}
	switch m.Op {
	case "=", "!=", "=~", "!~":
	default:
		return "", fmt.Errorf("promql: invalid matcher operator %q for label %s", m.Op, m.Name)
	}
	q, err := Quote(m.Value)
	if err != nil {
		return "", fmt.Errorf("label %s: %w", m.Name, err)
	}
	return m.Name + m.Op + q, nil
}

// RenderMatchers renders ms as the comma-separated inside of a PromQL selector, without
// braces, in the order given.
func RenderMatchers(ms []Matcher) (string, error) {
	parts := make([]string, 0, len(ms))
	for _, m := range ms {
		s, err := m.render()
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ","), nil
}

// Matchers renders equality matchers for labels as a PromQL selector `{k="v",...}`, sorted
// by label name, values escaped (see Quote). A label name outside [a-zA-Z_][a-zA-Z0-9_]*
// is an error: a name cannot be escaped, and dropping it would widen the team's scope.
func Matchers(labels map[string]string) (string, error) {
	inner, err := RenderMatchers(equalities(labels))
	if err != nil {
		return "", err
	}
	return "{" + inner + "}", nil
}

func equalities(labels map[string]string) []Matcher {
	names := make([]string, 0, len(labels))
	for k := range labels {
		names = append(names, k)
	}
	slices.Sort(names)
	ms := make([]Matcher, 0, len(names))
	for _, k := range names {
		ms = append(ms, Matcher{Name: k, Op: "=", Value: labels[k]})
	}
	return ms
}

// OneOfMatcher returns name=~"v1|v2|..." matching exactly the given literal values: each
// value is regexp.QuoteMeta'd (Prometheus anchors the regex) and the whole is escaped as a
// PromQL string. Values are sorted and deduplicated; an empty list is an error (it would
// match only series without the label).
func OneOfMatcher(name string, values []string) (Matcher, error) {
	if !ValidLabelName(name) {
		return Matcher{}, fmt.Errorf("promql: invalid label name %q", name)
	}
	if len(values) == 0 {
		return Matcher{}, fmt.Errorf("promql: label %s: no values to match", name)
	}
	vs := slices.Clone(values)
	slices.Sort(vs)
	vs = slices.Compact(vs)
	for i, v := range vs {
		if !utf8.ValidString(v) {
			return Matcher{}, fmt.Errorf("promql: label %s: value %q is not valid UTF-8", name, v)
		}
		vs[i] = regexp.QuoteMeta(v)
	}
	return Matcher{Name: name, Op: "=~", Value: strings.Join(vs, "|")}, nil
}

// RegexMatcher renders OneOfMatcher(name, values) as `name=~"..."`.
func RegexMatcher(name string, values []string) (string, error) {
	m, err := OneOfMatcher(name, values)
	if err != nil {
		return "", err
	}
	return m.render()
}

// Scope is a team's part of Prometheus: every query vigie builds carries its matchers.
// The zero Scope matches everything (a configuration without teams).
type Scope struct {
	Labels map[string]string   // equality matchers, e.g. team="payments"
	OneOf  map[string][]string // label=~"a|b" over literal values, e.g. the team's namespaces
}

// Empty reports whether the scope has no matcher.
func (s Scope) Empty() bool { return len(s.Labels) == 0 && len(s.OneOf) == 0 }

// Matchers returns the scope's matchers, equalities first, each group sorted by name.
func (s Scope) Matchers() ([]Matcher, error) {
	ms := equalities(s.Labels)
	names := make([]string, 0, len(s.OneOf))
	for k := range s.OneOf {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if _, dup := s.Labels[k]; dup {
			return nil, fmt.Errorf("promql scope: label %s is both in Labels and OneOf", k)
		}
		m, err := OneOfMatcher(k, s.OneOf[k])
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// With returns the scope's matchers followed by extra (for instance service="checkout").
// A label in extra that the scope already constrains is an error.
func (s Scope) With(extra ...Matcher) ([]Matcher, error) {
	ms, err := s.Matchers()
	if err != nil {
		return nil, err
	}
	for _, e := range extra {
		if slices.ContainsFunc(ms, func(m Matcher) bool { return m.Name == e.Name }) {
			return nil, fmt.Errorf("promql scope: label %s is already constrained by the team scope", e.Name)
		}
	}
	return append(ms, extra...), nil
}

// Selector renders the scope (plus extra) as the inside of a selector, without braces.
func (s Scope) Selector(extra ...Matcher) (string, error) {
	ms, err := s.With(extra...)
	if err != nil {
		return "", err
	}
	return RenderMatchers(ms)
}

// seriesSelector renders metric{scope} for the series/labels endpoints. An empty scope
// without metric becomes {__name__=~".+"}: Prometheus wants a matcher that rejects "".
func (s Scope) seriesSelector(metric string) (string, error) {
	inner, err := s.Selector()
	if err != nil {
		return "", err
	}
	if metric != "" {
		if !metricNameRE.MatchString(metric) {
			return "", fmt.Errorf("promql: invalid metric name %q", metric)
		}
		return metric + "{" + inner + "}", nil
	}
	if inner == "" {
		return `{__name__=~".+"}`, nil
	}
	return "{" + inner + "}", nil
}

var metricNameRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)

// ValidMetricName reports whether name is a classic Prometheus metric name.
func ValidMetricName(name string) bool { return metricNameRE.MatchString(name) }
