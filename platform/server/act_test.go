package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/vigie-dev/vigie/platform/actions"
	"github.com/vigie-dev/vigie/platform/api"
)

// slowGet delays every Deployment get, closing started at the first one.
func slowGet(started chan struct{}, d time.Duration) k8stesting.ReactionFunc {
	var once sync.Once
	return func(k8stesting.Action) (bool, runtime.Object, error) {
		once.Do(func() { close(started) })
		time.Sleep(d)
		return false, nil, nil
	}
}

func TestScaleRunsAndIsAudited(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/v1/actions", "lena", scaleReq("payments", "checkout", 5, reason))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	o := r.outcome(t)
	if o.Status != api.StatusSucceeded || o.Message != "scaled deployment payments/checkout from 3 to 5 replicas" || o.ResourceVersion != "11" ||
		len(o.Changes) != 1 || o.Changes[0] != (api.Change{Field: "spec.replicas", From: "3", To: "5"}) || o.DryRun {
		t.Errorf("outcome %+v", o)
	}
	if d := e.kube.Get("payments", "checkout"); *d.Spec.Replicas != 5 {
		t.Errorf("replicas %d", *d.Spec.Replicas)
	}
	recs := e.records()
	if len(recs) != 2 {
		t.Fatalf("%d records, want requested and outcome", len(recs))
	}
	req, out := recs[0], recs[1]
	if req.Type != api.AuditRequested || out.Type != api.AuditOutcome || req.ActionID != o.ID || out.ActionID != o.ID || out.ID != o.AuditID {
		t.Errorf("records %+v / %+v", req, out)
	}
	for _, rec := range recs {
		if rec.User != "lena" || rec.Team != "payments" || rec.Role != api.RoleLead || rec.Reason != reason ||
			*rec.Target != (api.Target{Namespace: "payments", Name: "checkout"}) || *rec.Params.Replicas != 5 || rec.RequestID != r.header.Get("X-Request-ID") || rec.TokenID == "" {
			t.Errorf("record %+v", rec)
		}
	}
	if out.Status != api.StatusSucceeded || out.Changes[0].To != "5" {
		t.Errorf("outcome record %+v", out)
	}
	e.verify()
}

func TestRestartSetsRestartedAt(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/v1/actions", "alice", restartReq("payments-staging", "checkout", ""))
	o := r.outcome(t)
	at := e.kube.Get("payments-staging", "checkout").Spec.Template.Annotations[actions.RestartedAtAnnotation]
	if r.status != 200 || at == "" || o.Changes[0].To != at {
		t.Fatalf("%d %s; restartedAt %q", r.status, r.body, at)
	}
}

