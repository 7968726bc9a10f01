package sim

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func pod(annotations map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "payments", Name: "ledger-abc", UID: "u-1",
			Labels:      map[string]string{"app": "ledger", "team": "payments", LabelSimulate: "true"},
			Annotations: annotations},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "registry.local/payments/ledger:2.8.0",
			Resources: corev1.ResourceRequirements{
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			},
		}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
			Name: "app", RestartCount: 2, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
		}}},
	}
}

func TestConfigFromPod(t *testing.T) {
	c := ConfigFromPod(pod(map[string]string{AnnoErrorRatio: "0.4", AnnoLatencyMS: "800"}))
	if c.ErrorRatio != 0.4 || c.LatencyMS != 800 {
		t.Fatalf("annotations: ratio %v latency %v", c.ErrorRatio, c.LatencyMS)
	}
	if c.Team != "payments" || c.Service != "ledger" || c.Image != "registry.local/payments/ledger:2.8.0" {
		t.Fatalf("labels: %+v", c)
	}
	if c.CPULimit != 0.5 || c.MemLimit != 256<<20 || c.CPURequest != 0.25 || c.MemRequest != 128<<20 {
		t.Fatalf("resources: %+v", c)
	}
	if c.Restarts != 2 || c.WaitingReason != "CrashLoopBackOff" || c.Ready {
		t.Fatalf("status: %+v", c)
	}
	d := ConfigFromPod(pod(nil))
	if d.ErrorRatio != DefaultErrorRatio || d.LatencyMS != DefaultLatencyMS {
		t.Fatalf("defaults: %v %v", d.ErrorRatio, d.LatencyMS)
	}
	for _, bad := range []string{"x", "-1", "1.5", "NaN"} {
		if c := ConfigFromPod(pod(map[string]string{AnnoErrorRatio: bad})); c.ErrorRatio != DefaultErrorRatio {
			t.Errorf("error ratio %q -> %v, want the default", bad, c.ErrorRatio)
		}
	}
	p := pod(nil)
	if !Running(p) {
		t.Fatal("Running pod")
	}
	now := metav1.Now()
	p.DeletionTimestamp = &now
	if Running(p) {
		t.Fatal("a terminating pod is not simulated")
	}
}

var criRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z (stdout|stderr) F [^\n]*\n$`)

func TestCRILine(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("x", 3600))
	got := CRILine(at, Stdout, `{"msg":"hi"}`)
	if want := "2026-01-02T02:04:05.123456789Z stdout F {\"msg\":\"hi\"}\n"; got != want {
		t.Fatalf("CRILine = %q, want %q", got, want)
	}
	if l := CRILine(at, Stderr, "two\nlines\r"); !criRE.MatchString(l) || strings.Count(l, "\n") != 1 {
		t.Fatalf("embedded newline not flattened: %q", l)
	}
}

func TestRequestLines(t *testing.T) {
	tr := NewTraffic("payments", "ledger-abc", "ledger", time.Now())
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := Request{Route: Route{"GET", "/api/ledger/entries", 1, 1}, Status: 503, Duration: 37 * time.Millisecond, TraceID: "abc"}
	var m map[string]any
	if err := json.Unmarshal([]byte(RequestLine(at, "ledger", r, false, tr.Rng)), &m); err != nil {
		t.Fatal(err)
	}
	if m["level"] != "error" || m["status"] != 503.0 || m["duration_ms"] != 37.0 || m["route"] != "/api/ledger/entries" || m["error"] == nil || m["trace_id"] != "abc" {
		t.Fatalf("json line: %v", m)
	}
	r.Status = 200
	lf := RequestLine(at, "ledger", r, true, tr.Rng)
	if !strings.HasPrefix(lf, "ts=2026-01-02T03:04:05Z level=info msg=\"request handled\" ") || !strings.Contains(lf, " status=200 ") {
		t.Fatalf("logfmt line: %s", lf)
	}
}

func TestTrafficFollowsAnnotations(t *testing.T) {
	c := ConfigFromPod(pod(map[string]string{AnnoErrorRatio: "0.4", AnnoLatencyMS: "800"}))
	c.WaitingReason = ""
	tr := NewTraffic(c.Namespace, c.Name, c.Service, time.Now())
	var n, errs int
	var lat []float64
	for range 2000 {
		for _, r := range tr.Tick(c, 20, 200*time.Millisecond) {
			n++
			if r.Status >= 500 {
				errs++
			}
			if r.Route.Path != "/healthz" && r.Status < 400 {
				lat = append(lat, float64(r.Duration.Milliseconds()))
			}
		}
	}
	// 2000 ticks of 0.2 s at 20 req/s: 8000 requests expected.
	if n < 7500 || n > 8500 {
		t.Fatalf("%d requests, want about 8000", n)
	}
	ratio := float64(errs) / float64(n)
	// /healthz (1 in 14 requests here) never fails, so the observed ratio is slightly lower.
	if ratio < 0.33 || ratio > 0.42 {
		t.Fatalf("error ratio %.3f, want about 0.4", ratio)
	}
	var sum float64
	for _, v := range lat {
		sum += v
	}
	if mean := sum / float64(len(lat)); mean < 700 || mean > 1300 {
		t.Fatalf("mean latency %.0f ms, want around 800-1000", mean)
	}
	// Same pod, same sequence.
	a := NewTraffic("ns", "p", "svc", time.Now()).Tick(c, 20, time.Second)
	b := NewTraffic("ns", "p", "svc", time.Now()).Tick(c, 20, time.Second)
	if len(a) != len(b) || (len(a) > 0 && a[0] != b[0]) {
		t.Fatal("traffic is not deterministic per pod")
	}
}

func TestPoissonMean(t *testing.T) {
	tr := NewTraffic("a", "b", "c", time.Now())
	for _, lambda := range []float64{0.5, 4, 80} {
		var sum int
		for range 5000 {
			sum += poisson(tr.Rng, lambda)
		}
		if mean := float64(sum) / 5000; math.Abs(mean-lambda) > 0.1*lambda+0.05 {
			t.Errorf("poisson(%v) mean %.2f", lambda, mean)
		}
	}
}

func TestMetrics(t *testing.T) {
	c := ConfigFromPod(pod(nil))
	m := NewMetrics()
	m.SetStatus(c)
	m.Observe([]Request{
		{Route: Route{"GET", "/api/x", 1, 1}, Status: 200, Duration: 30 * time.Millisecond},
		{Route: Route{"GET", "/api/x", 1, 1}, Status: 500, Duration: 3 * time.Second},
	})
	if v := testutil.ToFloat64(m.Requests.WithLabelValues("500", "GET", "/api/x")); v != 1 {
		t.Fatalf("5xx counter %v", v)
	}
	if v := testutil.ToFloat64(m.Limits.WithLabelValues("memory", "byte")); v != 256<<20 {
		t.Fatalf("memory limit %v", v)
	}
	if v := testutil.ToFloat64(m.Limits.WithLabelValues("cpu", "core")); v != 0.5 {
		t.Fatalf("cpu limit %v", v)
	}
	if v := testutil.ToFloat64(m.CPUQuota); v != 50000 {
		t.Fatalf("cpu quota %v", v)
	}
	if v := testutil.ToFloat64(m.Waiting.WithLabelValues("CrashLoopBackOff")); v != 1 {
		t.Fatalf("waiting reason %v", v)
	}
	names := map[string]bool{}
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		names[mf.GetName()] = true
		for _, metric := range mf.GetMetric() {
			for _, l := range metric.GetLabel() {
				switch l.GetName() {
				case "namespace", "pod", "container", "team", "service":
					t.Errorf("%s has label %s, which the scrape target sets", mf.GetName(), l.GetName())
				}
			}
		}
	}
	for _, want := range []string{"http_requests_total", "http_request_duration_seconds", "process_cpu_seconds_total",
		"container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "container_spec_memory_limit_bytes",
		"kube_pod_container_resource_limits", "kube_pod_container_status_restarts_total"} {
		if !names[want] {
			t.Errorf("metric %s missing", want)
		}
	}
	if v := testutil.ToFloat64(m.ProcessCPU); v != 0 {
		t.Fatalf("cpu before any tick: %v", v)
	}
	NewTraffic("a", "b", "c", time.Now()).Resources(m, c, 4, 200*time.Millisecond, time.Now())
	if v := testutil.ToFloat64(m.ContainerCPU); v <= 0 {
		t.Fatal("cpu did not advance")
	}
}

func TestFileSD(t *testing.T) {
	data, err := FileSD([]Target{
		{Addr: "127.0.0.1:2", Namespace: "search", Pod: "b", Team: "search", Service: "indexer"},
		{Addr: "127.0.0.1:1", Namespace: "payments", Pod: "a", Team: "payments", Service: "checkout"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var groups []struct {
		Targets []string          `json:"targets"`
		Labels  map[string]string `json:"labels"`
	}
	if err := json.Unmarshal(data, &groups); err != nil {
		t.Fatal(err)
	}
	if len(groups) != 2 || groups[0].Targets[0] != "127.0.0.1:1" {
		t.Fatalf("groups %+v", groups)
	}
	want := map[string]string{"namespace": "payments", "pod": "a", "team": "payments", "service": "checkout", "container": "app"}
	for k, v := range want {
		if groups[0].Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, groups[0].Labels[k], v)
		}
	}
	empty, _ := FileSD(nil)
	if strings.TrimSpace(string(empty)) != "[]" {
		t.Fatalf("empty file_sd = %q", empty)
	}
}

func TestCrashRun(t *testing.T) {
	c := ConfigFromPod(pod(nil))
	p := filepath.Join(t.TempDir(), "x.log")
	end := time.Now()
	if err := WriteCrashRun(p, end, c); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	lines := strings.SplitAfter(string(data), "\n")
	lines = lines[:len(lines)-1]
	var prev time.Time
	for _, l := range lines {
		if !criRE.MatchString(l) {
			t.Fatalf("not a CRI line: %q", l)
		}
		ts, _ := time.Parse(time.RFC3339Nano, l[:strings.IndexByte(l, ' ')])
		if ts.Before(prev) {
			t.Fatalf("timestamps go back: %q", l)
		}
		prev = ts
	}
	if !strings.Contains(string(data), "stderr F panic: runtime error") || !strings.HasSuffix(string(data), "stderr F exit status 2\n") {
		t.Fatalf("no panic at the end:\n%s", data)
	}
}

func TestKwokLogs(t *testing.T) {
	c := ConfigFromPod(pod(nil))
	c.Crashloop = true
	u := KwokLogs(c, "/l/cur.log", "/l/prev.log")
	if u.GetKind() != "Logs" || u.GetNamespace() != "payments" || u.GetName() != "ledger-abc" {
		t.Fatalf("object %v", u.Object)
	}
	if refs := u.GetOwnerReferences(); len(refs) != 1 || refs[0].Kind != "Pod" || refs[0].UID != "u-1" {
		t.Fatalf("owner %v", refs)
	}
	logs := u.Object["spec"].(map[string]any)["logs"].([]any)[0].(map[string]any)
	if logs["logsFile"] != "/l/cur.log" || logs["previousLogsFile"] != "/l/prev.log" || logs["follow"] != true {
		t.Fatalf("logs %v", logs)
	}
	c.Crashloop = false
	logs = KwokLogs(c, "/l/cur.log", "/l/prev.log").Object["spec"].(map[string]any)["logs"].([]any)[0].(map[string]any)
	if _, ok := logs["previousLogsFile"]; ok {
		t.Fatal("only restarted (crash-looping) pods have previous logs")
	}
}

func TestRoutesAndVersion(t *testing.T) {
	for _, svc := range []string{"checkout", "ledger", "search-api", "indexer", "fraud-worker", "other"} {
		rs := RoutesFor(svc)
		if rs[len(rs)-1].Path != "/healthz" || len(rs) < 2 {
			t.Errorf("%s routes %v", svc, rs)
		}
	}
	if v := Version("registry.local/payments/checkout:1.4.2"); v != "1.4.2" {
		t.Errorf("Version = %q", v)
	}
	if v := Version("localhost:5000/app"); v != "latest" {
		t.Errorf("Version = %q", v)
	}
}

// A runbook job's pod logs its argv and its parameters, as a real job would.
func TestJobLogLines(t *testing.T) {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "flush-cache-x7k2p"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
		Name: "job", Command: []string{"/bin/flush-cache", "--service=ledger"},
		Env: []corev1.EnvVar{{Name: "VIGIE_PARAM_SERVICE", Value: "ledger"}, {Name: "VIGIE_PARAM_BATCH", Value: "100"}, {Name: "OTHER", Value: "x"}}}}}}
	got := strings.Join(JobLogLines(p), "\n")
	for _, want := range []string{"running /bin/flush-cache --service=ledger", "parameter batch=100\nparameter service=ledger", "result=ok"} {
		if !strings.Contains(got, want) {
			t.Errorf("job log lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "OTHER") || strings.Contains(got, "other=") {
		t.Errorf("a variable that is no parameter is logged:\n%s", got)
	}
}
