package loki

import (
	"strings"
	"testing"

	"github.com/vigie-dev/vigie/test/lokifake"
)

func TestSelector(t *testing.T) {
	got, err := Selector(map[string]string{"team": "payments", "app": `say "hi"\n`, "namespace": "a\nb"})
	want := `{app="say \"hi\"\\n", namespace="a\nb", team="payments"}`
	if err != nil || got != want {
		t.Fatalf("Selector = %s, %v\nwant %s", got, err, want)
	}
	for _, bad := range []string{"", "1app", "app-name", "app}", `a"b`, "é"} {
		if _, err := Selector(map[string]string{bad: "x"}); err == nil || !strings.Contains(err.Error(), "invalid label name") {
			t.Errorf("label name %q: %v", bad, err)
		}
	}
	if _, err := Selector(nil); err == nil {
		t.Error("an empty selector must be refused")
	}
	got, err = SelectorOf(OneOf("namespace", "payments", "search.v2"), Matcher{Name: "app", Type: MatchNotEqual, Value: "x"})
	if err != nil || got != `{app!="x", namespace=~"payments|search\\.v2"}` {
		t.Errorf("SelectorOf = %s, %v", got, err)
	}
	if _, err := SelectorOf(Matcher{Name: "app", Type: MatchRegexp, Value: "("}); err == nil {
		t.Error("an invalid regexp must be refused")
	}
	if _, err := SelectorOf(Matcher{Name: "app", Type: "==", Value: "x"}); err == nil {
		t.Error("an unknown match type must be refused")
	}
}

func TestLineFilter(t *testing.T) {
	cases := []struct{ op, text, want string }{
		{"|=", `say "hi"`, `|= "say \"hi\""`},
		{"!=", "debug", `!= "debug"`},
		{"|~", `\d+ms`, "|~ `\\d+ms`"},      // raw string keeps the regexp readable
		{"!~", "a`b\\d", "!~ \"a`b\\\\d\""}, // a backtick forces a double-quoted string
		{"|~", "GET|POST", `|~ "GET|POST"`}, // nothing to escape
		{"|=", "tab\there\x00", `|= "tab\there\x00"`},
	}
	for _, c := range cases {
		got, err := LineFilter(c.op, c.text)
		if err != nil || got != c.want {
			t.Errorf("LineFilter(%q, %q) = %s, %v; want %s", c.op, c.text, got, err, c.want)
		}
	}
	if _, err := LineFilter("|~", "(unclosed"); err == nil {
		t.Error("an invalid regexp must be refused")
	}
	if _, err := LineFilter("|", "x"); err == nil {
		t.Error("an unknown operator must be refused")
	}
}

// parseBack parses query with the fake server's LogQL parser (which reads strings with Go's
// literal rules, as Loki does).
func parseBack(t *testing.T, query string) *lokifake.Query {
	t.Helper()
	q, err := lokifake.ParseQuery(query)
	if err != nil {
		t.Fatalf("query %q does not parse: %v", query, err)
	}
	return q
}

// FuzzSelector proves a label value cannot break out of its string: whatever it contains
// (quotes, backslashes, braces, newlines, backticks, invalid UTF-8), the selector parses
// back to exactly the matchers given, with the value intact.
func FuzzSelector(f *testing.F) {
	for _, s := range []string{"", `"`, `\`, `}`, "\n", "`", `", team=~".*`, `\"}`, "a\\\"b\n}`", "\xff\xfe", "é\u2028"} {
		f.Add(s, "payments")
	}
	f.Fuzz(func(t *testing.T, value, team string) {
		// namespace is never empty: Loki refuses selectors that all match "".
		sel, err := Selector(map[string]string{"app": value, "team": team, "namespace": "payments"})
		if err != nil {
			t.Fatal(err)
		}
		q := parseBack(t, sel+` |= "x"`) // a filter after it proves the selector ended where it should
		if len(q.Matchers) != 3 || len(q.Filters) != 1 {
			t.Fatalf("%s parsed into %d matchers and %d filters", sel, len(q.Matchers), len(q.Filters))
		}
		got := map[string]string{}
		for _, m := range q.Matchers {
			if m.Type != lokifake.MatchEqual {
				t.Fatalf("%s: matcher %s has type %s", sel, m.Name, m.Type)
			}
			got[m.Name] = m.Value
		}
		if got["app"] != value || got["team"] != team {
			t.Fatalf("%s read back as app=%q team=%q, want %q %q", sel, got["app"], got["team"], value, team)
		}
	})
}

// FuzzLineFilter proves the same for line filters, literal and regexp.
func FuzzLineFilter(f *testing.F) {
	for _, s := range []string{"", `"`, `\d+`, "`", "a`b\\", "}\n|= \"x", "\r\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, op := range []string{Contains, NotContains, MatchesRegexp, NotMatchRegexp} {
			lf, err := LineFilter(op, text)
			if err != nil {
				continue // not a valid regexp
			}
			q := parseBack(t, `{app="a"} `+lf+` != "end"`)
			if len(q.Filters) != 2 || q.Filters[0].Op != op || q.Filters[0].Text != text || q.Filters[1].Text != "end" {
				t.Fatalf("%s read back as %+v, want %s %q", lf, q.Filters, op, text)
			}
		}
	})
}
