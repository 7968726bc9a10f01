package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// LogsGVR is kwok's per-pod Logs resource.
var LogsGVR = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "logs"}

// Options configure the simulator. Zero values are safe defaults except the clients and
// paths, which validate() requires.
type Options struct {
	Kube      kubernetes.Interface
	Dynamic   dynamic.Interface
	LogDir    string  // per-pod CRI log files
	FileSD    string  // Prometheus file_sd JSON written here
	Host      string  // listen host for the per-pod metrics servers (default 127.0.0.1)
	Rate      float64 // requests per second per pod (default 20)
	Tick      time.Duration
	LogsPerS  float64 // request log lines per second per pod (default 3)
	Namespace string  // watch one namespace only (default all)
	Log       *slog.Logger
}

func (o *Options) validate() error {
	if o.Kube == nil || o.Dynamic == nil {
		return errors.New("sim: kubernetes clients are required")
	}
	if o.LogDir == "" || o.FileSD == "" {
		return errors.New("sim: log dir and file_sd path are required")
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Rate <= 0 {
		o.Rate = 20
	}
	if o.Tick <= 0 {
		o.Tick = 200 * time.Millisecond
	}
	if o.LogsPerS <= 0 {
		o.LogsPerS = 3
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return nil
}

// Simulator runs the simulated pods.
type Simulator struct {
	o      Options
	mu     sync.Mutex
	pods   map[string]*podRun // by namespace/name
	lastSD []byte
}

type podRun struct {
	cfg     PodConfig
	mu      sync.Mutex // guards cfg updates
	addr    string
	srv     *http.Server
	metrics *Metrics
	cancel  context.CancelFunc
	done    chan struct{}
}

// Run watches pods until ctx ends, then stops every simulated pod and empties the file_sd.
func Run(ctx context.Context, o Options) error {
	if err := o.validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(o.LogDir, 0o755); err != nil {
		return err
	}
	s := &Simulator{o: o, pods: map[string]*podRun{}}
	if err := s.writeSD(); err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactoryWithOptions(o.Kube, 10*time.Minute,
		informers.WithNamespace(o.Namespace),
		informers.WithTweakListOptions(func(lo *metav1.ListOptions) { lo.LabelSelector = LabelSimulate + "=true" }))
	inf := factory.Core().V1().Pods().Informer()
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { s.sync(ctx, obj) },
		UpdateFunc: func(_, obj any) { s.sync(ctx, obj) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if p, ok := obj.(*corev1.Pod); ok {
				s.stop(p.Namespace, p.Name, true)
			}
		},
	})
	if err != nil {
		return err
	}
	factory.Start(ctx.Done())
	jobsDone := make(chan struct{})
	go func() {
		defer close(jobsDone)
		s.watchJobPods(ctx)
	}()
	defer func() { <-jobsDone }()
	o.Log.Info("simulator watching pods", "selector", LabelSimulate+"=true", "file_sd", o.FileSD)
	<-ctx.Done()
	factory.Shutdown()
	s.mu.Lock()
	keys := make([][2]string, 0, len(s.pods))
	for _, p := range s.pods {
		keys = append(keys, [2]string{p.cfg.Namespace, p.cfg.Name})
	}
	s.mu.Unlock()
	for _, k := range keys {
		s.stop(k[0], k[1], false)
	}
	o.Log.Info("simulator stopped")
	return nil
}

func (s *Simulator) sync(ctx context.Context, obj any) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	if !Running(p) {
		s.stop(p.Namespace, p.Name, true)
		return
	}
	cfg := ConfigFromPod(p)
	key := p.Namespace + "/" + p.Name
	s.mu.Lock()
	run, exists := s.pods[key]
	s.mu.Unlock()
	if exists {
		run.update(s, cfg)
		return
	}
	if err := s.start(ctx, cfg); err != nil {
		s.o.Log.Error("start simulated pod", "pod", key, "err", err)
	}
}

