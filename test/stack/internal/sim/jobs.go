package sim

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LabelManagedByVigie selects the pods of the Jobs vigie serve creates (runbook jobs).
const LabelManagedByVigie = "app.kubernetes.io/managed-by=vigie"

// JobLogLines is what a simulated runbook job prints: its argv, its parameters (the
// VIGIE_PARAM_* variables vigie serve sets) and a result. kwok runs no container, so the
// simulator writes the log a real job would.
func JobLogLines(p *corev1.Pod) []string {
	var out []string
	for _, c := range p.Spec.Containers {
		out = append(out, fmt.Sprintf("runbook job %s: running %s", p.Name, strings.Join(c.Command, " ")))
		var params []string
		for _, e := range c.Env {
			if name, ok := strings.CutPrefix(e.Name, "VIGIE_PARAM_"); ok {
				params = append(params, strings.ToLower(name)+"="+e.Value)
			}
		}
		slices.Sort(params)
		for _, kv := range params {
			out = append(out, "parameter "+kv)
		}
	}
	return append(out, "level=info msg=\"step 1/2: checking the target\"", "level=info msg=\"step 2/2: done\" result=ok")
}

// watchJobPods writes a log file and a kwok Logs object for every pod of a vigie Job,
// when it is first seen.
func (s *Simulator) watchJobPods(ctx context.Context) {
	factory := informers.NewSharedInformerFactoryWithOptions(s.o.Kube, 10*time.Minute,
		informers.WithNamespace(s.o.Namespace),
		informers.WithTweakListOptions(func(lo *metav1.ListOptions) { lo.LabelSelector = LabelManagedByVigie }))
	inf := factory.Core().V1().Pods().Informer()
	seen := map[string]bool{}
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: func(obj any) {
		p, ok := obj.(*corev1.Pod)
		if !ok || seen[string(p.UID)] {
			return
		}
		seen[string(p.UID)] = true // informer handlers run one at a time
		if err := s.writeJobLog(ctx, p); err != nil {
			s.o.Log.Warn("runbook job log", "pod", p.Namespace+"/"+p.Name, "err", err)
		}
	}})
	if err != nil {
		s.o.Log.Error("watch job pods", "err", err)
		return
	}
	factory.Start(ctx.Done())
	<-ctx.Done()
	factory.Shutdown()
}

func (s *Simulator) writeJobLog(ctx context.Context, p *corev1.Pod) error {
	current, _ := LogFiles(s.o.LogDir, p.Namespace, p.Name)
	lw, err := OpenLog(current)
	if err != nil {
		return err
	}
	now := time.Now()
	for i, l := range JobLogLines(p) {
		if err := lw.Write(now.Add(time.Duration(i)*time.Millisecond), Stdout, l); err != nil {
			lw.Close()
			return err
		}
	}
	if err := lw.Close(); err != nil {
		return err
	}
	var containers []string
	for _, c := range p.Spec.Containers {
		containers = append(containers, c.Name)
	}
	cfg := PodConfig{Namespace: p.Namespace, Name: p.Name, UID: string(p.UID), Containers: containers}
	obj := KwokLogs(cfg, current, "")
	if spec, ok := obj.Object["spec"].(map[string]any); ok { // a finished job's log ends
		if logs, ok := spec["logs"].([]any); ok && len(logs) == 1 {
			logs[0].(map[string]any)["follow"] = false
		}
	}
	return s.createLogs(ctx, obj)
}