// Every refusal is answered with the right status and code, changes nothing, and leaves
// an audit record whose id the answer gives.
func TestRefusalsAreAudited(t *testing.T) {
	n9, neg := int32(9), int32(-1)
	cases := []struct {
		name, who, query string
		body             any
		status           int
		code, msg        string
		auditType        string
	}{
		{"no token", "", "", restartReq("payments", "checkout", reason), 401, api.CodeUnauthenticated, "no token", api.AuditDenied},
		{"bad token", "bad", "", restartReq("payments", "checkout", reason), 401, api.CodeUnauthenticated, "not valid", api.AuditDenied},
		{"expired token", "expired", "", restartReq("payments", "checkout", reason), 401, api.CodeUnauthenticated, "expired", api.AuditDenied},
		{"revoked token", "revoked", "", restartReq("payments", "checkout", reason), 401, api.CodeUnauthenticated, "revoked", api.AuditDenied},
		{"read-only token", "readonly", "", restartReq("payments", "checkout", reason), 403, api.CodeReadOnly, "read-only", api.AuditDenied},
		{"read-only dry run", "readonly", "?dryRun=true", restartReq("payments", "checkout", reason), 403, api.CodeReadOnly, "read-only", api.AuditDenied},
		{"other team", "bob", "", restartReq("payments", "checkout", reason), 403, api.CodeForbidden, "bob is not a member of team payments", api.AuditDenied},
		{"other team's namespace", "lena", "", restartReq("search", "search-api", reason), 403, api.CodeForbidden, "not a member of team search", api.AuditDenied},
		{"namespace of no team", "ada", "", restartReq("kube-system", "coredns", reason), 403, api.CodeForbidden, "belongs to no team", api.AuditDenied},
		{"member in production", "alice", "", scaleReq("payments", "checkout", 4, reason), 403, api.CodeForbidden, "no policy rule allows scale to members", api.AuditDenied},
		{"production without reason", "lena", "", restartReq("payments", "checkout", "because"), 422, api.CodeReasonRequired, "at least 10 characters", api.AuditDenied},
		{"above max replicas", "lena", "", scaleReq("payments", "checkout", n9, reason), 422, api.CodeLimit, "above the limit of 8", api.AuditDenied},
		{"negative replicas", "alice", "", scaleReq("payments-staging", "checkout", neg, ""), 400, api.CodeInvalid, "params.replicas: -1 is negative", api.AuditInvalid},
		{"scale without replicas", "alice", "", `{"kind":"scale","target":{"namespace":"payments-staging","name":"checkout"}}`, 400, api.CodeInvalid, "needs the number of replicas", api.AuditInvalid},
		{"restart with replicas", "alice", "", `{"kind":"restart","target":{"namespace":"payments-staging","name":"checkout"},"params":{"replicas":2}}`, 400, api.CodeInvalid, "restart takes no replicas", api.AuditInvalid},
		{"bad name", "alice", "", restartReq("payments-staging", "Checkout_1", ""), 400, api.CodeInvalid, "target.name", api.AuditInvalid},
		{"unknown kind", "ada", "", `{"kind":"delete","target":{"namespace":"payments","name":"checkout"}}`, 400, api.CodeInvalid, "unknown action \"delete\"", api.AuditInvalid},
		{"unknown field", "ada", "", `{"kind":"restart","target":{"namespace":"payments","name":"checkout"},"force":true}`, 400, api.CodeInvalid, `unknown field "force"`, api.AuditInvalid},
		{"not JSON", "ada", "", `kind=restart`, 400, api.CodeInvalid, "request body", api.AuditInvalid},
		{"two objects", "ada", "", `{"kind":"restart"} {}`, 400, api.CodeInvalid, "more than one JSON value", api.AuditInvalid},
		{"bad dryRun", "ada", "?dryRun=maybe", restartReq("payments", "checkout", reason), 400, api.CodeInvalid, "dryRun", api.AuditInvalid},
		{"control characters in reason", "lena", "", restartReq("payments", "checkout", "INC-1 \x1b[2Jgone"), 400, api.CodeInvalid, "control characters", api.AuditInvalid},
		{"bad idempotency key", "alice", "", api.ActionRequest{Kind: "restart", Target: api.Target{Namespace: "payments-staging", Name: "checkout"}, IdempotencyKey: "a b"}, 400, api.CodeInvalid, "idempotencyKey", api.AuditInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.do("POST", "/v1/actions"+c.query, c.who, c.body)
			eb := r.errorBody(t)
			if r.status != c.status || eb.Code != c.code || !strings.Contains(eb.Message, c.msg) {
				t.Fatalf("got %d %s %q, want %d %s %q", r.status, eb.Code, eb.Message, c.status, c.code, c.msg)
			}
			if n := e.kube.Updates.Load(); n != 0 {
				t.Errorf("%d updates on a refusal", n)
			}
			rec := e.recordByID(eb.Details["auditId"])
			if rec.Type != c.auditType || rec.Code != c.code || rec.Status != api.StatusDenied || rec.Message != eb.Message {
				t.Errorf("audit record %+v", rec)
			}
			if len(e.records()) != 1 {
				t.Errorf("%d records for one refusal", len(e.records()))
			}
			e.verify()
		})
	}
}

func TestUnauthenticatedRecordNamesTheTarget(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/v1/actions", "bad", restartReq("payments", "checkout", strings.Repeat("x", 5000)))
	rec := e.recordByID(r.errorBody(t).Details["auditId"])
	if rec.User != "" || rec.Team != "payments" || rec.Target.Name != "checkout" || len([]rune(rec.Reason)) != 1025 {
		t.Errorf("record %+v", rec)
	}
}

