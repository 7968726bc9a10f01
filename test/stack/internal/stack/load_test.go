package stack

import (
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestBenchDeployment(t *testing.T) {
	d := BenchDeployment("payments", "payments", 5000)
	if d.Name != "bench-load" || d.Namespace != "payments" || *d.Spec.Replicas != 5000 {
		t.Fatalf("deployment %s/%s replicas %d", d.Namespace, d.Name, *d.Spec.Replicas)
	}
	pl := d.Spec.Template.Labels
	// vigie's team selector (team=<team>) must match, the simulator must not.
	if pl["app"] != "bench-load" || pl["team"] != "payments" || len(pl) != 2 {
		t.Errorf("pod labels %v", pl)
	}
	for k := range pl {
		if strings.HasPrefix(k, "sim.vigie.dev/") {
			t.Errorf("bench pods must not be simulated: label %s", k)
		}
	}
	if d.Labels["team"] != "payments" {
		t.Errorf("deployment labels %v", d.Labels)
	}
	if sel := d.Spec.Selector.MatchLabels; len(sel) != 1 || sel["app"] != "bench-load" {
		t.Errorf("selector %v", sel)
	}
	req := d.Spec.Template.Spec.Containers[0].Resources.Requests
	if cpu := req[corev1.ResourceCPU]; cpu.MilliValue() > 10 {
		t.Errorf("cpu request %s: want tiny", cpu.String())
	}
	if mem := req[corev1.ResourceMemory]; mem.Value() > 16<<20 {
		t.Errorf("memory request %s: want tiny", mem.String())
	}
}

// 5,000 bench pods and the seeded ones fit on the fake nodes.
func TestNodeCapacityHoldsBenchmarks(t *testing.T) {
	pods := nodeResources()[corev1.ResourcePods]
	if total := pods.Value() * int64(len(NodeNames)); total < 5000+100 {
		t.Fatalf("nodes hold %d pods in all", total)
	}
}

func TestLoadCounts(t *testing.T) {
	if !(LoadCounts{Total: 3, Running: 3}).Done(3) || (LoadCounts{Total: 4, Running: 3, Terminating: 1}).Done(3) ||
		!(LoadCounts{}).Done(0) || (LoadCounts{Total: 1, Terminating: 1}).Done(0) {
		t.Fatal("Done")
	}
	if got := (LoadCounts{Total: 5000, Running: 1400}).Progress(5000); got != "1400/5000 Running, 5000 created" {
		t.Errorf("Progress = %q", got)
	}
	if got := (LoadCounts{Total: 120, Running: 100, Terminating: 20}).Progress(0); got != "120 pods left (20 terminating)" {
		t.Errorf("Progress = %q", got)
	}
}

func TestParseProcMemory(t *testing.T) {
	status := "Name:\tkube-apiserver\nVmPeak:\t 2000 kB\nVmHWM:\t  524288 kB\nVmRSS:\t  262144 kB\nThreads:\t12\n"
	rss, hwm, err := parseProcMemory(strings.NewReader(status))
	if err != nil || rss != 256<<20 || hwm != 512<<20 {
		t.Fatalf("parseProcMemory = %d, %d, %v", rss, hwm, err)
	}
	if _, _, err := parseProcMemory(strings.NewReader("Name:\tx\n")); err == nil {
		t.Fatal("no VmRSS: want an error")
	}
	// This process has both lines.
	if rss, hwm, err := ProcMemory(os.Getpid()); err != nil || (rss <= 0 || hwm < rss) {
		t.Fatalf("ProcMemory(self) = %d, %d, %v", rss, hwm, err)
	}
}
