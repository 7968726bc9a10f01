package approvals

import (
	"context"
	"strings"
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

var now = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

func press(s string) tea.KeyPressMsg { return screentest.Key(s) }

func run(v *View, cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			run(v, c)
		}
		return
	}
	if _, ok := msg.(views.Flash); ok {
		return
	}
	_, next := v.Update(msg)
	run(v, next)
}

func TestApproveARequest(t *testing.T) {
	st := themes.NewStyles(themes.Dark())
	keys := keymaps.Default()
	three := int32(3)
	list := []api.Approval{
		{ID: "act_1", Status: api.ApprovalPending, Requester: "alice", Team: "payments", Environment: "production", MayDecide: true,
			Request:   api.ActionRequest{Kind: api.ActionScale, Target: api.Target{Namespace: "payments", Name: "checkout"}, Params: api.Params{Replicas: &three}, Reason: "INC-8 traffic peak"},
			CreatedAt: now.Add(-5 * time.Minute), ExpiresAt: now.Add(55 * time.Minute)},
		{ID: "act_0", Status: api.ApprovalExecuted, Requester: "bob", Team: "payments", Environment: "production",
			Request:   api.ActionRequest{Kind: api.ActionRestart, Target: api.Target{Namespace: "payments", Name: "ledger"}, Reason: "stuck \\x1b]0;pwned\\x07"},
			CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)},
	}
	var decided []string
	env := views.Env{Styles: &st, Keys: &keys, Now: func() time.Time { return now },
		Approvals: func(context.Context, string) ([]api.Approval, error) { return list, nil },
		Decide: func(_ context.Context, id string, approve bool, reason string) (api.Approval, error) {
			decided = append(decided, id+" "+map[bool]string{true: "approve", false: "reject"}[approve]+" "+reason)
			a := list[0]
			a.Status = api.ApprovalExecuted
			return a, nil
		}}
	v := New(env, views.Route{Screen: views.ScreenApprovals})
	run(v, v.Enter())
	s := ansi.Strip(v.Render(140, 20))
	for _, want := range []string{"1 waiting for you", "alice", "scale → 3", "payments/checkout", "pending: yours to decide", "55m", "executed"} {
		if !strings.Contains(s, want) {
			t.Fatalf("approvals screen lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(v.Render(140, 20), "\x07") {
		t.Fatal("a reason is drawn inert")
	}
	_, cmd := v.Update(press("enter"))
	run(v, cmd)
	if !v.Capturing() || !strings.Contains(ansi.Strip(v.Render(140, 20)), "Decide: alice asks to scale payments/checkout") {
		t.Fatal("enter on a request of mine to decide opens the decision form")
	}
	for _, r := range "maybe" {
		v.Update(press(string(r)))
	}
	v.Update(press("enter"))
	v.Update(press("enter"))
	if len(decided) != 0 || !strings.Contains(ansi.Strip(v.Render(140, 20)), `type "approve" or "reject"`) {
		t.Fatalf("only approve or reject decides: %v", decided)
	}
	v.Update(tea.KeyPressMsg{Code: tea.KeyTab})
	for range 5 {
		v.Update(tea.KeyPressMsg{Code: tea.KeyBackspace})
	}
	for _, r := range "approve" {
		v.Update(press(string(r)))
	}
	v.Update(tea.KeyPressMsg{Code: tea.KeyTab})
	for _, r := range "peak confirmed" {
		v.Update(press(string(r)))
	}
	_, cmd = v.Update(press("enter"))
	run(v, cmd)
	if len(decided) != 1 || decided[0] != "act_1 approve peak confirmed" {
		t.Fatalf("decisions: %v", decided)
	}
	v.Update(press("j"))
	_, cmd = v.Update(press("enter"))
	if v.Capturing() {
		t.Fatal("a request that is not mine to decide opens no form")
	}
	_ = cmd
}
