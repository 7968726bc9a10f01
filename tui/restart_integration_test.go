//go:build integration && disruptive

package tui

import (
	"os/exec"
	"strings"
	"testing"
	"time"

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
