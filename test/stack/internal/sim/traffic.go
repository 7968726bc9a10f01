package sim

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DurationBuckets are the buckets of http_request_duration_seconds.
var DurationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Metrics is the metric set of one simulated pod, in its own registry.
type Metrics struct {
	Registry         *prometheus.Registry
	Requests         *prometheus.CounterVec
	Duration         *prometheus.HistogramVec
	ProcessCPU       prometheus.Counter
	ContainerCPU     prometheus.Counter
	MemWorkingSet    prometheus.Gauge
	MemLimit         prometheus.Gauge
	CPUQuota         prometheus.Gauge
	CPUPeriod        prometheus.Gauge
	Limits           *prometheus.GaugeVec
	ResourceRequests *prometheus.GaugeVec
	Waiting          *prometheus.GaugeVec
	ReadyGauge       prometheus.Gauge

	mu       sync.Mutex
	restarts float64
}

// NewMetrics builds and registers the metric set. Metrics carry no namespace/pod/container
// labels: Prometheus adds them from the file_sd target labels.
func NewMetrics() *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	m.Requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total", Help: "HTTP requests handled, by status code, method and route.",
	}, []string{"code", "method", "route"})
	m.Duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "http_request_duration_seconds", Help: "HTTP request latency.", Buckets: DurationBuckets,
	}, []string{"route", "method"})
	m.ProcessCPU = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "process_cpu_seconds_total", Help: "Total user and system CPU time spent in seconds.",
	})
	m.ContainerCPU = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "container_cpu_usage_seconds_total", Help: "Cumulative cpu time consumed in seconds (cAdvisor).",
	})
	m.MemWorkingSet = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "container_memory_working_set_bytes", Help: "Current working set in bytes (cAdvisor).",
	})
	m.MemLimit = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "container_spec_memory_limit_bytes", Help: "Memory limit for the container (cAdvisor).",
	})
	m.CPUQuota = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "container_spec_cpu_quota", Help: "CPU quota of the container (cAdvisor).",
	})
	m.CPUPeriod = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "container_spec_cpu_period", Help: "CPU period of the container (cAdvisor).",
	})
	m.Limits = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "kube_pod_container_resource_limits", Help: "The number of requested limit resource by a container (kube-state-metrics).",
	}, []string{"resource", "unit"})
	m.ResourceRequests = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "kube_pod_container_resource_requests", Help: "The number of requested request resource by a container (kube-state-metrics).",
	}, []string{"resource", "unit"})
	m.Waiting = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "kube_pod_container_status_waiting_reason", Help: "Describes the reason the container is currently in waiting state (kube-state-metrics).",
	}, []string{"reason"})
	m.ReadyGauge = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "kube_pod_container_status_ready", Help: "Describes whether the containers readiness check succeeded (kube-state-metrics).",
	})
	restarts := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "kube_pod_container_status_restarts_total", Help: "The number of container restarts per container (kube-state-metrics).",
	}, func() float64 {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.restarts
	})
	m.Registry.MustRegister(m.Requests, m.Duration, m.ProcessCPU, m.ContainerCPU, m.MemWorkingSet,
		m.MemLimit, m.CPUQuota, m.CPUPeriod, m.Limits, m.ResourceRequests, m.Waiting, m.ReadyGauge, restarts)
	return m
}

