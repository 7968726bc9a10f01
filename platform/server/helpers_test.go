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

	"github.com/vigie-dev/vigie/platform/actions/actionstest"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/audit"
	"github.com/vigie-dev/vigie/platform/auth"
	"github.com/vigie-dev/vigie/platform/policy"
	"github.com/vigie-dev/vigie/platform/store"
)

const testConfig = `
teams:
  payments:
    namespaces: {payments: production, payments-staging: staging}
    selector: team=payments
    services: [checkout]
  search:
    namespaces: {search: production}
    selector: team=search
users:
  alice: {payments: member}
  olivia: {payments: oncall}
  lena: {payments: lead}
  ada: {payments: admin}
  bob: {search: member}
policy:
  production:
    scale:   {oncall: approval, lead: allow, admin: allow}
    restart: {oncall: allow, lead: allow, admin: allow}
    rollback: {oncall: allow, lead: allow, admin: allow}
    delete-pod: {oncall: allow, lead: allow, admin: allow}
  staging:
    scale:   {member: allow, oncall: allow, lead: allow, admin: allow}
    restart: {member: allow, oncall: allow, lead: allow, admin: allow}
limits: {maxReplicas: 8}
`

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a server on httptest with the real SQLite store and a fake cluster.
type env struct {
	t      *testing.T
	srv    *Server
	ts     *httptest.Server
	store  store.Store
	kube   *actionstest.Kube
	logs   *syncBuffer
	tokens map[string]string // name -> secret: users, and "readonly", "expired", "revoked"
}

var labelsPayments = map[string]string{"team": "payments", "app": "checkout"}

func newEnv(t *testing.T, opts ...func(*Options)) *env {
	t.Helper()
	cfg, err := policy.Parse("server.yaml", []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "platform.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	kube := actionstest.New(
		actionstest.Deployment("payments", "checkout", 3, labelsPayments),
		actionstest.Deployment("payments-staging", "checkout", 1, labelsPayments),
		actionstest.Deployment("search", "search-api", 3, map[string]string{"team": "search"}),
	)
	logs := &syncBuffer{}
	o := Options{Config: cfg, Store: st, Kube: kube, Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		ActionTimeout: 5 * time.Second, IdempotencyWait: 3 * time.Second}
	for _, f := range opts {
		f(&o)
	}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e := &env{t: t, srv: srv, ts: ts, store: st, kube: kube, logs: logs, tokens: map[string]string{}}
	svc := auth.New(st, nil)
	for _, u := range []string{"alice", "olivia", "lena", "ada", "bob"} {
		e.tokens[u] = e.token(svc, auth.CreateOptions{User: u, TTL: time.Hour})
	}
	e.tokens["readonly"] = e.token(svc, auth.CreateOptions{User: "ada", ReadOnly: true})
	past := auth.New(st, func() time.Time { return time.Now().Add(-2 * time.Hour) })
	e.tokens["expired"] = e.token(past, auth.CreateOptions{User: "ada", TTL: time.Hour})
	revoked, tok, _ := svc.Create(context.Background(), auth.CreateOptions{User: "ada"})
	if err := svc.Revoke(context.Background(), tok.ID); err != nil {
		t.Fatal(err)
	}
	e.tokens["revoked"] = revoked
	e.tokens["bad"] = auth.Prefix + strings.Repeat("A", 43)
	return e
}

func (e *env) token(svc *auth.Service, o auth.CreateOptions) string {
	s, _, err := svc.Create(context.Background(), o)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) errorBody(t *testing.T) api.ErrorBody {
	t.Helper()
	var e api.ErrorResponse
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("not an error body (%d): %s", r.status, r.body)
	}
	return e.Error
}

func (r response) outcome(t *testing.T) api.Outcome {
	t.Helper()
	var o api.Outcome
	if err := json.Unmarshal(r.body, &o); err != nil || o.ID == "" {
		t.Fatalf("not an outcome (%d): %s", r.status, r.body)
	}
	return o
}

// do sends a request as who ("" = no Authorization header).
func (e *env) do(method, path, who string, body any) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, e.ts.URL+path, rd)
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[who])
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

func (e *env) records() []api.AuditRecord {
	e.t.Helper()
	es, err := e.store.ListAudit(context.Background(), store.AuditFilter{Limit: 10000})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []api.AuditRecord
	for _, en := range es {
		r, err := audit.Decode(en)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func (e *env) recordByID(id string) api.AuditRecord {
	e.t.Helper()
	for _, r := range e.records() {
		if r.ID == id {
			return r
		}
	}
	e.t.Fatalf("no audit record %q", id)
	return api.AuditRecord{}
}

func (e *env) verify() {
	e.t.Helper()
	if _, err := audit.Verify(context.Background(), e.store); err != nil {
		e.t.Fatalf("audit chain: %v", err)
	}
}

func scaleReq(ns, name string, n int32, reason string) api.ActionRequest {
	return api.ActionRequest{Kind: api.ActionScale, Target: api.Target{Namespace: ns, Name: name}, Params: api.Params{Replicas: &n}, Reason: reason}
}

func restartReq(ns, name, reason string) api.ActionRequest {
	return api.ActionRequest{Kind: api.ActionRestart, Target: api.Target{Namespace: ns, Name: name}, Reason: reason}
}

const reason = "INC-1234: checkout error ratio above SLO"
