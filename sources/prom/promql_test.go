package prom

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// github.com/prometheus/prometheus is not in vigie's module graph, so the tests parse
// selectors back with this small reference parser of `{name op "value", ...}`. It follows
// PromQL's lexer where it matters for escaping: a double-quoted string ends at the first
// unescaped quote, cannot contain a raw newline, and is unquoted with Go's rules
// (Prometheus calls strconv.Unquote on it).
func parseSelector(s string) ([]Matcher, error) {
	if !strings.HasPrefix(s, "{") {
		return nil, fmt.Errorf("want '{' at 0")
	}
	i := 1
	var out []Matcher
	for {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i < len(s) && s[i] == '}' {
			i++
			break
		}
		j := i
		for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || j > i && s[j] >= '0' && s[j] <= '9') {
			j++
		}
		if j == i {
			return nil, fmt.Errorf("want a label name at %d in %q", i, s)
		}
		m := Matcher{Name: s[i:j]}
		i = j
		for _, op := range []string{"=~", "!~", "!=", "="} {
			if strings.HasPrefix(s[i:], op) {
				m.Op = op
				break
			}
		}
		if m.Op == "" {
			return nil, fmt.Errorf("want an operator at %d in %q", i, s)
		}
		i += len(m.Op)
		if i >= len(s) || s[i] != '"' {
			return nil, fmt.Errorf("want '\"' at %d in %q", i, s)
		}
		j = i + 1
		for ; j < len(s) && s[j] != '"'; j++ {
			switch s[j] {
			case '\\':
				j++
			case '\n':
				return nil, fmt.Errorf("newline in string at %d", j)
			}
		}
		if j >= len(s) {
			return nil, fmt.Errorf("unterminated string from %d in %q", i, s)
		}
		v, err := strconv.Unquote(s[i : j+1])
		if err != nil {
			return nil, fmt.Errorf("string %s: %w", s[i:j+1], err)
		}
		m.Value = v
		out = append(out, m)
		i = j + 1
		if i < len(s) && s[i] == ',' {
			i++
			continue
		}
		if i < len(s) && s[i] == '}' {
			i++
			break
		}
		return nil, fmt.Errorf("want ',' or '}' at %d in %q", i, s)
	}
	if i != len(s) {
		return nil, fmt.Errorf("trailing %q after the selector", s[i:])
	}
	return out, nil
}

