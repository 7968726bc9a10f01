package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/vigie-dev/vigie/platform/actions/actionstest"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/audit"
	"github.com/vigie-dev/vigie/platform/auth"
	"github.com/vigie-dev/vigie/platform/policy"
	"github.com/vigie-dev/vigie/platform/store"
)

// crashable is a server process that can "crash" while an action runs: its cluster
// blocks every Deployment read once armed, and crash() closes its own handle on the
// store file, so that nothing it does afterwards reaches the database, as when the
// process dies; restart() starts a new server on a new handle of the same file, with a
// cluster that answers at once.
type crashable struct {
	t       *testing.T
	path    string
	first   *env
	started chan struct{} // closed when an action reaches the cluster
	release chan struct{} // unblocks the first server's cluster (at the end of the test)
	armed   sync.Once
}

func newCrashable(t *testing.T) *crashable {
	t.Helper()
	c := &crashable{t: t, path: filepath.Join(t.TempDir(), "platform.db"), started: make(chan struct{}), release: make(chan struct{})}
	st, err := store.OpenSQLite(context.Background(), c.path)
	if err != nil {
		t.Fatal(err)
	}
	c.first = c.serve(st, nil)
	svc := auth.New(st, nil)
	for _, u := range []string{"alice", "olivia", "lena", "ada", "bob"} {
		c.first.tokens[u] = c.first.token(svc, auth.CreateOptions{User: u, TTL: time.Hour})
	}
	// Cleanups run last first: unblock the first server, then its HTTP server can close.
	t.Cleanup(func() { close(c.release) })
	return c
}

func testKube() *actionstest.Kube {
	return actionstest.New(
		actionstest.Deployment("payments", "checkout", 3, labelsPayments),
		actionstest.Deployment("payments-staging", "checkout", 1, labelsPayments),
	)
}

// serve starts a server on st (its ActionTimeout a minute unless opts change it).
func (c *crashable) serve(st store.Store, opts func(*Options)) *env {
	c.t.Helper()
	cfg, err := policy.Parse("server.yaml", []byte(testConfig))
	if err != nil {
		c.t.Fatal(err)
	}
	kube := testKube()
	logs := &syncBuffer{}
	o := Options{Config: cfg, Store: st, Kube: kube, Logger: slog.New(slog.NewJSONHandler(logs, nil)), ActionTimeout: time.Minute}
	if opts != nil {
		opts(&o)
	}
	srv, err := New(o)
	if err != nil {
		c.t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	c.t.Cleanup(ts.Close)
	return &env{t: c.t, srv: srv, ts: ts, store: st, kube: kube, logs: logs, tokens: map[string]string{}}
}

// inFlight sends req as who to the first server in the background and returns once
// the action is running in the cluster (its "requested" record is written).
func (c *crashable) inFlight(method, path, who string, body any) {
	c.t.Helper()
	c.armed.Do(func() {
		var once sync.Once
		c.first.kube.PrependReactor("get", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
			once.Do(func() { close(c.started) })
			<-c.release
			return false, nil, nil
		})
	})
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, c.first.ts.URL+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.first.tokens[who])
	go func() { // its answer never comes before the crash: nobody reads it
		if resp, err := c.first.ts.Client().Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	select {
	case <-c.started:
	case <-time.After(10 * time.Second):
		c.t.Fatal("the action never reached the cluster")
	}
}

// crash ends the first server's access to the store, and restart starts the next one.
func (c *crashable) crash() { _ = c.first.store.Close() }

func (c *crashable) restart(opts func(*Options)) *env {
	c.t.Helper()
	st, err := store.OpenSQLite(context.Background(), c.path)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = st.Close() })
	e := c.serve(st, opts)
	for who, tok := range c.first.tokens {
		e.tokens[who] = tok
	}
	return e
}

