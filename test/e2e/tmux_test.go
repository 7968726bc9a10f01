//go:build integration

// Package e2e runs the vigie binary in a real terminal (tmux) against the local platform,
// the way a user would: keys in with send-keys, the screen out with capture-pane.
package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/internal/stackenv"
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
	end := time.Now().Add(d)
	for {
		screen := s.capture()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(screen, w)
		}
		if ok {
			return screen
		}
		if time.Now().After(end) {
			s.t.Fatalf("%q not on screen within %v:\n%s", want, d, screen)
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
