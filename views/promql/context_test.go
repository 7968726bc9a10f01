package promql

import (
	"strings"
	"testing"
)

func TestCursorContext(t *testing.T) {
	// "|" marks the cursor; it is removed from the query.
	cases := []struct {
		in     string
		kind   Kind
		metric string
		label  string
		prefix string
		repl   string // the text a choice replaces
	}{
		{"|", KindMetric, "", "", "", ""},
		{"http_req|", KindMetric, "", "", "http_req", "http_req"},
		{"http_|requests_total", KindMetric, "", "", "http_", "http_requests_total"},
		{"rate(http_req|", KindMetric, "", "", "http_req", "http_req"},
		{"sum(rate(http_req|[5m]))", KindMetric, "", "", "http_req", "http_req"},
		{"histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_b|", KindMetric, "", "", "http_request_duration_seconds_b", "http_request_duration_seconds_b"},
		{"rate(|", KindMetric, "", "", "", ""},
		{"a / |", KindMetric, "", "", "", ""},
		{"a and b|", KindMetric, "", "", "b", "b"},
		{"a > bool |", KindMetric, "", "", "", ""},
		{"up{|", KindLabelName, "up", "", "", ""},
		{"up{|}", KindLabelName, "up", "", "", ""},
		{"up{jo|}", KindLabelName, "up", "", "jo", "jo"},
		{`up{job="api", in|}`, KindLabelName, "up", "", "in", "in"},
		{`{jo|`, KindLabelName, "", "", "jo", "jo"},
		{"up{job=|", KindLabelValue, "up", "job", "", ""},
		{"up{job=~|}", KindLabelValue, "up", "job", "", ""},
		{"up{job != |}", KindLabelValue, "up", "job", "", ""},
		{`up{job="pay|`, KindLabelValue, "up", "job", "pay", `"pay`},
		{`up{job="pay|"}`, KindLabelValue, "up", "job", "pay", `"pay"`},
		{`up{job="pay|ments"}`, KindLabelValue, "up", "job", "pay", `"payments"`},
		{`up{job=|"payments"}`, KindLabelValue, "up", "job", "", `"payments"`},
		{`up{job="a\"b|`, KindLabelValue, "up", "job", `a"b`, `"a\"b`},
		{`up{job='pay|'}`, KindLabelValue, "up", "job", "pay", `'pay'`},
		{`rate(http_requests_total{code=~"5..", service="check|"}[5m])`, KindLabelValue, "http_requests_total", "service", "check", `"check"`},
		{"sum by (|", KindLabelName, "", "", "", ""},
		{"sum by (jo|", KindLabelName, "", "", "jo", "jo"},
		{"sum by (job, |) (rate(http_requests_total[5m]))", KindLabelName, "http_requests_total", "", "", ""},
		{"sum(rate(x[5m])) without (ins|)", KindLabelName, "x", "", "ins", "ins"},
		{"a / on(|) b", KindLabelName, "", "", "", ""},
		{"a * on(job) group_left(|) b", KindLabelName, "", "", "", ""},
		// Nothing to complete: durations, numbers, keywords, strings outside matchers.
		{"rate(x[5|", KindNone, "", "", "", ""},
		{"rate(x[|", KindNone, "", "", "", ""},
		{"x offset |", KindNone, "", "", "", ""},
		{"x |", KindNone, "", "", "", ""},
		{"rate(x[5m]) |", KindNone, "", "", "", ""},
		{"topk(5|", KindNone, "", "", "", ""},
		{`label_replace(x, "ds|`, KindNone, "", "", "", ""},
		{"up{job|", KindLabelName, "up", "", "job", "job"},
		{`up{job="a"|}`, KindNone, "", "", "", ""},
		{"up # a comm|", KindNone, "", "", "", ""},
		{"sum by (job) |", KindNone, "", "", "", ""},
	}
	for _, c := range cases {
		pos := strings.Index(c.in, "|")
		q := strings.Replace(c.in, "|", "", 1)
		got := CursorContext(q, pos)
		if got.Kind != c.kind || got.Metric != c.metric || got.Label != c.label || got.Prefix != c.prefix {
			t.Errorf("%s: got %s metric=%q label=%q prefix=%q, want %s metric=%q label=%q prefix=%q",
				c.in, got.Kind, got.Metric, got.Label, got.Prefix, c.kind, c.metric, c.label, c.prefix)
			continue
		}
		if c.kind != KindNone && q[got.Start:got.End] != c.repl {
			t.Errorf("%s: replaces %q, want %q", c.in, q[got.Start:got.End], c.repl)
		}
	}
}

func TestCursorContextNeverPanics(t *testing.T) {
	qs := []string{"", "{", "}", `"`, `up{job="`, `up{job="\`, "((((", "))))", "]]", "{{{", `'\`, "`", "#", "1e", ".5", "x[5m:1m]", "é{ü=\"ö", "up{,,=}"}
	for _, q := range qs {
		for pos := -1; pos <= len(q)+1; pos++ {
			c := CursorContext(q, pos)
			if c.Kind != KindNone && (c.Start < 0 || c.End > len(q) || c.Start > c.End) {
				t.Errorf("%q@%d: range %d..%d", q, pos, c.Start, c.End)
			}
		}
	}
}

func FuzzCursorContext(f *testing.F) {
	for _, s := range []string{`rate(http_requests_total{code=~"5..",job="a\"b"}[5m])`, "sum by (job) (x)", "{"} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, q string, pos int) {
		c := CursorContext(q, pos)
		if c.Kind != KindNone && (c.Start < 0 || c.End > len(q) || c.Start > c.End) {
			t.Fatalf("%q@%d: range %d..%d", q, pos, c.Start, c.End)
		}
	})
}

func TestQuoteValue(t *testing.T) {
	for in, want := range map[string]string{
		`payments`:   `"payments"`,
		`a"b`:        `"a\"b"`,
		`a\b`:        `"a\\b"`,
		"a\nb":       `"a\nb"`,
		"\x1b]0;x\a": `"\x1b]0;x\a"`,
	} {
		if got := QuoteValue(in); got != want {
			t.Errorf("QuoteValue(%q) = %s, want %s", in, got, want)
		}
	}
}
