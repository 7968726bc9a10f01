//go:build integration

package prom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/vigie-dev/vigie/internal/stackenv"
)

// stackProm returns the local platform's Prometheus URL and an API client; the test fails
// (never skips) when the platform is down.
func stackProm(t *testing.T) (string, promv1.API) {
	t.Helper()
	u := stackenv.MustLoad(t).MustGet(t, "VIGIE_STACK_PROM_URL")
	api, err := New(Options{URL: u})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := api.Buildinfo(ctx); err != nil {
		t.Fatalf("the local platform's Prometheus at %s does not answer (start it with %q): %v", u, stackenv.StartCommand, err)
	}
	return u, api
}

// direct runs an instant query with plain net/http and JSON, independently of the code
// under test. ok is false for an empty vector or NaN.
func direct(t *testing.T, base, q string, at time.Time) (float64, bool) {
	t.Helper()
	form := url.Values{"query": {q}, "time": {strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64)}}
	resp, err := http.PostForm(base+"/api/v1/query", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string
		Error  string
		Data   struct {
			Result []struct {
				Value [2]any
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.Status != "success" {
		t.Fatalf("direct query %s: %s", q, body.Error)
	}
	switch len(body.Data.Result) {
	case 0:
		return 0, false
	case 1:
	default:
		t.Fatalf("direct query %s: %d series", q, len(body.Data.Result))
	}
	f, err := strconv.ParseFloat(body.Data.Result[0].Value[1].(string), 64)
	if err != nil {
		t.Fatal(err)
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}

// expected computes each golden signal of a service with PromQL written here, by hand,
// scoped by namespace (vigie's service scope uses the team label), the error ratio as two
// queries divided in Go.
func expected(t *testing.T, base, ns, svc string, at time.Time) map[Signal]Reading {
	sel := fmt.Sprintf(`namespace=%q,service=%q`, ns, svc)
	get := func(sig Signal, q string) Reading {
		v, ok := direct(t, base, q, at)
		return Reading{Value: v, OK: ok, Unit: sig.Unit()}
	}
	out := map[Signal]Reading{
		Rate:   get(Rate, `sum(rate(http_requests_total{`+sel+`}[5m]))`),
		CPU:    get(CPU, `sum(rate(container_cpu_usage_seconds_total{`+sel+`}[5m])) / sum(container_spec_cpu_quota{`+sel+`} / container_spec_cpu_period{`+sel+`})`),
		Memory: get(Memory, `sum(container_memory_working_set_bytes{`+sel+`}) / sum(container_spec_memory_limit_bytes{`+sel+`})`),
	}
	for sig, q := range map[Signal]string{LatencyP50: "0.5", LatencyP95: "0.95", LatencyP99: "0.99"} {
		out[sig] = get(sig, `histogram_quantile(`+q+`, sum by (le) (rate(http_request_duration_seconds_bucket{`+sel+`}[5m])))`)
	}
	errs, _ := direct(t, base, `sum(rate(http_requests_total{`+sel+`,code=~"5.."}[5m]))`, at) // absent = none
	all, ok := direct(t, base, `sum(rate(http_requests_total{`+sel+`}[5m]))`, at)
	out[ErrorRatio] = Reading{Unit: UnitRatio}
	if ok && all > 0 {
		out[ErrorRatio] = Reading{Value: errs / all, OK: true, Unit: UnitRatio}
	}
	return out
}

func payments(t *testing.T, name string) Service {
	t.Helper()
	s, err := NewService(ServiceOptions{Name: name, Scope: Scope{Labels: map[string]string{"team": "payments"}}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The golden signals of the seeded services equal a direct PromQL query at the same
// evaluation time; the ledger's bad release shows in its error ratio.
func TestSignalsOfSeededServices(t *testing.T) {
	base, api := stackProm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	at := time.Now().Add(-time.Second).Truncate(time.Millisecond)
	got := map[string]Signals{}
	for _, name := range []string{"checkout", "ledger", "fraud-worker"} {
		s, err := SignalsAt(ctx, api, payments(t, name), at)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got[name] = s
		want := expected(t, base, "payments", name, at)
		for _, sig := range AllSignals() {
			g, w := s.Get(sig), want[sig]
			if g.OK != w.OK || g.Unit != w.Unit || (w.OK && math.Abs(g.Value-w.Value) > 1e-9*math.Max(1, math.Abs(w.Value))) {
				t.Errorf("%s %s = %+v, direct query says %+v", name, sig, g, w)
			}
		}
		t.Logf("%s: rate %.2f req/s, errors %.4f, p50 %.3fs p99 %.3fs, cpu %.3f, mem %.3f", name,
			s.Get(Rate).Value, s.Get(ErrorRatio).Value, s.Get(LatencyP50).Value, s.Get(LatencyP99).Value, s.Get(CPU).Value, s.Get(Memory).Value)
	}
	for _, name := range []string{"checkout", "ledger"} {
		for _, sig := range AllSignals() {
			if !got[name].Get(sig).OK {
				t.Errorf("%s %s: no data from a seeded service with traffic", name, sig)
			}
		}
	}
	led, co := got["ledger"].Get(ErrorRatio).Value, got["checkout"].Get(ErrorRatio).Value
	if !(led > 0.2 && led > 10*co) {
		t.Errorf("ledger error ratio %.4f is not clearly above checkout's %.4f", led, co)
	}
	if got["ledger"].Get(LatencyP99).Value <= got["checkout"].Get(LatencyP99).Value {
		t.Errorf("ledger p99 %.3f not above checkout's %.3f", got["ledger"].Get(LatencyP99).Value, got["checkout"].Get(LatencyP99).Value)
	}

	// Team scope: search-api seen through the payments scope has no data at all.
	s, err := SignalsAt(ctx, api, payments(t, "search-api"), at)
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range AllSignals() {
		if s.Get(sig).OK {
			t.Errorf("search-api %s visible from the payments scope: %+v", sig, s.Get(sig))
		}
	}
}

func TestSignalsRangeOfCheckout(t *testing.T) {
	base, api := stackProm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// A freshly started platform has well under a minute of data: a 2-minute range at
	// the smallest step still gives several points.
	end := time.Now().Truncate(time.Second)
	start := end.Add(-2 * time.Minute)
	step := Step(60, start, end)
	ss, err := SignalsRange(ctx, api, payments(t, "checkout"), start, end, step)
	if err != nil {
		t.Fatal(err)
	}
	r := ss.Series[Rate]
	if len(r.Points) < 3 || ss.Step != step {
		t.Fatalf("rate series: %d points at %s", len(r.Points), step)
	}
	p := r.Points[len(r.Points)-1]
	v, ok := direct(t, base, fmt.Sprintf(`sum(rate(http_requests_total{namespace="payments",service="checkout"}[%s]))`, FormatDuration(max(DefaultWindow, step))), p.T)
	if !ok || math.Abs(v-p.V) > 1e-9*v {
		t.Errorf("last point %v at %s, direct %v", p.V, p.T, v)
	}
}

func TestSLOOfLedgerBurns(t *testing.T) {
	_, api := stackProm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	svc, err := NewService(ServiceOptions{Name: "ledger", Scope: Scope{Labels: map[string]string{"team": "payments"}}, SLO: SLO{Objective: 0.995}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := SLOAt(ctx, api, svc, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// 40% errors against a 0.5% budget: burn ~80 on every window, budget overspent.
	if !st.BudgetLeft.OK || st.BudgetLeft.Value >= 0 {
		t.Errorf("budget left = %+v, want overspent", st.BudgetLeft)
	}
	if sev, ok := st.Firing(); !ok || sev != "page" {
		t.Errorf("burns = %+v, want a page", st.Burns)
	}
}

// History of HighErrorRatio from ALERTS agrees with Alertmanager's startsAt of the alert.
func TestAlertHistoryOfLedger(t *testing.T) {
	_, api := stackProm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	startsAt := alertmanagerStartsAt(t, "HighErrorRatio", "ledger")
	end := time.Now()
	start := startsAt.Add(-5 * time.Minute)
	h, err := AlertHistoryRange(ctx, api, HistoryQuery{
		Scope: Scope{Labels: map[string]string{"team": "payments"}}, AlertName: "HighErrorRatio", Start: start, End: end,
		Step: StepWithMin(10000, start, end, 2*time.Second),
	})
	if err != nil {
		t.Fatal(err)
	}
	if h.Count < 1 || h.CountByAlert()["HighErrorRatio"] != h.Count {
		t.Fatalf("history = %+v", h)
	}
	i := slices.IndexFunc(h.Series, func(s AlertSeries) bool { return s.Labels["service"] == "ledger" })
	if i < 0 {
		t.Fatalf("no ledger series in %+v", h.Series)
	}
	ivs := h.Series[i].Intervals
	last := ivs[len(ivs)-1]
	if !last.Ongoing {
		t.Errorf("ledger's HighErrorRatio is firing, history says %+v", last)
	}
	// Prometheus sends the firing time as startsAt; the range query sees it at the next step.
	if d := last.Start.Sub(startsAt); d < -2*time.Second || d > h.Step+2*time.Second {
		t.Errorf("firing from %s in ALERTS, Alertmanager says %s (step %s)", last.Start, startsAt, h.Step)
	}
	if last.ActiveAt.IsZero() || last.Start.Sub(last.ActiveAt) < 10*time.Second-h.Step {
		t.Errorf("ActiveAt = %s, firing from %s: want pending for the rule's 10s first", last.ActiveAt, last.Start)
	}
	if !strings.Contains(h.Query, `alertstate="firing"`) || !strings.Contains(h.Query, `team="payments"`) {
		t.Errorf("query = %s", h.Query)
	}
}

func alertmanagerStartsAt(t *testing.T, name, service string) time.Time {
	t.Helper()
	u := stackenv.MustLoad(t).MustGet(t, "VIGIE_STACK_AM_URL")
	resp, err := http.Get(u + "/api/v2/alerts?filter=" + url.QueryEscape(`alertname="`+name+`"`) + "&filter=" + url.QueryEscape(`service="`+service+`"`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var alerts []struct{ StartsAt time.Time }
	if err := json.NewDecoder(resp.Body).Decode(&alerts); err != nil || len(alerts) != 1 {
		t.Fatalf("alertmanager %s/%s: %v %v", name, service, alerts, err)
	}
	return alerts[0].StartsAt
}

func TestCompletionIsScoped(t *testing.T) {
	_, api := stackProm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	scope := Scope{Labels: map[string]string{"team": "payments"}}
	names, err := MetricNames(ctx, api, CompleteQuery{Scope: scope})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names, "http_requests_total") || slices.Contains(names, "prometheus_build_info") {
		t.Errorf("metric names of payments = %v", names)
	}
	vals, err := LabelValues(ctx, api, CompleteQuery{Scope: scope, Metric: "http_requests_total"}, "service")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(vals, "checkout") || !slices.Contains(vals, "ledger") || slices.Contains(vals, "search-api") {
		t.Errorf("services of payments = %v", vals)
	}
	labels, err := LabelNames(ctx, api, CompleteQuery{Scope: scope, Metric: "http_requests_total", Prefix: "co"})
	if err != nil || !slices.Equal(labels, []string{"code", "container"}) {
		t.Errorf("labels = %v, %v", labels, err)
	}
}

func TestParseErrorAsTheServerWordsIt(t *testing.T) {
	_, api := stackProm(t)
	q := `sum(rate(http_requests_total{team="payments"}[5m]) by`
	_, _, err := Eval(context.Background(), api, q, time.Now())
	var qe *QueryError
	if !errors.As(err, &qe) || qe.Type != "bad_data" || !strings.Contains(qe.Msg, "parse error") {
		t.Fatalf("err = %v", err)
	}
	if qe.Pos == nil || qe.Pos.Line != 1 || q[qe.Pos.Offset:] != "by" {
		t.Errorf("position %+v in %q (server: %s)", qe.Pos, q, qe.Msg)
	}
}

// stoppable is a reverse proxy to the real server that the test can stop and restart on
// the same address: the poller sees Prometheus go away and come back.
type stoppable struct {
	addr  string
	proxy http.Handler
	srv   *http.Server
}

func newStoppable(t *testing.T, target string) *stoppable {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	s := &stoppable{proxy: httputil.NewSingleHostReverseProxy(u)}
	s.start(t, "127.0.0.1:0")
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

func (s *stoppable) start(t *testing.T, addr string) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	s.srv = &http.Server{Handler: s.proxy}
	go func() { _ = s.srv.Serve(l) }()
}

func TestPollSurvivesPrometheusGoingAway(t *testing.T) {
	base, _ := stackProm(t)
	proxy := newStoppable(t, base)
	api, err := New(Options{URL: "http://" + proxy.addr})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := Poll(ctx, api, []Service{payments(t, "checkout"), payments(t, "ledger")},
		PollOptions{Interval: 200 * time.Millisecond, MaxBackoff: 400 * time.Millisecond, Timeout: 2 * time.Second})
	next := func() Snapshot {
		select {
		case s := <-ch:
			return s
		case <-time.After(20 * time.Second):
			t.Fatal("no snapshot")
		}
		return Snapshot{}
	}
	s := next()
	if s.Err != nil || !s.Services["ledger"].Get(ErrorRatio).OK {
		t.Fatalf("first poll: %+v", s)
	}
	good := s.Services["ledger"]

	_ = proxy.srv.Close() // Prometheus goes away
	for s = next(); s.Err == nil; s = next() {
	}
	if !s.Stale() || !strings.Contains(s.Err.Error(), "connection refused") {
		t.Errorf("after stop: stale %v, err %v", s.Stale(), s.Err)
	}
	if got := s.Services["ledger"]; !got.At.Equal(good.At) || got.Get(ErrorRatio) != good.Get(ErrorRatio) {
		t.Errorf("last good data lost: %+v", got)
	}

	proxy.start(t, proxy.addr) // and comes back
	for s = next(); s.Err != nil; s = next() {
	}
	if s.Stale() || !s.Services["ledger"].At.After(good.At) {
		t.Errorf("after restart: %+v", s)
	}
}
