package lokifake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// t0 is 2024-01-01T00:00:00Z, the example time of LOKI-API.md.
var t0 = time.Unix(1704067200, 0)

// fixture: 3 streams; payments/api logs one line a second for 10s (every third an
// error), payments/worker 5 lines, search/indexer 4 lines. Now is t0+60s.
func fixture(t *testing.T, opts Options) (*Server, *httptest.Server, *MemSource) {
	t.Helper()
	src := NewMemSource()
	api := map[string]string{"app": "api", "team": "payments", "namespace": "payments", "pod": "api-1"}
	worker := map[string]string{"app": "worker", "team": "payments", "namespace": "payments", "pod": "worker-1"}
	idx := map[string]string{"app": "indexer", "team": "search", "namespace": "search", "pod": "indexer-1"}
	for i := range 10 {
		line := fmt.Sprintf("level=info msg=\"request %d\"", i)
		if i%3 == 0 {
			line = fmt.Sprintf("level=error msg=\"db timeout %d\"", i)
		}
		src.Append(api, t0.Add(time.Duration(i)*time.Second), line)
	}
	for i := range 5 {
		src.Append(worker, t0.Add(time.Duration(i)*2*time.Second+500*time.Millisecond), fmt.Sprintf("job %d done", i))
	}
	for i := range 4 {
		src.Append(idx, t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("indexed %d", i))
	}
	opts.Source = src
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0.Add(time.Minute) }
	}
	s := New(opts)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs, src
}

func get(t *testing.T, hs *httptest.Server, path string, params url.Values, header ...string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, hs.URL+path+"?"+params.Encode(), nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// getJSON decodes a success answer into plain maps and checks "status":"success".
func getJSON(t *testing.T, hs *httptest.Server, path string, params url.Values) map[string]any {
	t.Helper()
	code, body, h := get(t, hs, path, params)
	if code != 200 {
		t.Fatalf("%s: %d %s", path, code, body)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q", path, ct)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%s: %v in %s", path, err, body)
	}
	if m["status"] != "success" {
		t.Fatalf("%s: status %v", path, m["status"])
	}
	return m
}