func (s *Simulator) start(ctx context.Context, cfg PodConfig) error {
	key := cfg.Namespace + "/" + cfg.Name
	ln, err := net.Listen("tcp", net.JoinHostPort(s.o.Host, "0"))
	if err != nil {
		return err
	}
	m := NewMetrics()
	m.SetStatus(cfg)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()

	rctx, cancel := context.WithCancel(ctx)
	run := &podRun{cfg: cfg, addr: ln.Addr().String(), srv: srv, metrics: m, cancel: cancel, done: make(chan struct{})}
	current, previous := LogFiles(s.o.LogDir, cfg.Namespace, cfg.Name)
	if cfg.Crashloop {
		now := time.Now()
		if err := WriteCrashRun(previous, now.Add(-40*time.Second), cfg); err != nil {
			cancel()
			return err
		}
		if err := WriteCrashRun(current, now, cfg); err != nil {
			cancel()
			return err
		}
	}
	lw, err := OpenLog(current)
	if err != nil {
		cancel()
		_ = srv.Close()
		return err
	}
	if !cfg.Crashloop {
		for _, l := range StartupLines(time.Now(), cfg) {
			_ = lw.Write(time.Now(), Stdout, l)
		}
	}
	if err := s.ensureKwokLogs(ctx, cfg, current, previous); err != nil {
		s.o.Log.Warn("kwok Logs object", "pod", key, "err", err)
	}
	s.mu.Lock()
	s.pods[key] = run
	s.mu.Unlock()
	if err := s.writeSD(); err != nil {
		s.o.Log.Error("write file_sd", "err", err)
	}
	s.o.Log.Info("simulating pod", "pod", key, "addr", run.addr, "errorRatio", cfg.ErrorRatio, "latencyMS", cfg.LatencyMS, "crashloop", cfg.Crashloop)
	go run.loop(rctx, s.o, lw)
	return nil
}

// update applies a changed pod (status, restarts). A crash-looping pod whose restart count
// grew "ran again": its current log becomes the previous one and a new failed run is written.
func (r *podRun) update(s *Simulator, cfg PodConfig) {
	r.mu.Lock()
	old := r.cfg
	r.cfg = cfg
	r.mu.Unlock()
	r.metrics.SetStatus(cfg)
	if cfg.Crashloop && cfg.Restarts > old.Restarts {
		current, previous := LogFiles(s.o.LogDir, cfg.Namespace, cfg.Name)
		_ = os.Rename(current, previous)
		if err := WriteCrashRun(current, time.Now(), cfg); err != nil {
			s.o.Log.Warn("crash run log", "pod", cfg.Namespace+"/"+cfg.Name, "err", err)
		}
	}
}

func (r *podRun) config() PodConfig {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg
}

// loop advances traffic, resources and logs every tick until ctx ends.
func (r *podRun) loop(ctx context.Context, o Options, lw *LogWriter) {
	defer close(r.done)
	defer lw.Close()
	cfg := r.config()
	tr := NewTraffic(cfg.Namespace, cfg.Name, cfg.Service, time.Now())
	tick := time.NewTicker(o.Tick)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			dt := now.Sub(last)
			last = now
			cfg := r.config()
			var reqs []Request
			if cfg.WaitingReason == "" {
				rate := o.Rate
				if cfg.Rate > 0 {
					rate = cfg.Rate
				}
				reqs = tr.Tick(cfg, rate, dt)
				r.metrics.Observe(reqs)
			}
			tr.Resources(r.metrics, cfg, len(reqs), dt, now)
			if len(reqs) == 0 || cfg.Crashloop {
				continue
			}
			// Log a sample of the requests: about LogsPerS lines a second, so errors show up
			// in the log at the pod's error ratio.
			p := o.LogsPerS * dt.Seconds() / float64(len(reqs))
			for i, rq := range reqs {
				if tr.Rng.Float64() >= p {
					continue
				}
				at := last.Add(-dt + time.Duration(i+1)*dt/time.Duration(len(reqs)+1))
				stream := Stdout
				if rq.Status >= 500 {
					stream = Stderr
				}
				_ = lw.Write(at, stream, RequestLine(at, cfg.Service, rq, tr.Rng.IntN(4) == 0, tr.Rng))
			}
		}
	}
}

