//go:build integration && disruptive

package tui

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/vigie-dev/vigie/internal/stackenv"
	"github.com/vigie-dev/vigie/views"
)

// Stopping the apiserver leaves vigie on its last data, marked stale with its age; when
// the apiserver comes back vigie is live again by itself, without a restart or a key.
//
// This test stops a shared server: it carries the build tag "disruptive" and runs alone,
// after the other integration tests (test/run-all-tests.sh).
func TestLiveApiserverStopAndRestart(t *testing.T) {
	env := stackenv.MustLoad(t)
	ctl := env.MustGet(t, "VIGIE_STACK_CTL")
	stack := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(ctl, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", ctl, args, err, out)
		}
	}
	_, tm := liveModel(t, env, views.Route{Screen: views.ScreenPods})
	tm.waitFor(30*time.Second, "● live", "checkout-", "CrashLoopBackOff")

	stack("apiserver", "stop")
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			_ = exec.Command(ctl, "apiserver", "start").Run()
		}
	})
	s := tm.waitFor(30*time.Second, "⚠ STALE", "last data")
	if !strings.Contains(s, "checkout-") || !strings.Contains(s, "CrashLoopBackOff") {
		t.Fatalf("stale data must stay on screen:\n%s", s)
	}

	stack("apiserver", "start")
	restarted = true
	deadline := time.Now().Add(60 * time.Second)
	for {
		s = tm.screen()
		if !strings.Contains(s, "STALE") && strings.Contains(s, "● live") && strings.Contains(s, "checkout-") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("vigie did not come back live within 60s of the apiserver's return:\n%s", s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Rolling the seeded bad release of ledger back (as the admin would) shows on the team
// home: the error ratio falls and the HighErrorRatio alert resolves, without a key.
func TestLiveRollbackOfTheBadRelease(t *testing.T) {
	env := stackenv.MustLoad(t)
	admin := adminClient(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	m, tm := liveModel(t, env, views.Route{Screen: views.ScreenHome}, func(s *Session) {
		s.Prom, s.Alerts = stackProm(t, env), stackAlertmanager(t, env)
	})
	_ = m
	tm.waitFor(90*time.Second, "ledger", "✖ firing")
	var before float64
	for end := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		v, ok := errorsOf(tm.screen(), "ledger")
		if ok && v > 0.05 {
			before = v
			break
		}
		if time.Now().After(end) {
			t.Fatalf("ledger's error ratio never showed above 5%%:\n%s", tm.screen())
		}
	}

	deps := admin.AppsV1().Deployments("payments")
	d, err := deps.Get(ctx, "ledger", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bad := d.Spec.Template.DeepCopy()
	good := previousTemplate(t, ctx, admin, d)
	setTemplate := func(ctx context.Context, tpl *corev1.PodTemplateSpec) error {
		return retry.RetryOnConflict(retry.DefaultRetry, func() error { // the controllers write its status meanwhile
			cur, err := deps.Get(ctx, "ledger", metav1.GetOptions{})
			if err != nil {
				return err
			}
			cur.Spec.Template = *tpl
			_, err = deps.Update(ctx, cur, metav1.UpdateOptions{})
			return err
		})
	}
	if err := setTemplate(ctx, good); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = setTemplate(context.Background(), bad) }) // back to the seeded state: the bad release
	deadline := time.Now().Add(3 * time.Minute)
	for {
		s := tm.screen()
		row := rowOf(s, "ledger")
		if v, ok := errorsOf(s, "ledger"); ok && v < before && !strings.Contains(row, "firing") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the rollback ledger should stop firing with falling errors (before %.3f):\n%s", before, tm.screen())
		}
		time.Sleep(time.Second)
	}
}

// previousTemplate is the pod template of the deployment's previous revision.
func previousTemplate(t *testing.T, ctx context.Context, cs kubernetes.Interface, d *appsv1.Deployment) *corev1.PodTemplateSpec {
	t.Helper()
	cur, _ := strconv.Atoi(d.Annotations["deployment.kubernetes.io/revision"])
	rss, err := cs.AppsV1().ReplicaSets(d.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=" + d.Name})
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range rss.Items {
		if rev, _ := strconv.Atoi(rs.Annotations["deployment.kubernetes.io/revision"]); rev == cur-1 {
			tpl := rs.Spec.Template.DeepCopy()
			delete(tpl.Labels, "pod-template-hash")
			return tpl
		}
	}
	t.Fatalf("no revision %d of %s", cur-1, d.Name)
	return nil
}

func rowOf(screen, service string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, service+" ") {
			return l
		}
	}
	return ""
}

// errorsOf reads the error ratio (the first percentage) of a service's home row.
func errorsOf(screen, service string) (float64, bool) {
	for _, f := range strings.Fields(rowOf(screen, service)) {
		if p, ok := strings.CutSuffix(f, "%"); ok {
			if v, err := strconv.ParseFloat(p, 64); err == nil {
				return v / 100, true
			}
		}
	}
	return 0, false
}