// SetStatus updates the metrics taken from the pod's spec and status.
func (m *Metrics) SetStatus(c PodConfig) {
	m.mu.Lock()
	m.restarts = float64(c.Restarts)
	m.mu.Unlock()
	m.Waiting.Reset()
	if c.WaitingReason != "" {
		m.Waiting.WithLabelValues(c.WaitingReason).Set(1)
	}
	m.ReadyGauge.Set(b2f(c.Ready))
	m.Limits.Reset()
	m.ResourceRequests.Reset()
	if c.CPULimit > 0 {
		m.Limits.WithLabelValues("cpu", "core").Set(c.CPULimit)
		m.CPUQuota.Set(c.CPULimit * 100000)
		m.CPUPeriod.Set(100000)
	}
	if c.MemLimit > 0 {
		m.Limits.WithLabelValues("memory", "byte").Set(c.MemLimit)
		m.MemLimit.Set(c.MemLimit)
	}
	if c.CPURequest > 0 {
		m.ResourceRequests.WithLabelValues("cpu", "core").Set(c.CPURequest)
	}
	if c.MemRequest > 0 {
		m.ResourceRequests.WithLabelValues("memory", "byte").Set(c.MemRequest)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Seed derives a deterministic seed from a pod's identity.
func Seed(namespace, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(namespace + "/" + name))
	return h.Sum64()
}

// Traffic generates a pod's requests, tick by tick.
type Traffic struct {
	Rng    *rand.Rand
	routes []Route
	total  int
	start  time.Time
}

// NewTraffic returns a generator for service, seeded per pod.
func NewTraffic(namespace, pod, service string, start time.Time) *Traffic {
	t := &Traffic{Rng: rand.New(rand.NewPCG(Seed(namespace, pod), 0x76696769)), routes: RoutesFor(service), start: start}
	for _, r := range t.routes {
		t.total += r.Weight
	}
	return t
}

// Tick returns the requests handled during dt at rate requests per second for a pod with
// config c. The count is Poisson-distributed around rate*dt.
func (t *Traffic) Tick(c PodConfig, rate float64, dt time.Duration) []Request {
	n := poisson(t.Rng, rate*dt.Seconds())
	out := make([]Request, 0, n)
	for range n {
		out = append(out, t.one(c))
	}
	return out
}

func (t *Traffic) one(c PodConfig) Request {
	r := t.pick()
	status := 200
	if r.Method == "POST" {
		status = 201
	}
	lat := c.LatencyMS * r.LatencyFactor * math.Exp(0.35*t.Rng.NormFloat64())
	switch u := t.Rng.Float64(); {
	case r.Path != "/healthz" && u < c.ErrorRatio:
		status = []int{500, 500, 500, 502, 503, 504}[t.Rng.IntN(6)]
		if status == 504 {
			lat = math.Max(lat, 2000+200*t.Rng.Float64())
		}
	case r.Path != "/healthz" && u < c.ErrorRatio+0.006:
		status = []int{400, 404, 404, 409, 429}[t.Rng.IntN(5)]
		lat *= 0.3
	}
	d := time.Duration(lat * float64(time.Millisecond))
	return Request{Route: r, Status: status, Duration: d, TraceID: TraceID(t.Rng)}
}

func (t *Traffic) pick() Route {
	n := t.Rng.IntN(t.total)
	for _, r := range t.routes {
		if n < r.Weight {
			return r
		}
		n -= r.Weight
	}
	return t.routes[len(t.routes)-1]
}

// Observe records requests in the metrics.
func (m *Metrics) Observe(reqs []Request) {
	for _, r := range reqs {
		m.Requests.WithLabelValues(strconv.Itoa(r.Status), r.Route.Method, r.Route.Path).Inc()
		m.Duration.WithLabelValues(r.Route.Path, r.Route.Method).Observe(r.Duration.Seconds())
	}
}

// Resources advances CPU and memory for one tick: CPU grows with the request rate (capped
// by the limit), memory wanders around 40-60 % of the limit.
func (t *Traffic) Resources(m *Metrics, c PodConfig, reqs int, dt time.Duration, now time.Time) {
	sec := dt.Seconds()
	if sec <= 0 {
		return
	}
	cores := 0.015 + float64(reqs)/sec*0.004*(0.8+0.4*t.Rng.Float64())
	if c.LatencyMS > 200 {
		cores *= 1.8 // slow pods burn more
	}
	if c.CPULimit > 0 && cores > c.CPULimit {
		cores = c.CPULimit
	}
	if c.WaitingReason != "" {
		cores = 0.001
	}
	m.ContainerCPU.Add(cores * sec)
	m.ProcessCPU.Add(cores * sec * 0.97)
	limit := c.MemLimit
	if limit <= 0 {
		limit = 512 << 20
	}
	phase := now.Sub(t.start).Seconds() / 120 * 2 * math.Pi
	ws := limit * (0.5 + 0.1*math.Sin(phase+float64(Seed(c.Namespace, c.Name)%7)))
	if c.WaitingReason != "" {
		ws = limit * 0.02
	}
	m.MemWorkingSet.Set(math.Round(ws))
}

// poisson samples a Poisson variate with mean lambda (Knuth; lambda is small here, a few
// requests per tick; large means use a normal approximation).
func poisson(rng *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 50 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*rng.NormFloat64())))
	}
	l := math.Exp(-lambda)
	k, p := 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
