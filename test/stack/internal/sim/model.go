// Package sim is the workload simulator of the local platform: for every Running pod labelled
// sim.vigie.dev/simulate=true it serves Prometheus metrics on its own 127.0.0.1 port, lists it
// in a file_sd file, and writes the pod's container log in CRI format for kwok to serve.
package sim

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Labels and annotations read from pods.
const (
	LabelSimulate     = "sim.vigie.dev/simulate"
	LabelCrashloop    = "sim.vigie.dev/crashloop"
	AnnoErrorRatio    = "sim.vigie.dev/error-ratio"
	AnnoLatencyMS     = "sim.vigie.dev/latency-ms"
	AnnoRate          = "sim.vigie.dev/rate"
	DefaultErrorRatio = 0.002
	DefaultLatencyMS  = 40.0
	// ContainerName is the container every simulated pod's metrics and logs belong to.
	ContainerName = "app"
)

// PodConfig is what the simulator needs to know about one pod.
type PodConfig struct {
	Namespace, Name, UID string
	Team, Service        string
	Image                string
	Containers           []string
	ErrorRatio           float64 // share of requests answered with a 5xx
	LatencyMS            float64 // typical request latency
	Rate                 float64 // requests per second (0: the simulator's default)
	CPULimit, CPURequest float64 // cores
	MemLimit, MemRequest float64 // bytes
	Restarts             int32
	Ready                bool
	WaitingReason        string // e.g. CrashLoopBackOff; empty when the container runs
	Crashloop            bool
}

// Running reports whether a pod gets simulated: phase Running and not being deleted.
func Running(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil
}

// ConfigFromPod derives a PodConfig from a pod's labels, annotations, spec and status.
func ConfigFromPod(p *corev1.Pod) PodConfig {
	c := PodConfig{
		Namespace:  p.Namespace,
		Name:       p.Name,
		UID:        string(p.UID),
		Team:       p.Labels["team"],
		Service:    p.Labels["app"],
		ErrorRatio: parseFloat(p.Annotations[AnnoErrorRatio], DefaultErrorRatio, 0, 1),
		LatencyMS:  parseFloat(p.Annotations[AnnoLatencyMS], DefaultLatencyMS, 0.1, 600000),
		Rate:       parseFloat(p.Annotations[AnnoRate], 0, 0, 10000),
		Crashloop:  p.Labels[LabelCrashloop] == "true",
	}
	if c.Service == "" {
		c.Service = p.Name
	}
	main := mainContainer(p.Spec.Containers)
	for _, ct := range p.Spec.Containers {
		c.Containers = append(c.Containers, ct.Name)
	}
	if main != nil {
		c.Image = main.Image
		c.CPULimit = main.Resources.Limits.Cpu().AsApproximateFloat64()
		c.CPURequest = main.Resources.Requests.Cpu().AsApproximateFloat64()
		c.MemLimit = main.Resources.Limits.Memory().AsApproximateFloat64()
		c.MemRequest = main.Resources.Requests.Memory().AsApproximateFloat64()
		for _, st := range p.Status.ContainerStatuses {
			if st.Name != main.Name {
				continue
			}
			c.Restarts = st.RestartCount
			c.Ready = st.Ready
			if st.State.Waiting != nil {
				c.WaitingReason = st.State.Waiting.Reason
			}
		}
	}
	return c
}

// mainContainer is the container named "app", else the first one.
func mainContainer(cs []corev1.Container) *corev1.Container {
	for i := range cs {
		if cs[i].Name == ContainerName {
			return &cs[i]
		}
	}
	if len(cs) > 0 {
		return &cs[0]
	}
	return nil
}

func parseFloat(s string, def, lo, hi float64) float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v < lo || v > hi || v != v {
		return def
	}
	return v
}

// Route is one simulated HTTP endpoint, with its share of the traffic.
type Route struct {
	Method, Path string
	Weight       int
	// LatencyFactor scales the pod's latency for this route (health checks are fast).
	LatencyFactor float64
}

// RoutesFor returns the endpoints a service answers: a few API routes plus /healthz.
func RoutesFor(service string) []Route {
	var api []Route
	switch service {
	case "checkout":
		api = []Route{{"GET", "/api/orders", 6, 1}, {"POST", "/api/orders", 3, 1.4}, {"GET", "/api/cart", 4, 0.8}}
	case "ledger":
		api = []Route{{"GET", "/api/ledger/entries", 5, 1}, {"POST", "/api/ledger/entries", 3, 1.3}}
	case "fraud-worker":
		api = []Route{{"POST", "/api/score", 5, 1}}
	case "search-api":
		api = []Route{{"GET", "/api/search", 8, 1}, {"GET", "/api/suggest", 4, 0.5}}
	case "indexer":
		api = []Route{{"POST", "/api/index/documents", 5, 1}, {"DELETE", "/api/index/documents", 1, 0.7}}
	default:
		api = []Route{{"GET", "/api/" + service, 6, 1}, {"POST", "/api/" + service, 3, 1.3}}
	}
	return append(api, Route{"GET", "/healthz", 1, 0.05})
}

// Version is the tag of an image reference ("registry.local/payments/checkout:1.4.2" ->
// "1.4.2"), or "latest".
func Version(image string) string {
	if i := strings.LastIndexByte(image, ':'); i >= 0 && !strings.Contains(image[i:], "/") {
		return image[i+1:]
	}
	return "latest"
}