// The server dies while lena's scale runs. The next server starts at once: its first
// recovery pass leaves the key (claimed less than an action timeout ago), the second
// answers it; lena's retry, sent right after the start, waits for it and gets 409
// interrupted with the outcome record that says so. Nothing runs again; a new key acts.
func TestRecoveryAnswersAKeyLeftRunningByACrash(t *testing.T) {
	c := newCrashable(t)
	req := scaleReq("payments", "checkout", 5, reason)
	req.IdempotencyKey = "inc-1234-scale-5"
	c.inFlight("POST", "/v1/actions", "lena", req)
	c.crash()

	e := c.restart(func(o *Options) { o.ActionTimeout, o.IdempotencyWait = time.Second, 10*time.Second })
	stop := e.srv.StartRecovery(context.Background())
	defer stop()
	if pending, err := e.store.PendingIdempotency(context.Background(), time.Now(), 0); err != nil || len(pending) != 1 || pending[0].ActionID == "" {
		t.Fatalf("after the first pass: pending %+v, %v; want lena's key, left for the second pass", pending, err)
	}
	start := time.Now()
	r := e.do("POST", "/v1/actions", "lena", req)
	eb := r.errorBody(t)
	if r.status != 409 || eb.Code != api.CodeInterrupted || r.header.Get("Idempotent-Replayed") != "true" ||
		!strings.HasPrefix(eb.Message, "the server stopped while this scale of payments/checkout ran (it started at ") ||
		!strings.HasSuffix(eb.Message, "its outcome is unknown; check the target's state before retrying with a new key") {
		t.Fatalf("retry after the crash: %d %s", r.status, r.body)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("the retry waited %s for the second pass (action timeout 1s)", waited)
	}
	recs := e.records()
	if len(recs) != 2 {
		t.Fatalf("%d audit records, want requested and interrupted: %+v", len(recs), recs)
	}
	asked, out := recs[0], recs[1]
	if asked.Type != api.AuditRequested || out.Type != api.AuditOutcome || out.Status != "interrupted" || out.Code != api.CodeInterrupted ||
		out.Message != eb.Message || out.ID != eb.Details["auditId"] || out.ActionID != asked.ActionID || eb.Details["actionId"] != asked.ActionID ||
		out.User != "lena" || out.Team != "payments" || out.Kind != api.ActionScale || *out.Target != *asked.Target || *out.Params.Replicas != 5 || out.RequestID != asked.RequestID {
		t.Errorf("records:\n%+v\n%+v", asked, out)
	}
	e.verify()

	// The same answer, whenever asked; nothing ran on the new server.
	if again := e.do("POST", "/v1/actions", "lena", req); again.status != 409 || !bytes.Equal(again.body, r.body) {
		t.Errorf("second retry: %d %s", again.status, again.body)
	}
	other := req
	other.Params.Replicas = new(int32(4))
	if r := e.do("POST", "/v1/actions", "lena", other); r.status != 409 || r.errorBody(t).Code != api.CodeIdempotency {
		t.Errorf("the key with another body: %d %s", r.status, r.body)
	}
	if n := e.kube.Updates.Load(); n != 0 {
		t.Fatalf("the new server changed the deployment %d times", n)
	}
	// A new key acts normally.
	req.IdempotencyKey = "inc-1234-scale-5-again"
	if r := e.do("POST", "/v1/actions", "lena", req); r.status != 200 || r.outcome(t).Status != api.StatusSucceeded {
		t.Fatalf("new key: %d %s", r.status, r.body)
	}
	if d := e.kube.Get("payments", "checkout"); *d.Spec.Replicas != 5 || e.kube.Updates.Load() != 1 {
		t.Errorf("replicas %d after the new key", *d.Spec.Replicas)
	}
	e.verify()
	if rep, err := e.srv.Recover(context.Background(), time.Now()); err != nil || rep != (Recovery{}) {
		t.Errorf("recovering again: %+v, %v", rep, err)
	}
}

