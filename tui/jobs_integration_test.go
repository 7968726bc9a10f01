//go:build integration

package tui

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vigie-dev/vigie/internal/stackenv"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/sources/platform"
	"github.com/vigie-dev/vigie/views"
)

// stackTemplate is the runbook job template the local platform gives team payments
// (test/stack: PlatformJobTemplate).
const stackTemplate = "flush-cache"

// alicePlatform is the platform API client of alice (payments on-call) and her team's
// job templates, as vigie reads them from GET /v1/teams when it starts.
func alicePlatform(t *testing.T, env *stackenv.Env) (*platform.Client, []api.JobTemplate) {
	t.Helper()
	token, err := os.ReadFile(env.MustGet(t, "VIGIE_STACK_ALICE_PLATFORM_TOKEN_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := platform.New(platform.Options{URL: env.MustGet(t, "VIGIE_STACK_PLATFORM_URL"), Token: strings.TrimSpace(string(token))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	teams, err := pc.Teams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range teams {
		if tm.Name == "payments" {
			for _, j := range tm.Jobs {
				if j.Name == stackTemplate {
					return pc, tm.Jobs
				}
			}
			t.Fatalf("team payments has no job template %s on the local platform: %+v (restart it with %q)", stackTemplate, tm.Jobs, stackenv.StartCommand)
		}
	}
	t.Fatalf("the platform API knows no team payments: %+v", teams)
	return nil, nil
}

// typeKeys sends each character of s as a key.
func typeKeys(tm *term, s string) {
	for _, r := range s {
		tm.send(press(string(r)))
	}
}

// jobRunsOf lists the runs of the stack's template, through the API.
func jobRunsOf(t *testing.T, pc *platform.Client) []api.JobRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := pc.Jobs(ctx, platform.JobQuery{Team: "payments", Template: stackTemplate, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	return r.Runs
}

// The payments on-call runs the team's runbook job from the console: :jobs lists the
// template, its form takes typed parameters, the server's dry run shows the argv, a reason
// and "yes" start it; the run appears in the list and reaches succeeded; its details
// show the argv as run, and l opens its pod's logs.
func TestLiveRunAJobFromTheConsole(t *testing.T) {
	env := stackenv.MustLoad(t)
	pc, tpls := alicePlatform(t, env)
	_, tm := liveModel(t, env, views.Route{Screen: views.ScreenHome}, func(s *Session) { s.Platform, s.Jobs = pc, tpls })
	tm.waitFor(30*time.Second, "● live")
	tm.send(press(":"))
	typeKeys(tm, "jobs")
	tm.send(press("enter"))
	tm.waitFor(30*time.Second, "▸ Templates (", stackTemplate, "payments · dev", "Recent runs (")
	for _, tpl := range tpls { // the templates are listed by name
		if tpl.Name < stackTemplate {
			tm.send(press("down"))
		}
	}
	tm.send(press("enter"))
	tm.waitFor(15*time.Second, "Run job payments/"+stackTemplate, "◀ ledger ▶", "batch:", "ticket*:")
	ticket := fmt.Sprintf("TUI-%d", time.Now().UnixNano()%1_000_000)
	tm.send(press("right"), press("tab")) // service: checkout; batch
	tm.send(tea.KeyPressMsg{Code: tea.KeyBackspace}, tea.KeyPressMsg{Code: tea.KeyBackspace}, tea.KeyPressMsg{Code: tea.KeyBackspace})
	typeKeys(tm, "7")
	tm.send(press("tab")) // ticket
	typeKeys(tm, ticket)
	tm.send(press("tab")) // reason
	tm.waitFor(15*time.Second, "Would run (server dry run):", "--service=checkout", "--batch=7", "--ticket="+ticket)
	if runs := jobRunsOf(t, pc); hasTicket(runs, ticket) {
		t.Fatal("the dry run created a Job")
	}
	typeKeys(tm, "TUI integration: flush the cache")
	tm.send(press("enter"))
	typeKeys(tm, "yes")
	tm.send(press("enter"))
	s := tm.waitFor(30*time.Second, "started job payments/"+stackTemplate+"-")
	name := regexp.MustCompile(`started job payments/(` + stackTemplate + `-[a-z0-9]+)`).FindStringSubmatch(s)
	if name == nil {
		t.Fatalf("no job name in the flash:\n%s", s)
	}
	job := name[1]
	// The poll shows the real run, until it succeeds.
	deadline := time.Now().Add(120 * time.Second)
	for {
		s = tm.screen()
		if line := lineWith(s, job); strings.Contains(line, "succeeded") {
			if !strings.Contains(line, "alice") {
				t.Fatalf("the run's row lacks who ran it: %q", line)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s did not reach succeeded within 120s:\n%s", job, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Its details: the argv as run, one element a line, the values, who and why.
	tm.send(press("tab"), press("/"))
	typeKeys(tm, "-l job="+job)
	tm.send(press("enter"), press("enter"))
	tm.waitFor(15*time.Second, "job payments/"+job, "Status      succeeded", "[1]   --service=checkout",
		"[2]   --batch=7", "[3]   --ticket="+ticket, "Reason      TUI integration: flush the cache", "User        alice", job+"-")
	// Its pod's logs: what the job printed (the local platform's simulator writes the log
	// a real job would: its argv and parameters; kwok serves it).
	tm.send(press("l"))
	tm.waitFor(30*time.Second, "logs · job/"+job, "running /bin/flush-cache --service=checkout --batch=7", "parameter ticket="+ticket, "result=ok")
	runs := jobRunsOf(t, pc)
	if !hasTicket(runs, ticket) {
		t.Fatalf("the API lists no run with ticket %s", ticket)
	}
	for _, r := range runs {
		if r.Name == job && (r.Values["batch"] != "7" || r.Values["service"] != "checkout" || r.User != "alice") {
			t.Fatalf("run %+v", r)
		}
	}
}

// A value the server refuses is refused in its words, and no run appears: the client's
// copy of the template allows more than the server's (as after a change of the server's
// configuration), so only the server can say no.
func TestLiveBadJobValueIsRefusedByTheServer(t *testing.T) {
	env := stackenv.MustLoad(t)
	pc, tpls := alicePlatform(t, env)
	var stale []api.JobTemplate
	for _, tpl := range tpls {
		tpl.Params = append([]api.JobParam(nil), tpl.Params...)
		for i, p := range tpl.Params {
			if p.Name == "batch" {
				big := int64(1_000_000)
				tpl.Params[i].Max = &big
			}
		}
		stale = append(stale, tpl)
	}
	before := len(jobRunsOf(t, pc))
	_, tm := liveModel(t, env, views.Route{Screen: views.ScreenJobs}, func(s *Session) { s.Platform, s.Jobs = pc, stale })
	tm.waitFor(30*time.Second, "▸ Templates (", stackTemplate, "● live")
	for _, tpl := range stale {
		if tpl.Name < stackTemplate {
			tm.send(press("down"))
		}
	}
	tm.send(press("enter"))
	tm.waitFor(15*time.Second, "Run job payments/"+stackTemplate, "batch:")
	tm.send(press("tab"))
	tm.send(tea.KeyPressMsg{Code: tea.KeyBackspace}, tea.KeyPressMsg{Code: tea.KeyBackspace}, tea.KeyPressMsg{Code: tea.KeyBackspace})
	typeKeys(tm, "5000")
	tm.send(press("tab"))
	ticket := fmt.Sprintf("BAD-%d", time.Now().UnixNano()%1_000_000)
	typeKeys(tm, ticket)
	tm.send(press("tab"))
	// The server's dry run refuses the value, in its words (its own bounds).
	tm.waitFor(15*time.Second, "dry run refused:", "batch", "1000")
	typeKeys(tm, "TUI integration: a bad value")
	tm.send(press("enter"))
	typeKeys(tm, "yes")
	tm.send(press("enter"))
	s := tm.waitFor(30*time.Second, "Run job payments/"+stackTemplate+": not done", "1000")
	if !strings.Contains(s, "batch") {
		t.Fatalf("the refusal does not name the parameter:\n%s", s)
	}
	runs := jobRunsOf(t, pc)
	if hasTicket(runs, ticket) || len(runs) > before+5 { // other tests may run jobs meanwhile
		t.Fatalf("a refused value created a run: %d runs before, %d after", before, len(runs))
	}
	// The cluster agrees: no Job carries the ticket.
	admin := adminClient(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	jobs, err := admin.BatchV1().Jobs("payments").List(ctx, metav1.ListOptions{LabelSelector: "vigie.dev/job-template=" + stackTemplate})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs.Items {
		if strings.Contains(j.Annotations["vigie.dev/values"], ticket) {
			t.Fatalf("Job %s carries the refused request's ticket", j.Name)
		}
	}
}

func hasTicket(runs []api.JobRun, ticket string) bool {
	for _, r := range runs {
		if r.Values["ticket"] == ticket {
			return true
		}
	}
	return false
}

// lineWith returns the first line of s containing sub ("" when none).
func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}
