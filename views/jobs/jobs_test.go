package jobs

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/screentest"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/table"
)

func mustContain(t *testing.T, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Fatalf("screen lacks %q:\n%s", w, s)
		}
	}
}

func TestTemplatesAndRunsAreListed(t *testing.T) {
	h := loaded(t)
	s := screen(h.v, 160, 20)
	mustContain(t, s, "jobs [2 templates · 4 runs] ● live (refreshed 0s ago)",
		"▸ Templates (2)", "flush-cache", "payments · dev", "Flush the ledger's read cache",
		"service: enum ledger|checkout · batch: int 1..1000 · dry: bool · ticket*: string",
		"rotate-keys", "payments-prod · ▲ PRODUCTION", "Recent runs (4)")
	// Runs newest first, with their status, who, age, how long they took, their values in
	// the template's parameter order.
	var order []string
	for i := range h.v.runs.Len() {
		order = append(order, h.v.runs.VisibleRow(i).ID)
	}
	if want := "payments-prod/rotate-keys-p0p0p payments/flush-cache-x7k2p payments/flush-cache-m2v8d payments/flush-cache-q1w2e"; strings.Join(order, " ") != want {
		t.Fatalf("runs order %v", order)
	}
	tones := map[string]table.Tone{"running": table.ToneInfo, "failed": table.ToneDanger, "succeeded": table.ToneOK, "pending": table.ToneWarning}
	for i := range h.v.runs.Len() {
		c := h.v.runs.VisibleRow(i).Cells[colRStatus]
		if tones[c.Text] != c.Tone {
			t.Errorf("status %q has tone %v", c.Text, c.Tone)
		}
	}
	row := h.v.runs.VisibleRow(1) // the running one
	if got := row.Cells[colRValues].Text; got != "service=ledger batch=100 dry=false ticket=INC-42" {
		t.Fatalf("values %q", got)
	}
	if got := row.Cells[colRDuration].Text; got != "38s" {
		t.Fatalf("a running job took %q so far", got)
	}
	if got := h.v.runs.VisibleRow(2).Cells[colRDuration].Text; got != "1m12s" {
		t.Fatalf("the failed job took %q", got)
	}
	mustContain(t, s, "14:29:20", "alice", "Nov 25 12:30")
	// The running job's duration moves with the clock.
	h.tick(1)
	if got := h.v.runs.VisibleRow(1).Cells[colRDuration].Text; got != "39s" {
		t.Fatalf("after a second the running job took %q", got)
	}
}

func TestEnterOnATemplateAsksForTheRunForm(t *testing.T) {
	h := loaded(t)
	msgs := h.Press("enter")
	if len(msgs) != 1 {
		t.Fatalf("messages %v", msgs)
	}
	req, ok := msgs[0].(views.ActionRequested)
	if !ok || req.Kind != "job" || req.Namespace != "payments" || req.Name != "flush-cache" || req.Values != nil {
		t.Fatalf("request %#v", msgs[0])
	}
	// r does the same on a template; on the production one it names it.
	h.Press("down")
	msgs = h.Press("r")
	if req, ok := msgs[0].(views.ActionRequested); !ok || req.Namespace != "payments-prod" || req.Name != "rotate-keys" {
		t.Fatalf("r on rotate-keys: %#v", msgs)
	}
	// Read-only: no form, a warning instead.
	h.v.env.Keys.ApplyReadOnly()
	msgs = h.Press("enter")
	if f, ok := msgs[0].(views.Flash); !ok || f.Level != views.FlashWarning || !strings.Contains(f.Text, "read-only") {
		t.Fatalf("read-only enter: %#v", msgs)
	}
	if h.v.detail != nil {
		t.Fatal("enter on a template never opens details")
	}
}

func TestRunAgainCarriesTheRunsValues(t *testing.T) {
	h := loaded(t)
	h.Press("tab", "down") // the running flush-cache
	msgs := h.Press("r")
	req, ok := msgs[0].(views.ActionRequested)
	if !ok || req.Name != "flush-cache" || req.Namespace != "payments" ||
		!maps.Equal(req.Values, map[string]string{"ticket": "INC-42", "service": "ledger", "batch": "100", "dry": "false"}) {
		t.Fatalf("run again: %#v", msgs)
	}
	// A run whose template is gone cannot run again.
	h2 := newHarness(t, themes.Dark(), templates()[:1], runs())
	h2.enter()
	h2.Press("tab") // the production run, whose template the team no longer has
	if f, ok := h2.Press("r")[0].(views.Flash); !ok || !strings.Contains(f.Text, "no longer") {
		t.Fatalf("run again without template: %#v", f)
	}
}

