//go:build integration

package tui

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/vigie-dev/vigie/internal/stackenv"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/sources/alertmanager"
	"github.com/vigie-dev/vigie/sources/kube"
	"github.com/vigie-dev/vigie/sources/loki"
	"github.com/vigie-dev/vigie/sources/platform"
	"github.com/vigie-dev/vigie/sources/prom"
	"github.com/vigie-dev/vigie/views"
)

// liveSession is the session of a kubeconfig context of the local platform.
func liveSession(t *testing.T, env *stackenv.Env, kctx, team string, namespaces ...string) Session {
	t.Helper()
	cfg, err := kube.RESTConfig(kube.Options{Kubeconfig: env.MustGet(t, "KUBECONFIG"), Context: kctx, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return Session{Context: kctx, Environment: "dev", Team: team, Namespaces: namespaces,
		Selector: "team=" + team, Kube: cs}
}

// liveModel is the TUI of the payments member on the local platform, drawn in a virtual
// terminal of 160×50.
func liveModel(t *testing.T, env *stackenv.Env, start views.Route, with ...func(*Session)) (*Model, *term) {
	t.Helper()
	keys := keymaps.Default()
	sess := liveSession(t, env, "local-payments", "payments", "payments")
	for _, f := range with {
		f(&sess)
	}
	if sess.Platform == nil { // as cmd/vigie does: guarded keys need the platform API
		keys.ApplyReadOnly()
	}
	m := New(Options{
		Session: sess,
		Connect: func(ctx, team string) (Session, error) {
			return liveSession(t, env, "local-payments", team, team), nil
		},
		Teams:      []string{"payments", "search"},
		Keys:       keys,
		Theme:      "dark",
		Start:      start,
		Watch:      kube.WatchOptions{RecheckInterval: 500 * time.Millisecond},
		PromPoll:   prom.PollOptions{Interval: 2 * time.Second},
		AlertsPoll: alertmanager.PollOptions{Interval: 2 * time.Second},
	})
	t.Cleanup(m.Close)
	return m, startTerm(t, m, 160, 50, colorprofile.ANSI256)
}

func adminClient(t *testing.T, env *stackenv.Env) kubernetes.Interface {
	t.Helper()
	return liveSession(t, env, "local-admin", "", "").Kube
}

// The seeded pods appear with their states: the crash-looping pod shows its reason and
// restart count, checkout's pods run.
func TestLiveSeededPods(t *testing.T) {
	env := stackenv.MustLoad(t)
	_, tm := liveModel(t, env, views.Route{Screen: views.ScreenPods})
	s := tm.waitFor(30*time.Second, "● live", "CrashLoopBackOff", "checkout-", "ledger-")
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "fraud-worker-") {
			f := strings.Fields(line)
			if len(f) < 4 || f[2] != "CrashLoopBackOff" {
				t.Fatalf("the crash-looping pod's row: %q", line)
			}
			if f[3] == "0" {
				t.Fatalf("the crash-looping pod shows no restarts: %q", line)
			}
			return
		}
	}
	t.Fatalf("no fraud-worker pod row:\n%s", s)
}

