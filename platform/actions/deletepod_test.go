package actions

import (
	"context"
	"errors"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/vigie-dev/vigie/platform/actions/actionstest"
	"github.com/vigie-dev/vigie/platform/api"
)

var podsGVR = schema.GroupVersionResource{Version: "v1", Resource: "pods"}

func pods() *actionstest.Kube {
	cur, old := actionstest.ReplicaSetName("ledger", 2), actionstest.ReplicaSetName("ledger", 1)
	rs := func(name string) *metav1.OwnerReference { return actionstest.Controller("ReplicaSet", name) }
	objs := actionstest.History("payments", "ledger", 2, ledgerLabels, ledger(2)...)
	bareRS := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "payments", Name: "solo", UID: actionstest.UID("ReplicaSet", "solo")}}
	one := int32(1)
	bareRS.Spec.Replicas = &one
	deleting := actionstest.Pod("payments", "ledger-going", ledgerLabels, rs(cur))
	deleting.DeletionTimestamp = &metav1.Time{}
	return actionstest.New(append(objs, bareRS,
		actionstest.Pod("payments", "ledger-a", ledgerLabels, rs(cur)),
		actionstest.Pod("payments", "ledger-old", ledgerLabels, rs(old)),
		actionstest.Pod("payments", "ledger-orphan", ledgerLabels, rs("ledger-gone")),
		actionstest.Pod("payments", "solo-x", ledgerLabels, rs("solo")),
		actionstest.Pod("payments", "debug", ledgerLabels, nil),
		actionstest.Pod("payments", "db-0", ledgerLabels, actionstest.Controller("StatefulSet", "db")),
		actionstest.Pod("payments", "migrate-x", ledgerLabels, actionstest.Controller("Job", "migrate")),
		actionstest.Pod("payments", "foreign", map[string]string{"team": "search"}, rs(cur)),
		deleting,
	)...)
}

func deletePod(name string) Request {
	return Request{Kind: api.ActionDeletePod, Target: api.Target{Namespace: "payments", Name: name}, Selector: "team=payments"}
}

func TestDeletePod(t *testing.T) {
	k := pods()
	r := runner(t, k)
	req := deletePod("ledger-a")
	req.DryRun = true
	res, err := r.Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Message != "would delete pod payments/ledger-a; replicaset ledger-h00000002 (deployment ledger) would create a replacement" ||
		len(res.Changes) != 1 || res.Changes[0] != (api.Change{Field: "pod", From: "ledger-a", To: "(deleted)"}) {
		t.Errorf("dry run: %+v", res)
	}
	if k.Deletes.Load() != 0 || k.Pod("payments", "ledger-a") == nil {
		t.Fatal("the dry run deleted the pod")
	}
	req.DryRun, req.Expect = false, "7"
	res, err = r.Run(context.Background(), req)
	if err != nil || res.Message != "deleted pod payments/ledger-a; replicaset ledger-h00000002 (deployment ledger) creates a replacement" {
		t.Fatalf("%+v %v", res, err)
	}
	if k.Deletes.Load() != 1 || k.Pod("payments", "ledger-a") != nil {
		t.Error("the pod is still there")
	}
	// A ReplicaSet without a Deployment replaces its pods too.
	if res, err := r.Run(context.Background(), deletePod("solo-x")); err != nil || !strings.Contains(res.Message, "replicaset solo creates") {
		t.Errorf("pod of a bare replicaset: %+v %v", res, err)
	}
	if res, err := r.Run(context.Background(), deletePod("ledger-going")); err != nil || !strings.Contains(res.Message, "already being deleted") {
		t.Errorf("pod being deleted: %+v %v", res, err)
	}
}

func TestDeletePodRefusals(t *testing.T) {
	k := pods()
	r := runner(t, k)
	stale := deletePod("ledger-a")
	stale.Expect = "6"
	for _, c := range []struct {
		req  Request
		code string
		msg  string
	}{
		{deletePod("debug"), api.CodeConflict, "pod payments/debug is a bare pod (no ReplicaSet or Deployment manages it): deleted, it would not come back"},
		{deletePod("db-0"), api.CodeConflict, "is managed by statefulset db, not by a Deployment's ReplicaSet"},
		{deletePod("migrate-x"), api.CodeConflict, "is managed by job migrate"},
		{deletePod("ledger-orphan"), api.CodeConflict, "its replicaset ledger-gone is gone, so nothing would replace the pod"},
		{deletePod("ledger-old"), api.CodeConflict, "wants no pods"},
		{deletePod("foreign"), api.CodeForbidden, "does not carry the owning team's labels (team=payments)"},
		{deletePod("nope"), api.CodeNotFound, "pod payments/nope does not exist"},
		{stale, api.CodeConflict, "changed since you saw it (resourceVersion 6, now 7)"},
	} {
		_, err := r.Run(context.Background(), c.req)
		var ae *Error
		if !errors.As(err, &ae) || ae.Code != c.code || !strings.Contains(ae.Msg, c.msg) {
			t.Errorf("%s: got %v, want %s %q", c.req.Target.Name, err, c.code, c.msg)
		}
	}
	if k.Deletes.Load() != 0 {
		t.Errorf("%d pods deleted on refusals", k.Deletes.Load())
	}
}

// The pod is replaced by another of the same name between the Get and the Delete: the
// UID precondition keeps the new one, and the conflict is not retried.
func TestDeletePodKeepsAReplacementOfTheSameName(t *testing.T) {
	k := pods()
	k.PrependReactor("delete", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		p := k.Pod("payments", "ledger-a").DeepCopy()
		p.UID = "another"
		if err := k.Tracker().Update(podsGVR, p, "payments"); err != nil {
			t.Fatal(err)
		}
		return false, nil, nil
	})
	_, err := runner(t, k).Run(context.Background(), deletePod("ledger-a"))
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != api.CodeConflict || !strings.Contains(ae.Msg, "changed while the action ran") {
		t.Fatalf("got %v", err)
	}
	if k.Deletes.Load() != 0 || k.Pod("payments", "ledger-a") == nil {
		t.Error("the replacement was deleted")
	}
}