func TestRunDetailsFollowThePolls(t *testing.T) {
	h := loaded(t)
	h.Press("tab", "down", "enter")
	if h.v.detail == nil || h.v.Title() != "jobs · flush-cache-x7k2p" {
		t.Fatalf("enter on a run opens its details: %q", h.v.Title())
	}
	s := screen(h.v, 120, 60)
	mustContain(t, s, "job payments/flush-cache-x7k2p · flush-cache  running",
		"Status      running", "Message     -", "User        alice", "Approver    -", "Reason      INC-42 stale balances",
		"Created     2026-11-26 14:29:20 UTC (40s ago)", "Started     2026-11-26 14:29:22 UTC (38s ago)", "Finished    -",
		"Took        38s", "Action ID   act_91c2", "Command (argv as run)", "[0]   /bin/flush-cache", "[1]   --service=ledger",
		"[2]   --batch=100", "service=ledger", "ticket=INC-42", "flush-cache-x7k2p-4xw9q")
	// The next poll says it finished: the open details follow.
	list := runs()
	list[0].Status, list[0].Finished = api.JobSucceeded, at(0)
	h.srv.runs = list
	h.tick(2)
	mustContain(t, screen(h.v, 120, 60), "Status      succeeded", "Finished    2026-11-26 14:30:00 UTC (2s ago)", "Took        38s")
	if _, ok := h.v.Escape(); !ok || h.v.detail != nil {
		t.Fatal("escape closes the details")
	}
	// The failed run shows the Job's message and its approver.
	h.Press("down", "enter")
	mustContain(t, screen(h.v, 120, 60), "Message     Job has reached the specified backoff limit", "Approver    lena")
}

func TestLogsOfARun(t *testing.T) {
	h := loaded(t)
	if f, ok := h.Press("l")[0].(views.Flash); !ok || !strings.Contains(f.Text, "tab to the runs") {
		t.Fatalf("l on a template: %#v", f)
	}
	h.Press("tab", "down")
	nav, ok := h.Press("l")[0].(views.Navigate)
	want := views.Route{Screen: views.ScreenLogs, Kind: "job", Namespace: "payments", Name: "flush-cache-x7k2p",
		From: testNow.Add(-40*time.Second - time.Minute)}
	if !ok || nav.Route.Screen != want.Screen || nav.Route.Kind != want.Kind || nav.Route.Name != want.Name ||
		nav.Route.Namespace != want.Namespace || !nav.Route.From.Equal(want.From) {
		t.Fatalf("l on a run: %#v", nav)
	}
	// From the details too.
	h.Press("enter")
	if nav, ok := h.Press("l")[0].(views.Navigate); !ok || nav.Route.Name != "flush-cache-x7k2p" {
		t.Fatalf("l in the details: %#v", nav)
	}
}

func TestPollsEveryTwoTicksOneAtATime(t *testing.T) {
	h := newHarness(t, themes.Dark(), templates(), runs())
	first := h.v.Enter()
	if first == nil {
		t.Fatal("entering polls at once")
	}
	// While the first poll is in flight, ticks start no other.
	for range 5 {
		h.now = h.now.Add(time.Second)
		if _, cmd := h.v.Update(views.Tick{At: h.now}); cmd != nil {
			t.Fatal("a second poll while one is in flight")
		}
	}
	if _, cmd := h.v.Update(first()); cmd != nil || h.v.runs.Total() != 4 || h.srv.calls != 1 {
		t.Fatalf("first poll: %d runs, %d calls", h.v.runs.Total(), h.srv.calls)
	}
	h.tick(1)
	if h.srv.calls != 1 {
		t.Fatalf("polled after one tick: %d calls", h.srv.calls)
	}
	h.tick(1)
	if h.srv.calls != 2 {
		t.Fatalf("not polled after two ticks: %d calls", h.srv.calls)
	}
	h.tick(6)
	if h.srv.calls != 5 {
		t.Fatalf("%d calls after 8 ticks, want 5", h.srv.calls)
	}
	// The refresh key polls at once, unless a poll is in flight.
	cmd := h.v.key(screentest.Key("ctrl+r"))
	if cmd == nil || h.v.key(screentest.Key("ctrl+r")) != nil {
		t.Fatal("ctrl+r polls once, single flight")
	}
}

