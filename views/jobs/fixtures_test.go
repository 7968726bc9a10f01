package jobs

import (
	"context"
	"flag"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/screentest"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
)

var update = flag.Bool("update", false, "rewrite the golden screens in testdata/")

// testNow is the fixed clock of the tests.
var testNow = time.Date(2026, 11, 26, 14, 30, 0, 0, time.UTC)

// The injected text: an OSC title change, a clear screen and a C1 CSI byte.
const evil = "pwn\x1b]0;x\x07ed\x1b[2J now\u009b31m"

func i64(n int64) *int64 { return &n }

func at(d time.Duration) *time.Time {
	t := testNow.Add(-d)
	return &t
}

// templates are the payments team's: one in its dev namespace, one in production.
func templates() []api.JobTemplate {
	return []api.JobTemplate{
		{Name: "flush-cache", Description: "Flush the ledger's read cache", Namespace: "payments", Environment: "dev",
			Image: "registry.local/tools:1.4", Command: []string{"/bin/flush-cache", "--service={{service}}", "--batch={{batch}}"},
			Timeout: "10m",
			Params: []api.JobParam{
				{Name: "service", Type: api.JobParamEnum, Values: []string{"ledger", "checkout"}, Default: "ledger", Description: "whose cache"},
				{Name: "batch", Type: api.JobParamInt, Min: i64(1), Max: i64(1000), Default: "100"},
				{Name: "dry", Type: api.JobParamBool, Default: "true"},
				{Name: "ticket", Type: api.JobParamString, Pattern: "^(?:^[A-Z]+-[0-9]+$)$", Required: true},
			}},
		{Name: "rotate-keys", Description: "Rotate the card vault's data keys", Namespace: "payments-prod", Environment: "production",
			Image: "registry.local/vault-tools:2.0", Command: []string{"/bin/rotate"}},
	}
}

// runs are the recent runs, newest first.
func runs() []api.JobRun {
	return []api.JobRun{
		{Namespace: "payments", Name: "flush-cache-x7k2p", Template: "flush-cache", User: "alice", Reason: "INC-42 stale balances",
			Values:  map[string]string{"ticket": "INC-42", "service": "ledger", "batch": "100", "dry": "false"},
			Command: []string{"/bin/flush-cache", "--service=ledger", "--batch=100"}, Status: api.JobRunning,
			Created: testNow.Add(-40 * time.Second), Started: at(38 * time.Second), Pods: []string{"flush-cache-x7k2p-4xw9q"},
			ActionID: "act_91c2"},
		{Namespace: "payments", Name: "flush-cache-m2v8d", Template: "flush-cache", User: "bob", Approver: "lena",
			Reason: "nightly check", Values: map[string]string{"ticket": "OPS-7", "service": "checkout", "batch": "5", "dry": "true"},
			Command: []string{"/bin/flush-cache", "--service=checkout", "--batch=5"}, Status: api.JobFailed,
			Message: "Job has reached the specified backoff limit", Created: testNow.Add(-2 * time.Hour),
			Started: at(2*time.Hour - 2*time.Second), Finished: at(2*time.Hour - 74*time.Second), Pods: []string{"flush-cache-m2v8d-abcde"}},
		{Namespace: "payments", Name: "flush-cache-q1w2e", Template: "flush-cache", User: "alice", Reason: "warm up",
			Values: map[string]string{"ticket": "INC-40"}, Command: []string{"/bin/flush-cache", "--service=ledger", "--batch=100"},
			Status: api.JobSucceeded, Created: testNow.Add(-26 * time.Hour), Started: at(26*time.Hour - time.Second),
			Finished: at(26*time.Hour - 13*time.Second), Pods: []string{"flush-cache-q1w2e-zz9kk"}},
		{Namespace: "payments-prod", Name: "rotate-keys-p0p0p", Template: "rotate-keys", User: "lena", Reason: "quarterly rotation",
			Command: []string{"/bin/rotate"}, Status: api.JobPending, Created: testNow.Add(-3 * time.Second)},
	}
}

// server is a fake platform API: it answers the runs, or err; it counts the calls.
type server struct {
	mu    sync.Mutex
	runs  []api.JobRun
	err   error
	calls int
}

func (s *server) jobs(context.Context) ([]api.JobRun, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.err != nil {
		return nil, s.err
	}
	return append([]api.JobRun(nil), s.runs...), nil
}

// harness is a view over a fake server with a clock the test moves.
type harness struct {
	screentest.Driver

	v   *View
	srv *server
	now time.Time
}

func newHarness(t *testing.T, palette themes.Palette, tpls []api.JobTemplate, list []api.JobRun) *harness {
	t.Helper()
	st := themes.NewStyles(palette)
	keys := keymaps.Default()
	h := &harness{srv: &server{runs: list}, now: testNow}
	env := views.Env{Styles: &st, Keys: &keys, Now: func() time.Time { return h.now }, Loc: time.UTC,
		JobTemplates: tpls, Jobs: h.srv.jobs}
	h.v = New(env, views.Route{Screen: views.ScreenJobs})
	h.Driver = screentest.Driver{Update: h.send, Own: ownMsg}
	return h
}

func loaded(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, themes.Dark(), templates(), runs())
	h.enter()
	return h
}

func (h *harness) enter() { h.Run(h.v.Enter()) }

// tick moves the clock by n seconds, one tick each, running the polls they start.
func (h *harness) tick(n int) {
	for range n {
		h.now = h.now.Add(time.Second)
		_, cmd := h.v.Update(views.Tick{At: h.now})
		h.Run(cmd)
	}
}

func ownMsg(msg tea.Msg) bool {
	_, ok := msg.(runsMsg)
	return ok
}

func (h *harness) send(msg tea.Msg) tea.Cmd {
	_, cmd := h.v.Update(msg)
	return cmd
}

func screen(v *View, w, h int) string { return ansi.Strip(v.Render(w, h)) }