// A deployment scaled by the admin shows its new pods within seconds, without a key.
func TestLiveScaleShowsNewPods(t *testing.T) {
	env := stackenv.MustLoad(t)
	admin := adminClient(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	name := throwaway(ctx, t, admin, "tui-probe")
	_, tm := liveModel(t, env, views.Route{Screen: views.ScreenPods, Filter: name})
	tm.waitFor(30*time.Second, "pods [1 of", "Running")
	patch := []byte(`{"spec":{"replicas":3}}`)
	if _, err := admin.AppsV1().Deployments("payments").Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := tm.screen()
		if strings.Count(s, name+"-") == 3 && strings.Count(s, "Running") >= 3 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("3 running pods of %s not shown within 30s:\n%s", name, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The payments member switching to the search team sees "forbidden" in place, not an
// empty table.
func TestLiveOtherTeamIsForbidden(t *testing.T) {
	env := stackenv.MustLoad(t)
	_, tm := liveModel(t, env, views.Route{Screen: views.ScreenPods})
	tm.waitFor(30*time.Second, "● live", "checkout-")
	tm.send(press(":"))
	for _, r := range "team search" {
		tm.send(press(string(r)))
	}
	tm.send(press("enter"))
	s := tm.waitFor(30*time.Second, "team search", "forbidden: you may not list pods in search")
	if strings.Contains(s, "checkout-") {
		t.Fatalf("the payments pods must be gone after the switch:\n%s", s)
	}
}

// The logs of a workload come from its pods through the apiserver (kwok serves the
// simulator's files); P on the crash-looping pod shows the previous instance's crash.
func TestLiveLogs(t *testing.T) {
	env := stackenv.MustLoad(t)
	_, tm := liveModel(t, env, views.Route{Screen: views.ScreenDeployments})
	tm.waitFor(30*time.Second, "● live", "checkout")
	tm.send(press("l")) // checkout is the first deployment
	s := tm.waitFor(30*time.Second, "logs · deployment/checkout", "● following", "checkout-")
	deadline := time.Now().Add(20 * time.Second)
	for strings.Contains(s, " 0 received") && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		s = tm.screen()
	}
	if strings.Contains(s, " 0 received") || !strings.Contains(s, "request handled") {
		t.Fatalf("checkout's lines did not arrive:\n%s", s)
	}
	tm.send(press("esc"))
	tm.waitFor(10*time.Second, "deployments [")
	tm.send(press(":"))
	for _, r := range "pods fraud" {
		tm.send(press(string(r)))
	}
	tm.send(press("enter"))
	tm.waitFor(10*time.Second, "pods [1 of")
	tm.send(press("l"))
	tm.waitFor(10*time.Second, "logs · pod/fraud-worker-")
	tm.send(press("P"))
	tm.waitFor(30*time.Second, "(previous)", "previous instances", "panic: runtime error", "exit status 2")
}

// With a Loki in the context, the logs screen reads it: history and live lines of the
// workload through the platform's Loki (lokifake fed by the simulator), its volume with
// the error buckets, and a filter sent into the LogQL query.
func TestLiveLogsThroughLoki(t *testing.T) {
	env := stackenv.MustLoad(t)
	lc, err := loki.New(loki.Options{URL: env.MustGet(t, "VIGIE_STACK_LOKI_URL")})
	if err != nil {
		t.Fatal(err)
	}
	_, tm := liveModel(t, env, views.Route{Screen: views.ScreenDeployments}, func(s *Session) { s.Loki = lc })
	tm.waitFor(30*time.Second, "● live", "fraud-worker")
	tm.send(press("j"), press("l")) // fraud-worker: crash-looping, its panics are errors
	s := tm.waitFor(30*time.Second, "logs · deployment/fraud-worker", "via Loki", "panic: runtime error", "volume ")
	if !strings.Contains(s, "errors") {
		t.Fatalf("the volume line counts the crash's error lines:\n%s", s)
	}
	tm.send(press("&"))
	for _, r := range "!goroutine" {
		tm.send(press(string(r)))
	}
	tm.send(press("enter"))
	deadline := time.Now().Add(15 * time.Second)
	for {
		s = tm.screen()
		if strings.Contains(s, "&!goroutine") && strings.Contains(s, "panic: runtime error") && !strings.Contains(s, "goroutine 1 [running]") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the excluded lines must go, also from Loki's history:\n%s", s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func stackProm(t *testing.T, env *stackenv.Env) promv1.API {
	t.Helper()
	api, err := prom.New(prom.Options{URL: env.MustGet(t, "VIGIE_STACK_PROM_URL"), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return api
}

func stackAlertmanager(t *testing.T, env *stackenv.Env) *alertmanager.Client {
	t.Helper()
	c, err := alertmanager.New(alertmanager.Options{URL: env.MustGet(t, "VIGIE_STACK_AM_URL"), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The payments on-call scales a deployment from the console: the dialog shows the
// server's dry run, the action runs through the platform API (vigie serve on the local
// platform), and the new pods appear from the watch. The same request on the search
// team's deployment is refused by the server, in its words.
func TestLiveScaleThroughThePlatformAPI(t *testing.T) {
	env := stackenv.MustLoad(t)
	token, err := os.ReadFile(env.MustGet(t, "VIGIE_STACK_ALICE_PLATFORM_TOKEN_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := platform.New(platform.Options{URL: env.MustGet(t, "VIGIE_STACK_PLATFORM_URL"), Token: strings.TrimSpace(string(token))})
	if err != nil {
		t.Fatal(err)
	}
	admin := adminClient(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	name := throwaway(ctx, t, admin, "tui-act")
	_, tm := liveModel(t, env, views.Route{Screen: views.ScreenDeployments, Filter: name}, func(s *Session) { s.Platform = pc })
	tm.waitFor(30*time.Second, "deployments [1 of", "1/1")
	tm.send(press("S"))
	tm.waitFor(10*time.Second, "Scale deployment payments/"+name, "replicas: 1")
	tm.send(tea.KeyPressMsg{Code: tea.KeyBackspace}, press("3"), press("enter"))
	tm.waitFor(10*time.Second, "spec.replicas", "→ 3")
	for _, r := range "load test INC-7" {
		tm.send(press(string(r)))
	}
	tm.send(press("enter"))
	for _, r := range "yes" {
		tm.send(press(string(r)))
	}
	tm.send(press("enter"))
	tm.waitFor(30*time.Second, ": succeeded")
	tm.waitFor(30*time.Second, "3/3")
	got, err := admin.AppsV1().Deployments("payments").Get(ctx, name, metav1.GetOptions{})
	if err != nil || *got.Spec.Replicas != 3 {
		t.Fatalf("the deployment was not scaled: %v %v", err, got.Spec.Replicas)
	}
	// The action is in the team's audit log, with who, what, the target and the outcome.
	tm.send(press(":"))
	for _, r := range "audit " + name {
		tm.send(press(string(r)))
	}
	tm.send(press("enter"))
	s := tm.waitFor(30*time.Second, "audit [", "alice", "payments/"+name, "succeeded")
	if !strings.Contains(s, "scale") {
		t.Fatalf("the audit screen lacks the scale:\n%s", s)
	}
}

// throwaway creates a one-replica Deployment of the payments team, deleted after the test:
// tests that change a deployment never touch the seeded ones.
func throwaway(ctx context.Context, t *testing.T, admin kubernetes.Interface, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%100000)
	labels := map[string]string{"app": name, "team": "payments"}
	one := int32(1)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "payments", Labels: labels},
		Spec: appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.local/probe:1"}}}}},
	}
	if _, err := admin.AppsV1().Deployments("payments").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = admin.AppsV1().Deployments("payments").Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	return name
}

// Rolling back a deployment from the console: U lists its revisions through the platform
// API with the previous one proposed and its diff, and after a reason and "yes" the
// Deployment's template is the previous revision's again.
func TestLiveRollbackThroughThePlatformAPI(t *testing.T) {
	env := stackenv.MustLoad(t)
	token, err := os.ReadFile(env.MustGet(t, "VIGIE_STACK_ALICE_PLATFORM_TOKEN_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := platform.New(platform.Options{URL: env.MustGet(t, "VIGIE_STACK_PLATFORM_URL"), Token: strings.TrimSpace(string(token))})
	if err != nil {
		t.Fatal(err)
	}
	admin := adminClient(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	name := throwaway(ctx, t, admin, "tui-undo")
	deps := admin.AppsV1().Deployments("payments")
	waitRevision := func(rev string) {
		t.Helper()
		for end := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			d, err := deps.Get(ctx, name, metav1.GetOptions{})
			if err == nil && d.Annotations["deployment.kubernetes.io/revision"] == rev {
				return
			}
			if time.Now().After(end) {
				t.Fatalf("%s never reached revision %s", name, rev)
			}
		}
	}
	waitRevision("1")
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error { // the controllers write its status meanwhile
		d, err := deps.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		d.Spec.Template.Spec.Containers[0].Image = "registry.local/probe:2" // the "bad release"
		_, err = deps.Update(ctx, d, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	waitRevision("2")
	_, tm := liveModel(t, env, views.Route{Screen: views.ScreenDeployments, Filter: name}, func(s *Session) { s.Platform = pc })
	tm.waitFor(30*time.Second, "deployments [1 of", "probe:2")
	tm.send(press("U"))
	tm.waitFor(15*time.Second, "Rollback deployment payments/"+name, "▶ rev 1", "registry.local/probe:2 → registry.local/probe:1", "revision: 1")
	tm.send(press("enter"))
	for _, r := range "INC-11 bad image" {
		tm.send(press(string(r)))
	}
	tm.send(press("enter"))
	for _, r := range "yes" {
		tm.send(press(string(r)))
	}
	tm.send(press("enter"))
	tm.waitFor(30*time.Second, ": succeeded")
	got, err := deps.Get(ctx, name, metav1.GetOptions{})
	if err != nil || got.Spec.Template.Spec.Containers[0].Image != "registry.local/probe:1" {
		t.Fatalf("the template was not rolled back: %v %v", err, got.Spec.Template.Spec.Containers)
	}
}