func TestAnswersOfALeftScreenAreDropped(t *testing.T) {
	h := newHarness(t, themes.Dark(), templates(), runs())
	old := h.v.Enter()
	h.v.Leave()
	h.srv.runs = runs()[:1]
	fresh := h.v.Enter()
	if fresh == nil {
		t.Fatal("entering again polls again (the left poll is no longer in flight)")
	}
	h.srv.runs = runs()
	oldMsg := old()
	h.srv.runs = runs()[:1]
	h.Run(fresh)
	if _, cmd := h.v.Update(oldMsg); cmd != nil || h.v.runs.Total() != 1 {
		t.Fatalf("the answer of the left poll must be dropped: %d runs", h.v.runs.Total())
	}
	// No tick polls a screen that is not shown.
	h.v.Leave()
	calls := h.srv.calls
	h.tick(10)
	if h.srv.calls != calls {
		t.Fatal("an inactive screen polled")
	}
}

func TestAFailedPollKeepsTheRunsMarkedStale(t *testing.T) {
	h := loaded(t)
	h.srv.err = errors.New("platform GET /v1/jobs: 503 unavailable: the cluster does not answer")
	h.tick(2)
	s := screen(h.v, 200, 20)
	mustContain(t, s, "STALE ⚠ last data 2s ago: job runs: platform GET /v1/jobs: 503 unavailable", "flush-cache-x7k2p", "Recent runs (4)")
	if strings.Contains(s, "● live") {
		t.Fatalf("a stale screen is not live:\n%s", s)
	}
	lines := strings.Split(screen(h.v, 80, 24), "\n")
	if !strings.HasPrefix(lines[1], "STALE ⚠ last data 2s ago") {
		t.Fatalf("narrow: the marker gets its own line:\n%s", strings.Join(lines, "\n"))
	}
	h.Press("tab", "enter")
	mustContain(t, screen(h.v, 200, 10), "STALE ⚠ last data 2s ago")
	h.v.Escape()
	h.srv.err = nil
	h.tick(2)
	if s := screen(h.v, 200, 20); strings.Contains(s, "STALE") || !strings.Contains(s, "● live (refreshed 0s ago)") {
		t.Fatalf("live again:\n%s", s)
	}
	// Failing from the start: the error in place of the runs.
	h2 := newHarness(t, themes.Dark(), templates(), nil)
	h2.srv.err = errors.New("dial tcp 127.0.0.1:8443: connection refused")
	h2.enter()
	mustContain(t, screen(h2.v, 160, 20), "no runs: job runs: dial tcp 127.0.0.1:8443: connection refused")
}

func TestWithoutPlatformOrTemplates(t *testing.T) {
	h := newHarness(t, themes.Dark(), nil, nil)
	h.v.env.Jobs = nil
	if h.v.Enter() != nil {
		t.Fatal("nothing to poll without a platform API")
	}
	h.tick(4)
	mustContain(t, screen(h.v, 200, 10), "no platform API", "add `platform:` to it in the config")
	h2 := newHarness(t, themes.Dark(), nil, nil)
	h2.enter()
	s := screen(h2.v, 200, 10)
	mustContain(t, s, "Templates (0)", "teams.<team>.jobs", "no run yet")
	if h2.v.focus != focusRuns {
		t.Fatal("without templates the runs have the keys")
	}
}

