package tui

import (
	"context"
	"strings"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/sources/platform"
	"github.com/vigie-dev/vigie/views"
)

// fakeActor records what the TUI asked the platform API.
type fakeActor struct {
	mu      sync.Mutex
	dry     []api.ActionRequest
	acted   []api.ActionRequest
	refuse  error
	changes []api.Change
}

func (f *fakeActor) DryRun(_ context.Context, r api.ActionRequest) (api.Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dry = append(f.dry, r)
	return api.Outcome{Status: "succeeded", DryRun: true, Changes: f.changes}, nil
}

func (f *fakeActor) Act(_ context.Context, r api.ActionRequest) (api.Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acted = append(f.acted, r)
	if f.refuse != nil {
		return api.Outcome{}, f.refuse
	}
	return api.Outcome{Status: "succeeded", AuditID: "a-1"}, nil
}

func actionModel(t *testing.T, env string, actor Actor) *Model {
	t.Helper()
	m := newTestModel(views.Route{Screen: views.ScreenDeployments}, env)
	m.keys.Workloads.Scale.SetEnabled(true)
	m.keys.Workloads.Restart.SetEnabled(true)
	m.session.Platform = actor
	drive(t, m, press("g"))
	drivePrime(t, m)
	return m
}

func drivePrime(t *testing.T, m *Model) {
	t.Helper()
	drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 40}, views.KubeSnapshot{Snap: fixture()})
}

func TestScaleAsksWhatWhereWhyAndConfirmation(t *testing.T) {
	f := &fakeActor{changes: []api.Change{{Field: "spec.replicas", From: "3", To: "5"}}}
	m := actionModel(t, "dev", f)
	drive(t, m, press("S")) // checkout, the first deployment
	if m.action == nil {
		t.Fatal("S opens the scale dialog")
	}
	s := screen(m)
	for _, want := range []string{"Scale deployment payments/checkout", "context local-payments · namespace payments · DEV", "replicas: 3"} {
		if !strings.Contains(s, want) {
			t.Fatalf("dialog lacks %q:\n%s", want, s)
		}
	}
	drive(t, m, press("backspace"), press("5"), press("enter"))
	if s := screen(m); !strings.Contains(s, "spec.replicas: 3 → 5") {
		t.Fatalf("the server's dry run shows what will change:\n%s", s)
	}
	drive(t, m, typeText("INC-42 more capacity")...)
	drive(t, m, press("enter"), press("enter")) // enter on an empty confirmation does nothing
	if len(f.acted) != 0 || m.action == nil || !strings.Contains(screen(m), "not confirmed") {
		t.Fatalf("enter alone never confirms: acted %d", len(f.acted))
	}
	drive(t, m, typeText("yes")...)
	drive(t, m, press("enter"))
	if len(f.acted) != 1 {
		t.Fatalf("acted %d times, want 1", len(f.acted))
	}
	r := f.acted[0]
	if r.Kind != "scale" || *r.Params.Replicas != 5 || r.Reason != "INC-42 more capacity" || r.Target.Name != "checkout" ||
		r.IdempotencyKey == "" || r.Expect == nil || r.Expect.ResourceVersion != fixture().Deployments[0].ResourceVersion {
		t.Fatalf("request = %+v", r)
	}
	if !strings.Contains(screen(m), "Scale deployment payments/checkout: succeeded") {
		t.Fatalf("the outcome is shown:\n%s", screen(m))
	}
}

func TestProductionNeedsReasonAndTypedName(t *testing.T) {
	f := &fakeActor{}
	m := actionModel(t, "production", f)
	drive(t, m, press("R"))
	if !strings.Contains(screen(m), "▲ PRODUCTION") {
		t.Fatalf("the dialog says production:\n%s", screen(m))
	}
	drive(t, m, typeText("oops")...)
	drive(t, m, press("enter"))
	drive(t, m, typeText("checkout")...)
	drive(t, m, press("enter"))
	if len(f.acted) != 0 || !strings.Contains(screen(m), "10 characters at least") {
		t.Fatalf("a short reason is refused in production:\n%s", screen(m))
	}
	drive(t, m, press("shift+tab"))
	drive(t, m, typeText(" — restart after config change")...)
	drive(t, m, press("tab"))
	for range 8 {
		drive(t, m, press("backspace"))
	}
	drive(t, m, typeText("yes")...)
	drive(t, m, press("enter"))
	if len(f.acted) != 0 {
		t.Fatal("in production only the deployment's name confirms")
	}
	drive(t, m, press("esc"))
	if m.action != nil || len(f.acted) != 0 || !strings.Contains(screen(m), "cancelled: nothing was done") {
		t.Fatal("esc cancels and says nothing was done")
	}
}

