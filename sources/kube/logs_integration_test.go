//go:build integration

package kube

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vigie-dev/vigie/internal/stackenv"
)

// Following a workload merges the lines of all its pods, in time order, as they come.
func TestLogsFollowWorkload(t *testing.T) {
	env := stackenv.MustLoad(t)
	cs := clientFor(t, env, "local-payments")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ch, err := Logs(ctx, cs, LogsRequest{Namespace: "payments", Selector: "app=checkout", Follow: true, Since: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	pods := map[string]bool{}
	var last time.Time
	n := 0
	for b := range ch {
		if b.Err != nil {
			t.Fatalf("batch error: %v", b.Err)
		}
		for i, r := range b.Records {
			if r.At.IsZero() || r.Pod == "" || r.Labels["namespace"] != "payments" {
				t.Fatalf("record without time, pod or labels: %+v", r)
			}
			if i > 0 && r.At.Before(b.Records[i-1].At) {
				t.Fatalf("batch not in time order at %d", i)
			}
			pods[r.Pod] = true
			last = r.At
			n++
		}
		if len(pods) >= 3 && time.Since(last) < 10*time.Second && n > 20 {
			return
		}
	}
	t.Fatalf("followed %d lines from %d pods (%v), want lines from the 3 checkout pods, recent", n, len(pods), pods)
}

// The previous instance of the crash-looping container has its own log: the crash.
func TestLogsPreviousOfCrashLoopingPod(t *testing.T) {
	env := stackenv.MustLoad(t)
	cs := clientFor(t, env, "local-payments")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pods, err := cs.CoreV1().Pods("payments").List(ctx, metav1.ListOptions{LabelSelector: "app=fraud-worker"})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("fraud-worker pods: %v (%d)", err, len(pods.Items))
	}
	ch, err := Logs(ctx, cs, LogsRequest{Namespace: "payments", Pod: pods.Items[0].Name, Previous: true})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for b := range ch {
		if b.Err != nil {
			t.Fatalf("batch error: %v", b.Err)
		}
		for _, r := range b.Records {
			lines = append(lines, r.Line)
		}
	}
	all := strings.Join(lines, "\n")
	if len(lines) == 0 || !strings.Contains(strings.ToLower(all), "error") {
		t.Fatalf("previous logs of the crash-looping pod should show its failure, got %d lines:\n%s", len(lines), all)
	}
}
