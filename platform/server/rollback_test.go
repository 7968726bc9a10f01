package server

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/vigie-dev/vigie/platform/actions/actionstest"
	"github.com/vigie-dev/vigie/platform/api"
)

var ledgerLabels = map[string]string{"app": "ledger", "team": "payments"}

// withLedger adds payments/ledger with two revisions (1 good, 2 the bad release), its
// pods ledger-a (of revision 2) and debug (a bare pod), and search/indexer-a (search's).
func withLedger(e *env) {
	e.t.Helper()
	good := actionstest.Template("registry.local/payments/ledger:2.7.0", ledgerLabels, nil,
		corev1.EnvVar{Name: "DB_PASSWORD", Value: "hunter2"})
	bad := actionstest.Template("registry.local/payments/ledger:2.8.0", ledgerLabels, map[string]string{"sim.vigie.dev/error-ratio": "0.4"},
		corev1.EnvVar{Name: "DB_PASSWORD", Value: "correct-horse"})
	objs := actionstest.History("payments", "ledger", 2, ledgerLabels, good, bad)
	objs = append(objs,
		actionstest.Pod("payments", "ledger-a", ledgerLabels, actionstest.Controller("ReplicaSet", actionstest.ReplicaSetName("ledger", 2))),
		actionstest.Pod("payments", "debug", ledgerLabels, nil),
		actionstest.Pod("search", "indexer-a", map[string]string{"team": "search"}, actionstest.Controller("ReplicaSet", "indexer-1")))
	addObjects(e, objs...)
}

func addObjects(e *env, objs ...runtime.Object) {
	e.t.Helper()
	for _, o := range objs {
		if err := e.kube.Tracker().Add(o); err != nil {
			e.t.Fatal(err)
		}
	}
}

func rollbackReq(to, expectRevision int64, rv string) api.ActionRequest {
	req := api.ActionRequest{Kind: api.ActionRollback, Target: api.Target{Namespace: "payments", Name: "ledger"},
		Params: api.Params{ToRevision: to}, Reason: reason}
	if expectRevision != 0 || rv != "" {
		req.Expect = &api.Expect{ResourceVersion: rv, Revision: expectRevision}
	}
	return req
}

func deletePodReq(ns, pod string) api.ActionRequest {
	return api.ActionRequest{Kind: api.ActionDeletePod, Target: api.Target{Namespace: ns, Name: pod}, Reason: reason}
}