func TestPreconditionAndNotFound(t *testing.T) {
	e := newEnv(t)
	req := scaleReq("payments", "checkout", 4, reason)
	req.Expect = &api.Expect{ResourceVersion: "9"}
	r := e.do("POST", "/v1/actions", "lena", req)
	eb := r.errorBody(t)
	if r.status != 409 || eb.Code != api.CodeConflict || !strings.Contains(eb.Message, "changed since you saw it (resourceVersion 9, now 10)") || eb.Details["actionId"] == "" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if out := e.recordByID(eb.Details["auditId"]); out.Type != api.AuditOutcome || out.Status != api.StatusFailed || out.Code != api.CodeConflict {
		t.Errorf("outcome record %+v", out)
	}
	req.Expect.ResourceVersion = "10"
	if r := e.do("POST", "/v1/actions", "lena", req); r.status != 200 {
		t.Errorf("matching resourceVersion: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/v1/actions", "lena", restartReq("payments", "nope", reason))
	if r.status != 404 || r.errorBody(t).Code != api.CodeNotFound {
		t.Errorf("missing deployment: %d %s", r.status, r.body)
	}
	if e.kube.Updates.Load() != 1 {
		t.Errorf("%d updates", e.kube.Updates.Load())
	}
	e.verify()
}

func TestDryRunChangesNothing(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/v1/actions?dryRun=true", "lena", scaleReq("payments", "checkout", 6, reason))
	o := r.outcome(t)
	if r.status != 200 || !o.DryRun || o.Message != "would scale deployment payments/checkout from 3 to 6 replicas" || o.Changes[0].To != "6" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if e.kube.Updates.Load() != 0 || *e.kube.Get("payments", "checkout").Spec.Replicas != 3 {
		t.Fatal("the dry run changed the deployment")
	}
	for _, rec := range e.records() {
		if !rec.DryRun {
			t.Errorf("record %d is not marked dry run", rec.Seq)
		}
	}
	// An oncall, who needs an approval to scale, may still preview the change.
	if r := e.do("POST", "/v1/actions?dryRun=true", "olivia", scaleReq("payments", "checkout", 6, reason)); r.status != 200 {
		t.Errorf("oncall dry run: %d %s", r.status, r.body)
	}
	// In production, what would change shows before the reason is typed: a dry run needs
	// none; the action itself still does.
	if r := e.do("POST", "/v1/actions?dryRun=true", "lena", scaleReq("payments", "checkout", 5, "")); r.status != 200 || !r.outcome(t).DryRun {
		t.Errorf("production dry run without a reason: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/v1/actions", "lena", scaleReq("payments", "checkout", 5, "")); r.status != 422 || r.errorBody(t).Code != api.CodeReasonRequired {
		t.Errorf("production scale without a reason: %d %s", r.status, r.body)
	}
	if e.kube.Updates.Load() != 0 {
		t.Error("a dry run or a refusal changed the deployment")
	}
}

func TestApprovalIsPendingAndRunsNothing(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/v1/actions", "olivia", scaleReq("payments", "checkout", 4, reason))
	o := r.outcome(t)
	if r.status != 202 || o.Status != api.StatusPendingApproval || !strings.Contains(o.Message, "needs an approval") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if e.kube.Updates.Load() != 0 {
		t.Fatal("an action waiting for approval ran")
	}
	if rec := e.recordByID(o.AuditID); rec.Type != api.AuditRequested || rec.Status != api.StatusPendingApproval || rec.ActionID != o.ID {
		t.Errorf("record %+v", rec)
	}
}

func TestIdempotency(t *testing.T) {
	e := newEnv(t)
	req := scaleReq("payments-staging", "checkout", 2, "")
	req.IdempotencyKey = "deploy-42"
	first := e.do("POST", "/v1/actions", "alice", req)
	second := e.do("POST", "/v1/actions", "alice", req)
	if first.status != 200 || second.status != 200 || string(first.body) != string(second.body) {
		t.Fatalf("first %d %s\nsecond %d %s", first.status, first.body, second.status, second.body)
	}
	if second.header.Get("Idempotent-Replayed") != "true" || first.header.Get("Idempotent-Replayed") != "" {
		t.Error("Idempotent-Replayed header")
	}
	if n := e.kube.Updates.Load(); n != 1 {
		t.Fatalf("%d updates for one key", n)
	}
	// The same key for another request is refused; another user's key is their own.
	other := req
	other.Params.Replicas = new(int32)
	r := e.do("POST", "/v1/actions", "alice", other)
	if r.status != 409 || r.errorBody(t).Code != api.CodeIdempotency || !strings.Contains(r.errorBody(t).Message, "different request") {
		t.Errorf("reused key: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/v1/actions", "lena", req); r.status != 200 || r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("lena's deploy-42: %d %s", r.status, r.body)
	}
	// A refused request (the key is never claimed) can be retried with the same key.
	bad := restartReq("payments", "checkout", "short")
	bad.IdempotencyKey = "retry-me"
	if r := e.do("POST", "/v1/actions", "lena", bad); r.status != 422 {
		t.Fatalf("short reason: %d", r.status)
	}
	bad.Reason = reason
	if r := e.do("POST", "/v1/actions", "lena", bad); r.status != 200 {
		t.Errorf("retry with a reason: %d %s", r.status, r.body)
	}
	e.verify()
}

// Concurrent duplicates: one runs, the others wait for it and get its answer.
func TestIdempotencyConcurrentDuplicates(t *testing.T) {
	e := newEnv(t)
	started := make(chan struct{})
	e.kube.PrependReactor("get", "deployments", slowGet(started, 200*time.Millisecond))
	req := restartReq("payments", "checkout", reason)
	req.IdempotencyKey = "page-7"
	const n = 8
	answers := make([]response, n)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() { answers[i] = e.do("POST", "/v1/actions", "lena", req) })
	}
	wg.Wait()
	if u := e.kube.Updates.Load(); u != 1 {
		t.Fatalf("%d restarts for one key", u)
	}
	ids := map[string]bool{}
	for _, a := range answers {
		if a.status != 200 {
			t.Fatalf("answer %d %s", a.status, a.body)
		}
		ids[a.outcome(t).ID] = true
	}
	if len(ids) != 1 {
		t.Errorf("%d different outcomes: %v", len(ids), ids)
	}
	requested := 0
	for _, r := range e.records() {
		if r.Type == api.AuditRequested {
			requested++
		}
	}
	if requested != 1 {
		t.Errorf("%d requested records", requested)
	}
}

