//go:build integration

package server

// The authorization matrix: every endpoint × {no token, bad token, expired token, member
// of the other team, member, oncall, lead, admin, read-only session} → the expected
// status, against the local platform (the real apiserver, Alertmanager and PostgreSQL),
// the server acting with its own admin identity. Every refusal leaves the cluster, the
// Alertmanager and the database as they were. The tables read as one row per endpoint
// (or action kind), one column per identity, in the order of identities below:
//
//	matrix_integration_test.go            the identities, the shared setup, the audit checks
//	matrix_actions_integration_test.go    POST /v1/actions, every kind (cluster, Alertmanager)
//	matrix_approvals_integration_test.go  GET /v1/approvals, POST /v1/approvals/{id}
//	matrix_queries_integration_test.go    POST /v1/queries (saved, SQL, write attempts; PostgreSQL)
//	matrix_reads_integration_test.go      public endpoints, /v1/me, /v1/teams, /v1/audit, revisions
//
// Refusals of the writes (actions, decisions, queries) are audited: each answer names
// its record (details.auditId), of type denied (invalid for a malformed request) with
// the user ("" when authentication failed). Reads are not audited, their refusals
// included (docs/platform.md; rollback_test.go): the read tables check that no record
// is written.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/vigie-dev/vigie/internal/stackenv"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/auth"
	"github.com/vigie-dev/vigie/platform/policy"
	"github.com/vigie-dev/vigie/platform/store"
)

// matrixConfig: payments (production) owns the payments namespace and database, search
// the search ones. The roles differ by kind: a member may do nothing but saved queries
// (its scale is explicitly denied), an oncall's scale and job need an approval and its
// rollback has no rule, a lead and an admin may do everything.
const matrixConfig = `
teams:
  payments:
    namespaces: {payments: production}
    selector: team=payments
    databases:
      payments: {dsnEnv: VIGIE_MATRIX_PAYMENTS_DSN}
    jobs:
      matrix-check:
        namespace: payments
        image: registry.local/tools:1.4
        command: [/bin/check, "--ticket={{ticket}}"]
        timeout: 1m
        params:
          ticket: {type: string, pattern: '[A-Z]+-[0-9]+', required: true}
  search:
    namespaces: {search: production}
    selector: team=search
    databases:
      search: {dsnEnv: VIGIE_MATRIX_SEARCH_DSN}
    jobs:
      search-check:
        namespace: search
        image: registry.local/tools:1.4
        command: [/bin/check]
users:
  alice: {payments: member}
  olivia: {payments: oncall}
  lena: {payments: lead}
  ada: {payments: admin}
  bob: {search: member}
policy:
  production:
    scale:          {member: deny, oncall: approval, lead: allow, admin: allow}
    restart:        {oncall: allow, lead: allow, admin: allow}
    rollback:       {lead: allow, admin: allow}
    delete-pod:     {oncall: allow, lead: allow, admin: allow}
    silence:        {oncall: allow, lead: allow, admin: allow}
    expire-silence: {oncall: allow, lead: allow, admin: allow}
    query-saved:    {member: allow, oncall: allow, lead: allow, admin: allow}
    query-sql:      {oncall: allow, lead: allow, admin: allow}
    job:            {oncall: approval, lead: allow, admin: allow}
limits: {maxReplicas: 5, maxSilence: 10m, approvalTTL: 15m, queryTimeout: 5s, queryRows: 50}
`

// identity is one column of the matrix.
type identity struct {
	who   string // the token (env.tokens), "" = no Authorization header
	label string
	user  string // the user its audit records name ("" when authentication fails)
}

// identities are the columns of every table, in this order.
var identities = [9]identity{
	{"", "no token", ""},
	{"bad", "bad token", ""},
	{"expired", "expired token", ""},
	{"bob", "member of the other team", "bob"},
	{"alice", "member", "alice"},
	{"olivia", "oncall", "olivia"},
	{"lena", "lead", "lena"},
	{"ada", "admin", "ada"},
	{"readonly", "read-only session", "ada"},
}

// statuses is one row of a table: the status each identity gets, in identities' order.
type statuses [9]int

// matrixWhy is the reason of every request (production needs one); each run's is its own.
func matrixWhy() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "authorization matrix " + hex.EncodeToString(b) + ": vigie integration test"
}

