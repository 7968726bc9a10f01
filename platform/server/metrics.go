package server

import (
	"net/http"
	"sort"
	"strings"
	"sync"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// metrics are the server's Prometheus metrics: request counts and latency per route,
// and action outcomes. They are kept here and encoded with expfmt: the
// client_golang registry would need modules that go.mod does not list
// (github.com/beorn7/perks, github.com/prometheus/procfs).
type metrics struct {
	requests *counterVec
	latency  *histogramVec
	actions  *counterVec
}

func newMetrics() *metrics {
	return &metrics{
		requests: newCounterVec("vigie_platform_http_requests_total", "HTTP requests by route, method and status code.", "route", "method", "code"),
		latency: newHistogramVec("vigie_platform_http_request_duration_seconds", "HTTP request latency by route and method.",
			[]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}, "route", "method"),
		actions: newCounterVec("vigie_platform_actions_total",
			"Action requests by kind and outcome (succeeded, failed, denied, invalid, pending_approval, dry_run, replayed; approved, rejected, expired: decisions on approval requests).", "kind", "outcome"),
	}
}

func (m *metrics) gather() []*dto.MetricFamily {
	return []*dto.MetricFamily{m.actions.family(), m.latency.family(), m.requests.family()}
}

func (s *Server) metricsHandler(x *exchange) {
	format := expfmt.Negotiate(x.r.Header)
	x.status = http.StatusOK
	x.w.Header().Set("Content-Type", string(format))
	enc := expfmt.NewEncoder(x.w, format)
	for _, f := range s.metrics.gather() {
		if err := enc.Encode(f); err != nil {
			s.log.Warn("metrics encode", "err", err)
			return
		}
	}
	if c, ok := enc.(expfmt.Closer); ok {
		_ = c.Close()
	}
}

type series struct {
	labels []string
	count  uint64
	sum    float64
	bucket []uint64 // histograms: count per upper bound (not cumulative)
}

type vec struct {
	name, help string
	labelNames []string
	mu         sync.Mutex
	series     map[string]*series
}

func (v *vec) get(values []string) *series {
	key := strings.Join(values, "\xff")
	s, ok := v.series[key]
	if !ok {
		s = &series{labels: append([]string(nil), values...)}
		v.series[key] = s
	}
	return s
}

func (v *vec) labelPairs(s *series) []*dto.LabelPair {
	out := make([]*dto.LabelPair, len(v.labelNames))
	for i, n := range v.labelNames {
		out[i] = &dto.LabelPair{Name: ptr(n), Value: ptr(s.labels[i])}
	}
	return out
}

func (v *vec) sorted() []*series {
	out := make([]*series, 0, len(v.series))
	for _, s := range v.series {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return strings.Join(out[i].labels, "\xff") < strings.Join(out[j].labels, "\xff") })
	return out
}

func ptr[T any](v T) *T { return &v }

type counterVec struct{ vec }

func newCounterVec(name, help string, labels ...string) *counterVec {
	return &counterVec{vec{name: name, help: help, labelNames: labels, series: map[string]*series{}}}
}

// Inc adds one to the series of these label values (in the order of the label names).
func (c *counterVec) Inc(values ...string) {
	c.mu.Lock()
	c.get(values).count++
	c.mu.Unlock()
}

func (c *counterVec) family() *dto.MetricFamily {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := &dto.MetricFamily{Name: ptr(c.name), Help: ptr(c.help), Type: dto.MetricType_COUNTER.Enum()}
	for _, s := range c.sorted() {
		f.Metric = append(f.Metric, &dto.Metric{Label: c.labelPairs(s), Counter: &dto.Counter{Value: ptr(float64(s.count))}})
	}
	return f
}

type histogramVec struct {
	vec
	bounds []float64
}

func newHistogramVec(name, help string, bounds []float64, labels ...string) *histogramVec {
	return &histogramVec{vec: vec{name: name, help: help, labelNames: labels, series: map[string]*series{}}, bounds: bounds}
}

// Observe records one value in the series of these label values.
func (h *histogramVec) Observe(v float64, values ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.get(values)
	if s.bucket == nil {
		s.bucket = make([]uint64, len(h.bounds))
	}
	s.count++
	s.sum += v
	if i := sort.SearchFloat64s(h.bounds, v); i < len(h.bounds) {
		s.bucket[i]++
	}
}

func (h *histogramVec) family() *dto.MetricFamily {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := &dto.MetricFamily{Name: ptr(h.name), Help: ptr(h.help), Type: dto.MetricType_HISTOGRAM.Enum()}
	for _, s := range h.sorted() {
		hist := &dto.Histogram{SampleCount: ptr(s.count), SampleSum: ptr(s.sum)}
		var cum uint64
		for i, b := range h.bounds {
			cum += s.bucket[i]
			hist.Bucket = append(hist.Bucket, &dto.Bucket{UpperBound: ptr(b), CumulativeCount: ptr(cum)})
		}
		f.Metric = append(f.Metric, &dto.Metric{Label: h.labelPairs(s), Histogram: hist})
	}
	return f
}
