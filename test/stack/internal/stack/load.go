package stack

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/vigie-dev/vigie/test/stack/internal/proc"
)

// BenchLoadName is the Deployment `stack load` creates.
const BenchLoadName = "bench-load"

// LoadOptions are the flags of `stack load`.
type LoadOptions struct {
	Namespace string
	Pods      int
	Timeout   time.Duration // whole wait
	Progress  time.Duration // interval of the progress lines
}

// BenchDeployment is the Deployment of `stack load`: n tiny pods labelled app=bench-load and
// team=<team> (so vigie's team selector shows them), without sim.vigie.dev/simulate (the
// simulator ignores them: no metrics, no log files).
func BenchDeployment(namespace, team string, n int32) *appsv1.Deployment {
	labels := map[string]string{"app": BenchLoadName, "team": team}
	podLabels := map[string]string{"app": BenchLoadName, "team": team}
	grace := int64(0)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: BenchLoadName, Namespace: namespace, Labels: labels,
			Annotations: map[string]string{"kubernetes.io/change-cause": "stack load: benchmark pods"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: &n,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": BenchLoadName}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: &grace,
					Containers: []corev1.Container{{
						Name:  "app",
						Image: "registry.local/bench/bench-load:1",
						Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
							corev1.ResourceCPU: resource.MustParse("1m"), corev1.ResourceMemory: resource.MustParse("1Mi"),
						}},
					}},
				},
			},
		},
	}
}

// Load creates, scales or (with 0 pods) deletes the bench-load Deployment and waits until
// exactly that many of its pods are Running (none left with 0), printing progress.
func Load(ctx context.Context, out io.Writer, o LoadOptions) error {
	if o.Pods < 0 {
		return errors.New("--pods must be >= 0")
	}
	if o.Progress <= 0 {
		o.Progress = 5 * time.Second
	}
	t0 := time.Now()
	d, st, err := loadState()
	if err != nil {
		return err
	}
	if p, ok := st.Find(apiServerName); !ok || !proc.Alive(p) {
		return fmt.Errorf("the kube-apiserver of %s is not running: start the stack (make stack-up)", d.State)
	}
	rc, err := clientcmd.BuildConfigFromFlags("", d.AdminKubeconfig())
	if err != nil {
		return err
	}
	rc.QPS, rc.Burst = 50, 100
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	deps := kube.AppsV1().Deployments(o.Namespace)
	if o.Pods == 0 {
		err := deps.Delete(ctx, BenchLoadName, metav1.DeleteOptions{PropagationPolicy: ptr(metav1.DeletePropagationBackground)})
		switch {
		case apierrors.IsNotFound(err):
			fmt.Fprintf(out, "stack: no %s/%s deployment\n", o.Namespace, BenchLoadName)
		case err != nil:
			return err
		default:
			fmt.Fprintf(out, "stack: deleted deployment %s/%s\n", o.Namespace, BenchLoadName)
		}
	} else {
		ns, err := kube.CoreV1().Namespaces().Get(ctx, o.Namespace, metav1.GetOptions{})
		if err != nil {
			return err
		}
		team := ns.Labels["team"]
		if team == "" {
			return fmt.Errorf("namespace %s has no team label: `stack load` puts its pods in a team namespace (%s)", o.Namespace, teamNames())
		}
		if err := checkPodCapacity(ctx, kube, o.Pods); err != nil {
			return err
		}
		want := BenchDeployment(o.Namespace, team, int32(o.Pods))
		cur, err := deps.Get(ctx, BenchLoadName, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			if _, err := deps.Create(ctx, want, metav1.CreateOptions{}); err != nil {
				return err
			}
			fmt.Fprintf(out, "stack: created deployment %s/%s with %d replicas (team %s)\n", o.Namespace, BenchLoadName, o.Pods, team)
		case err != nil:
			return err
		default:
			before := int32(1)
			if cur.Spec.Replicas != nil {
				before = *cur.Spec.Replicas
			}
			if before == *want.Spec.Replicas {
				fmt.Fprintf(out, "stack: deployment %s/%s already has %d replicas\n", o.Namespace, BenchLoadName, o.Pods)
				break
			}
			cur.Spec.Replicas = want.Spec.Replicas
			if _, err := deps.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
				return err
			}
			fmt.Fprintf(out, "stack: scaled deployment %s/%s from %d to %d replicas\n", o.Namespace, BenchLoadName, before, o.Pods)
		}
	}
	if err := waitBenchPods(ctx, out, kube, o, t0); err != nil {
		return err
	}
	if o.Pods > 0 {
		fmt.Fprintf(out, "stack: %d %s pods Running in %s after %.1fs\n", o.Pods, BenchLoadName, o.Namespace, time.Since(t0).Seconds())
	} else {
		fmt.Fprintf(out, "stack: no %s pod left in %s after %.1fs\n", BenchLoadName, o.Namespace, time.Since(t0).Seconds())
	}
	printMemory(out, st)
	return nil
}

func ptr[T any](v T) *T { return &v }

func teamNames() string {
	var names []string
	for _, t := range Teams {
		names = append(names, t.Name)
	}
	return strings.Join(names, ", ")
}

