package lokifake

import (
	"errors"
	"testing"
	"time"
)

func TestParseQueryErrorsWordedLikeLoki(t *testing.T) {
	cases := []struct{ q, want string }{
		{`{app="foo"`, "parse error at line 1, col 11: syntax error: unexpected $end, expecting } or ,"},
		{`{namespace="pay"`, "parse error at line 1, col 17: syntax error: unexpected $end, expecting } or ,"},
		{``, "parse error at line 1, col 1: syntax error: unexpected $end"},
		{`foo`, "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER"},
		{`{app foo}`, "parse error at line 1, col 6: syntax error: unexpected IDENTIFIER, expecting = or != or =~ or !~"},
		{`{app="a"} |= bar`, "parse error at line 1, col 14: syntax error: unexpected IDENTIFIER, expecting STRING"},
		{`{app="a}`, "parse error at line 1, col 6: literal not terminated"},
		{"{app=\"a\nb\"}", "parse error at line 1, col 6: literal not terminated"},
		{`{app="\q"}`, "parse error at line 1, col 6: invalid char escape"},
		{"{app=\"a\",\n  team=}", "parse error at line 2, col 8: syntax error: unexpected }, expecting STRING"},
		{`{}`, "parse error at line 1, col 2: syntax error: unexpected }, expecting IDENTIFIER"},
		{`{app=~".*"}`, `parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will`},
		{`{app!="x"}`, `parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will`},
		{`count_over_time({app="a"})`, "parse error at line 1, col 26: syntax error: unexpected ), expecting RANGE"},
		{`rate({app="a"}[5x])`, `parse error at line 1, col 15: syntax error: invalid range "5x"`},
		{`sum by (app count_over_time({app="a"}[1m]))`, "parse error at line 1, col 13: syntax error: unexpected count_over_time, expecting , or )"},
	}
	for _, c := range cases {
		_, err := ParseQuery(c.q)
		var pe *ParseError
		if !errors.As(err, &pe) || err.Error() != c.want {
			t.Errorf("ParseQuery(%q) = %v\n want %s", c.q, err, c.want)
		}
	}
}

func TestParseQueryUnsupported(t *testing.T) {
	for _, q := range []string{`{app="a"} | json`, `max_over_time({app="a"}[1m])`, `sum(sum(rate({app="a"}[1m])))`} {
		var ue *UnsupportedError
		if _, err := ParseQuery(q); !errors.As(err, &ue) {
			t.Errorf("ParseQuery(%q) = %v, want an UnsupportedError", q, err)
		}
	}
}

func TestParseQuerySubset(t *testing.T) {
	q, err := ParseQuery("{app=\"a\\\"b\", team=~`pay.*`, pod!=\"x\", rate!~\"y|z\"} |= \"err\" != `debug` |~ `\\d+ms` !~ \"^GET\"")
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Matchers) != 4 || q.Matchers[0].Value != `a"b` || q.Matchers[1].Type != MatchRegexp || q.Matchers[3].Name != "rate" {
		t.Fatalf("matchers = %+v", q.Matchers)
	}
	if !q.MatchesLabels(map[string]string{"app": `a"b`, "team": "payments", "pod": "p", "rate": "w"}) {
		t.Error("labels should match")
	}
	if q.MatchesLabels(map[string]string{"app": `a"b`, "team": "xpayments"}) {
		t.Error("regexp matchers are anchored")
	}
	for line, keep := range map[string]bool{
		"POST err took 12ms": true,
		"GET err took 12ms":  false,
		"POST err debug 1ms": false,
		"POST err took ms":   false,
		"POST ok took 12ms":  false,
	} {
		if q.KeepLine(line) != keep {
			t.Errorf("KeepLine(%q) = %v", line, !keep)
		}
	}

	q, err = ParseQuery(`sum by (app, team) (count_over_time({team="payments"} |= "error" [5m]))`)
	if err != nil {
		t.Fatal(err)
	}
	if m := q.Metric; m == nil || m.Func != "count_over_time" || m.Range != 5*time.Minute || !m.Sum || m.By == nil || len(m.By.Labels) != 2 {
		t.Fatalf("metric = %+v", q.Metric)
	}
	q, err = ParseQuery(`sum(rate({team="payments"}[30s])) by (app)`)
	if err != nil || q.Metric.Func != "rate" || q.Metric.By.Labels[0] != "app" {
		t.Fatalf("sum(...) by: %+v %v", q, err)
	}
	q, err = ParseQuery(`sum(rate({team="payments"}[1m]))`)
	if err != nil || q.Metric.By != nil || !q.Metric.Sum {
		t.Fatalf("plain sum: %+v %v", q, err)
	}
	if q, err = ParseQuery(`3.5`); err != nil || *q.Scalar != 3.5 {
		t.Fatalf("scalar: %v", err)
	}
}

func TestParseTimestamp(t *testing.T) {
	def := time.Unix(42, 0)
	want := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := map[string]time.Time{
		"":                               def,
		"1704067200":                     want,                                  // 10 digits: seconds
		"1704067200000000000":            want,                                  // nanoseconds
		"1704067200000000001":            want.Add(1),                           // nanoseconds, exactly
		"1704067200.5":                   want.Add(500 * time.Millisecond),      // float seconds
		"2024-01-01T00:00:00Z":           want,                                  // RFC3339
		"2024-01-01T00:00:00.000000007Z": want.Add(7),                           // RFC3339Nano
		"999":                            time.Unix(999, 0),                     // short: seconds
		"17040672000":                    time.Unix(0, 17040672000),             // 11 digits: ns
		"2024-01-01T01:00:00+01:00":      want,                                  // with an offset
		"1704067200.000001":              want.Add(1000 * time.Nanosecond),      // micro in float
		"1704067200.25":                  want.Add(250 * time.Millisecond),      // quarter second
		"0":                              time.Unix(0, 0),                       // epoch
		"1":                              time.Unix(1, 0),                       // one second
		"1704067200123":                  time.Unix(0, 1704067200123).UTC(),     // 13 digits: ns
		"9999999999":                     time.Unix(9999999999, 0),              // max 10-digit
		"10000000000":                    time.Unix(0, 10000000000),             // 11 digits
		"1704067200.999999999":           want.Add(999999999 * time.Nanosecond), // rounding
	}
	for in, w := range cases {
		got, err := ParseTimestamp(in, def)
		if err != nil {
			t.Errorf("ParseTimestamp(%q): %v", in, err)
			continue
		}
		// float64 cannot hold every nanosecond of today's epoch: allow 1µs for floats.
		if d := got.Sub(w); d > time.Microsecond || d < -time.Microsecond {
			t.Errorf("ParseTimestamp(%q) = %s, want %s", in, got.UTC().Format(time.RFC3339Nano), w.UTC().Format(time.RFC3339Nano))
		}
	}
	if _, err := ParseTimestamp("yesterday", def); err == nil || err.Error() != `cannot parse "yesterday" to a valid timestamp` {
		t.Errorf("bad timestamp: %v", err)
	}
}
