//go:build integration

package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/vigie-dev/vigie/internal/stackenv"
	"github.com/vigie-dev/vigie/platform/actions"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/auth"
	"github.com/vigie-dev/vigie/platform/policy"
	"github.com/vigie-dev/vigie/platform/store"
)

const matrixConfig = `
teams:
  payments:
    namespaces: {payments: production}
    selector: team=payments
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
    scale:   {oncall: allow, lead: allow, admin: allow}
    restart: {oncall: allow, lead: allow, admin: allow}
limits: {maxReplicas: 5}
`

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

// TestAuthorizationMatrix: POST /v1/actions scale and restart (and GET /v1/me, /v1/audit)
// × {no token, bad, expired, member of the other team, member, oncall, lead, admin,
// read-only} against the real apiserver, the server acting with the admin kubeconfig.
// Every refusal leaves the Deployment unchanged (same resourceVersion) and an audit
// record; every allowed action changes the real Deployment.
func TestAuthorizationMatrix(t *testing.T) {
	cs := adminClient(t)
	name := throwAwayDeployment(t, cs)

	cfg, err := policy.Parse("matrix.yaml", []byte(matrixConfig))
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
	svc := auth.New(st, nil)
	for _, u := range []string{"alice", "olivia", "lena", "ada", "bob"} {
		e.tokens[u] = e.token(svc, auth.CreateOptions{User: u, TTL: time.Hour})
	}
	e.tokens["readonly"] = e.token(svc, auth.CreateOptions{User: "ada", ReadOnly: true, TTL: time.Hour})
	e.tokens["expired"] = e.token(auth.New(st, func() time.Time { return time.Now().Add(-2 * time.Hour) }), auth.CreateOptions{User: "ada", TTL: time.Hour})
	e.tokens["bad"] = auth.Prefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

	identities := []struct {
		who, label string
		action     int // status of POST /v1/actions
		me, audit  int // status of GET /v1/me and GET /v1/audit?team=payments
	}{
		{"", "no token", 401, 401, 401},
		{"bad", "bad token", 401, 401, 401},
		{"expired", "expired token", 401, 401, 401},
		{"bob", "member of the other team", 403, 200, 403},
		{"alice", "member", 403, 200, 200},
		{"readonly", "read-only token", 403, 200, 200},
		{"olivia", "oncall", 200, 200, 200},
		{"lena", "lead", 200, 200, 200},
		{"ada", "admin", 200, 200, 200},
	}
	const why = "authorization matrix: vigie integration test"
	records := 0
	replicas := int32(1)
	for _, id := range identities {
		for _, kind := range []api.ActionKind{api.ActionScale, api.ActionRestart} {
			t.Run(id.label+"/"+string(kind), func(t *testing.T) {
				before := settle(t, cs, name)
				req := restartReq("payments", name, why)
				if kind == api.ActionScale {
					req = scaleReq("payments", name, replicas%5+1, why)
				} else if id.action == 200 {
					time.Sleep(1100 * time.Millisecond) // restartedAt has a one-second resolution
				}
				r := e.do("POST", "/v1/actions", id.who, req)
				if r.status != id.action {
					t.Fatalf("%s %s: %d %s, want %d", id.label, kind, r.status, r.body, id.action)
				}
				after := get(t, cs, name)
				if id.action != 200 {
					if after.ResourceVersion != before.ResourceVersion {
						t.Errorf("refused, yet the deployment changed: resourceVersion %s -> %s", before.ResourceVersion, after.ResourceVersion)
					}
					rec := e.recordByID(r.errorBody(t).Details["auditId"])
					if rec.Type != api.AuditDenied || rec.Target.Name != name {
						t.Errorf("audit record %+v", rec)
					}
					records++
					return
				}
				o := r.outcome(t)
				switch kind {
				case api.ActionScale:
					replicas = *req.Params.Replicas
					if *after.Spec.Replicas != replicas {
						t.Errorf("replicas %d, want %d", *after.Spec.Replicas, replicas)
					}
				case api.ActionRestart:
					at := after.Spec.Template.Annotations[actions.RestartedAtAnnotation]
					if at == "" || at != o.Changes[0].To || at == before.Spec.Template.Annotations[actions.RestartedAtAnnotation] {
						t.Errorf("restartedAt %q, outcome %+v", at, o)
					}
				}
				if rec := e.recordByID(o.AuditID); rec.Type != api.AuditOutcome || rec.Status != api.StatusSucceeded || rec.ActionID != o.ID {
					t.Errorf("outcome record %+v", rec)
				}
				records += 2
			})
		}
		t.Run(id.label+"/reads", func(t *testing.T) {
			if r := e.do("GET", "/v1/me", id.who, nil); r.status != id.me {
				t.Errorf("GET /v1/me: %d, want %d", r.status, id.me)
			}
			if r := e.do("GET", "/v1/audit?team=payments", id.who, nil); r.status != id.audit {
				t.Errorf("GET /v1/audit: %d, want %d", r.status, id.audit)
			}
		})
	}
	if got := len(e.records()); got != records {
		t.Errorf("%d audit records, want %d (one per refusal, two per action)", got, records)
	}
	e.verify()
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
