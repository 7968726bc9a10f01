//go:build integration

package server

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/auth"
	"github.com/vigie-dev/vigie/platform/policy"
	"github.com/vigie-dev/vigie/platform/store"
)

// rollbackConfig is the stack's users (alice payments oncall, bob search oncall, lena
// payments lead) with rollback and delete-pod allowed to oncalls and leads.
const rollbackConfig = `
teams:
  payments:
    namespaces: {payments: production}
    selector: team=payments
  search:
    namespaces: {search: production}
    selector: team=search
users:
  alice: {payments: oncall}
  bob: {search: oncall}
  lena: {payments: lead}
policy:
  production:
    rollback:   {oncall: allow, lead: allow}
    delete-pod: {oncall: allow, lead: allow}
`

const why = "rollback and delete-pod: vigie integration test"

// clusterEnv is a server in-process on httptest, acting on the local platform's
// apiserver with its admin identity, with tokens for alice, bob and lena.
func clusterEnv(t *testing.T, cs kubernetes.Interface) *env {
	t.Helper()
	cfg, err := policy.Parse("rollback.yaml", []byte(rollbackConfig))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "platform.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	srv, err := New(Options{Config: cfg, Store: st, Kube: cs, ActionTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e := &env{t: t, srv: srv, ts: ts, store: st, tokens: map[string]string{}}
	svc := auth.New(st, nil)
	for _, u := range []string{"alice", "bob", "lena"} {
		e.tokens[u] = e.token(svc, auth.CreateOptions{User: u, TTL: time.Hour})
	}
	return e
}

func (e *env) revisionsOf(who, ns, name string) api.RevisionsResponse {
	e.t.Helper()
	r := e.do("GET", "/v1/deployments/"+ns+"/"+name+"/revisions", who, nil)
	var out api.RevisionsResponse
	if err := json.Unmarshal(r.body, &out); err != nil || r.status != 200 {
		e.t.Fatalf("revisions of %s/%s as %s: %d %s", ns, name, who, r.status, r.body)
	}
	return out
}

func findChange(cs []api.Change, field string) (api.Change, bool) {
	for _, c := range cs {
		if c.Field == field {
			return c, true
		}
	}
	return api.Change{}, false
}

// The seeded payments/ledger: revision 2 is the bad release (error-ratio annotation),
// revision 1 the good one. Read only: other tests rely on its alert.
func TestRevisionsOfTheSeededLedger(t *testing.T) {
	cs := adminClient(t)
	e := clusterEnv(t, cs)
	before := get(t, cs, "ledger")
	out := e.revisionsOf("alice", "payments", "ledger")
	if out.Current < 2 || len(out.Revisions) < 2 || !out.Revisions[0].Current || out.Revisions[0].Revision != out.Current || out.Replicas != 2 {
		t.Fatalf("%+v", out)
	}
	if img := out.Revisions[0].Images[0]; img != "registry.local/payments/ledger:2.8.0" {
		t.Errorf("current image %s, want the bad release 2.8.0", img)
	}
	var good *api.Revision
	for i, r := range out.Revisions {
		if r.Images[0] == "registry.local/payments/ledger:2.7.0" {
			good = &out.Revisions[i]
		}
	}
	if good == nil || good.Current || good.ChangeCause != "initial release" || good.Created.IsZero() {
		t.Fatalf("no good revision 2.7.0: %+v", out.Revisions)
	}
	ratio, ok := findChange(good.Changes, "spec.template.metadata.annotations[sim.vigie.dev/error-ratio]")
	image, _ := findChange(good.Changes, "spec.template.spec.containers[app].image")
	if !ok || ratio.From != "0.4" || ratio.To != "" || image.To != "registry.local/payments/ledger:2.7.0" {
		t.Errorf("changes back to 2.7.0: %+v", good.Changes)
	}
	if r := e.do("GET", "/v1/deployments/payments/ledger/revisions", "bob", nil); r.status != 403 {
		t.Errorf("bob reads payments' revisions: %d %s", r.status, r.body)
	}
	if after := get(t, cs, "ledger"); after.Generation != before.Generation {
		t.Error("listing revisions changed the deployment")
	}
}