// stop ends a simulated pod; removeFiles also deletes its log files and kwok Logs object
// (the pod is gone), as opposed to the simulator shutting down.
func (s *Simulator) stop(namespace, name string, removeFiles bool) {
	key := namespace + "/" + name
	s.mu.Lock()
	run, ok := s.pods[key]
	delete(s.pods, key)
	s.mu.Unlock()
	if !ok {
		return
	}
	if err := s.writeSD(); err != nil {
		s.o.Log.Error("write file_sd", "err", err)
	}
	run.cancel()
	<-run.done
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = run.srv.Shutdown(ctx)
	if removeFiles {
		current, previous := LogFiles(s.o.LogDir, namespace, name)
		_ = os.Remove(current)
		_ = os.Remove(previous)
		err := s.o.Dynamic.Resource(LogsGVR).Namespace(namespace).Delete(ctx, name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			s.o.Log.Warn("delete kwok Logs", "pod", key, "err", err)
		}
	}
	s.o.Log.Info("stopped simulating pod", "pod", key)
}

func (s *Simulator) writeSD() error {
	s.mu.Lock()
	targets := make([]Target, 0, len(s.pods))
	for _, p := range s.pods {
		c := p.config()
		targets = append(targets, Target{Addr: p.addr, Namespace: c.Namespace, Pod: c.Name, Team: c.Team, Service: c.Service})
	}
	data, err := FileSD(targets)
	if err != nil || bytes.Equal(data, s.lastSD) {
		s.mu.Unlock()
		return err
	}
	s.lastSD = data
	s.mu.Unlock()
	tmp := filepath.Join(filepath.Dir(s.o.FileSD), "."+filepath.Base(s.o.FileSD)+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, s.o.FileSD)
}

// KwokLogs builds kwok's Logs object for a pod: kwok serves the pod's logs (and, with
// previous, `--previous` logs) from these files. kwok's ClusterLogs has no per-pod templating
// of logsFile, so each pod gets its own Logs object, owned by the pod.
func KwokLogs(c PodConfig, current, previous string) *unstructured.Unstructured {
	log := map[string]any{"logsFile": current, "follow": true}
	if len(c.Containers) > 0 {
		cs := make([]any, 0, len(c.Containers))
		for _, n := range c.Containers {
			cs = append(cs, n)
		}
		log["containers"] = cs
	}
	if c.Crashloop {
		log["previousLogsFile"] = previous
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1",
		"kind":       "Logs",
		"metadata": map[string]any{
			"name":      c.Name,
			"namespace": c.Namespace,
			"labels":    map[string]any{"app.kubernetes.io/managed-by": "vigie-stack-sim"},
		},
		"spec": map[string]any{"logs": []any{log}},
	}}
	if c.UID != "" {
		u.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: c.Name, UID: types.UID(c.UID)}})
	}
	return u
}

func (s *Simulator) ensureKwokLogs(ctx context.Context, c PodConfig, current, previous string) error {
	return s.createLogs(ctx, KwokLogs(c, current, previous))
}

// createLogs creates or replaces a kwok Logs object.
func (s *Simulator) createLogs(ctx context.Context, obj *unstructured.Unstructured) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res := s.o.Dynamic.Resource(LogsGVR).Namespace(obj.GetNamespace())
	_, err := res.Create(ctx, obj, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		old, gerr := res.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if gerr != nil {
			return gerr
		}
		obj.SetResourceVersion(old.GetResourceVersion())
		_, err = res.Update(ctx, obj, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("kwok Logs %s/%s: %w", obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}
