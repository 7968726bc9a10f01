package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/auth"
	"github.com/vigie-dev/vigie/platform/policy"
	"github.com/vigie-dev/vigie/platform/store"
)

// clock is a settable clock for the server.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// withConfig replaces the test configuration: edit gets testConfig and returns the file.
func withConfig(t *testing.T, edit func(string) string) func(*Options) {
	return func(o *Options) {
		cfg, err := policy.Parse("server.yaml", []byte(edit(testConfig)))
		if err != nil {
			t.Fatal(err)
		}
		o.Config = cfg
	}
}

func (e *env) decide(who, id string, decision api.Decision, why string) response {
	e.t.Helper()
	return e.do("POST", "/v1/approvals/"+id, who, api.DecisionRequest{Decision: decision, Reason: why})
}

func (e *env) approvals(who, query string) []api.Approval {
	e.t.Helper()
	r := e.do("GET", "/v1/approvals"+query, who, nil)
	var out api.ApprovalsResponse
	if err := json.Unmarshal(r.body, &out); err != nil || r.status != 200 {
		e.t.Fatalf("GET /v1/approvals%s as %s: %d %s", query, who, r.status, r.body)
	}
	return out.Approvals
}

func (r response) approval(t *testing.T) api.Approval {
	t.Helper()
	var a api.Approval
	if err := json.Unmarshal(r.body, &a); err != nil || a.ID == "" {
		t.Fatalf("not an approval (%d): %s", r.status, r.body)
	}
	return a
}

// ask sends olivia's (oncall) production scale, which the policy sends for approval.
func (e *env) ask(replicas int32, expect *api.Expect) api.Outcome {
	e.t.Helper()
	req := scaleReq("payments", "checkout", replicas, reason)
	req.Expect = expect
	r := e.do("POST", "/v1/actions", "olivia", req)
	if r.status != 202 {
		e.t.Fatalf("olivia's scale: %d %s", r.status, r.body)
	}
	return r.outcome(e.t)
}