// A throw-away Deployment with two revisions (rev 2 changes a template annotation and
// env), rolled back to 1 through the API: dry run, refused stale revision, rollback.
func TestRollbackOnTheCluster(t *testing.T) {
	cs := adminClient(t)
	name := throwAwayDeployment(t, cs)
	original := get(t, cs, name).Spec.Template
	d := get(t, cs, name)
	d.Spec.Template.Annotations = map[string]string{"vigie.dev/test-release": "2"}
	d.Spec.Template.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "MODE", Value: "two"}, {Name: "API_TOKEN", Value: "not-for-your-eyes"}}
	if _, err := cs.AppsV1().Deployments("payments").Update(context.Background(), d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	settle(t, cs, name)
	e := clusterEnv(t, cs)

	revs := e.revisionsOf("alice", "payments", name)
	if revs.Current != 2 || len(revs.Revisions) != 2 || revs.Revisions[1].Revision != 1 {
		t.Fatalf("%+v", revs)
	}
	rev1 := revs.Revisions[1]
	if c, _ := findChange(rev1.Changes, "spec.template.metadata.annotations[vigie.dev/test-release]"); c.From != "2" || c.To != "" {
		t.Errorf("revision 1 changes %+v", rev1.Changes)
	}
	if c, _ := findChange(rev1.Changes, "spec.template.spec.containers[app].env[API_TOKEN]"); c.From != api.SecretChanged || c.To != "" {
		t.Errorf("revision 1 changes %+v", rev1.Changes)
	}

	req := api.ActionRequest{Kind: api.ActionRollback, Target: api.Target{Namespace: "payments", Name: name}, Reason: why,
		Expect: &api.Expect{ResourceVersion: revs.ResourceVersion, Revision: revs.Current}}
	r := e.do("POST", "/v1/actions?dryRun=true", "alice", req)
	o := r.outcome(t)
	if r.status != 200 || !o.DryRun || len(o.Changes) < 3 || o.ResourceVersion != revs.ResourceVersion || !strings.Contains(o.Message, "from revision 2 to revision 1; warning: replicas are not reverted (1 now)") {
		t.Fatalf("dry run: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), "not-for-your-eyes") {
		t.Errorf("the dry run shows a secret-looking value: %s", r.body)
	}
	if now := get(t, cs, name); now.ResourceVersion != revs.ResourceVersion {
		t.Fatal("the dry run changed the deployment")
	}

	stale := req
	stale.Expect = &api.Expect{Revision: 1}
	r = e.do("POST", "/v1/actions", "alice", stale)
	if r.status != 409 || !strings.Contains(r.errorBody(t).Message, "changed since you saw it (revision 1, now 2)") {
		t.Fatalf("stale revision: %d %s", r.status, r.body)
	}

	r = e.do("POST", "/v1/actions", "alice", req)
	o = r.outcome(t)
	if r.status != 200 || !strings.Contains(o.Message, "rolled back deployment payments/"+name+" from revision 2 to revision 1 (it becomes revision 3)") {
		t.Fatalf("rollback: %d %s", r.status, r.body)
	}
	after := settle(t, cs, name)
	if !equalTemplates(after.Spec.Template, original) {
		t.Errorf("template after the rollback:\n%+v\nwant\n%+v", after.Spec.Template, original)
	}
	revs = e.revisionsOf("alice", "payments", name)
	if revs.Current != 3 || len(revs.Revisions) != 2 || revs.Revisions[0].ReplicaSet != rev1.ReplicaSet || revs.Revisions[1].Revision != 2 {
		t.Errorf("after the rollback: %+v", revs)
	}
	e.verify()
}

// equalTemplates compares what the rollback restores (the apiserver's defaults apply to
// both sides alike).
func equalTemplates(a, b corev1.PodTemplateSpec) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// Delete one pod of a throw-away Deployment: the dry run keeps it, the delete removes
// it, and its ReplicaSet creates a replacement. A bare pod is refused and kept.
func TestDeletePodOnTheCluster(t *testing.T) {
	cs := adminClient(t)
	name := throwAwayDeployment(t, cs)
	e := clusterEnv(t, cs)
	ctx := context.Background()
	podsOf := func() []corev1.Pod {
		list, err := cs.CoreV1().Pods("payments").List(ctx, metav1.ListOptions{LabelSelector: "app=" + name})
		if err != nil {
			t.Fatal(err)
		}
		var out []corev1.Pod
		for _, p := range list.Items {
			if p.DeletionTimestamp == nil {
				out = append(out, p)
			}
		}
		return out
	}
	pods := podsOf()
	if len(pods) != 1 {
		t.Fatalf("%d pods", len(pods))
	}
	victim := pods[0]

	r := e.do("POST", "/v1/actions?dryRun=true", "alice", deletePod(victim.Name))
	if r.status != 200 || !r.outcome(t).DryRun {
		t.Fatalf("dry run: %d %s", r.status, r.body)
	}
	if p, err := cs.CoreV1().Pods("payments").Get(ctx, victim.Name, metav1.GetOptions{}); err != nil || p.UID != victim.UID || p.DeletionTimestamp != nil {
		t.Fatalf("the dry run deleted the pod: %v", err)
	}
	r = e.do("POST", "/v1/actions", "alice", deletePod(victim.Name))
	if o := r.outcome(t); r.status != 200 || !strings.HasPrefix(o.Message, "deleted pod payments/"+victim.Name+"; replicaset ") {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		pods := podsOf()
		if len(pods) == 1 && pods[0].UID != victim.UID && pods[0].Status.Phase == corev1.PodRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no running replacement of %s: %d pods", victim.Name, len(pods))
		}
		time.Sleep(300 * time.Millisecond)
	}

	bare := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name + "-bare", Namespace: "payments", Labels: map[string]string{"team": "payments"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.local/payments/authz-test:1"}}}}
	if _, err := cs.CoreV1().Pods("payments").Create(ctx, bare, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		zero := int64(0)
		_ = cs.CoreV1().Pods("payments").Delete(context.Background(), bare.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	})
	r = e.do("POST", "/v1/actions", "alice", deletePod(bare.Name))
	if r.status != 409 || !strings.Contains(r.errorBody(t).Message, "bare pod") {
		t.Fatalf("bare pod: %d %s", r.status, r.body)
	}
	if p, err := cs.CoreV1().Pods("payments").Get(ctx, bare.Name, metav1.GetOptions{}); err != nil || p.DeletionTimestamp != nil {
		t.Fatalf("the bare pod was deleted: %v", err)
	}
	if r := e.do("POST", "/v1/actions", "bob", deletePod(victim.Name)); r.status != 403 {
		t.Errorf("bob deletes a payments pod: %d %s", r.status, r.body)
	}
	e.verify()
}

func deletePod(pod string) api.ActionRequest {
	return api.ActionRequest{Kind: api.ActionDeletePod, Target: api.Target{Namespace: "payments", Name: pod}, Reason: why}
}