func TestFilterAndSwitchFocus(t *testing.T) {
	h := loaded(t)
	h.Press("tab", "/")
	if !h.v.Capturing() {
		t.Fatal("the runs' filter prompt has the keyboard")
	}
	h.Type("bob")
	h.Press("enter")
	if h.v.runs.Len() != 1 || h.v.templates.Len() != 2 {
		t.Fatalf("the filter is the runs': %d runs, %d templates", h.v.runs.Len(), h.v.templates.Len())
	}
	mustContain(t, screen(h.v, 160, 20), "/bob", "Recent runs (1 of 4)", "▸ Recent runs")
	h.v.runs.SetFilter("-l status=failed")
	if h.v.runs.Len() != 1 || h.v.runs.VisibleRow(0).ID != "payments/flush-cache-m2v8d" {
		t.Fatal("label filter on the status")
	}
	if _, ok := h.v.Escape(); !ok || h.v.runs.Len() != 4 {
		t.Fatal("escape clears the runs' filter")
	}
	// r never sorts here: on a run it runs it again.
	if _, ok := h.Press("r")[0].(views.ActionRequested); !ok {
		t.Fatal("r on a run runs it again")
	}
	h.Press("tab")
	if h.v.focus != focusTemplates || !strings.Contains(screen(h.v, 160, 20), "▸ Templates") {
		t.Fatal("tab gives the keys back to the templates")
	}
}

func TestHelpFollowsReadOnly(t *testing.T) {
	h := loaded(t)
	desc := func() string {
		var out []string
		for _, g := range h.v.Help().Groups {
			for _, b := range g.Bindings {
				out = append(out, b.Help().Desc)
			}
		}
		return strings.Join(out, "|")
	}
	if !strings.Contains(desc(), "run the job") || !strings.Contains(desc(), "logs of the run") {
		t.Fatalf("help: %s", desc())
	}
	h.v.env.Keys.ApplyReadOnly()
	if strings.Contains(desc(), "run the job") {
		t.Fatalf("read-only help offers the run: %s", desc())
	}
}

func TestServerTextCannotEscape(t *testing.T) {
	tpls := templates()
	tpls[0].Description = "flush " + evil
	tpls[0].Params[0].Values = []string{"ledger" + evil}
	list := runs()
	list[0].Message, list[0].User, list[0].Reason = "boom "+evil+"\nsecond line", "al"+evil, "why "+evil
	list[0].Command = append(list[0].Command, "--note="+evil)
	list[0].Values["ticket"] = evil
	list[0].Pods = []string{"pod" + evil}
	for _, p := range []themes.Palette{themes.Dark(), themes.Mono()} {
		h := newHarness(t, p, tpls, list)
		h.enter()
		inert(t, "list", h.v.Render(300, 30))
		h.Press("tab", "down", "enter")
		inert(t, "detail", h.v.Render(200, 60))
		mustContain(t, ansi.Strip(h.v.Render(200, 60)), "Message     boom pwn^[]0;x^Ged^[[2J", "            second line")
		h.v.Escape()
		h.srv.err = errors.New("bad " + evil)
		h.tick(2)
		inert(t, "stale", h.v.Render(300, 30))
	}
}

func inert(t *testing.T, what, raw string) {
	t.Helper()
	if err := screentest.Inert(raw, ansi.Strip(raw), "pwn^[]0;x^Ged^[[2J now<U+009B>31m"); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestRenderNeverPanicsNorOverflows(t *testing.T) {
	h := loaded(t)
	states := []struct {
		name string
		prep func() bool
	}{
		{"lists", func() bool { return h.v.runs.Total() == 4 }},
		{"filter", func() bool { h.Press("tab", "/"); h.Type("-l status="); return h.v.Capturing() }},
		{"detail", func() bool { h.Press("esc", "down", "enter"); return h.v.detail != nil }},
		{"stale", func() bool { h.srv.err = errors.New("503"); h.tick(2); h.v.Escape(); return h.v.err != nil }},
		{"no templates", func() bool {
			h.v = New(h.v.env, views.Route{Screen: views.ScreenJobs})
			h.v.env.JobTemplates = nil
			h.v = New(h.v.env, views.Route{})
			return h.v.templates.Total() == 0
		}},
		{"no API", func() bool { h.v.env.Jobs = nil; return true }},
	}
	sizes := screentest.Sizes(140, 40, !raceEnabled, []int{0, 1, 2, 13, 80, 140}, []int{0, 1, 2, 3, 5, 24, 40})
	for _, st := range states {
		if !st.prep() {
			t.Fatalf("could not reach state %s", st.name)
		}
		for _, sz := range sizes {
			if err := screentest.Fits(h.v.Render(sz[0], sz[1]), sz[0], sz[1], ansi.StringWidth); err != nil {
				t.Fatalf("%s %v", st.name, err)
			}
		}
	}
}
