package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/views"
)

func at(d time.Duration) *time.Time {
	t := testNow.Add(-d)
	return &t
}

// jobRuns are the payments team's recent runs at testNow, newest first.
func jobRuns() []api.JobRun {
	return []api.JobRun{
		{Namespace: "payments", Name: "flush-cache-x7k2p", Template: "flush-cache", User: "alice", Reason: "INC-42 stale balances",
			Values:  map[string]string{"service": "ledger", "batch": "100", "dry": "false", "ticket": "INC-42"},
			Command: []string{"/bin/flush-cache", "--service=ledger", "--batch=100", "--ticket=INC-42"}, Status: api.JobRunning,
			Created: testNow.Add(-40 * time.Second), Started: at(38 * time.Second), Pods: []string{"flush-cache-x7k2p-4xw9q"}},
		{Namespace: "payments", Name: "flush-cache-m2v8d", Template: "flush-cache", User: "bob", Approver: "lena", Reason: "nightly check",
			Values:  map[string]string{"service": "checkout", "batch": "5", "dry": "true", "ticket": "OPS-7"},
			Command: []string{"/bin/flush-cache", "--service=checkout", "--batch=5", "--ticket=OPS-7"}, Status: api.JobFailed,
			Message: "Job has reached the specified backoff limit", Created: testNow.Add(-2 * time.Hour),
			Started: at(2*time.Hour - 2*time.Second), Finished: at(2*time.Hour - 74*time.Second)},
		{Namespace: "payments", Name: "flush-cache-q1w2e", Template: "flush-cache", User: "alice", Reason: "warm up",
			Values: map[string]string{"ticket": "INC-40"}, Status: api.JobSucceeded, Created: testNow.Add(-50 * time.Minute),
			Started: at(50*time.Minute - time.Second), Finished: at(50*time.Minute - 13*time.Second)},
		{Namespace: "payments-prod", Name: "rotate-keys-p0p0p", Template: "rotate-keys", User: "lena", Reason: "quarterly rotation",
			Command: []string{"/bin/rotate"}, Status: api.JobPending, Created: testNow.Add(-3 * time.Minute)},
	}
}

// jobsTerm opens the jobs screen in a w×h terminal, over the templates and runs given,
// with actor as the platform API.
func jobsTerm(t *testing.T, w, h int, tpls []api.JobTemplate, runs []api.JobRun, actor *jobActor) (*Model, *term) {
	t.Helper()
	start := views.Route{Screen: views.ScreenJobs}
	m := newTestModel(start, "dev")
	m.keys.Jobs.Run.SetEnabled(true)
	actor.runs = runs
	m.session.Platform, m.session.Jobs = actor, tpls
	dataFuncs(&m.env, m.session)
	m.env.Loc = time.UTC
	m.view = m.open(start) // the start view was built with the env before
	feed := withFeed(m)
	tm := startTerm(t, m, w, h, colorprofile.ANSI256)
	feedTo(t, feed, fixture())
	return m, tm
}

func TestJobsScreens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		f := &jobActor{tpls: jobTemplates()}
		_, tm := jobsTerm(t, size[0], size[1], f.tpls, jobRuns(), f)
		tm.waitFor(wait, "▸ Templates (2)", "flush-cache-x7k2p", "running")
		golden(t, "jobs-list-"+sizeName(size), tm.settle())
		tm.send(press("enter"))
		tm.waitFor(wait, "Run job payments/flush-cache") // the form opens from a command: wait for it
		tm.send(press("right"), press("tab"), press("tab"), press("space"), press("tab"))
		for _, r := range "INC-42" {
			tm.send(press(string(r)))
		}
		tm.send(press("tab"))
		tm.waitFor(wait, "Run job payments/flush-cache", "--service=checkout")
		golden(t, "jobs-form-"+sizeName(size), tm.settle())
		_, tm = jobsTerm(t, size[0], size[1], f.tpls, jobRuns(), f)
		tm.waitFor(wait, "flush-cache-x7k2p")
		tm.send(press("tab"), press("G"), press("enter")) // the oldest run: it failed
		tm.waitFor(wait, "job payments/flush-cache-m2v8d", "backoff limit")
		golden(t, "jobs-detail-"+sizeName(size), tm.settle())
	}
}

// A template description, a parameter's text and a run's message from the server are
// drawn inert: the terminal's title and screen stay vigie's.
func TestJobsServerTextCannotEscape(t *testing.T) {
	const payload = "\x1b]0;x\x07\x1b[2J"
	tpls := jobTemplates()
	tpls[0].Description = "flush " + payload + " cache"
	tpls[0].Params[0].Description = "whose " + payload
	tpls[0].Params[0].Values = []string{"ledger", "checkout" + payload}
	runs := jobRuns()
	runs[1].Message = "backoff " + payload + " limit"
	runs[1].Command = append(runs[1].Command, "--note="+payload)
	f := &jobActor{tpls: tpls}
	_, tm := jobsTerm(t, 160, 50, tpls, runs, f)
	tm.waitFor(wait, "flush ^[]0;x^G^[[2J cache", "vigie  ctx local-payments")
	tm.send(press("enter"))
	tm.waitFor(wait, "Run job payments/flush-cache")
	tm.send(press("left"))
	tm.waitFor(wait, "◀ checkout^[]0;x^G^[[2J ▶", "whose ^[]0;x^G^[[2J")
	tm.send(press("esc"), press("tab"), press("G"), press("enter"))
	s := tm.waitFor(wait, "Message     backoff ^[]0;x^G^[[2J limit", "--note=^[]0;x^G^[[2J")
	if !strings.Contains(s, "vigie  ctx local-payments") {
		t.Fatalf("the header must survive (no clear screen):\n%s", s)
	}
	tm.mu.Lock()
	titles := append([]string(nil), tm.titles...)
	tm.mu.Unlock()
	for _, title := range titles {
		if title == "x" {
			t.Fatal("server text changed the terminal title")
		}
	}
	if raw := string(tm.out.Bytes()); strings.Contains(raw, payload) || strings.Contains(raw, "\x1b]0;x") {
		t.Fatal("the raw output carries the injected sequences")
	}
}