func (e *env) storedApproval(id string) store.Approval {
	e.t.Helper()
	a, err := e.store.GetApproval(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// recordsOf returns the audit records of one action, in order.
func (e *env) recordsOf(actionID string) []api.AuditRecord {
	e.t.Helper()
	var out []api.AuditRecord
	for _, r := range e.records() {
		if r.ActionID == actionID {
			out = append(out, r)
		}
	}
	return out
}

// An approved request runs exactly once, even when two approvers approve it at the same
// moment: one gets the outcome, the other a 409.
func TestApprovalRunsOnce(t *testing.T) {
	e := newEnv(t)
	req := scaleReq("payments", "checkout", 4, reason)
	req.IdempotencyKey = "inc-1234-scale"
	r := e.do("POST", "/v1/actions", "olivia", req)
	o := r.outcome(t)
	if r.status != 202 || !strings.Contains(o.Message, "a lead or admin of payments may approve it (POST /v1/approvals/"+o.ID+")") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// A retry with the same key is the same request: no second approval.
	if again := e.do("POST", "/v1/actions", "olivia", req); again.status != 202 || again.outcome(t).ID != o.ID || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %s", again.status, again.body)
	}

	list := e.approvals("lena", "")
	if len(list) != 1 {
		t.Fatalf("lena sees %d approvals", len(list))
	}
	a := list[0]
	if a.ID != o.ID || a.Status != api.ApprovalPending || a.Requester != "olivia" || a.Role != api.RoleOncall || a.Team != "payments" ||
		a.Environment != api.EnvProduction || !a.MayDecide || *a.Request.Params.Replicas != 4 || a.Request.Reason != reason ||
		a.Request.IdempotencyKey != "inc-1234-scale" || !a.ExpiresAt.Equal(a.CreatedAt.Add(time.Hour)) {
		t.Errorf("lena's view: %+v", a)
	}
	for who, want := range map[string]string{"olivia": "[false]", "alice": "[false]", "ada": "[true]", "readonly": "[false]", "bob": "[]"} {
		var may []bool
		for _, a := range e.approvals(who, "") {
			may = append(may, a.MayDecide)
		}
		if fmt.Sprint(may) != want {
			t.Errorf("%s sees %v, want %s", who, may, want)
		}
	}
	if r := e.do("GET", "/v1/approvals?team=payments", "bob", nil); r.status != 403 {
		t.Errorf("bob reads payments' approvals: %d", r.status)
	}
	for _, q := range []string{"?status=maybe", "?limit=0", "?limit=501"} {
		if r := e.do("GET", "/v1/approvals"+q, "lena", nil); r.status != 400 || r.errorBody(t).Code != api.CodeInvalid {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	if r := e.do("GET", "/v1/approvals", "", nil); r.status != 401 {
		t.Errorf("no token: %d", r.status)
	}

	// lena and ada approve at the same moment.
	answers := map[string]response{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, who := range []string{"lena", "ada"} {
		wg.Go(func() {
			<-start
			r := e.decide(who, o.ID, api.DecisionApprove, "capacity for the sale")
			mu.Lock()
			answers[who] = r
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	winner, loser := "lena", "ada"
	if answers["ada"].status == 200 {
		winner, loser = "ada", "lena"
	}
	won, lost := answers[winner], answers[loser]
	if won.status != 200 || lost.status != 409 {
		t.Fatalf("lena %d %s\nada %d %s", answers["lena"].status, answers["lena"].body, answers["ada"].status, answers["ada"].body)
	}
	if n := e.kube.Updates.Load(); n != 1 {
		t.Fatalf("%d updates, want exactly 1", n)
	}
	if got := *e.kube.Get("payments", "checkout").Spec.Replicas; got != 4 {
		t.Errorf("replicas %d, want 4", got)
	}
	ap := won.approval(t)
	if ap.Status != api.ApprovalExecuted || ap.DecidedBy != winner || ap.DecisionReason != "capacity for the sale" || ap.DecidedAt == nil ||
		ap.Outcome == nil || ap.Outcome.Status != api.StatusSucceeded || ap.Outcome.Changes[0] != (api.Change{Field: "spec.replicas", From: "3", To: "4"}) || ap.MayDecide {
		t.Errorf("winner's answer: %s", won.body)
	}
	if eb := lost.errorBody(t); eb.Code != api.CodeConflict || !strings.Contains(eb.Message, "already approved by "+winner) || eb.Details["auditId"] == "" {
		t.Errorf("loser's answer: %s", lost.body)
	}
	if st := e.storedApproval(o.ID); st.State != store.ApprovalExecuted || st.DecidedBy != winner || st.FinishedAt.IsZero() {
		t.Errorf("stored: %+v", st)
	}
	// Decided: no longer pending, and never run again.
	if r := e.decide("lena", o.ID, api.DecisionApprove, ""); r.status != 409 {
		t.Errorf("approving again: %d %s", r.status, r.body)
	}
	if len(e.approvals("lena", "")) != 0 || len(e.approvals("lena", "?status=executed")) != 1 || len(e.approvals("olivia", "?status=all&team=payments")) != 1 {
		t.Error("listing by status")
	}
	if n := e.kube.Updates.Load(); n != 1 {
		t.Fatalf("%d updates, want exactly 1", n)
	}

	// The trail: the request, the decision, the run naming both, the loser's refusal.
	// (The refusals, the loser's and lena's second try, come whenever they happened.)
	var trail, refusals []string
	for _, rec := range e.recordsOf(o.ID) {
		line := fmt.Sprintf("%s/%s/%s/%s/%s", rec.Type, rec.Status, rec.User, rec.Approver, rec.Role)
		if rec.Type == api.AuditDenied {
			refusals = append(refusals, line)
			continue
		}
		trail = append(trail, line)
	}
	run := fmt.Sprintf("[requested/pending_approval/olivia//oncall decided/approved/%s//%s requested//olivia/%s/oncall outcome/succeeded/olivia/%s/oncall]",
		winner, roleOf(winner), winner, winner)
	if fmt.Sprint(trail) != run {
		t.Errorf("audit trail %v\nwant %s", trail, run)
	}
	if want := fmt.Sprintf("[denied/denied/%s//%s denied/denied/lena//lead]", loser, roleOf(loser)); fmt.Sprint(refusals) != want {
		t.Errorf("refusals %v, want %s", refusals, want)
	}
	e.verify()
}

func roleOf(who string) string {
	return map[string]string{"lena": "lead", "ada": "admin"}[who]
}

// Only another member of the owning team, with a write token and a role the policy
// allows to run the action itself, decides; every refusal is audited and changes nothing.
func TestWhoMayDecide(t *testing.T) {
	e := newEnv(t, withConfig(t, func(c string) string {
		return strings.Replace(c, "  olivia: {payments: oncall}\n", "  olivia: {payments: oncall}\n  oscar: {payments: oncall}\n", 1)
	}))
	e.tokens["oscar"] = e.token(auth.New(e.store, nil), auth.CreateOptions{User: "oscar", TTL: time.Hour})
	o := e.ask(5, nil)
	for _, c := range []struct {
		who      string
		decision api.Decision
		status   int
		code     string
		msg      string
	}{
		{"olivia", api.DecisionApprove, 403, api.CodeForbidden, "olivia asked for this scale: another member of payments must approve or reject it"},
		{"olivia", api.DecisionReject, 403, api.CodeForbidden, "olivia asked for this scale"},
		{"alice", api.DecisionApprove, 403, api.CodeForbidden, "alice may not approve or reject this scale: no policy rule allows scale to members"},
		{"oscar", api.DecisionApprove, 403, api.CodeForbidden, "oncalls of payments need an approval to scale in production namespaces themselves, so oscar cannot approve or reject one (who can: lead, admin)"},
		{"bob", api.DecisionApprove, 403, api.CodeForbidden, "bob is not a member of team payments"},
		{"readonly", api.DecisionApprove, 403, api.CodeReadOnly, "read-only"},
		{"expired", api.DecisionApprove, 401, api.CodeUnauthenticated, "expired"},
		{"", api.DecisionApprove, 401, api.CodeUnauthenticated, "no token"},
	} {
		r := e.decide(c.who, o.ID, c.decision, "")
		eb := r.errorBody(t)
		if r.status != c.status || eb.Code != c.code || !strings.Contains(eb.Message, c.msg) {
			t.Errorf("%s %s: %d %s, want %d %s %q", c.who, c.decision, r.status, r.body, c.status, c.code, c.msg)
			continue
		}
		rec := e.recordByID(eb.Details["auditId"])
		if rec.Type != api.AuditDenied || rec.ActionID != o.ID || rec.Code != c.code {
			t.Errorf("%s: audit record %+v", c.who, rec)
		}
		if c.status == 403 && (rec.Team != "payments" || rec.User != strings.Replace(c.who, "readonly", "ada", 1) || rec.Kind != api.ActionScale) {
			t.Errorf("%s: audit record %+v", c.who, rec)
		}
	}
	if e.kube.Updates.Load() != 0 || e.storedApproval(o.ID).State != store.ApprovalPending {
		t.Fatal("a refused decision changed something")
	}
	// A lead still may.
	if r := e.decide("lena", o.ID, api.DecisionApprove, ""); r.status != 200 || r.approval(t).Status != api.ApprovalExecuted {
		t.Fatalf("lena: %d %s", r.status, r.body)
	}
	if *e.kube.Get("payments", "checkout").Spec.Replicas != 5 {
		t.Error("not scaled")
	}
	e.verify()
}

func TestRejectRunsNothing(t *testing.T) {
	e := newEnv(t)
	o := e.ask(6, nil)
	r := e.decide("lena", o.ID, api.DecisionReject, "not during the sale freeze")
	a := r.approval(t)
	if r.status != 200 || a.Status != api.ApprovalRejected || a.DecidedBy != "lena" || a.DecisionReason != "not during the sale freeze" || a.Outcome != nil {
		t.Fatalf("reject: %d %s", r.status, r.body)
	}
	r = e.decide("ada", o.ID, api.DecisionApprove, "")
	if eb := r.errorBody(t); r.status != 409 || eb.Code != api.CodeConflict || !strings.Contains(eb.Message, "already rejected by lena") {
		t.Errorf("approve after reject: %d %s", r.status, r.body)
	}
	if e.kube.Updates.Load() != 0 {
		t.Fatal("a rejected request ran")
	}
	recs := e.recordsOf(o.ID)
	if len(recs) != 3 || recs[1].Type != api.AuditDecided || recs[1].Status != api.ApprovalRejected || recs[1].User != "lena" ||
		recs[1].Reason != "not during the sale freeze" || recs[1].Message != "lena rejected olivia's scale of payments/checkout" {
		t.Errorf("records %+v", recs)
	}
	if got := e.approvals("olivia", "?status=rejected"); len(got) != 1 || got[0].MayDecide {
		t.Errorf("olivia's rejected requests: %+v", got)
	}
	e.verify()
}

// A request nobody decides in time (limits.approvalTTL) expires: deciding it answers 410
// and marks it expired; listing marks the others.
func TestApprovalExpires(t *testing.T) {
	clk := &clock{t: time.Now()}
	e := newEnv(t, func(o *Options) { o.Now = clk.Now }, withConfig(t, func(c string) string {
		return strings.Replace(c, "limits: {maxReplicas: 8}", "limits: {maxReplicas: 8, approvalTTL: 10m}", 1)
	}))
	o := e.ask(4, nil)
	if !strings.Contains(o.Message, "until "+clk.Now().UTC().Add(10*time.Minute).Format(time.RFC3339)) {
		t.Errorf("message %q", o.Message)
	}
	a := e.approvals("lena", "")[0]
	if !a.ExpiresAt.Equal(a.CreatedAt.Add(10 * time.Minute)) {
		t.Errorf("expires %v, created %v", a.ExpiresAt, a.CreatedAt)
	}
	clk.Add(10 * time.Minute)
	r := e.decide("lena", o.ID, api.DecisionApprove, "")
	eb := r.errorBody(t)
	if r.status != 410 || eb.Code != api.CodeExpired || !strings.Contains(eb.Message, "expired at") {
		t.Fatalf("approving an expired request: %d %s", r.status, r.body)
	}
	if st := e.storedApproval(o.ID); st.State != store.ApprovalExpired || st.DecidedBy != "" {
		t.Errorf("stored %+v", st)
	}
	if rec := e.recordByID(eb.Details["auditId"]); rec.Type != api.AuditDenied || rec.Code != api.CodeExpired || rec.User != "lena" {
		t.Errorf("record %+v", rec)
	}
	if r := e.decide("ada", o.ID, api.DecisionReject, ""); r.status != 410 {
		t.Errorf("rejecting an expired request: %d %s", r.status, r.body)
	}

	o2 := e.ask(5, nil)
	clk.Add(11 * time.Minute)
	if got := e.approvals("lena", ""); len(got) != 0 {
		t.Errorf("pending after expiry: %+v", got)
	}
	if e.storedApproval(o2.ID).State != store.ApprovalExpired {
		t.Error("listing did not mark the request expired")
	}
	if got := e.approvals("olivia", "?status=expired"); len(got) != 2 {
		t.Errorf("%d expired", len(got))
	}
	if e.kube.Updates.Load() != 0 {
		t.Fatal("an expired request ran")
	}
	e.verify()
}

// The request's precondition is checked when it runs: a target that changed since the
// request is a 409, recorded, and the request ends failed.
func TestStalePreconditionAtApproval(t *testing.T) {
	e := newEnv(t)
	o := e.ask(7, &api.Expect{ResourceVersion: "10"})
	e.kube.Bump("payments", "checkout") // someone else changed it meanwhile
	r := e.decide("lena", o.ID, api.DecisionApprove, "")
	eb := r.errorBody(t)
	if r.status != 409 || eb.Code != api.CodeConflict || eb.Message != "deployment payments/checkout changed since it was requested (resourceVersion 10, now 11): nothing was done; look at it again and ask again" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if e.kube.Updates.Load() != 0 {
		t.Fatal("a stale request ran")
	}
	rec := e.recordByID(eb.Details["auditId"])
	if rec.Type != api.AuditOutcome || rec.Status != api.StatusFailed || rec.Code != api.CodeConflict || rec.User != "olivia" || rec.Approver != "lena" || rec.ActionID != o.ID {
		t.Errorf("outcome record %+v", rec)
	}
	st := e.storedApproval(o.ID)
	var out api.ApprovalOutcome
	if err := json.Unmarshal(st.Outcome, &out); err != nil || st.State != store.ApprovalFailed || out.Code != api.CodeConflict || out.AuditID != rec.ID || out.Message != eb.Message {
		t.Errorf("stored %+v %s", st, st.Outcome)
	}
	if a := e.approvals("olivia", "?status=failed"); len(a) != 1 || a[0].Outcome == nil || a[0].Outcome.Code != api.CodeConflict {
		t.Errorf("listed %+v", a)
	}
	if r := e.decide("ada", o.ID, api.DecisionApprove, ""); r.status != 409 || !strings.Contains(r.errorBody(t).Message, "already approved by lena") {
		t.Errorf("approving a failed request: %d %s", r.status, r.body)
	}
	e.verify()
}

func TestDecisionValidation(t *testing.T) {
	e := newEnv(t)
	o := e.ask(4, nil)
	for _, c := range []struct {
		id, body string
		status   int
		code     string
	}{
		{o.ID, `{"decision":"maybe"}`, 400, api.CodeInvalid},
		{o.ID, `{"decision":"approve","extra":1}`, 400, api.CodeInvalid},
		{o.ID, `not json`, 400, api.CodeInvalid},
		{o.ID, `{"decision":"approve","reason":"` + strings.Repeat("x", 1025) + `"}`, 400, api.CodeInvalid},
		{o.ID, `{"decision":"approve","reason":"a\u0007b"}`, 400, api.CodeInvalid},
		{"act_0000000000000000", `{"decision":"approve"}`, 404, api.CodeNotFound},
		{"a.b", `{"decision":"approve"}`, 400, api.CodeInvalid},
	} {
		r := e.do("POST", "/v1/approvals/"+c.id, "lena", c.body)
		if r.status != c.status || r.errorBody(t).Code != c.code || r.errorBody(t).Details["auditId"] == "" {
			t.Errorf("%s %.40s: %d %s", c.id, c.body, r.status, r.body)
		}
	}
	if e.kube.Updates.Load() != 0 || e.storedApproval(o.ID).State != store.ApprovalPending {
		t.Fatal("an invalid decision changed something")
	}
	e.verify()
}

// Options.ApprovalTTL wins over the configuration's; both default to an hour.
func TestApprovalTTLOption(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.ApprovalTTL = 3 * time.Minute })
	if e.srv.o.ApprovalTTL != 3*time.Minute {
		t.Errorf("ApprovalTTL %v", e.srv.o.ApprovalTTL)
	}
	if e := newEnv(t); e.srv.o.ApprovalTTL != time.Hour {
		t.Errorf("default ApprovalTTL %v", e.srv.o.ApprovalTTL)
	}
}