// lena approves olivia's scale and the server dies while it runs. The next server
// ends the approval failed (interrupted) with an outcome record naming both, and never
// runs it: approving it again is a conflict.
func TestRecoveryEndsAnApprovalLeftRunningByACrash(t *testing.T) {
	c := newCrashable(t)
	r := c.first.do("POST", "/v1/actions", "olivia", scaleReq("payments", "checkout", 4, reason))
	if r.status != 202 {
		t.Fatalf("olivia's scale: %d %s", r.status, r.body)
	}
	id := r.outcome(t).ID
	c.inFlight("POST", "/v1/approvals/"+id, "lena", api.DecisionRequest{Decision: api.DecisionApprove, Reason: "capacity checked"})
	c.crash()

	e := c.restart(nil)
	if rep, err := e.srv.Recover(context.Background(), time.Now()); err != nil || rep != (Recovery{Approvals: 1}) {
		t.Fatalf("recovery: %+v, %v", rep, err)
	}
	failed := e.approvals("olivia", "?status=failed")
	if len(failed) != 1 || failed[0].ID != id || failed[0].DecidedBy != "lena" || failed[0].Outcome == nil ||
		failed[0].Outcome.Code != api.CodeInterrupted || failed[0].Outcome.Status != api.StatusFailed ||
		!strings.HasPrefix(failed[0].Outcome.Message, "the server stopped while this scale of payments/checkout ran (approved by lena at ") {
		t.Fatalf("olivia's failed requests: %+v", failed)
	}
	recs := e.recordsOf(id)
	out := recs[len(recs)-1]
	if out.Type != api.AuditOutcome || out.Status != "interrupted" || out.User != "olivia" || out.Approver != "lena" || out.Team != "payments" ||
		out.ID != failed[0].Outcome.AuditID || recs[len(recs)-2].Type != api.AuditRequested || recs[len(recs)-2].Approver != "lena" {
		t.Errorf("records of %s: %+v", id, recs)
	}
	if r := e.decide("ada", id, api.DecisionApprove, "again"); r.status != 409 || r.errorBody(t).Code != api.CodeConflict {
		t.Errorf("approving it again: %d %s", r.status, r.body)
	}
	if e.kube.Updates.Load() != 0 {
		t.Error("the interrupted approval ran again")
	}
	e.verify()
}

// claim claims req's key for who as the server does (its request hash, its action id),
// at at.
func claim(t *testing.T, e *env, who string, req api.ActionRequest, actionID string, at time.Time) {
	t.Helper()
	if _, ok, err := e.store.ClaimIdempotency(context.Background(), store.Idem{User: who, Key: req.IdempotencyKey,
		RequestHash: requestHash(req), CreatedAt: at, ActionID: actionID}); err != nil || !ok {
		t.Fatalf("claim %s: %v %v", req.IdempotencyKey, ok, err)
	}
}