// matrixEnv is an in-process server on the local platform's apiserver (with its admin
// identity), Alertmanager (amURL; "" for none) and PostgreSQL (the teams' SELECT-only
// roles), with a fresh SQLite store and a token for every identity: an expired one made
// through the auth API with a clock two hours back, a read-only one of ada (the admin),
// and a well-formed token that was never issued.
func matrixEnv(t *testing.T, cs kubernetes.Interface, amURL string) *env {
	t.Helper()
	se := stackenv.MustLoad(t)
	t.Setenv("VIGIE_MATRIX_PAYMENTS_DSN", se.MustGet(t, "VIGIE_STACK_PG_PAYMENTS_RO_DSN"))
	t.Setenv("VIGIE_MATRIX_SEARCH_DSN", se.MustGet(t, "VIGIE_STACK_PG_SEARCH_RO_DSN"))
	cfg, err := policy.Parse("matrix.yaml", []byte(matrixConfig))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "platform.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	logs := &syncBuffer{}
	srv, err := New(Options{Config: cfg, Store: st, Kube: cs, AlertmanagerURL: amURL, Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		ActionTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e := &env{t: t, srv: srv, ts: ts, store: st, logs: logs, tokens: map[string]string{}}
	svc := auth.New(st, nil)
	for _, u := range []string{"alice", "olivia", "lena", "ada", "bob"} {
		e.tokens[u] = e.token(svc, auth.CreateOptions{User: u, TTL: time.Hour})
	}
	e.tokens["readonly"] = e.token(svc, auth.CreateOptions{User: "ada", ReadOnly: true, TTL: time.Hour})
	e.tokens["expired"] = e.token(auth.New(st, func() time.Time { return time.Now().Add(-2 * time.Hour) }), auth.CreateOptions{User: "ada", TTL: time.Hour})
	e.tokens["bad"] = auth.Prefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	return e
}

// refusalType is the audit record type of a refusal with this status.
func refusalType(status int) string {
	if status == 400 {
		return api.AuditInvalid
	}
	return api.AuditDenied
}

// checkRefusal checks a refused write's answer and its audit record: the record the
// answer names, of the refusal's type, with the identity's user, the kind asked and
// the code answered.
func checkRefusal(t *testing.T, e *env, r response, id identity, kind api.ActionKind) api.AuditRecord {
	t.Helper()
	eb := r.errorBody(t)
	if want := map[int]string{401: api.CodeUnauthenticated}[r.status]; want != "" && eb.Code != want {
		t.Errorf("%s: code %s, want %s", id.label, eb.Code, want)
	}
	if r.status == 401 && r.header.Get("WWW-Authenticate") == "" {
		t.Errorf("%s: 401 without WWW-Authenticate", id.label)
	}
	if eb.Details["auditId"] == "" {
		t.Fatalf("%s: the refusal names no audit record: %s", id.label, r.body)
	}
	rec := e.recordByID(eb.Details["auditId"])
	if rec.Type != refusalType(r.status) || rec.User != id.user || rec.Code != eb.Code || rec.Kind != kind || rec.Message != eb.Message {
		t.Errorf("%s: audit record %+v, want type %s, user %q, kind %s, code %s", id.label, rec, refusalType(r.status), id.user, kind, eb.Code)
	}
	if rec.Status != api.StatusDenied {
		t.Errorf("%s: audit record status %q, want denied", id.label, rec.Status)
	}
	return rec
}

// adminClient is the server's identity: the local platform's admin kubeconfig context.
func adminClient(t *testing.T) kubernetes.Interface {
	t.Helper()
	env := stackenv.MustLoad(t)
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: env.MustGet(t, "KUBECONFIG")}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: "local-admin"}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Timeout = 20 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// throwAwayDeployment creates a Deployment of one replica in payments, labelled as the
// team's, waits until it settles, and deletes it when the test ends.
func throwAwayDeployment(t *testing.T, cs kubernetes.Interface) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "vigie-authz-" + hex.EncodeToString(b)
	one := int32(1)
	labels := map[string]string{"app": name, "team": "payments"}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "payments", Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.local/payments/authz-test:1"}}},
			},
		},
	}
	ctx := context.Background()
	if _, err := cs.AppsV1().Deployments("payments").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		fg := metav1.DeletePropagationForeground
		if err := cs.AppsV1().Deployments("payments").Delete(context.Background(), name, metav1.DeleteOptions{PropagationPolicy: &fg}); err != nil {
			t.Errorf("deleting %s: %v", name, err)
		}
	})
	settle(t, cs, name)
	return name
}