func TestRevisionsEndpoint(t *testing.T) {
	e := newEnv(t)
	withLedger(e)
	const path = "/v1/deployments/payments/ledger/revisions"
	for _, who := range []string{"alice", "readonly", "lena"} { // a read: members and read-only tokens too
		r := e.do("GET", path, who, nil)
		var out api.RevisionsResponse
		if err := json.Unmarshal(r.body, &out); err != nil || r.status != 200 {
			t.Fatalf("%s: %d %s", who, r.status, r.body)
		}
		if out.Current != 2 || out.ResourceVersion != "10" || out.Replicas != 2 || len(out.Revisions) != 2 || !out.Revisions[0].Current || out.Revisions[1].Revision != 1 {
			t.Fatalf("%s: %+v", who, out)
		}
		want := []api.Change{
			{Field: "spec.template.spec.containers[app].image", From: "registry.local/payments/ledger:2.8.0", To: "registry.local/payments/ledger:2.7.0"},
			{Field: "spec.template.spec.containers[app].env[DB_PASSWORD]", From: api.SecretChanged, To: api.SecretChanged},
			{Field: "spec.template.metadata.annotations[sim.vigie.dev/error-ratio]", From: "0.4", To: ""},
		}
		if !slices.Equal(out.Revisions[1].Changes, want) {
			t.Errorf("revision 1 changes %+v", out.Revisions[1].Changes)
		}
		if strings.Contains(string(r.body), "hunter2") || strings.Contains(string(r.body), "correct-horse") {
			t.Errorf("a secret-looking value is shown: %s", r.body)
		}
	}
	for _, c := range []struct {
		who, path string
		status    int
		code, msg string
	}{
		{"", path, 401, api.CodeUnauthenticated, "no token"},
		{"expired", path, 401, api.CodeUnauthenticated, "expired"},
		{"bob", path, 403, api.CodeForbidden, "bob is not a member of team payments"},
		{"ada", "/v1/deployments/kube-system/coredns/revisions", 403, api.CodeForbidden, "belongs to no team"},
		{"ada", "/v1/deployments/search/search-api/revisions", 403, api.CodeForbidden, "not a member of team search"},
		{"ada", "/v1/deployments/payments/nope/revisions", 404, api.CodeNotFound, "deployment payments/nope does not exist"},
		{"ada", "/v1/deployments/payments/Ledger_1/revisions", 400, api.CodeInvalid, "name: \"Ledger_1\" is not a Deployment name"},
		{"ada", "/v1/deployments/pay%2Fments/ledger/revisions", 400, api.CodeInvalid, "namespace: "},
	} {
		r := e.do("GET", c.path, c.who, nil)
		if eb := r.errorBody(t); r.status != c.status || eb.Code != c.code || !strings.Contains(eb.Message, c.msg) {
			t.Errorf("%s %s: %d %s, want %d %s %q", c.who, c.path, r.status, r.body, c.status, c.code, c.msg)
		}
	}
	// A Deployment in the team's namespace without the team's labels is not the team's.
	addObjects(e, actionstest.Deployment("payments", "shared", 1, map[string]string{"team": "platform"}))
	if r := e.do("GET", "/v1/deployments/payments/shared/revisions", "ada", nil); r.status != 403 || !strings.Contains(r.errorBody(t).Message, "owning team's labels") {
		t.Errorf("another team's labels: %d %s", r.status, r.body)
	}
	// Each refused read (401, 403) has its denied record, in the owning team's records
	// when it names one; a missing or malformed target is no refusal.
	var denied []string
	for _, r := range e.records() {
		if r.Type != api.AuditDenied || r.Status != api.StatusDenied || !strings.HasPrefix(r.Message, "GET /v1/deployments/") {
			t.Errorf("record %+v", r)
		}
		denied = append(denied, r.User+" "+r.Code+" "+r.Team)
	}
	want := []string{" unauthenticated ", " unauthenticated ", "bob forbidden payments", "ada forbidden ", "ada forbidden search", "ada forbidden payments"}
	if !slices.Equal(denied, want) {
		t.Errorf("refused reads audited as %q, want %q", denied, want)
	}
}

func TestRollbackThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	withLedger(e)
	r := e.do("POST", "/v1/actions?dryRun=true", "olivia", rollbackReq(0, 2, "10"))
	o := r.outcome(t)
	if r.status != 200 || !o.DryRun || !strings.HasPrefix(o.Message, "would roll back deployment payments/ledger from revision 2 to revision 1; warning: replicas are not reverted (2 now)") ||
		!slices.Equal(o.Warnings, []string{"replicas are not reverted (2 now)"}) || len(o.Changes) != 4 || o.ResourceVersion != "10" {
		t.Fatalf("dry run: %d %s", r.status, r.body)
	}
	if e.kube.Updates.Load() != 0 {
		t.Fatal("the dry run changed the deployment")
	}
	// Someone else saw revision 1 as current: refused, audited, nothing changed.
	r = e.do("POST", "/v1/actions", "olivia", rollbackReq(0, 1, ""))
	eb := r.errorBody(t)
	if r.status != 409 || eb.Code != api.CodeConflict || !strings.Contains(eb.Message, "changed since you saw it (revision 1, now 2)") {
		t.Fatalf("stale revision: %d %s", r.status, r.body)
	}
	if rec := e.recordByID(eb.Details["auditId"]); rec.Type != api.AuditOutcome || rec.Code != api.CodeConflict {
		t.Errorf("refusal record %+v", rec)
	}
	r = e.do("POST", "/v1/actions", "olivia", rollbackReq(1, 2, "10"))
	o = r.outcome(t)
	if r.status != 200 || !strings.Contains(o.Message, "rolled back deployment payments/ledger from revision 2 to revision 1") || o.ResourceVersion != "11" {
		t.Fatalf("rollback: %d %s", r.status, r.body)
	}
	d := e.kube.Get("payments", "ledger")
	if d.Spec.Template.Spec.Containers[0].Image != "registry.local/payments/ledger:2.7.0" || d.Spec.Template.Annotations["sim.vigie.dev/error-ratio"] != "" {
		t.Errorf("template after the rollback: %+v", d.Spec.Template)
	}
	out := e.recordByID(o.AuditID)
	if out.Params == nil || out.Params.ToRevision != 1 || out.Message != o.Message || len(out.Changes) != len(o.Changes) {
		t.Errorf("outcome record %+v", out)
	}
	for _, rec := range e.records() {
		b, _ := json.Marshal(rec)
		if strings.Contains(string(b), "hunter2") || strings.Contains(string(b), "correct-horse") {
			t.Errorf("audit record %d holds a secret-looking value", rec.Seq)
		}
	}
	e.verify()
}

func TestDeletePodThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	withLedger(e)
	r := e.do("POST", "/v1/actions?dryRun=true", "olivia", deletePodReq("payments", "ledger-a"))
	if o := r.outcome(t); r.status != 200 || !o.DryRun || e.kube.Deletes.Load() != 0 || e.kube.Pod("payments", "ledger-a") == nil {
		t.Fatalf("dry run: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/v1/actions", "olivia", deletePodReq("payments", "debug"))
	if eb := r.errorBody(t); r.status != 409 || !strings.Contains(eb.Message, "bare pod") || e.kube.Pod("payments", "debug") == nil {
		t.Errorf("bare pod: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/v1/actions", "olivia", deletePodReq("payments", "ledger-a"))
	if o := r.outcome(t); r.status != 200 || o.Message != "deleted pod payments/ledger-a; replicaset ledger-h00000002 (deployment ledger) creates a replacement" {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if e.kube.Deletes.Load() != 1 || e.kube.Pod("payments", "ledger-a") != nil {
		t.Error("the pod was not deleted")
	}
	if r := e.do("POST", "/v1/actions", "lena", deletePodReq("search", "indexer-a")); r.status != 403 || e.kube.Pod("search", "indexer-a") == nil {
		t.Errorf("another team's pod: %d %s", r.status, r.body)
	}
	e.verify()
}

// The new kinds are refused like the others: policy (deny by default), validation.
func TestRollbackAndDeletePodRefusals(t *testing.T) {
	neg := rollbackReq(-1, 0, "")
	scaleWithRevision := scaleReq("payments", "checkout", 2, reason)
	scaleWithRevision.Expect = &api.Expect{Revision: 2}
	restartWithRevision := restartReq("payments", "checkout", reason)
	restartWithRevision.Params.ToRevision = 1
	withReplicas := deletePodReq("payments", "ledger-a")
	withReplicas.Params.Replicas = new(int32)
	for _, c := range []struct {
		name, who string
		body      any
		status    int
		code, msg string
	}{
		{"member may not roll back", "alice", rollbackReq(0, 0, ""), 403, api.CodeForbidden, "no policy rule allows rollback to members"},
		{"member may not delete a pod", "alice", deletePodReq("payments", "ledger-a"), 403, api.CodeForbidden, "no policy rule allows delete-pod to members"},
		{"no rule in staging", "lena", api.ActionRequest{Kind: api.ActionRollback, Target: api.Target{Namespace: "payments-staging", Name: "checkout"}}, 403, api.CodeForbidden, "no policy rule allows rollback"},
		{"production rollback without reason", "lena", api.ActionRequest{Kind: api.ActionRollback, Target: api.Target{Namespace: "payments", Name: "ledger"}}, 422, api.CodeReasonRequired, "a production rollback needs a reason"},
		{"read-only", "readonly", deletePodReq("payments", "ledger-a"), 403, api.CodeReadOnly, "read-only"},
		{"negative revision", "lena", neg, 400, api.CodeInvalid, "params.toRevision: -1 is negative"},
		{"restart with a revision", "lena", restartWithRevision, 400, api.CodeInvalid, "params.toRevision: restart takes no revision"},
		{"scale with a revision precondition", "lena", scaleWithRevision, 400, api.CodeInvalid, "expect.revision: only a rollback"},
		{"delete-pod with replicas", "lena", withReplicas, 400, api.CodeInvalid, "delete-pod takes no replicas"},
		{"bad pod name", "lena", deletePodReq("payments", "Ledger_A"), 400, api.CodeInvalid, "is not a pod name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			withLedger(e)
			r := e.do("POST", "/v1/actions", c.who, c.body)
			eb := r.errorBody(t)
			if r.status != c.status || eb.Code != c.code || !strings.Contains(eb.Message, c.msg) {
				t.Fatalf("got %d %s %q, want %d %s %q", r.status, eb.Code, eb.Message, c.status, c.code, c.msg)
			}
			if e.kube.Updates.Load()+e.kube.Deletes.Load() != 0 {
				t.Error("a refusal changed the cluster")
			}
			if rec := e.recordByID(eb.Details["auditId"]); rec.Code != c.code {
				t.Errorf("audit record %+v", rec)
			}
		})
	}
}
