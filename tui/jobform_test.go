package tui

import (
	"context"
	"maps"
	"strings"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/sources/platform"
	"github.com/vigie-dev/vigie/views"
)

func i64(n int64) *int64 { return &n }

// jobTemplates are the payments team's templates: one in its dev namespace, one in
// production.
func jobTemplates() []api.JobTemplate {
	return []api.JobTemplate{
		{Name: "flush-cache", Description: "Flush the ledger's read cache", Namespace: "payments", Environment: "dev",
			Image: "registry.local/tools:1.4", Command: []string{"/bin/flush-cache", "--service={{service}}", "--batch={{batch}}", "--ticket={{ticket}}"},
			Timeout: "10m",
			Params: []api.JobParam{
				{Name: "service", Type: api.JobParamEnum, Values: []string{"ledger", "checkout"}, Default: "ledger", Description: "whose cache"},
				{Name: "batch", Type: api.JobParamInt, Min: i64(1), Max: i64(1000), Default: "100", Description: "keys per batch"},
				{Name: "dry", Type: api.JobParamBool, Default: "true"},
				{Name: "ticket", Type: api.JobParamString, Pattern: "^(?:^[A-Z]+-[0-9]+$)$", Required: true, Description: "the incident"},
			}},
		{Name: "rotate-keys", Description: "Rotate the card vault's data keys", Namespace: "payments-prod", Environment: "production",
			Image: "registry.local/vault-tools:2.0", Command: []string{"/bin/rotate"}},
	}
}

// jobActor plays the platform API for jobs: the dry run resolves the command as the
// server does, a run creates a Job; refuse refuses both, in the server's words.
type jobActor struct {
	mu     sync.Mutex
	tpls   []api.JobTemplate
	dry    []api.ActionRequest
	acted  []api.ActionRequest
	refuse error
	runs   []api.JobRun
	asked  []platform.JobQuery
}

func (f *jobActor) Jobs(_ context.Context, q platform.JobQuery) (api.JobsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, q)
	return api.JobsResponse{Runs: append([]api.JobRun(nil), f.runs...)}, nil
}

func (f *jobActor) resolve(r api.ActionRequest) *api.JobRun {
	for _, t := range f.tpls {
		if t.Namespace != r.Target.Namespace || t.Name != r.Target.Name {
			continue
		}
		vals := map[string]string{}
		for _, p := range t.Params {
			vals[p.Name] = p.Default
		}
		maps.Copy(vals, r.Params.Values)
		var argv []string
		for _, a := range t.Command {
			for n, v := range vals {
				a = strings.ReplaceAll(a, "{{"+n+"}}", v)
			}
			argv = append(argv, a)
		}
		return &api.JobRun{Namespace: t.Namespace, Name: t.Name + "-x7k2p", Template: t.Name, Values: vals, Command: argv, Status: api.JobPending}
	}
	return nil
}

func (f *jobActor) DryRun(_ context.Context, r api.ActionRequest) (api.Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dry = append(f.dry, r)
	if f.refuse != nil {
		return api.Outcome{}, f.refuse
	}
	return api.Outcome{Status: api.StatusSucceeded, DryRun: true, Job: f.resolve(r)}, nil
}

func (f *jobActor) Act(_ context.Context, r api.ActionRequest) (api.Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acted = append(f.acted, r)
	if f.refuse != nil {
		return api.Outcome{}, f.refuse
	}
	run := f.resolve(r)
	return api.Outcome{Status: api.StatusSucceeded, Job: run, Message: "started job " + run.Namespace + "/" + run.Name}, nil
}

// jobModel is the payments on-call's TUI with the platform API of actor and the jobs
// screen open.
func jobModel(t *testing.T, env string, actor *jobActor) *Model {
	t.Helper()
	m := newTestModel(views.Route{Screen: views.ScreenHome}, env)
	m.keys.Jobs.Run.SetEnabled(true)
	m.session.Platform, m.session.Jobs = actor, actor.tpls
	dataFuncs(&m.env, m.session) // as a context or team switch does
	drivePrime(t, m)
	drive(t, m, views.Navigate{Route: views.Route{Screen: views.ScreenJobs}})
	return m
}

func mustShow(t *testing.T, m *Model, want ...string) string {
	t.Helper()
	s := screen(m)
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Fatalf("screen lacks %q:\n%s", w, s)
		}
	}
	return s
}

