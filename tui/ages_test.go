package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/views"
)

// Ages move with the clock although the pods did not change (rows are kept between
// ticks, and only those whose age text moved are rebuilt), and a changed pod shows its
// new state at once.
func TestPodAgesFollowTheClock(t *testing.T) {
	now := testNow
	m := New(Options{Session: Session{Context: "local-payments", Environment: "dev", Team: "payments", Namespaces: []string{"payments"}},
		Keys: keymaps.Default(), Theme: "dark", Start: views.Route{Screen: views.ScreenPods},
		Now: func() time.Time { return now }, NoTick: true})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 12})
	snap := fixture()
	snap.Pods = []*corev1.Pod{pod("ledger", "8f47bcf9b", "young", 30*time.Second, false), pod("ledger", "8f47bcf9b", "old", 3*time.Hour, false)}
	m.Update(views.KubeSnapshot{Snap: snap})
	line := func(name string) string {
		for _, l := range strings.Split(screen(m), "\n") {
			if strings.Contains(l, name) {
				return l
			}
		}
		t.Fatalf("no row for %s:\n%s", name, screen(m))
		return ""
	}
	if !strings.Contains(line("young"), " 30s") || !strings.Contains(line("old"), " 3h") {
		t.Fatalf("ages at start:\n%s", screen(m))
	}
	now = now.Add(5 * time.Second)
	m.Update(views.Tick{})
	if !strings.Contains(line("young"), " 35s") {
		t.Errorf("5 s later the young pod shows %q", line("young"))
	}
	now = now.Add(2 * time.Hour)
	m.Update(views.Tick{})
	if !strings.Contains(line("young"), " 120m") && !strings.Contains(line("young"), " 2h") {
		t.Errorf("2 h later the young pod shows %q", line("young"))
	}
	if !strings.Contains(line("old"), " 5h") {
		t.Errorf("2 h later the old pod shows %q", line("old"))
	}

	// The same pod, changed (a new object): its new state shows without a clock move.
	crashed := pod("ledger", "8f47bcf9b", "old", 5*time.Hour, true)
	crashed.ResourceVersion = "2"
	snap.Pods = []*corev1.Pod{snap.Pods[0], crashed}
	m.Update(views.KubeSnapshot{Snap: snap})
	if !strings.Contains(line("old"), "CrashLoopBackOff") {
		t.Errorf("the changed pod shows %q", line("old"))
	}
}