// appendRec writes an audit record as the server would have.
func appendRec(t *testing.T, e *env, r api.AuditRecord) api.AuditRecord {
	t.Helper()
	out, err := audit.New(e.store, nil).Append(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A server can stop between any two of the writes a request makes: the recovery answers
// each key from what the audit log shows, writes an outcome record only where the action
// has none, and leaves alone what is not older than the cutoff.
func TestRecoveryAtEveryCrashPoint(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	long := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	at := long.Format(time.RFC3339)
	mk := func(key string, n int32) api.ActionRequest {
		r := scaleReq("payments", "checkout", n, reason)
		r.IdempotencyKey = key
		return r
	}
	base := func(req api.ActionRequest, id string) api.AuditRecord {
		r := api.AuditRecord{ActionID: id, User: "lena", TokenID: "tok_x", Role: api.RoleLead}
		e.srv.describe(&r, req)
		return r
	}

	// 1. Stopped before the "requested" record: nothing ran.
	before := mk("k-before", 5)
	claim(t, e, "lena", before, "act_before", long)
	// 2. Stopped after the outcome record, before storing the answer.
	ended := mk("k-ended", 6)
	claim(t, e, "lena", ended, "act_ended", long)
	rq := base(ended, "act_ended")
	rq.Type = api.AuditRequested
	appendRec(t, e, rq)
	oc := rq
	oc.Type, oc.Status, oc.Message = api.AuditOutcome, api.StatusSucceeded, "scaled deployment payments/checkout from 3 to 6 replicas"
	ocRec := appendRec(t, e, oc)
	// 3. An approval request stored, its 202 not.
	asked := mk("k-asked", 7)
	claim(t, e, "olivia", asked, "act_asked", long)
	ar := base(asked, "act_asked")
	ar.User, ar.Role, ar.Type, ar.Status = "olivia", api.RoleOncall, api.AuditRequested, api.StatusPendingApproval
	arRec := appendRec(t, e, ar)
	if err := e.store.CreateApproval(ctx, store.Approval{ID: "act_asked", User: "olivia", Team: "payments", Kind: "scale", Request: []byte(`{}`),
		State: store.ApprovalPending, CreatedAt: long, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// 4. The approval request recorded, but not stored.
	lost := mk("k-lost", 8)
	claim(t, e, "olivia", lost, "act_lost", long)
	lr := ar
	lr.ActionID, lr.Params = "act_lost", &api.Params{Replicas: new(int32(8))}
	appendRec(t, e, lr)
	// 5. A recovery that wrote its record and stopped before storing the answer.
	again := mk("k-again", 3)
	claim(t, e, "lena", again, "act_again", long)
	ag := base(again, "act_again")
	ag.Type = api.AuditRequested
	appendRec(t, e, ag)
	agRec := appendRec(t, e, interrupted(ag, "the server stopped while this scale ran"))
	// 6. A key claimed by a server older than schema 3: no action id.
	legacy := mk("k-legacy", 2)
	claim(t, e, "lena", legacy, "", long)
	// 7. Claimed after the cutoff, and 8. answered: left alone.
	recent := mk("k-recent", 1)
	claim(t, e, "lena", recent, "act_recent", time.Now())
	done := mk("k-done", 0)
	claim(t, e, "lena", done, "act_done", long)
	if err := e.store.FinishIdempotency(ctx, "lena", "k-done", 200, []byte(`{"id":"act_done"}`), long); err != nil {
		t.Fatal(err)
	}

	n := len(e.records())
	rep, err := e.srv.Recover(ctx, time.Now().Add(-time.Minute))
	if err != nil || rep != (Recovery{Keys: 6}) {
		t.Fatalf("recovery: %+v, %v", rep, err)
	}
	recs := e.records()
	if got := len(recs) - n; got != 3 { // before, lost, legacy; ended, asked and again have their records
		t.Fatalf("%d new audit records, want 3: %+v", got, recs[n:])
	}
	for _, c := range []struct {
		who     string
		req     api.ActionRequest
		msg     string
		auditID string // "" : a new interrupted record
	}{
		{"lena", before, "the server stopped before this request acted (it was made at " + at + "): nothing was done; retry with a new key", ""},
		{"lena", ended, "the server stopped before answering this scale of payments/checkout (asked at " + at + "); the audit log says it succeeded: scaled deployment payments/checkout from 3 to 6 replicas (record " + ocRec.ID + "); check the target's state before retrying with a new key", ocRec.ID},
		{"olivia", asked, "the server stopped before answering this scale of payments/checkout (asked at " + at + "): it was stored as approval request act_asked, pending now (GET /v1/approvals)", arRec.ID},
		{"olivia", lost, "the server stopped before storing this scale of payments/checkout for an approval (asked at " + at + "): nothing was done; ask again with a new key", ""},
		{"lena", again, "the server stopped before answering this scale of payments/checkout (asked at " + at + "); the audit log says it was interrupted: the server stopped while this scale ran (record " + agRec.ID + "); check the target's state before retrying with a new key", agRec.ID},
		{"lena", legacy, "the server stopped while this request ran (it started at " + at + "): its outcome is unknown; check the audit log and the target's state before retrying with a new key", ""},
	} {
		r := e.do("POST", "/v1/actions", c.who, c.req)
		eb := r.errorBody(t)
		if r.status != 409 || eb.Code != api.CodeInterrupted || eb.Message != c.msg || r.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("%s: %d %s\nwant message %q", c.req.IdempotencyKey, r.status, r.body, c.msg)
			continue
		}
		if c.auditID != "" {
			if eb.Details["auditId"] != c.auditID {
				t.Errorf("%s: audit id %s, want %s", c.req.IdempotencyKey, eb.Details["auditId"], c.auditID)
			}
			continue
		}
		rec := e.recordByID(eb.Details["auditId"])
		if rec.Type != api.AuditOutcome || rec.Status != "interrupted" || rec.Code != api.CodeInterrupted || rec.User != c.who || rec.Message != c.msg {
			t.Errorf("%s: record %+v", c.req.IdempotencyKey, rec)
		}
	}
	if rec := e.recordByID(e.do("POST", "/v1/actions", "olivia", lost).errorBody(t).Details["auditId"]); rec.Team != "payments" || *rec.Params.Replicas != 8 {
		t.Errorf("the lost approval request's record %+v: want what it asked", rec)
	}
	if pending, _ := e.store.PendingIdempotency(ctx, time.Now().Add(time.Hour), 0); len(pending) != 1 || pending[0].Key != "k-recent" {
		t.Errorf("still pending: %+v, want only the key claimed after the cutoff", pending)
	}
	if r := e.do("POST", "/v1/actions", "lena", done); r.status != 200 || string(r.body) != "{\"id\":\"act_done\"}\n" {
		t.Errorf("an answered key: %d %s", r.status, r.body)
	}
	if e.kube.Updates.Load() != 0 {
		t.Error("the recovery ran an action")
	}
	e.verify()
	if rep, err := e.srv.Recover(ctx, time.Now().Add(-time.Minute)); err != nil || rep != (Recovery{}) || len(e.records()) != len(recs) {
		t.Errorf("recovering again: %+v, %v, %d records", rep, err, len(e.records()))
	}
}

// Approvals left approved: with their run's outcome recorded, they end as it says; with
// nothing run, failed; approved after the cutoff, left alone. None runs.
func TestRecoveryOfApprovalsAtEveryCrashPoint(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	long := time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
	approve := func(id string, at time.Time) store.Approval {
		req, _ := json.Marshal(scaleReq("payments", "checkout", 4, reason))
		if err := e.store.CreateApproval(ctx, store.Approval{ID: id, User: "olivia", TokenID: "tok_o", Role: "oncall", Team: "payments",
			Environment: "production", Kind: "scale", Namespace: "payments", Name: "checkout", Request: req, State: store.ApprovalPending,
			CreatedAt: at, ExpiresAt: at.Add(2 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		a, err := e.store.DecideApproval(ctx, id, store.ApprovalDecision{State: store.ApprovalApproved, By: "lena", At: at})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	approve("ap_none", long)
	approve("ap_ran", long)
	approve("ap_recent", time.Now())
	ran := api.AuditRecord{ActionID: "ap_ran", User: "olivia", Approver: "lena", Team: "payments", Kind: api.ActionScale,
		Type: api.AuditOutcome, Status: api.StatusSucceeded, Message: "scaled deployment payments/checkout from 3 to 4 replicas",
		Changes: []api.Change{{Field: "spec.replicas", From: "3", To: "4"}}}
	ranRec := appendRec(t, e, ran)

	n := len(e.records())
	if rep, err := e.srv.Recover(ctx, time.Now().Add(-time.Minute)); err != nil || rep != (Recovery{Approvals: 2}) {
		t.Fatalf("recovery: %+v, %v", rep, err)
	}
	got := map[string]api.Approval{}
	for _, a := range e.approvals("olivia", "?status=all") {
		got[a.ID] = a
	}
	if a := got["ap_ran"]; a.Status != api.ApprovalExecuted || a.Outcome == nil || a.Outcome.AuditID != ranRec.ID || a.Outcome.Message != ran.Message || len(a.Outcome.Changes) != 1 {
		t.Errorf("ap_ran: %+v %+v", a, a.Outcome)
	}
	none := got["ap_none"]
	if none.Status != api.ApprovalFailed || none.Outcome == nil || none.Outcome.Code != api.CodeInterrupted ||
		none.Outcome.Message != "the server stopped after this scale of payments/checkout was approved by lena at "+long.Format(time.RFC3339)+", before it ran: nothing was done; ask again" {
		t.Errorf("ap_none: %+v %+v", none, none.Outcome)
	}
	if a := got["ap_recent"]; a.Status != api.ApprovalApproved {
		t.Errorf("ap_recent, approved after the cutoff: %s", a.Status)
	}
	recs := e.records()
	if len(recs) != n+1 {
		t.Fatalf("%d new records, want 1", len(recs)-n)
	}
	if r := recs[n]; r.Type != api.AuditOutcome || r.Status != "interrupted" || r.ActionID != "ap_none" || r.User != "olivia" ||
		r.Approver != "lena" || r.Team != "payments" || r.Role != api.RoleOncall || *r.Params.Replicas != 4 || r.ID != none.Outcome.AuditID {
		t.Errorf("record %+v", r)
	}
	if e.kube.Updates.Load() != 0 {
		t.Error("the recovery ran an approval")
	}
	e.verify()
}
