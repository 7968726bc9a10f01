package prom

import (
	"math"
	"strings"
	"testing"
	"time"
)

func paymentsService(t *testing.T, o ServiceOptions) Service {
	t.Helper()
	if o.Name == "" {
		o.Name = "checkout"
	}
	o.Scope = Scope{Labels: map[string]string{"team": "payments"}}
	s, err := NewService(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDefaultTemplatesRender(t *testing.T) {
	svc := paymentsService(t, ServiceOptions{})
	m := `team="payments",service="checkout"`
	c := `container!="",container!="POD",` + m
	want := map[Signal]string{
		Rate:       `sum(rate(http_requests_total{` + m + `}[5m]))`,
		ErrorRatio: `(sum(rate(http_requests_total{code=~"5..",` + m + `}[5m])) or vector(0)) / sum(rate(http_requests_total{` + m + `}[5m]))`,
		LatencyP50: `histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{` + m + `}[5m])))`,
		LatencyP95: `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{` + m + `}[5m])))`,
		LatencyP99: `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{` + m + `}[5m])))`,
		CPU: `sum(rate(container_cpu_usage_seconds_total{` + c + `}[5m]) and on (namespace, pod, container) (container_spec_cpu_quota{` + c + `} > 0))` +
			` / sum((container_spec_cpu_quota{` + c + `} > 0) / container_spec_cpu_period{` + c + `})`,
		Memory: `sum(container_memory_working_set_bytes{` + c + `} and on (namespace, pod, container) (container_spec_memory_limit_bytes{` + c + `} > 0))` +
			` / sum(container_spec_memory_limit_bytes{` + c + `} > 0)`,
	}
	for _, sig := range AllSignals() {
		if got := svc.Query(sig, 0); got != want[sig] {
			t.Errorf("%s:\n got %s\nwant %s", sig, got, want[sig])
		}
	}
	if got := svc.Query(Rate, 90*time.Minute); !strings.Contains(got, "[1h30m]") {
		t.Errorf("window 90m: %s", got)
	}
	if got := svc.Query("nope", 0); got != "" {
		t.Errorf("unknown signal: %q", got)
	}
	if got := (Service{}).Query(Rate, 0); got != "" {
		t.Errorf("zero Service: %q", got)
	}
}

func TestServiceLabelAndWindow(t *testing.T) {
	svc := paymentsService(t, ServiceOptions{Name: "ledger", Label: "app", Window: 2 * time.Minute})
	if got, want := svc.Query(Rate, 0), `sum(rate(http_requests_total{team="payments",app="ledger"}[2m]))`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if _, err := NewService(ServiceOptions{Name: "x", Label: "a-b"}); err == nil {
		t.Fatal("bad service label: want an error")
	}
	if _, err := NewService(ServiceOptions{}); err == nil {
		t.Fatal("no name: want an error")
	}
	if _, err := NewService(ServiceOptions{Name: "x", Scope: Scope{Labels: map[string]string{"service": "y"}}}); err == nil {
		t.Fatal("scope fixing the service label: want an error")
	}
}

func TestOverrides(t *testing.T) {
	svc := paymentsService(t, ServiceOptions{Overrides: map[string]string{
		"latency":     `histogram_quantile({{.Quantile}}, sum by (le) (rate(rpc_duration_seconds_bucket{{.Selector}}[{{.Window}}])))`,
		"latency_p99": `max(p99_seconds{{.Selector}})`,
		"rate":        `sum(rate(grpc_server_handled_total{ {{.Matchers}} }[{{.Window}}]))`,
	}})
	if got := svc.Query(LatencyP50, 0); !strings.Contains(got, "histogram_quantile(0.5, sum by (le) (rate(rpc_duration_seconds_bucket{") {
		t.Errorf("p50 from the latency override: %s", got)
	}
	if got, want := svc.Query(LatencyP99, 0), `max(p99_seconds{team="payments",service="checkout"})`; got != want {
		t.Errorf("p99: got %s, want %s", got, want)
	}
	if got, want := svc.Query(Rate, 0), `sum(rate(grpc_server_handled_total{ team="payments",service="checkout" }[5m]))`; got != want {
		t.Errorf("rate: got %s, want %s", got, want)
	}
	if got := svc.Query(ErrorRatio, 0); !strings.Contains(got, "http_requests_total") {
		t.Errorf("error ratio keeps its default: %s", got)
	}
}

func TestOverridesAreValidatedAtConstruction(t *testing.T) {
	for name, o := range map[string]map[string]string{
		"unknown key":    {"throughput": `sum(x{{.Selector}})`},
		"template error": {"rate": `sum(x{{.Selector}`},
		"unknown field":  {"rate": `sum(x{{.Service}})`},
		"no team scope":  {"rate": `sum(rate(http_requests_total[5m]))`},
		"unbalanced":     {"cpu": `sum(rate(x{{.Selector}}[{{.Window}}])`},
		"open string":    {"memory": `sum(x{a="b{{.Matchers}}})`},
		"empty":          {"memory": `  `},
	} {
		if _, err := NewService(ServiceOptions{Name: "checkout", Overrides: o}); err == nil {
			t.Errorf("%s: want an error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func TestStep(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 22, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		width int
		span  time.Duration
		min   time.Duration
		want  time.Duration
	}{
		{120, 15 * time.Minute, DefaultMinStep, 10 * time.Second}, // 7.5s -> 10s
		{60, 15 * time.Minute, DefaultMinStep, 15 * time.Second},
		{200, 5 * time.Minute, DefaultMinStep, 5 * time.Second}, // 1.5s -> the minimum
		{200, 5 * time.Minute, 0, 2 * time.Second},              // min <= 0 is one second
		{120, time.Hour, DefaultMinStep, 30 * time.Second},
		{160, 24 * time.Hour, DefaultMinStep, 10 * time.Minute},  // 9m -> 10m
		{160, 7 * 24 * time.Hour, DefaultMinStep, 2 * time.Hour}, // 63m -> 2h
		{10, 365 * 24 * time.Hour, DefaultMinStep, 37 * 24 * time.Hour},
		{0, time.Hour, DefaultMinStep, time.Hour},                       // width < 1 counts as 1
		{100000, 7 * 24 * time.Hour, time.Second, time.Minute},          // capped at 11,000 points
		{100, 0, 15 * time.Second, 15 * time.Second},                    // empty range
		{120, 15 * time.Minute, 7 * time.Second, 10 * time.Second},      // odd minimum
		{120, 15 * time.Minute, 20 * time.Second, 30 * time.Second},     // minimum above the raw step
		{1000, 100 * time.Minute, DefaultMinStep, 10 * time.Second},     // 6s
		{1000, 1000 * time.Second, DefaultMinStep, DefaultMinStep},      // 1s -> the minimum
		{50, 50 * time.Minute, DefaultMinStep, time.Minute},             // exactly 1m
		{51, 50 * time.Minute, DefaultMinStep, time.Minute},             // 58.8s -> 1m
		{49, 50 * time.Minute, DefaultMinStep, 2 * time.Minute},         // 61.2s -> 2m
		{100, 100 * 36 * time.Hour, DefaultMinStep, 2 * 24 * time.Hour}, // 36h -> 2d
		{100, 100 * 24 * time.Hour, DefaultMinStep, 24 * time.Hour},     // exactly a day
		{100, 100 * 25 * time.Hour, DefaultMinStep, 2 * 24 * time.Hour}, // 25h -> 2d
		{100, 100 * 13 * time.Hour, DefaultMinStep, 24 * time.Hour},     // 13h -> 1d
		{100, 100 * 7 * time.Hour, DefaultMinStep, 12 * time.Hour},      // 7h -> 12h
		{100, 100 * 150 * time.Minute, DefaultMinStep, 3 * time.Hour},   // 2h30 -> 3h
		{100, 100 * 90 * time.Second, DefaultMinStep, 2 * time.Minute},  // 1m30 -> 2m
		{100, 100 * 250 * time.Millisecond, DefaultMinStep, 5 * time.Second},
	} {
		got := StepWithMin(c.width, t0, t0.Add(c.span), c.min)
		if got != c.want {
			t.Errorf("StepWithMin(%d, %s, %s) = %s, want %s", c.width, c.span, c.min, got, c.want)
		}
		if c.span > 0 && c.span/got > maxPoints {
			t.Errorf("StepWithMin(%d, %s) = %s gives %d points", c.width, c.span, got, c.span/got)
		}
	}
	if got := Step(120, t0, t0.Add(15*time.Minute)); got != 10*time.Second {
		t.Errorf("Step = %s", got)
	}
}

func TestReadingNoData(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if r := reading(ErrorRatio, v); r.OK || r.Unit != UnitRatio {
			t.Errorf("reading(%v) = %+v, want no data", v, r)
		}
	}
	if r := reading(Rate, 0); !r.OK || r.Value != 0 || r.Unit != UnitReqPerSec {
		t.Errorf("reading(0) = %+v, want a real zero", r)
	}
	var s Signals
	if r := s.Get(LatencyP99); r.OK || r.Unit != UnitSeconds {
		t.Errorf("absent reading = %+v", r)
	}
}
