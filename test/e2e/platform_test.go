//go:build integration

package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/internal/stackenv"
)

// The payments on-call runs the team's runbook job from a real terminal: :jobs, enter on
// flush-cache, a ticket, the server's dry run shows the argv, a reason and "yes"; the run
// reaches succeeded and its logs show what the job printed.
func TestRunbookJobFromTheTerminal(t *testing.T) {
	env := stackenv.MustLoad(t)
	s := start(t, env, build(t), "--context", "local-payments", "-c", "home")
	s.waitFor(30*time.Second, "team payments", "● live")
	s.keys(":")
	s.waitFor(5*time.Second, ":")
	s.keys("jobs", "Enter")
	s.waitFor(15*time.Second, "Templates (1)", "flush-cache")
	s.keys("Enter")
	s.waitFor(10*time.Second, "Run job payments/flush-cache", "fill in ticket")
	ticket := fmt.Sprintf("INC-%d", time.Now().UnixNano()%1_000_000)
	s.keys("Tab", "Tab", ticket, "Tab")
	s.waitFor(15*time.Second, "Would run (server dry run):", "--ticket="+ticket)
	s.keys("E2E: flush after the price import", "Enter")
	s.keys("yes", "Enter")
	screen := s.waitFor(30*time.Second, "started job payments/flush-cache-")
	m := regexp.MustCompile(`started job payments/(flush-cache-[a-z0-9]+)`).FindStringSubmatch(screen)
	if m == nil {
		t.Fatalf("no job name on screen:\n%s", screen)
	}
	s.waitLine(60*time.Second, m[1], "succeeded") // the run's own row (the flash names it too)
	s.keys("Tab", "/")
	s.keys(m[1], "Enter")
	s.keys("l")
	screen = s.waitFor(30*time.Second, "logs · job/"+m[1], "parameter ticket="+ticket, "result=ok")
	t.Logf("the job's logs:\n%s", screen)
}

// A payments member runs a saved query from a real terminal: :query, table-sizes, and
// the team database's tables are on screen with the audit id of the query.
func TestSavedQueryFromTheTerminal(t *testing.T) {
	env := stackenv.MustLoad(t)
	s := start(t, env, build(t), "--context", "local-payments", "-c", "home")
	s.waitFor(30*time.Second, "team payments", "● live")
	s.keys(":")
	s.waitFor(5*time.Second, ":")
	s.keys("query", "Enter")
	s.waitFor(15*time.Second, "saved queries", "table-sizes")
	s.keys("Down", "Down", "Down", "Enter")
	screen := s.waitFor(30*time.Second, "rows ·", "audit aud_", "orders", "refunds")
	t.Logf("the query's result:\n%s", screen)
}

// waitLine waits until one line of the screen holds every part, and returns it.
func (s *session) waitLine(d time.Duration, parts ...string) string {
	s.t.Helper()
	return s.waitUntil(d, fmt.Sprintf("line with %q", parts), func(screen string) (string, bool) {
		for _, line := range strings.Split(screen, "\n") {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				return line, true
			}
		}
		return "", false
	})
}
