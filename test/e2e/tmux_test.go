//go:build integration

// Package e2e runs the vigie binary in a real terminal (tmux) against the local platform,
// the way a user would: keys in with send-keys, the screen out with capture-pane.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	typedappsv1 "k8s.io/client-go/kubernetes/typed/apps/v1"
	"k8s.io/client-go/util/retry"

	"github.com/vigie-dev/vigie/internal/stackenv"
	"github.com/vigie-dev/vigie/sources/kube"
)

// session is one tmux session running vigie.
type session struct {
	t    *testing.T
	name string
}

func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "vigie")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/vigie-dev/vigie/cmd/vigie").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// start runs vigie with args in a new 120×40 tmux session whose environment is the local
// platform's env file.
func start(t *testing.T, env *stackenv.Env, bin string, args ...string) *session {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is required for the end-to-end tests (apt-get install tmux)")
	}
	s := &session{t: t, name: "vigie-e2e-" + filepath.Base(t.TempDir())}
	cmd := "source " + env.Path + " && exec " + bin + " " + strings.Join(args, " ")
	out, err := exec.Command("tmux", "new-session", "-d", "-s", s.name, "-x", "120", "-y", "40",
		"-e", "TERM=xterm-256color", "bash", "-c", cmd).CombinedOutput()
	if err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", s.name).Run() })
	return s
}

func (s *session) keys(keys ...string) {
	s.t.Helper()
	args := append([]string{"send-keys", "-t", s.name}, keys...)
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		s.t.Fatalf("tmux send-keys: %v\n%s", err, out)
	}
}

func (s *session) capture() string {
	out, err := exec.Command("tmux", "capture-pane", "-p", "-t", s.name).CombinedOutput()
	if err != nil {
		return "capture-pane: " + err.Error() + "\n" + string(out)
	}
	return string(out)
}

func (s *session) waitFor(d time.Duration, want ...string) string {
	s.t.Helper()
	return s.waitUntil(d, fmt.Sprintf("%q on screen", want), func(screen string) (string, bool) {
		for _, w := range want {
			if !strings.Contains(screen, w) {
				return "", false
			}
		}
		return screen, true
	})
}

// waitUntil captures the screen until found finds what it looks for (and returns it), or
// fails the test after d, saying what was awaited and showing the screen.
func (s *session) waitUntil(d time.Duration, what string, found func(screen string) (string, bool)) string {
	s.t.Helper()
	end := time.Now().Add(d)
	for {
		screen := s.capture()
		if got, ok := found(screen); ok {
			return got
		}
		if time.Now().After(end) {
			s.t.Fatalf("no %s within %v:\n%s", what, d, screen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A payments member opens vigie, goes to the pods with the palette, filters to the
// crash-looping pod and describes it: the reason and the restart count are on screen.
func TestNavigateToCrashLoopingPod(t *testing.T) {
	env := stackenv.MustLoad(t)
	bin := build(t)
	logFile := filepath.Join(t.TempDir(), "vigie.log")
	s := start(t, env, bin, "--context", "local-payments", "--log-file", logFile)
	s.waitFor(30*time.Second, "team payments", "● live", "fraud-worker")

	s.keys(":")
	s.waitFor(5*time.Second, ":")
	s.keys("pods", "Enter")
	s.waitFor(10*time.Second, "pods [", "STATUS")
	s.keys("/")
	s.keys("fraud", "Enter")
	screen := s.waitFor(10*time.Second, "pods [1 of", "CrashLoopBackOff")
	if strings.Contains(screen, "checkout-") {
		t.Fatalf("the filter must leave only the fraud-worker pod:\n%s", screen)
	}
	s.keys("d")
	screen = s.waitFor(10*time.Second, "describe · pod/fraud-worker-", "Status:", "CrashLoopBackOff", "Restart Count:", "Last State:")
	t.Logf("describe screen:\n%s", screen)

	s.keys("Escape")
	s.waitFor(10*time.Second, "pods [1 of")
	s.keys("q")
	deadline := time.Now().Add(10 * time.Second)
	for exec.Command("tmux", "has-session", "-t", s.name).Run() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("q did not quit:\n%s", s.capture())
		}
		time.Sleep(50 * time.Millisecond)
	}
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), `"msg":"live console starting"`) {
		t.Fatalf("vigie logs to --log-file, got:\n%s", log)
	}
}

// The payments on-call rolls a bad release back from a real terminal: select the
// deployment, U, the previous revision is proposed with what changes, type the reason and
// "yes", and the outcome is on screen; the cluster has the previous template again.
func TestRollbackFromTheTerminal(t *testing.T) {
	env := stackenv.MustLoad(t)
	admin := adminClient(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name := fmt.Sprintf("e2e-undo-%d", time.Now().UnixNano()%100000)
	deps := admin.AppsV1().Deployments("payments")
	labels := map[string]string{"app": name, "team": "payments"}
	one := int32(1)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "payments", Labels: labels},
		Spec: appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.local/e2e:good"}}}}},
	}
	if _, err := deps.Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = deps.Delete(context.Background(), name, metav1.DeleteOptions{}) })
	waitRevision(ctx, t, deps, name, "1")
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error { // the controllers write its status meanwhile
		cur, err := deps.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Spec.Template.Spec.Containers[0].Image = "registry.local/e2e:bad"
		_, err = deps.Update(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	waitRevision(ctx, t, deps, name, "2")

	s := start(t, env, build(t), "--context", "local-payments", "-c", "'deploy "+name+"'")
	s.waitFor(30*time.Second, "deployments [1 of", "e2e:bad")
	s.keys("U")
	s.waitFor(15*time.Second, "Rollback deployment payments/"+name, "rev 1", "e2e:bad → registry.local/e2e:good")
	s.keys("Enter")
	s.keys("INC-12 bad image", "Enter")
	s.keys("yes", "Enter")
	screen := s.waitFor(30*time.Second, "succeeded")
	t.Logf("after the rollback:\n%s", screen)
	got, err := deps.Get(ctx, name, metav1.GetOptions{})
	if err != nil || got.Spec.Template.Spec.Containers[0].Image != "registry.local/e2e:good" {
		t.Fatalf("the template was not rolled back: %v", err)
	}
}

func waitRevision(ctx context.Context, t *testing.T, deps typedappsv1.DeploymentInterface, name, rev string) {
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

func adminClient(t *testing.T, env *stackenv.Env) kubernetes.Interface {
	t.Helper()
	cfg, err := kube.RESTConfig(kube.Options{Kubeconfig: env.MustGet(t, "KUBECONFIG"), Context: "local-admin"})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}
