package alertmanager

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/prometheus/alertmanager/matcher/parse"
	amlabels "github.com/prometheus/alertmanager/pkg/labels"
)

func TestFilters(t *testing.T) {
	f := TeamFilter{Matchers: map[string]string{"team": "payments", "env": `pr"od`}, OneOf: map[string][]string{"namespace": {"pay.ments", "jobs"}}}
	got, err := f.Filters()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`env="pr\"od"`, `team="payments"`, `namespace=~"jobs|pay\\.ments"`}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("Filters = %q, want %q", got, want)
	}
	for name, bad := range map[string]TeamFilter{
		"bad name":     {Matchers: map[string]string{"te am": "x"}},
		"bad utf8":     {Matchers: map[string]string{"team": "\xff"}},
		"both":         {Matchers: map[string]string{"team": "x"}, OneOf: map[string][]string{"team": {"y"}}},
		"empty one-of": {OneOf: map[string][]string{"namespace": nil}},
	} {
		if _, err := bad.Filters(); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	if got, err := (TeamFilter{}).Filters(); err != nil || len(got) != 0 {
		t.Errorf("zero filter = %q, %v", got, err)
	}
}

// FuzzFilterCannotBreakOut: a team value with quotes, backslashes, braces, commas or
// newlines is read back by both of Alertmanager's matcher parsers (the classic one that
// Alertmanager 0.25 runs, and the UTF-8 one of 0.27+) as exactly one equality matcher on
// that value; the regex of OneOf matches exactly the given values.
func FuzzFilterCannotBreakOut(f *testing.F) {
	for _, s := range []string{"payments", `"`, `\`, `}`, "\n", `a",team=~".*`, `\"`, `x\`, "a,b", `{}`, " lead", "trail ", "\t\r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if !utf8.ValidString(v) {
			if _, err := (TeamFilter{Matchers: map[string]string{"team": v}}).Filters(); err == nil {
				t.Fatalf("invalid UTF-8 %q accepted", v)
			}
			return
		}
		fs, err := (TeamFilter{Matchers: map[string]string{"team": v}, OneOf: map[string][]string{"service": {v, "other"}}}).Filters()
		if err != nil {
			t.Fatal(err)
		}
		eq, re := fs[0], fs[1]

		m, err := amlabels.ParseMatcher(eq)
		if err != nil {
			t.Fatalf("classic parser: %s: %v", eq, err)
		}
		if m.Name != "team" || m.Type != amlabels.MatchEqual || m.Value != v {
			t.Fatalf("classic parser: %s reads as %s=%q", eq, m.Name, m.Value)
		}
		ms, err := amlabels.ParseMatchers("{" + strings.Join(fs, ",") + "}")
		if err != nil || len(ms) != 2 {
			t.Fatalf("classic parser: %v: %v %v", fs, ms, err)
		}
		um, err := parse.Matcher(eq)
		if err != nil {
			t.Fatalf("utf-8 parser: %s: %v", eq, err)
		}
		if um.Name != "team" || um.Type != amlabels.MatchEqual || um.Value != v {
			t.Fatalf("utf-8 parser: %s reads as %s=%q", eq, um.Name, um.Value)
		}

		rm, err := amlabels.ParseMatcher(re)
		if err != nil || rm.Type != amlabels.MatchRegexp {
			t.Fatalf("classic parser: %s: %v", re, err)
		}
		rx := regexp.MustCompile("^(?:" + rm.Value + ")$")
		if !rx.MatchString(v) || !rx.MatchString("other") || rx.MatchString(v+"x") {
			t.Fatalf("%s: regex %q does not match exactly %q and other", re, rm.Value, v)
		}
	})
}