func TestIdempotencyStillRunning(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.IdempotencyWait = 100 * time.Millisecond })
	started := make(chan struct{})
	e.kube.PrependReactor("get", "deployments", slowGet(started, 600*time.Millisecond))
	req := restartReq("payments", "checkout", reason)
	req.IdempotencyKey = "slow"
	done := make(chan response)
	go func() { done <- e.do("POST", "/v1/actions", "lena", req) }()
	<-started
	r := e.do("POST", "/v1/actions", "lena", req)
	if r.status != 409 || !strings.Contains(r.errorBody(t).Message, "still running") {
		t.Errorf("duplicate while running: %d %s", r.status, r.body)
	}
	if first := <-done; first.status != 200 {
		t.Errorf("first: %d %s", first.status, first.body)
	}
}

func TestAuditEndpoint(t *testing.T) {
	e := newEnv(t)
	e.do("POST", "/v1/actions", "lena", restartReq("payments", "checkout", reason)) // 2 records, payments
	e.do("POST", "/v1/actions", "bob", restartReq("payments", "checkout", reason))  // 1 record, payments: bob's denial
	e.do("POST", "/v1/actions", "bob", scaleReq("search", "search-api", 2, reason)) // 1 record, search
	get := func(who, query string) (api.AuditResponse, response) {
		r := e.do("GET", "/v1/audit"+query, who, nil)
		var out api.AuditResponse
		_ = json.Unmarshal(r.body, &out)
		return out, r
	}
	page, r := get("alice", "")
	if r.status != 200 || len(page.Records) != 3 || page.Records[0].User != "bob" || page.Records[2].Type != api.AuditRequested {
		t.Fatalf("alice: %d %s", r.status, r.body)
	}
	for _, rec := range page.Records {
		if rec.Team != "payments" || rec.Hash == "" {
			t.Errorf("alice sees %+v", rec)
		}
	}
	if page, _ := get("bob", ""); len(page.Records) != 1 || page.Records[0].Team != "search" {
		t.Errorf("bob sees %+v", page.Records)
	}
	if _, r := get("alice", "?team=search"); r.status != 403 || r.errorBody(t).Code != api.CodeForbidden {
		t.Errorf("alice reading search: %d %s", r.status, r.body)
	}
	if page, _ := get("readonly", "?team=payments"); len(page.Records) != 3 {
		t.Errorf("a read-only token reads the audit: %d records", len(page.Records))
	}
	first, _ := get("alice", "?limit=2")
	if len(first.Records) != 2 || first.Next != first.Records[1].Seq {
		t.Fatalf("page 1: %+v", first)
	}
	second, _ := get("alice", fmt.Sprintf("?limit=2&before=%d", first.Next))
	if len(second.Records) != 1 || second.Next != 0 || second.Records[0].Seq >= first.Next {
		t.Errorf("page 2: %+v", second)
	}
	for _, q := range []string{"?limit=0", "?limit=501", "?before=x"} {
		if _, r := get("alice", q); r.status != 400 {
			t.Errorf("%s: %d", q, r.status)
		}
	}
	if _, r := get("", ""); r.status != 401 {
		t.Errorf("no token: %d", r.status)
	}
}