func TestRefusalIsShownAndNoPlatformMeansNoAction(t *testing.T) {
	f := &fakeActor{refuse: &platform.Error{Status: 403, Code: "forbidden", Message: "alice (member) may not restart in production"}}
	m := actionModel(t, "dev", f)
	drive(t, m, press("R"), press("enter"))
	drive(t, m, typeText("yes")...)
	drive(t, m, press("enter"))
	if m.dialog == nil || !strings.Contains(screen(m), "may not restart") {
		t.Fatalf("a refusal is shown as the server worded it:\n%s", screen(m))
	}
	m2 := actionModel(t, "dev", nil)
	m2.session.Platform = nil
	drive(t, m2, press("R"))
	if m2.action != nil || !strings.Contains(screen(m2), "platform API") {
		t.Fatalf("without a platform API no dialog opens:\n%s", screen(m2))
	}
}

func (f *fakeActor) Revisions(_ context.Context, ns, name string) (api.RevisionsResponse, error) {
	return api.RevisionsResponse{Namespace: ns, Name: name, ResourceVersion: "41", Current: 2, Replicas: 2,
		Revisions: []api.Revision{
			{Revision: 2, Images: []string{"registry.local/payments/ledger:2.8.0"}, Current: true},
			{Revision: 1, Images: []string{"registry.local/payments/ledger:2.7.3"}, Changes: []api.Change{
				{Field: "spec.template.spec.containers[app].image", From: "registry.local/payments/ledger:2.8.0", To: "registry.local/payments/ledger:2.7.3"},
				{Field: "spec.template.metadata.annotations[sim.vigie.dev/error-ratio]", From: "0.35", To: ""}}},
		}}, nil
}

func TestRollbackProposesThePreviousRevisionWithItsDiff(t *testing.T) {
	f := &fakeActor{}
	m := actionModel(t, "dev", f)
	m.keys.Workloads.Rollback.SetEnabled(true)
	drive(t, m, press("j"), press("j"), press("U")) // ledger
	s := screen(m)
	for _, want := range []string{"Rollback deployment payments/ledger", "▶ rev 1", "(current)",
		"spec.template.spec.containers[app].image", "registry.local/payments/ledger:2.8.0 → registry.local/payments/ledger:2.7.3",
		"annotations[sim.vigie.dev/error-ratio]", "0.35 → (absent)", "replicas stay at 2", "revision: 1"} {
		if !strings.Contains(s, want) {
			t.Fatalf("rollback dialog lacks %q:\n%s", want, s)
		}
	}
	drive(t, m, press("enter"))
	drive(t, m, typeText("INC-9 bad release")...)
	drive(t, m, press("enter"))
	drive(t, m, typeText("yes")...)
	drive(t, m, press("enter"))
	if len(f.acted) != 1 {
		t.Fatalf("acted %d", len(f.acted))
	}
	r := f.acted[0]
	if r.Kind != "rollback" || r.Params.ToRevision != 1 || r.Expect.Revision != 2 || r.Expect.ResourceVersion != "41" {
		t.Fatalf("rollback request = %+v %+v", r, r.Expect)
	}
}

func TestDeletePodFromThePodsScreen(t *testing.T) {
	f := &fakeActor{}
	m := newTestModel(views.Route{Screen: views.ScreenPods, Filter: "fraud"}, "dev")
	m.keys.Workloads.Delete.SetEnabled(true)
	m.session.Platform = f
	drivePrime(t, m)
	drive(t, m, press("D"))
	if s := screen(m); !strings.Contains(s, "Delete pod payments/fraud-worker-796b7978bb-4c6c2") {
		t.Fatalf("D opens the delete dialog of the selected pod:\n%s", s)
	}
	drive(t, m, typeText("stuck pod, INC-3")...)
	drive(t, m, press("enter"))
	drive(t, m, typeText("yes")...)
	drive(t, m, press("enter"))
	if len(f.acted) != 1 || f.acted[0].Kind != "delete-pod" || f.acted[0].Target.Name != "fraud-worker-796b7978bb-4c6c2" {
		t.Fatalf("acted %+v", f.acted)
	}
}

func TestSilenceFromTheAlertsScreen(t *testing.T) {
	f := &fakeActor{}
	m := newTestModel(views.Route{Screen: views.ScreenAlerts}, "dev")
	m.keys.Alerts.Silence.SetEnabled(true)
	m.session.Platform = f
	drivePrime(t, m)
	drive(t, m, views.AlertsSnapshot{Snap: alertsFixture()})
	drive(t, m, press("g"), press("S"))
	if s := screen(m); !strings.Contains(s, `Silence {alertname="HighErrorRatio", service="ledger"}`) || !strings.Contains(s, "for:      2h") {
		t.Fatalf("S opens the silence dialog of the selected alert:\n%s", s)
	}
	drive(t, m, press("enter"))
	drive(t, m, typeText("INC-5 rollback in progress")...)
	drive(t, m, press("enter"))
	drive(t, m, typeText("yes")...)
	drive(t, m, press("enter"))
	if len(f.acted) != 1 {
		t.Fatalf("acted %d", len(f.acted))
	}
	r := f.acted[0]
	if r.Kind != "silence" || r.Target.Namespace != "payments" || r.Params.Duration != "2h" || len(r.Params.Matchers) != 2 ||
		r.Params.Matchers[0].Name != "alertname" || r.Params.Matchers[1].Value != "ledger" || r.Reason != "INC-5 rollback in progress" {
		t.Fatalf("silence request = %+v", r)
	}
}