func TestJobFormShowsEveryParameterWithItsDefault(t *testing.T) {
	f := &jobActor{tpls: jobTemplates()}
	m := jobModel(t, "dev", f)
	drive(t, m, press("enter")) // flush-cache, the first template
	if m.action == nil || m.action.job == nil {
		t.Fatal("enter on a template opens its run form")
	}
	mustShow(t, m, "Run job payments/flush-cache", "context local-payments · namespace payments · DEV",
		"▸ service:  ◀ ledger ▶", "enum ledger|checkout · whose cache · default ledger · ←/→ choose",
		"batch:    100", "dry:      [x] true", "ticket*:", "reason:", "confirm:")
	// The required ticket is empty: the client says so, and asks the server nothing yet.
	mustShow(t, m, "fill in ticket to see what would run")
	if len(f.dry) != 0 {
		t.Fatalf("a dry run with a missing required value: %+v", f.dry)
	}
	if strings.Contains(screen(m), "✗ required") {
		t.Fatal("an empty field is marked only once the user has left it")
	}
	// Leaving the required field empty: now it is a mistake, said as one.
	drive(t, m, press("tab"), press("tab"), press("tab"), press("tab"))
	mustShow(t, m, "✗ ticket: required — fix it first (the server checks again)")
}

func TestEnumCyclesBoolTogglesAndNeitherTakesText(t *testing.T) {
	f := &jobActor{tpls: jobTemplates()}
	m := jobModel(t, "dev", f)
	drive(t, m, press("enter"), press("right"))
	mustShow(t, m, "◀ checkout ▶")
	drive(t, m, press("right"))
	mustShow(t, m, "◀ ledger ▶")
	drive(t, m, press("left"))
	mustShow(t, m, "◀ checkout ▶")
	drive(t, m, typeText("zzz")...)
	if v := m.action.job.choice[0]; v != "checkout" {
		t.Fatalf("typing into an enum changed it to %q", v)
	}
	drive(t, m, press("tab"), press("tab"), press("space"))
	mustShow(t, m, "▸ dry:      [ ] false", "bool · default true · space toggles")
	drive(t, m, press("space"))
	mustShow(t, m, "[x] true")
	drive(t, m, press("left"))
	mustShow(t, m, "[ ] false")
	drive(t, m, typeText("true")...)
	if v := m.action.job.choice[2]; v != "false" {
		t.Fatalf("typing into a bool changed it to %q", v)
	}
}

func TestJobValidationMessages(t *testing.T) {
	f := &jobActor{tpls: jobTemplates()}
	m := jobModel(t, "dev", f)
	drive(t, m, press("enter"), press("tab")) // batch
	drive(t, m, press("backspace"), press("backspace"), press("backspace"))
	drive(t, m, typeText("5000")...)
	mustShow(t, m, "batch:    5000", "✗ 5000 is out of range [1, 1000]")
	for range 4 {
		drive(t, m, press("backspace"))
	}
	drive(t, m, typeText("0")...)
	mustShow(t, m, "is out of range [1, 1000]")
	drive(t, m, press("backspace"))
	drive(t, m, typeText("+5")...)
	mustShow(t, m, "is not a whole number")
	drive(t, m, press("backspace"), press("backspace"))
	drive(t, m, typeText("250")...)
	drive(t, m, press("tab"), press("tab")) // ticket
	drive(t, m, typeText("inc-42")...)
	mustShow(t, m, "ticket*:", "does not match ^(?:^[A-Z]+-[0-9]+$)$")
	for range 6 {
		drive(t, m, press("backspace"))
	}
	drive(t, m, press("tab")) // leaves the empty required ticket
	mustShow(t, m, "✗ required")
	// Enter on the confirmation with a field marked: nothing runs, the dialog says why.
	drive(t, m, typeText("INC-1 checking the form")...)
	drive(t, m, press("tab"))
	drive(t, m, typeText("yes")...)
	drive(t, m, press("enter"))
	if len(f.acted) != 0 || m.action == nil {
		t.Fatalf("a form with a problem ran: %+v", f.acted)
	}
	mustShow(t, m, "ticket: required")
	if len(f.dry) != 0 {
		t.Fatalf("the server was asked about values the client refuses: %+v", f.dry)
	}
}