// settle waits until the controller has rolled the Deployment out and stopped writing
// its status, and returns it.
func settle(t *testing.T, cs kubernetes.Interface, name string) *appsv1.Deployment {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var last string
	for {
		d, err := cs.AppsV1().Deployments("payments").Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n := *d.Spec.Replicas
		done := d.Status.ObservedGeneration >= d.Generation && d.Status.Replicas == n && d.Status.UpdatedReplicas == n && d.Status.AvailableReplicas == n
		if done && d.ResourceVersion == last {
			return d
		}
		if done {
			last = d.ResourceVersion
		}
		if time.Now().After(deadline) {
			t.Fatalf("deployment %s did not settle: %+v", name, d.Status)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func get(t *testing.T, cs kubernetes.Interface, name string) *appsv1.Deployment {
	t.Helper()
	d, err := cs.AppsV1().Deployments("payments").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The precondition and the dry run on the real apiserver.
func TestPreconditionAndDryRunOnTheCluster(t *testing.T) {
	cs := adminClient(t)
	name := throwAwayDeployment(t, cs)
	cfg, _ := policy.Parse("matrix.yaml", []byte(matrixConfig))
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "platform.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := New(Options{Config: cfg, Store: st, Kube: cs})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	e := &env{t: t, srv: srv, ts: ts, store: st, tokens: map[string]string{}}
	e.tokens["lena"] = e.token(auth.New(st, nil), auth.CreateOptions{User: "lena"})

	before := settle(t, cs, name)
	r := e.do("POST", "/v1/actions?dryRun=true", "lena", scaleReq("payments", name, 3, "dry run: integration test"))
	if o := r.outcome(t); r.status != 200 || !o.DryRun || o.Changes[0] != (api.Change{Field: "spec.replicas", From: "1", To: "3"}) {
		t.Fatalf("dry run: %d %s", r.status, r.body)
	}
	if after := get(t, cs, name); after.ResourceVersion != before.ResourceVersion || *after.Spec.Replicas != 1 {
		t.Fatalf("the dry run changed the deployment")
	}
	stale := scaleReq("payments", name, 2, "precondition: integration test")
	rv, _ := strconv.Atoi(before.ResourceVersion)
	stale.Expect = &api.Expect{ResourceVersion: strconv.Itoa(rv - 1)}
	r = e.do("POST", "/v1/actions", "lena", stale)
	if r.status != 409 || r.errorBody(t).Code != api.CodeConflict {
		t.Fatalf("stale resourceVersion: %d %s", r.status, r.body)
	}
	if after := get(t, cs, name); after.ResourceVersion != before.ResourceVersion {
		t.Fatal("a refused precondition changed the deployment")
	}
	stale.Expect.ResourceVersion = before.ResourceVersion
	if r := e.do("POST", "/v1/actions", "lena", stale); r.status != 200 {
		t.Fatalf("current resourceVersion: %d %s", r.status, r.body)
	}
	if after := get(t, cs, name); *after.Spec.Replicas != 2 {
		t.Fatalf("replicas %d", *after.Spec.Replicas)
	}
	r = e.do("POST", "/v1/actions", "lena", restartReq("payments", "no-such-deployment-"+fmt.Sprint(rv), "not found: integration test"))
	if r.status != 404 {
		t.Errorf("missing deployment: %d %s", r.status, r.body)
	}
	e.verify()
}

// noDSNs fails when a database DSN of the local platform, or its password, shows in an
// answer, a log line or an audit record of e.
func noDSNs(t *testing.T, e *env, answers ...response) {
	t.Helper()
	var secrets []string
	for _, v := range []string{"VIGIE_MATRIX_PAYMENTS_DSN", "VIGIE_MATRIX_SEARCH_DSN"} {
		u, err := url.Parse(os.Getenv(v))
		if err != nil || u.User == nil {
			t.Fatalf("%s is not a DSN with a user", v)
		}
		secrets = append(secrets, u.String())
		if pw, ok := u.User.Password(); ok && pw != "" {
			secrets = append(secrets, pw)
		}
	}
	texts := []string{e.logs.String()}
	for _, r := range answers {
		texts = append(texts, string(r.body))
	}
	for _, rec := range e.records() {
		b, _ := json.Marshal(rec)
		texts = append(texts, string(b))
	}
	for _, txt := range texts {
		for _, s := range secrets {
			if strings.Contains(txt, s) {
				t.Errorf("a DSN or its password shows in %.200s", txt)
			}
		}
		if strings.Contains(strings.ToLower(txt), "postgres://") {
			t.Errorf("a DSN shows in %.200s", txt)
		}
	}
}