// selectors extracts every {...} of a rendered query, skipping strings, so that each can
// be parsed back on its own.
func selectors(q string) ([]string, error) {
	var out []string
	start, depth := -1, 0
	for i := 0; i < len(q); i++ {
		switch q[i] {
		case '"':
			j := i + 1
			for ; j < len(q) && q[j] != '"'; j++ {
				if q[j] == '\\' {
					j++
				}
			}
			if j >= len(q) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			i = j
		case '{':
			if depth == 0 {
				start = i
			}
			depth++
		case '}':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced } at %d", i)
			}
			if depth == 0 {
				out = append(out, q[start:i+1])
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unclosed {")
	}
	return out, nil
}

func TestMatchersRendersSortedAndEscaped(t *testing.T) {
	got, err := Matchers(map[string]string{"team": "payments", "namespace": `a"b\c` + "\n}"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{namespace="a\"b\\c\n}",team="payments"}`
	if got != want {
		t.Fatalf("Matchers = %s, want %s", got, want)
	}
	if got, _ := Matchers(nil); got != "{}" {
		t.Fatalf("Matchers(nil) = %s", got)
	}
}

func TestMatchersRejectsBadNamesAndUTF8(t *testing.T) {
	for _, labels := range []map[string]string{
		{"te-am": "x"}, {"1team": "x"}, {"": "x"}, {`team="x"}`: "y"}, {"team": "\xff"},
	} {
		if got, err := Matchers(labels); err == nil {
			t.Errorf("Matchers(%q) = %s, want an error", labels, got)
		}
	}
}

func TestRegexMatcherQuotesMetaAndString(t *testing.T) {
	got, err := RegexMatcher("namespace", []string{"pay.ments", `a|b`, "pay.ments", `x\"`})
	if err != nil {
		t.Fatal(err)
	}
	want := `namespace=~"a\\|b|pay\\.ments|x\\\\\""`
	if got != want {
		t.Fatalf("RegexMatcher = %s, want %s", got, want)
	}
	if _, err := RegexMatcher("namespace", nil); err == nil {
		t.Fatal("no values: want an error")
	}
	if _, err := RegexMatcher("name space", []string{"a"}); err == nil {
		t.Fatal("bad name: want an error")
	}
}

func TestScopeSelector(t *testing.T) {
	s := Scope{Labels: map[string]string{"team": "payments"}, OneOf: map[string][]string{"namespace": {"payments", "payments-jobs"}}}
	got, err := s.Selector(Matcher{Name: "service", Op: "=", Value: "checkout"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `team="payments",namespace=~"payments|payments-jobs",service="checkout"`; got != want {
		t.Fatalf("Selector = %s, want %s", got, want)
	}
	if _, err := s.Selector(Matcher{Name: "team", Op: "=", Value: "search"}); err == nil {
		t.Fatal("overriding the team matcher: want an error")
	}
	bad := Scope{Labels: map[string]string{"namespace": "a"}, OneOf: map[string][]string{"namespace": {"b"}}}
	if _, err := bad.Selector(); err == nil {
		t.Fatal("label both in Labels and OneOf: want an error")
	}
	if sel, _ := (Scope{}).seriesSelector(""); sel != `{__name__=~".+"}` {
		t.Fatalf("empty scope series selector = %s", sel)
	}
	if _, err := (Scope{}).seriesSelector(`up{job="x"}`); err == nil {
		t.Fatal("metric name with a selector: want an error")
	}
}

// FuzzMatchersCannotBreakOut: whatever the team and service values, each selector of every
// golden-signal query parses back to exactly the intended matchers, and the OneOf regex
// matches exactly the intended values.
func FuzzMatchersCannotBreakOut(f *testing.F) {
	for _, s := range []string{"payments", `"`, `\`, `}`, "\n", `"}` + "\n" + `or vector(1) #`, `\"`, `a",team=~".*`, "\r\t\x00\u2028", `{{.Matchers}}`} {
		f.Add(s, "checkout")
		f.Add("payments", s)
	}
	f.Fuzz(func(t *testing.T, team, service string) {
		if !utf8.ValidString(team) || !utf8.ValidString(service) || service == "" {
			if _, err := Matchers(map[string]string{"team": team}); utf8.ValidString(team) == (err != nil) {
				t.Fatalf("Matchers(%q): err = %v", team, err)
			}
			return
		}
		sel, err := Matchers(map[string]string{"team": team, "service": service})
		if err != nil {
			t.Fatal(err)
		}
		ms, err := parseSelector(sel)
		if err != nil {
			t.Fatalf("%s does not parse back: %v", sel, err)
		}
		want := []Matcher{{"service", "=", service}, {"team", "=", team}}
		if fmt.Sprint(ms) != fmt.Sprint(want) {
			t.Fatalf("%s parses to %q, want %q", sel, ms, want)
		}

		svc, err := NewService(ServiceOptions{Name: service, Scope: Scope{
			Labels: map[string]string{"team": team}, OneOf: map[string][]string{"namespace": {team, "other"}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		for _, sig := range AllSignals() {
			q := svc.Query(sig, 0)
			sels, err := selectors(q)
			if err != nil {
				t.Fatalf("%s: %s: %v", sig, q, err)
			}
			if len(sels) == 0 {
				t.Fatalf("%s: no selector in %s", sig, q)
			}
			for _, s := range sels {
				ms, err := parseSelector(s)
				if err != nil {
					t.Fatalf("%s: selector %s of %s: %v", sig, s, q, err)
				}
				got := map[string]Matcher{}
				for _, m := range ms {
					got[m.Name+m.Op] = m
				}
				if got["team="].Value != team || got["service="].Value != service {
					t.Fatalf("%s: selector %s lost the scope: %q", sig, s, ms)
				}
				re, err := regexp.Compile("^(?:" + got["namespace=~"].Value + ")$")
				if err != nil {
					t.Fatalf("%s: namespace regex %q: %v", sig, got["namespace=~"].Value, err)
				}
				if !re.MatchString(team) || !re.MatchString("other") || re.MatchString(team+"x") {
					t.Fatalf("%s: namespace regex %q does not match exactly %q and other", sig, re, team)
				}
			}
		}
	})
}
