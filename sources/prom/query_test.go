package prom

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSignalsAtReadsValuesAndNoData(t *testing.T) {
	f, api := newFakeProm(t, bySignal(map[Signal]string{
		Rate: "23.9", ErrorRatio: "0.002", LatencyP50: "0.04", LatencyP95: "0.08", LatencyP99: "NaN", CPU: "0.21",
		// Memory: empty vector
	}))
	svc := paymentsService(t, ServiceOptions{})
	at := time.Unix(1795660898, 0)
	s, err := SignalsAt(context.Background(), api, svc, at)
	if err != nil {
		t.Fatal(err)
	}
	if s.Service != "checkout" || !s.At.Equal(at) || len(s.Values) != len(AllSignals()) {
		t.Fatalf("signals = %+v", s)
	}
	if r := s.Get(Rate); !r.OK || r.Value != 23.9 || r.Unit != UnitReqPerSec {
		t.Errorf("rate = %+v", r)
	}
	if r := s.Get(ErrorRatio); !r.OK || r.Value != 0.002 || r.Unit != UnitRatio {
		t.Errorf("error ratio = %+v", r)
	}
	if r := s.Get(LatencyP99); r.OK || r.Unit != UnitSeconds {
		t.Errorf("NaN p99 = %+v, want no data", r)
	}
	if r := s.Get(Memory); r.OK {
		t.Errorf("empty memory = %+v, want no data", r)
	}
	if n := len(f.seen()); n != len(AllSignals()) {
		t.Errorf("%d queries, want %d", n, len(AllSignals()))
	}
	for _, q := range f.seen() {
		if !strings.Contains(q, `team="payments"`) {
			t.Errorf("query without the team scope: %s", q)
		}
	}
}

func TestSignalsAtRejectsUnaggregatedOverride(t *testing.T) {
	_, api := newFakeProm(t, func(string, url.Values) (int, string) { return 200, vector(1, "1", "2") })
	svc := paymentsService(t, ServiceOptions{})
	s, err := SignalsAt(context.Background(), api, svc, time.Now())
	if err == nil || !strings.Contains(err.Error(), "returned 2 series") {
		t.Fatalf("err = %v", err)
	}
	if s.Get(Rate).OK {
		t.Fatal("a reading from a bad answer")
	}
}

func TestQueryErrorKeepsServerWordsAndPosition(t *testing.T) {
	const msg = `invalid parameter "query": 1:26: parse error: unexpected <by> in aggregation`
	_, api := newFakeProm(t, func(string, url.Values) (int, string) { return 400, apiError("bad_data", msg) })
	q := `sum(rate(foo{a="b"}[5m]) by`
	_, _, err := Eval(context.Background(), api, q, time.Now())
	var qe *QueryError
	if !errors.As(err, &qe) {
		t.Fatalf("err = %T %v", err, err)
	}
	if qe.Msg != msg || qe.Type != "bad_data" || qe.Query != q {
		t.Errorf("QueryError = %+v", qe)
	}
	if qe.Pos == nil || qe.Pos.Line != 1 || qe.Pos.Column != 26 || q[qe.Pos.Offset:] != "by" {
		t.Errorf("position = %+v", qe.Pos)
	}
	if err.Error() != "bad_data: "+msg {
		t.Errorf("Error() = %s", err)
	}
}

func TestParsePosition(t *testing.T) {
	q := "sum(\n  rate(foo[5m]) +)"
	for _, c := range []struct {
		msg      string
		line     int
		col, off int
	}{
		{`invalid parameter "query": 2:18: parse error: unexpected ")"`, 2, 18, 22},
		{`parse error at line 2, char 18: unexpected ")"`, 2, 18, 22},
		{`parse error at char 3: unexpected`, 1, 3, 2},
		{`1:99: parse error: past the end`, 1, 99, -1},
	} {
		p := parsePosition(c.msg, q)
		if p == nil || p.Line != c.line || p.Column != c.col || p.Offset != c.off {
			t.Errorf("%s: %+v", c.msg, p)
		}
	}
	if p := parsePosition(`query timed out in expression evaluation`, q); p != nil {
		t.Errorf("no position: %+v", p)
	}
}

func TestQueryErrorOfAProxy(t *testing.T) {
	_, api := newFakeProm(t, func(string, url.Values) (int, string) { return 502, "upstream connect error" })
	_, _, err := Eval(context.Background(), api, "up", time.Now())
	var qe *QueryError
	if !errors.As(err, &qe) || qe.Type != "server_error" || !strings.Contains(qe.Msg, "upstream connect error") || qe.Pos != nil {
		t.Fatalf("err = %+v", err)
	}
}

