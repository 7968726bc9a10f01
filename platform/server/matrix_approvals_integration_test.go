//go:build integration

package server

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/store"
)

// approvalListRows is the matrix of GET /v1/approvals. Reads are not audited.
var approvalListRows = []struct {
	want  statuses
	name  string
	query string
}{
	//        none bad  exp  othr mbr  onc  lead adm  r-o
	{statuses{401, 401, 401, 200, 200, 200, 200, 200, 200}, "the caller's teams and own", ""},
	{statuses{401, 401, 401, 403, 200, 200, 200, 200, 200}, "team=payments", "?team=payments"},
}

// decisionRows is the matrix of POST /v1/approvals/{id} on olivia's (oncall) scale,
// which the policy sends for an approval: only a role that may scale itself (lead,
// admin) may decide it, never the requester (self-approval), never a read-only session.
var decisionRows = []struct {
	want     statuses
	decision api.Decision
}{
	//        none bad  exp  othr mbr  onc  lead adm  r-o
	{statuses{401, 401, 401, 403, 403, 403, 200, 200, 403}, api.DecisionApprove},
	{statuses{401, 401, 401, 403, 403, 403, 200, 200, 403}, api.DecisionReject},
}

// What each refused decider is told (the requester: a self-approval).
var decisionRefusals = map[string]string{
	"bob":      "bob is not a member of team payments",
	"alice":    "alice may not approve or reject this scale",
	"olivia":   "olivia asked for this scale: another member of payments must approve or reject it",
	"readonly": "this token is read-only",
}

// TestAuthorizationMatrixApprovals: the approval requests' list and decisions × every
// identity, on the real apiserver. A refused decision leaves the request pending and the
// Deployment unchanged (nothing ran) and an audit record naming the request; an approval
// runs the scale once; a rejection runs nothing; deciding twice is a conflict.
func TestAuthorizationMatrixApprovals(t *testing.T) {
	cs := adminClient(t)
	e := matrixEnv(t, cs, "")
	name := throwAwayDeployment(t, cs)
	why := matrixWhy()
	ask := func(t *testing.T, n int32) string {
		t.Helper()
		r := e.do("POST", "/v1/actions", "olivia", scaleReq("payments", name, n, why))
		if r.status != 202 {
			t.Fatalf("olivia's scale to %d: %d %s", n, r.status, r.body)
		}
		return r.outcome(t).ID
	}
	pending := ask(t, 2)
	mayDecide := []string{"lena", "ada"}

	for _, row := range approvalListRows {
		for i, id := range identities {
			t.Run("list "+row.name+"/"+id.label, func(t *testing.T) {
				n := len(e.records())
				r := e.do("GET", "/v1/approvals"+row.query, id.who, nil)
				checkReadAudit(t, e, n, r, id)
				if r.status != row.want[i] {
					t.Fatalf("%d %s, want %d", r.status, r.body, row.want[i])
				}
				if r.status != 200 {
					if eb := r.errorBody(t); r.status == 403 && eb.Code != api.CodeForbidden {
						t.Errorf("code %s", eb.Code)
					}
					return
				}
				var out api.ApprovalsResponse
				if err := json.Unmarshal(r.body, &out); err != nil {
					t.Fatal(err)
				}
				if id.who == "bob" {
					if len(out.Approvals) != 0 || strings.Contains(string(r.body), "payments") {
						t.Errorf("the other team's member sees payments' requests: %s", r.body)
					}
					return
				}
				if len(out.Approvals) != 1 || out.Approvals[0].ID != pending || out.Approvals[0].Requester != "olivia" ||
					out.Approvals[0].MayDecide != slices.Contains(mayDecide, id.who) {
					t.Errorf("approvals %+v (mayDecide wanted: %v)", out.Approvals, slices.Contains(mayDecide, id.who))
				}
			})
		}
	}

	replicas := int32(2)
	var executed string // an approval lena approved (and that ran)
	for _, row := range decisionRows {
		for i, id := range identities {
			want := row.want[i]
			t.Run(string(row.decision)+"/"+id.label, func(t *testing.T) {
				target := pending
				if want == 200 { // each allowed decision on a request of its own
					replicas = replicas%5 + 1
					target = ask(t, replicas)
				}
				before := settle(t, cs, name)
				r := e.do("POST", "/v1/approvals/"+target, id.who, api.DecisionRequest{Decision: row.decision, Reason: why})
				if r.status != want {
					t.Fatalf("%s by %s: %d %s, want %d", row.decision, id.label, r.status, r.body, want)
				}
				after := get(t, cs, name)
				stored, err := e.store.GetApproval(context.Background(), target)
				if err != nil {
					t.Fatal(err)
				}
				if want != 200 {
					kind := api.ActionScale
					if want == 401 {
						kind = "" // refused before the request is read
					}
					rec := checkRefusal(t, e, r, id, kind)
					if msg := decisionRefusals[id.who]; msg != "" && !strings.Contains(r.errorBody(t).Message, msg) {
						t.Errorf("message %q, want %q", r.errorBody(t).Message, msg)
					}
					if rec.ActionID != target || stored.State != store.ApprovalPending || after.ResourceVersion != before.ResourceVersion {
						t.Errorf("refused, yet: record action %s, approval %s, deployment rv %s -> %s", rec.ActionID, stored.State, before.ResourceVersion, after.ResourceVersion)
					}
					return
				}
				a := r.approval(t)
				switch row.decision {
				case api.DecisionApprove:
					if a.Status != api.ApprovalExecuted || a.DecidedBy != id.user || a.Outcome == nil || *after.Spec.Replicas != replicas {
						t.Fatalf("approved: %+v, replicas %d, want %d", a, *after.Spec.Replicas, replicas)
					}
					if rec := e.recordByID(a.Outcome.AuditID); rec.Type != api.AuditOutcome || rec.User != "olivia" || rec.Approver != id.user || rec.Status != api.StatusSucceeded {
						t.Errorf("outcome record %+v", rec)
					}
					if executed == "" {
						executed = target
					}
				case api.DecisionReject:
					if a.Status != api.ApprovalRejected || stored.State != store.ApprovalRejected || after.ResourceVersion != before.ResourceVersion {
						t.Errorf("rejected: %+v, deployment rv %s -> %s", a, before.ResourceVersion, after.ResourceVersion)
					}
				}
			})
		}
	}

	// Deciding a request again is a conflict, audited; it runs nothing more.
	before := settle(t, cs, name)
	r := e.do("POST", "/v1/approvals/"+executed, "ada", api.DecisionRequest{Decision: api.DecisionApprove, Reason: why})
	if eb := r.errorBody(t); r.status != 409 || eb.Code != api.CodeConflict {
		t.Fatalf("approving an executed request again: %d %s", r.status, r.body)
	}
	checkRefusal(t, e, r, identities[7], api.ActionScale)
	if after := get(t, cs, name); after.ResourceVersion != before.ResourceVersion {
		t.Error("a second approval changed the deployment")
	}
	if a, _ := e.store.GetApproval(context.Background(), pending); a.State != store.ApprovalPending {
		t.Errorf("after every refusal, olivia's first request is %s", a.State)
	}
	e.verify()
}