func fillFlushCache(t *testing.T, m *Model) {
	t.Helper()
	drive(t, m, press("enter"), press("right"), press("tab")) // service checkout, batch
	drive(t, m, press("backspace"), press("backspace"), press("backspace"))
	drive(t, m, typeText("250")...)
	drive(t, m, press("tab"), press("space"), press("tab")) // dry false, ticket
	drive(t, m, typeText("INC-42")...)
	drive(t, m, press("tab")) // reason: the server's dry run of these values
}

func TestJobRunsWithItsValuesAfterDryRunReasonAndConfirmation(t *testing.T) {
	f := &jobActor{tpls: jobTemplates()}
	m := jobModel(t, "dev", f)
	fillFlushCache(t, m)
	want := map[string]string{"service": "checkout", "batch": "250", "dry": "false", "ticket": "INC-42"}
	if len(f.dry) != 1 || !maps.Equal(f.dry[0].Params.Values, want) || f.dry[0].Kind != api.ActionJob {
		t.Fatalf("dry runs %+v", f.dry)
	}
	mustShow(t, m, "Would run (server dry run):", "argv   /bin/flush-cache --service=checkout --batch=250 --ticket=INC-42",
		"in     payments (dev) · image registry.local/tools:1.4 · timeout 10m")
	// Moving around without a change asks nothing more.
	drive(t, m, press("shift+tab"), press("tab"))
	if len(f.dry) != 1 {
		t.Fatalf("%d dry runs for the same values", len(f.dry))
	}
	drive(t, m, typeText("INC-42 stale balances")...)
	drive(t, m, press("enter"), press("enter")) // enter alone on the confirmation
	if len(f.acted) != 0 || m.action == nil {
		t.Fatal("enter alone never runs a job")
	}
	mustShow(t, m, `not confirmed: type "yes" to confirm`)
	drive(t, m, typeText("yes")...)
	drive(t, m, press("enter"))
	if len(f.acted) != 1 {
		t.Fatalf("acted %d times", len(f.acted))
	}
	r := f.acted[0]
	if r.Kind != api.ActionJob || r.Target != (api.Target{Namespace: "payments", Name: "flush-cache"}) ||
		!maps.Equal(r.Params.Values, want) || r.Reason != "INC-42 stale balances" || r.IdempotencyKey == "" || r.Expect != nil {
		t.Fatalf("request %+v", r)
	}
	if m.action != nil || len(m.tasks) != 0 {
		t.Fatal("the dialog closes; the task ends with its answer")
	}
	mustShow(t, m, "started job payments/flush-cache-x7k2p")
}

func TestJobDefaultsAreSentAsShownAndRunAgainStartsFromARunsValues(t *testing.T) {
	f := &jobActor{tpls: jobTemplates()}
	m := jobModel(t, "dev", f)
	drive(t, m, views.ActionRequested{Kind: "job", Namespace: "payments", Name: "flush-cache",
		Values: map[string]string{"service": "checkout", "batch": "7", "dry": "false", "ticket": "OPS-9"}})
	mustShow(t, m, "◀ checkout ▶", "batch:    7", "[ ] false", "OPS-9", "--batch=7")
	if len(f.dry) != 1 || f.dry[0].Params.Values["ticket"] != "OPS-9" {
		t.Fatalf("the prefilled values are asked about at once: %+v", f.dry)
	}
	// A cleared optional int is not sent: the server uses its default.
	drive(t, m, press("tab"), press("backspace"))
	drive(t, m, press("tab"))
	if got := f.dry[len(f.dry)-1].Params.Values; got["batch"] != "" || len(got) != 3 {
		t.Fatalf("values %v", got)
	}
	mustShow(t, m, "--batch=100")
}