func TestQueryErrorUnreachable(t *testing.T) {
	api, err := New(Options{URL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = Eval(context.Background(), api, "up", time.Now())
	var qe *QueryError
	if !errors.As(err, &qe) || qe.Type != "" || !strings.Contains(qe.Msg, "connection refused") {
		t.Fatalf("err = %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	_, _, err = Eval(ctx, api, "up", time.Now())
	if !errors.As(err, &qe) || !qe.Timeout() {
		t.Fatalf("deadline: %v", err)
	}
}

func TestSignalsRange(t *testing.T) {
	body := `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1795660800,"1"],[1795660830,"NaN"],[1795660860,"3"]]}]}}`
	f, api := newFakeProm(t, func(path string, _ url.Values) (int, string) {
		if path != "/api/v1/query_range" {
			return 404, "not found"
		}
		return 200, body
	})
	svc := paymentsService(t, ServiceOptions{})
	start := time.Unix(1795660800, 0)
	s, err := SignalsRange(context.Background(), api, svc, start, start.Add(10*time.Minute), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	r := s.Series[Rate]
	if len(r.Points) != 2 || r.Points[1].V != 3 || !r.Points[1].T.Equal(start.Add(time.Minute)) || r.Unit != UnitReqPerSec {
		t.Fatalf("rate series = %+v (NaN must be a gap)", r)
	}
	if !strings.Contains(r.Query, "[5m]") {
		t.Errorf("window: %s", r.Query)
	}
	f.mu.Lock()
	form := f.forms[0]
	f.mu.Unlock()
	if form.Get("step") != "30" || form.Get("start") != "1795660800" {
		t.Errorf("range form = %v", form)
	}
	// A step above the window widens the window.
	s, _ = SignalsRange(context.Background(), api, svc, start, start.Add(24*time.Hour), 10*time.Minute)
	if q := s.Series[Rate].Query; !strings.Contains(q, "[10m]") {
		t.Errorf("window with a 10m step: %s", q)
	}
	if _, err := SignalsRange(context.Background(), api, svc, start, start.Add(7*24*time.Hour), time.Second); err == nil {
		t.Error("too many points: want an error")
	}
	if _, err := SignalsRange(context.Background(), api, svc, start, start, time.Second); err == nil {
		t.Error("empty range: want an error")
	}
}

func TestCompletionSendsScopeAndFilters(t *testing.T) {
	f, api := newFakeProm(t, func(path string, form url.Values) (int, string) {
		switch path {
		case "/api/v1/label/__name__/values":
			return 200, `{"status":"success","data":["http_requests_total","http_request_duration_seconds_bucket","up","go_goroutines"]}`
		case "/api/v1/label/service/values":
			return 200, `{"status":"success","data":["ledger","checkout"]}`
		case "/api/v1/labels":
			return 200, `{"status":"success","data":["__name__","code","service","team"]}`
		case "/api/v1/series":
			return 200, `{"status":"success","data":[{"__name__":"up","team":"payments"},{"__name__":"up","team":"payments","service":"x"}]}`
		}
		return 404, "not found"
	})
	scope := Scope{Labels: map[string]string{"team": `pay"ments`}}
	end := time.Unix(1795660800, 0)
	names, err := MetricNames(context.Background(), api, CompleteQuery{Scope: scope, Prefix: "http_", End: end})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "http_request_duration_seconds_bucket,http_requests_total" {
		t.Errorf("names = %v", names)
	}
	f.mu.Lock()
	form := f.forms[0]
	f.mu.Unlock()
	if got := form["match[]"]; len(got) != 1 || got[0] != `{team="pay\"ments"}` {
		t.Errorf("match[] = %q", got)
	}
	if form.Get("end") != "1795660800" || form.Get("start") != "1795657200" {
		t.Errorf("time bounds = %s..%s", form.Get("start"), form.Get("end"))
	}
	vals, err := LabelValues(context.Background(), api, CompleteQuery{Scope: scope, Metric: "http_requests_total", Limit: 1}, "service")
	if err != nil || len(vals) != 1 || vals[0] != "checkout" {
		t.Errorf("values = %v, %v", vals, err)
	}
	f.mu.Lock()
	form = f.forms[1]
	f.mu.Unlock()
	if got := form["match[]"]; len(got) != 1 || got[0] != `http_requests_total{team="pay\"ments"}` {
		t.Errorf("match[] = %q", got)
	}
	labels, err := LabelNames(context.Background(), api, CompleteQuery{Scope: scope})
	if err != nil || len(labels) != 4 {
		t.Errorf("labels = %v, %v", labels, err)
	}
	sets, err := SeriesOf(context.Background(), api, CompleteQuery{Scope: scope, Metric: "up", Limit: 1})
	if err != nil || len(sets) != 1 || sets[0]["team"] != "payments" {
		t.Errorf("series = %v, %v", sets, err)
	}
	if _, err := LabelValues(context.Background(), api, CompleteQuery{}, "a-b"); err == nil {
		t.Error("bad label name: want an error")
	}
	if _, err := LabelNames(context.Background(), api, CompleteQuery{Start: end, End: end.Add(-time.Second)}); err == nil {
		t.Error("start after end: want an error")
	}
}
