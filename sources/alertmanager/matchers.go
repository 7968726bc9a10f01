package alertmanager

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/alertmanager/api/v2/models"
)

// labelNameRE is the classic Alertmanager label name syntax, which both of its matcher
// parsers (the classic one of 0.25 and the UTF-8 one of 0.27+) accept unquoted.
var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Quote renders v as a double-quoted matcher value. Only backslash, double quote and
// newline are escaped: they are the escapes both Alertmanager parsers read the same way
// (the classic parser keeps any other backslash literally). v must be valid UTF-8.
func Quote(v string) (string, error) {
	if !utf8.ValidString(v) {
		return "", fmt.Errorf("alertmanager: matcher value %q is not valid UTF-8", v)
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(v) + `"`, nil
}

// Matcher renders one matcher `name op "value"`. op is "=", "!=", "=~" or "!~".
func Matcher(name, op, value string) (string, error) {
	if !labelNameRE.MatchString(name) {
		return "", fmt.Errorf("alertmanager: invalid label name %q", name)
	}
	switch op {
	case "=", "!=", "=~", "!~":
	default:
		return "", fmt.Errorf("alertmanager: invalid matcher operator %q", op)
	}
	q, err := Quote(value)
	if err != nil {
		return "", err
	}
	return name + op + q, nil
}

// TeamFilter is a team's part of Alertmanager: only alerts matching every matcher are
// fetched. The zero TeamFilter matches every alert (a configuration without teams).
type TeamFilter struct {
	Matchers map[string]string   // equality matchers, e.g. team="payments"
	OneOf    map[string][]string // name=~"a|b" over literal values (regexp-quoted)
}

// Filters renders f as the API's filter parameters, sorted by label name, equalities
// first. A bad label name or a name in both maps is an error (never a wider filter).
func (f TeamFilter) Filters() ([]string, error) {
	names := make([]string, 0, len(f.Matchers))
	for k := range f.Matchers {
		names = append(names, k)
	}
	slices.Sort(names)
	out := make([]string, 0, len(f.Matchers)+len(f.OneOf))
	for _, k := range names {
		m, err := Matcher(k, "=", f.Matchers[k])
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	names = names[:0]
	for k := range f.OneOf {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if _, dup := f.Matchers[k]; dup {
			return nil, fmt.Errorf("alertmanager filter: label %s is both in Matchers and OneOf", k)
		}
		vs := slices.Clone(f.OneOf[k])
		if len(vs) == 0 {
			return nil, fmt.Errorf("alertmanager filter: label %s: no values to match", k)
		}
		slices.Sort(vs)
		vs = slices.Compact(vs)
		for i, v := range vs {
			vs[i] = regexp.QuoteMeta(v)
		}
		m, err := Matcher(k, "=~", strings.Join(vs, "|"))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// renderMatcher renders a silence's matcher as Alertmanager shows it.
func renderMatcher(m *models.Matcher) string {
	if m == nil || m.Name == nil || m.Value == nil {
		return ""
	}
	op := "="
	equal := m.IsEqual == nil || *m.IsEqual
	regex := m.IsRegex != nil && *m.IsRegex
	switch {
	case regex && equal:
		op = "=~"
	case regex:
		op = "!~"
	case !equal:
		op = "!="
	}
	q, err := Quote(*m.Value)
	if err != nil {
		q = fmt.Sprintf("%q", *m.Value)
	}
	return *m.Name + op + q
}