func TestProductionJobNeedsAReasonAndTheTypedName(t *testing.T) {
	f := &jobActor{tpls: jobTemplates()}
	m := jobModel(t, "dev", f)
	drive(t, m, press("down"), press("enter")) // rotate-keys, in production
	mustShow(t, m, "Run job payments-prod/rotate-keys", "namespace payments-prod · PRODUCTION", "▲ PRODUCTION",
		"type the job's name (rotate-keys) to confirm")
	// What would run shows before the reason: a dry run needs none (the server agrees).
	if len(f.dry) != 1 || f.dry[0].Reason != "" {
		t.Fatalf("production: the dry run on opening: %+v", f.dry)
	}
	mustShow(t, m, "Would run (server dry run):", "argv   /bin/rotate")
	drive(t, m, typeText("rotate")...)
	drive(t, m, press("enter"))
	drive(t, m, typeText("rotate-keys")...)
	drive(t, m, press("enter"))
	if len(f.acted) != 0 {
		t.Fatal("a short reason is refused in production")
	}
	mustShow(t, m, "10 characters at least")
	drive(t, m, press("shift+tab"))
	drive(t, m, typeText(" the quarterly keys")...)
	drive(t, m, press("tab"))
	if len(f.dry) != 1 {
		t.Fatalf("the reason changed no value, yet the server was asked again: %+v", f.dry)
	}
	mustShow(t, m, "Would run (server dry run):", "argv   /bin/rotate", "in     payments-prod (production)")
	for range 11 {
		drive(t, m, press("backspace"))
	}
	drive(t, m, typeText("yes")...)
	drive(t, m, press("enter"))
	if len(f.acted) != 0 {
		t.Fatal(`"yes" does not confirm a production job`)
	}
	for range 3 {
		drive(t, m, press("backspace"))
	}
	drive(t, m, typeText("rotate-keys")...)
	drive(t, m, press("enter"))
	if len(f.acted) != 1 || f.acted[0].Target.Namespace != "payments-prod" || f.acted[0].Reason != "rotate the quarterly keys" {
		t.Fatalf("acted %+v", f.acted)
	}
}

func TestJobRefusalIsShownAsTheServerWordsIt(t *testing.T) {
	// The client's copy of the template allows more than the server's (it changed since
	// the session started): the server refuses, and says why in its words.
	tpls := jobTemplates()
	tpls[0].Params[1].Max = i64(100000)
	refusal := &platform.Error{Status: 400, Code: api.CodeInvalid, Message: "params.values.batch: 5000 is out of range [1, 1000]"}
	f := &jobActor{tpls: tpls, refuse: refusal}
	m := jobModel(t, "dev", f)
	drive(t, m, press("enter"), press("tab"))
	drive(t, m, press("backspace"), press("backspace"), press("backspace"))
	drive(t, m, typeText("5000")...)
	drive(t, m, press("tab"), press("tab"))
	drive(t, m, typeText("INC-42")...)
	drive(t, m, press("tab"))
	mustShow(t, m, "dry run refused: the platform refused the request: params.values.batch: 5000 is out of range [1, 1000]")
	drive(t, m, typeText("INC-42 testing limits")...)
	drive(t, m, press("enter"))
	drive(t, m, typeText("yes")...)
	drive(t, m, press("enter"))
	if len(f.acted) != 1 || m.dialog == nil {
		t.Fatalf("the server decides: acted %d", len(f.acted))
	}
	mustShow(t, m, "Run job payments/flush-cache: not done", "params.values.batch: 5000 is out of range [1, 1000]")
}

func TestALateDryRunOfOtherValuesIsDropped(t *testing.T) {
	f := &jobActor{tpls: jobTemplates()}
	m := jobModel(t, "dev", f)
	fillFlushCache(t, m)
	d := m.action
	old := dryRunMsg{gen: d.gen, key: d.job.asked, out: api.Outcome{Job: &api.JobRun{Namespace: "payments", Command: []string{"/bin/old"}}}}
	drive(t, m, press("shift+tab"))
	drive(t, m, typeText("9")...) // ticket INC-429
	drive(t, m, press("tab"))
	drive(t, m, old)
	s := mustShow(t, m, "--ticket=INC-429")
	if strings.Contains(s, "/bin/old") {
		t.Fatalf("the answer about earlier values is shown:\n%s", s)
	}
	// Values changed after the last answer: the preview says so instead of showing it.
	drive(t, m, press("shift+tab"))
	drive(t, m, typeText("9")...)
	s = mustShow(t, m, "values changed: tab or enter asks the server again")
	if strings.Contains(s, "--ticket=INC-429") {
		t.Fatalf("a dry run of other values stays on screen:\n%s", s)
	}
}

