package prom

import (
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

var h0 = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

// steps returns h0 + i*step for each i.
func steps(step time.Duration, is ...int) []time.Time {
	out := make([]time.Time, 0, len(is))
	for _, i := range is {
		out = append(out, h0.Add(time.Duration(i)*step))
	}
	return out
}

func TestFiringIntervals(t *testing.T) {
	step := time.Minute
	last := h0.Add(100 * step)
	at := func(i int) time.Time { return h0.Add(time.Duration(i) * step) }
	for _, c := range []struct {
		name string
		ts   []time.Time
		want []Interval
	}{
		{"none", nil, nil},
		{"one sample", steps(step, 5), []Interval{{Start: at(5), End: at(5)}}},
		{"one run", steps(step, 3, 4, 5, 6), []Interval{{Start: at(3), End: at(6)}}},
		{"two runs", steps(step, 1, 2, 3, 10, 11), []Interval{{Start: at(1), End: at(3)}, {Start: at(10), End: at(11)}}},
		{"unsorted and duplicated", steps(step, 11, 2, 10, 1, 3, 3), []Interval{{Start: at(1), End: at(3)}, {Start: at(10), End: at(11)}}},
		{"one missing step splits", steps(step, 1, 3), []Interval{{Start: at(1), End: at(1)}, {Start: at(3), End: at(3)}}},
		{"ongoing", steps(step, 97, 98, 99, 100), []Interval{{Start: at(97), End: at(100), Ongoing: true}}},
		{"ended a step before the end", steps(step, 97, 98, 99), []Interval{{Start: at(97), End: at(99)}}},
	} {
		got := FiringIntervals(c.ts, step, last)
		if len(got) != len(c.want) {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if !got[i].Start.Equal(c.want[i].Start) || !got[i].End.Equal(c.want[i].End) || got[i].Ongoing != c.want[i].Ongoing {
				t.Errorf("%s: interval %d = %+v, want %+v", c.name, i, got[i], c.want[i])
			}
		}
	}
	// Timestamps a few ms off the step (server rounding) still merge.
	jitter := []time.Time{h0, h0.Add(step + 3*time.Millisecond), h0.Add(2*step - 2*time.Millisecond)}
	if got := FiringIntervals(jitter, step, time.Time{}); len(got) != 1 || got[0].Duration() != 2*step-2*time.Millisecond {
		t.Errorf("jittered: %+v", got)
	}
}

func series(metric model.Metric, step time.Duration, value func(i int) float64, is ...int) *model.SampleStream {
	s := &model.SampleStream{Metric: metric}
	for _, i := range is {
		s.Values = append(s.Values, model.SamplePair{
			Timestamp: model.TimeFromUnixNano(h0.Add(time.Duration(i) * step).UnixNano()), Value: model.SampleValue(value(i)),
		})
	}
	return s
}

func TestBuildHistory(t *testing.T) {
	step := time.Minute
	one := func(int) float64 { return 1 }
	ledger := model.Metric{"__name__": "ALERTS", "alertname": "HighErrorRatio", "alertstate": "firing", "service": "ledger", "team": "payments", "severity": "page"}
	checkout := model.Metric{"__name__": "ALERTS", "alertname": "HighErrorRatio", "alertstate": "firing", "service": "checkout", "team": "payments", "severity": "page"}
	slow := model.Metric{"__name__": "ALERTS", "alertname": "HighLatencyP99", "alertstate": "firing", "service": "ledger", "team": "payments", "severity": "warning"}
	alerts := model.Matrix{
		series(slow, step, one, 50, 51),
		series(ledger, step, one, 10, 11, 12, 40, 41, 60),
		series(checkout, step, one, 20),
	}
	// ALERTS_FOR_STATE: the value is the activation time (unix seconds); the series has
	// no alertstate and exists while pending too.
	forState := model.Metric{"__name__": "ALERTS_FOR_STATE", "alertname": "HighErrorRatio", "service": "ledger", "team": "payments", "severity": "page"}
	activeAt := func(i int) float64 {
		start := map[bool]int{true: 9, false: 39}[i < 30]
		return float64(h0.Add(time.Duration(start)*step+30*time.Second).UnixMilli()) / 1000
	}
	states := model.Matrix{series(forState, step, activeAt, 9, 10, 11, 12, 39, 40, 41)}
	r := promv1.Range{Start: h0, End: h0.Add(60 * step), Step: step}
	h := buildHistory(alerts, states, `ALERTS{alertstate="firing",team="payments"}`, r, h0.Add(60*step))

	if h.Count != 5 || len(h.Series) != 3 {
		t.Fatalf("count = %d, series = %d; want 5 firings in 3 series: %+v", h.Count, len(h.Series), h)
	}
	if by := h.CountByAlert(); by["HighErrorRatio"] != 4 || by["HighLatencyP99"] != 1 {
		t.Errorf("CountByAlert = %v", by)
	}
	// Sorted by alertname, then labels: checkout before ledger.
	if h.Series[0].Labels["service"] != "checkout" || h.Series[1].Labels["service"] != "ledger" || h.Series[2].Name != "HighLatencyP99" {
		t.Fatalf("order: %+v", h.Series)
	}
	led := h.Series[1]
	if _, ok := led.Labels["alertstate"]; ok || led.Labels["__name__"] != "" || led.Name != "HighErrorRatio" {
		t.Errorf("labels = %v", led.Labels)
	}
	if len(led.Intervals) != 3 {
		t.Fatalf("ledger intervals = %+v", led.Intervals)
	}
	i0, i1, i2 := led.Intervals[0], led.Intervals[1], led.Intervals[2]
	if !i0.Start.Equal(h0.Add(10*step)) || !i0.End.Equal(h0.Add(12*step)) || i0.Ongoing {
		t.Errorf("first firing = %+v", i0)
	}
	if want := h0.Add(9*step + 30*time.Second); !i0.ActiveAt.Equal(want) {
		t.Errorf("first ActiveAt = %s, want %s", i0.ActiveAt, want)
	}
	if want := h0.Add(39*step + 30*time.Second); !i1.ActiveAt.Equal(want) {
		t.Errorf("second ActiveAt = %s, want %s", i1.ActiveAt, want)
	}
	if !i2.Ongoing || !i2.ActiveAt.IsZero() {
		t.Errorf("last firing = %+v, want ongoing without ActiveAt", i2)
	}
	if h.Step != step || !h.Start.Equal(h0) {
		t.Errorf("range = %+v", h)
	}
}