func TestQueryRangeStreamsShape(t *testing.T) {
	_, hs, _ := fixture(t, Options{})
	m := getJSON(t, hs, "/loki/api/v1/query_range", url.Values{
		"query": {`{team="payments"} |= "error"`}, "start": {"1704067200"}, "end": {"1704067260000000000"},
	})
	data := m["data"].(map[string]any)
	if data["resultType"] != "streams" {
		t.Fatalf("resultType %v", data["resultType"])
	}
	if _, ok := data["stats"].(map[string]any); !ok {
		t.Errorf("data.stats missing: %v", data)
	}
	result := data["result"].([]any)
	if len(result) != 1 {
		t.Fatalf("want the api stream only, got %v", result)
	}
	s := result[0].(map[string]any)
	if s["stream"].(map[string]any)["app"] != "api" {
		t.Errorf("stream %v", s["stream"])
	}
	values := s["values"].([]any)
	var got []string
	for _, v := range values {
		pair := v.([]any)
		if len(pair) != 2 {
			t.Fatalf("value %v: want [ts, line]", v)
		}
		ts, ok := pair[0].(string) // a string of nanoseconds, not a number
		if !ok {
			t.Fatalf("timestamp %#v is not a string", pair[0])
		}
		if _, err := strconv.ParseInt(ts, 10, 64); err != nil || len(ts) != 19 {
			t.Errorf("timestamp %q is not ns", ts)
		}
		got = append(got, ts+" "+pair[1].(string))
	}
	want := []string{ // backward by default: newest first
		"1704067209000000000 level=error msg=\"db timeout 9\"",
		"1704067206000000000 level=error msg=\"db timeout 6\"",
		"1704067203000000000 level=error msg=\"db timeout 3\"",
		"1704067200000000000 level=error msg=\"db timeout 0\"",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("values:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, ok := m["warnings"]; ok {
		t.Error("no warnings configured, none expected")
	}
}

// lines returns the lines of a streams answer, merged in answer order per stream.
func lines(t *testing.T, m map[string]any) []string {
	t.Helper()
	var out []string
	for _, s := range m["data"].(map[string]any)["result"].([]any) {
		for _, v := range s.(map[string]any)["values"].([]any) {
			out = append(out, v.([]any)[1].(string))
		}
	}
	return out
}

func TestQueryRangeLimitDirectionWindow(t *testing.T) {
	_, hs, _ := fixture(t, Options{})
	q := `{app="api"}`
	// forward, limit 3: the oldest three.
	m := getJSON(t, hs, "/loki/api/v1/query_range", url.Values{"query": {q}, "start": {"1704067200"}, "limit": {"3"}, "direction": {"forward"}})
	if got := lines(t, m); len(got) != 3 || !strings.Contains(got[0], "timeout 0") || !strings.Contains(got[2], "request 2") {
		t.Errorf("forward limit 3: %q", got)
	}
	// start inclusive, end exclusive.
	m = getJSON(t, hs, "/loki/api/v1/query_range", url.Values{"query": {q}, "start": {"1704067202"}, "end": {"1704067205"}, "direction": {"FORWARD"}})
	if got := lines(t, m); len(got) != 3 || !strings.Contains(got[0], "request 2") || !strings.Contains(got[2], "request 4") {
		t.Errorf("[2s, 5s): %q", got)
	}
	// since: start = end - since; RFC3339 end.
	m = getJSON(t, hs, "/loki/api/v1/query_range", url.Values{"query": {q}, "end": {"2024-01-01T00:00:05Z"}, "since": {"2s"}})
	if got := lines(t, m); len(got) != 2 || !strings.Contains(got[0], "request 4") {
		t.Errorf("since 2s: %q", got)
	}
	// default window: the last hour before now (t0+60s), limit 100, backward.
	m = getJSON(t, hs, "/loki/api/v1/query_range", url.Values{"query": {q}})
	if got := lines(t, m); len(got) != 10 || !strings.Contains(got[0], "timeout 9") {
		t.Errorf("defaults: %q", got)
	}
}

func TestQueryRangeMatrixShape(t *testing.T) {
	_, hs, _ := fixture(t, Options{})
	m := getJSON(t, hs, "/loki/api/v1/query_range", url.Values{
		"query": {`sum by (team) (count_over_time({namespace=~"payments|search"}[5s]))`},
		"start": {"1704067205"}, "end": {"1704067210"}, "step": {"5s"},
	})
	data := m["data"].(map[string]any)
	if data["resultType"] != "matrix" {
		t.Fatalf("resultType %v", data["resultType"])
	}
	got := map[string][]string{}
	for _, s := range data["result"].([]any) {
		sm := s.(map[string]any)
		team := sm["metric"].(map[string]any)["team"].(string)
		if len(sm["metric"].(map[string]any)) != 1 {
			t.Errorf("metric %v: want only team", sm["metric"])
		}
		for _, v := range sm["values"].([]any) {
			pair := v.([]any)
			sec, ok := pair[0].(float64) // seconds as a JSON number
			val, ok2 := pair[1].(string) // value as a string
			if !ok || !ok2 {
				t.Fatalf("point %#v: want [number, string]", v)
			}
			got[team] = append(got[team], fmt.Sprintf("%g=%s", sec, val))
		}
	}
	// (0s,5s]: api 1..5 (5) + worker 0.5, 2.5, 4.5 (3) = 8; (5s,10s]: api 6..9 (4) + worker
	// 6.5, 8.5 (2) = 6. search: indexer 1, 2, 3 in (0s,5s]; nothing later, so no point.
	want := map[string][]string{
		"payments": {"1.704067205e+09=8", "1.70406721e+09=6"},
		"search":   {"1.704067205e+09=3"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("matrix %v, want %v", got, want)
	}

	// rate by stream, no sum: one series per stream with all its labels.
	m = getJSON(t, hs, "/loki/api/v1/query_range", url.Values{
		"query": {`rate({app="api"} |= "error" [10s])`}, "start": {"1704067210"}, "end": {"1704067210"}, "step": {"1"},
	})
	res := m["data"].(map[string]any)["result"].([]any)
	if len(res) != 1 {
		t.Fatalf("rate: %v", res)
	}
	s := res[0].(map[string]any)
	if s["metric"].(map[string]any)["pod"] != "api-1" {
		t.Errorf("rate metric %v", s["metric"])
	}
	if v := s["values"].([]any)[0].([]any); v[0].(float64) != 1704067210 || v[1] != "0.3" {
		t.Errorf("rate point %v: want [1704067210, \"0.3\"] (3 errors in 10s)", v)
	}
}

func TestInstantQuery(t *testing.T) {
	_, hs, _ := fixture(t, Options{})
	m := getJSON(t, hs, "/loki/api/v1/query", url.Values{"query": {`sum(count_over_time({team="payments"}[1m]))`}, "time": {"1704067260"}})
	data := m["data"].(map[string]any)
	if data["resultType"] != "vector" {
		t.Fatalf("resultType %v", data["resultType"])
	}
	res := data["result"].([]any)
	if len(res) != 1 {
		t.Fatalf("vector %v", res)
	}
	v := res[0].(map[string]any)
	if len(v["metric"].(map[string]any)) != 0 {
		t.Errorf("sum without by: metric %v, want {}", v["metric"])
	}
	if p := v["value"].([]any); p[0].(float64) != 1704067260 || p[1] != "14" {
		// (t0, t0+60s]: api 1..9 (the line at t0 is out: the range is left-open) + worker 5.
		t.Errorf("value %v, want [1704067260, \"14\"]", p)
	}
	m = getJSON(t, hs, "/loki/api/v1/query", url.Values{"query": {`2`}})
	data = m["data"].(map[string]any)
	if p, ok := data["result"].([]any); data["resultType"] != "scalar" || !ok || p[1] != "2" {
		t.Errorf("scalar %v", data)
	}
	code, body, h := get(t, hs, "/loki/api/v1/query", url.Values{"query": {`{team="payments"}`}})
	if code != 400 || strings.TrimSpace(body) != logQueryNotInstant || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Errorf("log query on /query: %d %q %s", code, body, h.Get("Content-Type"))
	}
}

func TestLabelsValuesSeries(t *testing.T) {
	_, hs, _ := fixture(t, Options{})
	m := getJSON(t, hs, "/loki/api/v1/labels", url.Values{"start": {"1704067200"}})
	if fmt.Sprint(m["data"]) != "[app namespace pod team]" {
		t.Errorf("labels %v", m["data"])
	}
	m = getJSON(t, hs, "/loki/api/v1/label/app/values", url.Values{"query": {`{team="payments"}`}, "start": {"1704067200"}})
	if fmt.Sprint(m["data"]) != "[api worker]" {
		t.Errorf("values %v", m["data"])
	}
	m = getJSON(t, hs, "/loki/api/v1/label/nope/values", url.Values{})
	if d, ok := m["data"].([]any); !ok || len(d) != 0 {
		t.Errorf("values of an unknown label: %#v, want []", m["data"])
	}
	m = getJSON(t, hs, "/loki/api/v1/series", url.Values{"match[]": {`{app="indexer"}`, `{app="worker"}`}, "start": {"1704067200"}})
	series := m["data"].([]any)
	if len(series) != 2 || series[0].(map[string]any)["app"] != "indexer" || series[1].(map[string]any)["team"] != "payments" {
		t.Errorf("series %v", series)
	}
	code, body, _ := get(t, hs, "/loki/api/v1/series", url.Values{})
	if code != 400 || !strings.Contains(body, "match[]") {
		t.Errorf("series without match[]: %d %q", code, body)
	}
}

func TestErrorsArePlainText(t *testing.T) {
	s, hs, _ := fixture(t, Options{Warnings: []string{"query too wide"}})
	cases := []struct {
		params url.Values
		want   string
	}{
		{url.Values{"query": {`{app="api"`}}, "parse error at line 1, col 11: syntax error: unexpected $end, expecting } or ,"},
		{url.Values{"query": {`{app="api"}`}, "limit": {"6000"}}, "max entries limit per query exceeded, limit > max_entries_limit_per_query (6000 > 5000)"},
		{url.Values{"query": {`{app="api"}`}, "limit": {"0"}}, "limit must be a positive value"},
		{url.Values{"query": {`{app="api"}`}, "direction": {"sideways"}}, "invalid direction 'sideways'"},
		{url.Values{"query": {`{app="api"}`}, "start": {"1704067210"}, "end": {"1704067209"}}, "end timestamp must not be before or equal to start time"},
		{url.Values{"query": {`{app="api"}`}, "start": {"soon"}}, `cannot parse "soon" to a valid timestamp`},
		{url.Values{"query": {`rate({app="api"}[1m])`}, "start": {"1704067200"}, "end": {"1704153600"}, "step": {"1"}}, "exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter"},
	}
	for _, c := range cases {
		code, body, h := get(t, hs, "/loki/api/v1/query_range", c.params)
		if code != 400 || strings.TrimSpace(body) != c.want || h.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("%v: %d %q (%s), want 400 %q", c.params, code, body, h.Get("Content-Type"), c.want)
		}
	}
	s.TimeoutNext()
	if code, body, _ := get(t, hs, "/loki/api/v1/query_range", url.Values{"query": {`{app="api"}`}}); code != 504 || strings.TrimSpace(body) != TimeoutText {
		t.Errorf("timeout: %d %q", code, body)
	}
	m := getJSON(t, hs, "/loki/api/v1/query_range", url.Values{"query": {`{app="api"}`}})
	if fmt.Sprint(m["warnings"]) != "[query too wide]" {
		t.Errorf("warnings %v", m["warnings"])
	}
}

func TestTenant(t *testing.T) {
	_, hs, _ := fixture(t, Options{Tenant: "acme"})
	p := url.Values{"query": {`{app="api"}`}}
	if code, body, _ := get(t, hs, "/loki/api/v1/query_range", p); code != 400 || strings.TrimSpace(body) != "no org id" {
		t.Errorf("no header: %d %q", code, body)
	}
	code, body, _ := get(t, hs, "/loki/api/v1/query_range", p, "X-Scope-OrgID", "other")
	if code != 200 || strings.Contains(body, "api") {
		t.Errorf("other tenant sees data: %d %s", code, body)
	}
	code, body, _ = get(t, hs, "/loki/api/v1/query_range", p, "X-Scope-OrgID", "other|acme")
	if code != 200 || !strings.Contains(body, `"app":"api"`) {
		t.Errorf("acme among tenants: %d %s", code, body)
	}
}
