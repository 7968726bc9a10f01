//go:build integration

package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/auth"
	"github.com/vigie-dev/vigie/platform/policy"
	"github.com/vigie-dev/vigie/platform/store"
	"github.com/vigie-dev/vigie/sources/platform"
)

// approvalConfig maps the payments namespace to production, where an oncall's scale
// needs an approval and a lead's is allowed.
const approvalConfig = `
teams:
  payments:
    namespaces: {payments: production}
    selector: team=payments
users:
  alice: {payments: oncall}
  lena: {payments: lead}
policy:
  production:
    scale: {oncall: approval, lead: allow}
limits: {maxReplicas: 5, approvalTTL: 15m}
`

// TestApprovalOnTheCluster: alice (oncall) asks to scale a throw-away Deployment in a
// production namespace and gets 202; nothing changes; lena (lead) approves it and the
// real Deployment scales. A second request, whose Deployment changed after it was made,
// is refused at approval time (409) and changes nothing. Both through the Go client.
func TestApprovalOnTheCluster(t *testing.T) {
	cs := adminClient(t)
	name := throwAwayDeployment(t, cs)

	cfg, err := policy.Parse("approval.yaml", []byte(approvalConfig))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "platform.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	logs := &syncBuffer{}
	srv, err := New(Options{Config: cfg, Store: st, Kube: cs, Logger: slog.New(slog.NewJSONHandler(logs, nil)), ActionTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	e := &env{t: t, srv: srv, ts: ts, store: st, logs: logs, tokens: map[string]string{}}
	clients := map[string]*platform.Client{}
	for _, u := range []string{"alice", "lena"} {
		e.tokens[u] = e.token(auth.New(st, nil), auth.CreateOptions{User: u, TTL: time.Hour})
		c, err := platform.New(platform.Options{URL: ts.URL, Token: e.tokens[u], Timeout: 40 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		clients[u] = c
	}
	ctx := context.Background()
	const why = "approvals: vigie integration test"

	before := settle(t, cs, name)
	three := int32(3)
	asked, err := clients["alice"].Act(ctx, api.ActionRequest{Kind: api.ActionScale, Target: api.Target{Namespace: "payments", Name: name},
		Params: api.Params{Replicas: &three}, Reason: why})
	if err != nil || asked.Status != api.StatusPendingApproval {
		t.Fatalf("alice's scale: %+v, %v", asked, err)
	}
	if after := get(t, cs, name); after.ResourceVersion != before.ResourceVersion || *after.Spec.Replicas != 1 {
		t.Fatal("a request waiting for an approval changed the deployment")
	}
	list, err := clients["lena"].Approvals(ctx, platform.ApprovalQuery{Team: "payments"})
	if err != nil || len(list.Approvals) != 1 || list.Approvals[0].ID != asked.ID || !list.Approvals[0].MayDecide ||
		list.Approvals[0].Requester != "alice" || list.Approvals[0].Environment != api.EnvProduction {
		t.Fatalf("lena's approvals: %+v, %v", list, err)
	}
	if a := list.Approvals[0]; !a.ExpiresAt.Equal(a.CreatedAt.Add(15 * time.Minute)) {
		t.Errorf("expires %v, created %v: want limits.approvalTTL", a.ExpiresAt, a.CreatedAt)
	}
	var pe *platform.Error
	if _, err := clients["alice"].Decide(ctx, asked.ID, api.DecisionApprove, "me"); !errors.As(err, &pe) || pe.Code != api.CodeForbidden {
		t.Fatalf("alice approving her own request: %v", err)
	}

	approved, err := clients["lena"].Decide(ctx, asked.ID, api.DecisionApprove, "capacity check done")
	if err != nil {
		t.Fatalf("lena approves: %v", err)
	}
	if approved.Status != api.ApprovalExecuted || approved.DecidedBy != "lena" || approved.Outcome == nil ||
		len(approved.Outcome.Changes) != 1 || approved.Outcome.Changes[0] != (api.Change{Field: "spec.replicas", From: "1", To: "3"}) {
		t.Fatalf("approved: %+v", approved)
	}
	if after := get(t, cs, name); *after.Spec.Replicas != 3 {
		t.Fatalf("replicas %d after the approval, want 3", *after.Spec.Replicas)
	}
	if _, err := clients["lena"].Decide(ctx, asked.ID, api.DecisionApprove, ""); !errors.As(err, &pe) || pe.Code != api.CodeConflict {
		t.Errorf("approving twice: %v", err)
	}
	if rec := e.recordByID(approved.Outcome.AuditID); rec.Type != api.AuditOutcome || rec.User != "alice" || rec.Approver != "lena" || rec.Status != api.StatusSucceeded {
		t.Errorf("outcome record %+v", rec)
	}

	// The second request carries the Deployment's resourceVersion; the Deployment changes
	// before lena approves: the approval runs nothing.
	before = settle(t, cs, name)
	two := int32(2)
	asked, err = clients["alice"].Act(ctx, api.ActionRequest{Kind: api.ActionScale, Target: api.Target{Namespace: "payments", Name: name},
		Params: api.Params{Replicas: &two}, Reason: why, Expect: &api.Expect{ResourceVersion: before.ResourceVersion}})
	if err != nil || asked.Status != api.StatusPendingApproval {
		t.Fatalf("alice's second scale: %+v, %v", asked, err)
	}
	d := get(t, cs, name)
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations["vigie.dev/integration-test"] = "changed after the request"
	if _, err := cs.AppsV1().Deployments("payments").Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	changed := get(t, cs, name)
	_, err = clients["lena"].Decide(ctx, asked.ID, api.DecisionApprove, "")
	if !errors.As(err, &pe) || pe.Status != 409 || pe.Code != api.CodeConflict || !strings.Contains(pe.Message, "changed since it was requested") {
		t.Fatalf("approving a stale request: %v", err)
	}
	if after := get(t, cs, name); *after.Spec.Replicas != 3 || after.Generation != changed.Generation {
		t.Errorf("a stale approved request changed the deployment: replicas %d", *after.Spec.Replicas)
	}
	failed, err := clients["alice"].Approvals(ctx, platform.ApprovalQuery{Status: api.ApprovalFailed})
	if err != nil || len(failed.Approvals) != 1 || failed.Approvals[0].Outcome.Code != api.CodeConflict {
		t.Errorf("alice's failed requests: %+v, %v", failed, err)
	}
	e.verify()
}