func TestJobOfAnotherTeamOrWithoutPlatformOpensNoForm(t *testing.T) {
	f := &jobActor{tpls: jobTemplates()}
	m := jobModel(t, "dev", f)
	drive(t, m, views.ActionRequested{Kind: "job", Namespace: "search", Name: "reindex"})
	if m.action != nil {
		t.Fatal("a template that is not the team's opens no form")
	}
	mustShow(t, m, "job template search/reindex is not one of the team's")
	m.session.ReadOnly = true
	drive(t, m, press("enter"))
	if m.action != nil {
		t.Fatal("read-only session: no form")
	}
}

func TestJobLogsSelectTheJobsPods(t *testing.T) {
	m := newTestModel(views.Route{Screen: views.ScreenHome}, "dev")
	r := views.Route{Screen: views.ScreenLogs, Kind: "job", Namespace: "payments", Name: "flush-cache-x7k2p"}
	if got := m.selectorOf(r); got != "batch.kubernetes.io/job-name=flush-cache-x7k2p" {
		t.Fatalf("selector %q", got)
	}
	q := views.LogQuery{Namespace: "payments", Selector: m.selectorOf(r), App: r.Name}
	ms, err := lokiMatchers(q, map[string]string{"cluster": "local"})
	if err != nil {
		t.Fatal(err)
	}
	sel, err := lokiQuery(ms, q)
	if err != nil || sel != `{cluster="local", namespace="payments", pod=~"flush-cache-x7k2p-.*"}` {
		t.Fatalf("LogQL %q, %v", sel, err)
	}
	// A name with regexp characters is taken literally; a deployment's query is unchanged.
	q.Selector, q.App = "batch.kubernetes.io/job-name=a.b", "a.b"
	ms, _ = lokiMatchers(q, nil)
	if sel, _ := lokiQuery(ms, q); sel != `{namespace="payments", pod=~"a\\.b-.*"}` {
		t.Fatalf("LogQL %q", sel)
	}
	q = views.LogQuery{Namespace: "payments", Selector: "app=checkout", App: "checkout"}
	ms, _ = lokiMatchers(q, nil)
	if sel, _ := lokiQuery(ms, q); sel != `{app="checkout", namespace="payments"}` {
		t.Fatalf("deployment LogQL %q", sel)
	}
	// l on a run opens the logs of its pods.
	f := &jobActor{tpls: jobTemplates()}
	jm := jobModel(t, "dev", f)
	drive(t, jm, views.Navigate{Route: r})
	mustShow(t, jm, "logs · job/flush-cache-x7k2p")
}

// The screen reads the runs of the session's team through the platform API, and shows
// them; a platform API that lists no runs leaves the screen saying jobs need one.
func TestJobsScreenReadsTheTeamsRuns(t *testing.T) {
	f := &jobActor{tpls: jobTemplates(), runs: jobRuns()}
	m := jobModel(t, "dev", f)
	if len(f.asked) != 1 || f.asked[0] != (platform.JobQuery{Team: "payments", Limit: 50}) {
		t.Fatalf("queries %+v", f.asked)
	}
	mustShow(t, m, "▸ Templates (2)", "flush-cache-x7k2p", "running", "Recent runs (4)")
	// Every two ticks while shown, the next answer replaces the runs.
	f.runs = f.runs[:1]
	drive(t, m, tickMsg(testNow), tickMsg(testNow))
	if len(f.asked) != 2 {
		t.Fatalf("%d queries after two ticks", len(f.asked))
	}
	mustShow(t, m, "Recent runs (1)")
	// Another screen on top: no poll.
	drive(t, m, views.Navigate{Route: views.Route{Screen: views.ScreenPods}})
	drive(t, m, tickMsg(testNow), tickMsg(testNow), tickMsg(testNow))
	if len(f.asked) != 2 {
		t.Fatalf("a hidden jobs screen polled: %d queries", len(f.asked))
	}
	m2 := newTestModel(views.Route{Screen: views.ScreenHome}, "dev")
	m2.session.Platform = &fakeActor{}
	dataFuncs(&m2.env, m2.session)
	drivePrime(t, m2)
	drive(t, m2, views.Navigate{Route: views.Route{Screen: views.ScreenJobs}})
	mustShow(t, m2, "runbook jobs run through the platform API")
}

var _ tea.Msg = dryRunMsg{}
