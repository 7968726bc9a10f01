//go:build integration

package kube

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/vigie-dev/vigie/internal/stackenv"
)

func clientFor(t *testing.T, env *stackenv.Env, kctx string) kubernetes.Interface {
	t.Helper()
	cfg, err := RESTConfig(Options{Kubeconfig: env.MustGet(t, "KUBECONFIG"), Context: kctx})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// waitFor reads snapshots until ok returns true or the deadline passes.
func waitFor(t *testing.T, ch <-chan Snapshot, d time.Duration, what string, ok func(Snapshot) bool) Snapshot {
	t.Helper()
	deadline := time.After(d)
	var last Snapshot
	for {
		select {
		case s, open := <-ch:
			if !open {
				t.Fatalf("%s: watch closed", what)
			}
			last = s
			if ok(s) {
				return s
			}
		case <-deadline:
			t.Fatalf("%s: not seen in %s (last snapshot: %d pods, problems %+v)", what, d, len(last.Pods), last.Problems)
		}
	}
}

// The payments member watches its team's scope plus a namespace it may not read: the
// seeded pods arrive with their states, the other namespace is reported forbidden (not
// empty, not stale), and a scale-up by the admin shows up live.
func TestWatchTeamScope(t *testing.T) {
	env := stackenv.MustLoad(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ch, err := Watch(ctx, clientFor(t, env, "local-payments"),
		Scope{Namespaces: []string{"payments", "search"}, Selector: "team=payments"}, WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := waitFor(t, ch, 30*time.Second, "synced payments pods", func(s Snapshot) bool {
		return s.Synced && len(s.Pods) > 0 && s.Forbidden("search", "pods")
	})
	if s.Stale() {
		t.Errorf("forbidden namespace must not make the view stale: %+v", s.Problems)
	}
	for _, r := range []string{"pods", "deployments", "events"} {
		if !s.Forbidden("search", r) {
			t.Errorf("search/%s not reported forbidden: %+v", r, s.Problems)
		}
	}
	crash := slices.IndexFunc(s.Pods, func(p *corev1.Pod) bool { return p.Labels["app"] == "fraud-worker" })
	if crash < 0 {
		t.Fatal("fraud-worker pod missing")
	}
	cst := s.Pods[crash].Status.ContainerStatuses
	if len(cst) == 0 || cst[0].State.Waiting == nil || cst[0].State.Waiting.Reason != "CrashLoopBackOff" || cst[0].RestartCount == 0 {
		t.Errorf("fraud-worker status: %+v", cst)
	}
	for _, p := range s.Pods {
		if p.Namespace != "payments" {
			t.Errorf("pod %s/%s outside the scope", p.Namespace, p.Name)
		}
		if p.ManagedFields != nil {
			t.Errorf("pod %s kept managedFields", p.Name)
		}
	}

	// The admin scales checkout up by one; the watch shows the new pod Running.
	admin := clientFor(t, env, "local-admin")
	d, err := admin.AppsV1().Deployments("payments").Get(ctx, "checkout", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := *d.Spec.Replicas + 1
	patch := fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, want)
	if _, err := admin.AppsV1().Deployments("payments").Patch(ctx, "checkout", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		back := fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, want-1)
		_, _ = admin.AppsV1().Deployments("payments").Patch(context.Background(), "checkout", types.MergePatchType, back, metav1.PatchOptions{})
	})
	waitFor(t, ch, 30*time.Second, "checkout scaled up", func(s Snapshot) bool {
		n := 0
		for _, p := range s.Pods {
			if p.Labels["app"] == "checkout" && p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
				n++
			}
		}
		return n == int(want)
	})
}