// checkPodCapacity fails when the nodes cannot hold n more pods (kwok nodes have the
// capacity `up` gave them; see nodeResources).
func checkPodCapacity(ctx context.Context, kube kubernetes.Interface, n int) error {
	nodes, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	var total int64
	for _, node := range nodes.Items {
		if q, ok := node.Status.Allocatable[corev1.ResourcePods]; ok {
			total += q.Value()
		}
	}
	// The seeded workloads and a margin for them.
	if need := int64(n) + 100; total < need {
		return fmt.Errorf("the %d nodes hold at most %d pods, %d wanted (with a margin of 100 for the seeded ones): restart the stack (its nodes get %s pods each)",
			len(nodes.Items), total, need, nodePodCapacity)
	}
	return nil
}

// LoadCounts is what waitBenchPods sees of the bench pods.
type LoadCounts struct {
	Total       int // pods with app=bench-load, terminating ones included
	Running     int // Running and not terminating
	Terminating int
}

// Done tells whether exactly want pods run and no other pod is left.
func (c LoadCounts) Done(want int) bool { return c.Running == want && c.Total == want }

func (c LoadCounts) String() string {
	s := fmt.Sprintf("%d Running, %d in all", c.Running, c.Total)
	if c.Terminating > 0 {
		s += fmt.Sprintf(" (%d terminating)", c.Terminating)
	}
	return s
}

// Progress is a progress line's text while waiting for want pods.
func (c LoadCounts) Progress(want int) string {
	if want == 0 {
		return fmt.Sprintf("%d pods left (%d terminating)", c.Total, c.Terminating)
	}
	s := fmt.Sprintf("%d/%d Running, %d created", c.Running, want, c.Total-c.Terminating)
	if c.Terminating > 0 {
		s += fmt.Sprintf(", %d terminating", c.Terminating)
	}
	return s
}

// countBenchPods lists the bench pods in pages (thousands of pods).
func countBenchPods(ctx context.Context, kube kubernetes.Interface, ns string) (LoadCounts, error) {
	var c LoadCounts
	opts := metav1.ListOptions{LabelSelector: "app=" + BenchLoadName, Limit: 1000}
	for {
		pods, err := kube.CoreV1().Pods(ns).List(ctx, opts)
		if err != nil {
			return c, err
		}
		for i := range pods.Items {
			p := &pods.Items[i]
			c.Total++
			switch {
			case p.DeletionTimestamp != nil:
				c.Terminating++
			case p.Status.Phase == corev1.PodRunning:
				c.Running++
			}
		}
		if pods.Continue == "" {
			return c, nil
		}
		opts.Continue = pods.Continue
	}
}

// waitBenchPods polls the Deployment's status every second (cheap) and lists the pods only
// when it looks done, and for each progress line.
func waitBenchPods(ctx context.Context, out io.Writer, kube kubernetes.Interface, o LoadOptions, t0 time.Time) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	nextProgress := time.Now().Add(o.Progress)
	var last LoadCounts
	for {
		var settled bool
		if o.Pods == 0 {
			// One pod at most per check: none left is done.
			pods, err := kube.CoreV1().Pods(o.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=" + BenchLoadName, Limit: 1})
			if err != nil {
				return err
			}
			if len(pods.Items) == 0 {
				return nil
			}
		} else {
			d, err := kube.AppsV1().Deployments(o.Namespace).Get(ctx, BenchLoadName, metav1.GetOptions{})
			if err != nil {
				return err
			}
			s, want := d.Status, int32(o.Pods)
			settled = s.ObservedGeneration >= d.Generation && s.Replicas == want && s.ReadyReplicas == want && s.UpdatedReplicas == want
		}
		progress := time.Now().After(nextProgress)
		if settled || progress {
			c, err := countBenchPods(ctx, kube, o.Namespace)
			if err != nil {
				return err
			}
			last = c
			if c.Done(o.Pods) {
				return nil
			}
			if progress {
				fmt.Fprintf(out, "stack: %6.1fs  %s/%s: %s\n", time.Since(t0).Seconds(), o.Namespace, BenchLoadName, c.Progress(o.Pods))
				nextProgress = nextProgress.Add(o.Progress)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d %s pods in %s (%s at the last count): %w", o.Pods, BenchLoadName, o.Namespace, last, ctx.Err())
		case <-tick.C:
		}
	}
}

// printMemory prints the resident memory of the Kubernetes processes (now and peak).
func printMemory(out io.Writer, st State) {
	var parts []string
	for _, name := range []string{"etcd", apiServerName, "kube-controller-manager", "kube-scheduler", "kwok", "simulator"} {
		p, ok := st.Find(name)
		if !ok || !proc.Alive(p) {
			continue
		}
		rss, hwm, err := ProcMemory(p.PID)
		if err != nil {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %d MiB (peak %d)", name, rss>>20, hwm>>20))
	}
	if len(parts) > 0 {
		fmt.Fprintf(out, "stack: memory (RSS): %s\n", strings.Join(parts, ", "))
	}
}

// ProcMemory returns VmRSS and VmHWM of pid, in bytes.
func ProcMemory(pid int) (rss, hwm int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	return parseProcMemory(f)
}

func parseProcMemory(r io.Reader) (rss, hwm int64, err error) {
	sc := bufio.NewScanner(r)
	found := 0
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v) // "123456 kB"
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("/proc status: %s: %q", k, v)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, err
		}
		if k == "VmRSS" {
			rss = n << 10
		} else {
			hwm = n << 10
		}
		found++
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if found != 2 {
		return 0, 0, errors.New("/proc status: no VmRSS/VmHWM")
	}
	return rss, hwm, nil
}
