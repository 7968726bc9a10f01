package actions

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/vigie-dev/vigie/platform/api"
)

// deletePod deletes one pod of the team, so that its ReplicaSet replaces it. Only a pod
// whose controller is a live ReplicaSet that wants pods is deleted: a bare pod, or one
// of a StatefulSet, DaemonSet or Job, is refused (vigie does not promise those come
// back). The delete carries the pod's UID (and the caller's resourceVersion) as
// preconditions, so it never deletes another pod of the same name.
func (r *Runner) deletePod(ctx context.Context, req Request, sel labels.Selector) (Result, error) {
	what := "pod " + req.Target.String()
	pods := r.o.Client.CoreV1().Pods(req.Target.Namespace)
	pod, err := pods.Get(ctx, req.Target.Name, metav1.GetOptions{})
	if err != nil {
		return Result{}, kubeError(ctx, what, err)
	}
	if !sel.Matches(labels.Set(pod.Labels)) {
		return Result{}, &Error{Code: api.CodeForbidden, Msg: fmt.Sprintf("%s does not carry the owning team's labels (%s): vigie acts only on the team's own objects", what, sel)}
	}
	if req.Expect != "" && pod.ResourceVersion != req.Expect {
		return Result{}, &Error{Code: api.CodeConflict, Msg: fmt.Sprintf(
			"%s changed since you saw it (resourceVersion %s, now %s): look at it again and retry", what, req.Expect, pod.ResourceVersion)}
	}
	if pod.DeletionTimestamp != nil {
		return Result{Message: what + " is already being deleted: nothing to do", ResourceVersion: pod.ResourceVersion}, nil
	}
	owner := metav1.GetControllerOf(pod)
	if owner == nil {
		return Result{}, &Error{Code: api.CodeConflict, Msg: what + " is a bare pod (no ReplicaSet or Deployment manages it): deleted, it would not come back, so vigie does not delete it"}
	}
	gv, _ := schema.ParseGroupVersion(owner.APIVersion)
	if owner.Kind != "ReplicaSet" || gv.Group != "apps" {
		return Result{}, &Error{Code: api.CodeConflict, Msg: fmt.Sprintf(
			"%s is managed by %s %s, not by a Deployment's ReplicaSet: vigie deletes only pods of Deployments", what, strings.ToLower(owner.Kind), owner.Name)}
	}
	rs, err := r.o.Client.AppsV1().ReplicaSets(req.Target.Namespace).Get(ctx, owner.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err) || err == nil && (rs.UID != owner.UID || rs.DeletionTimestamp != nil):
		return Result{}, &Error{Code: api.CodeConflict, Msg: fmt.Sprintf("%s: its replicaset %s is gone, so nothing would replace the pod: vigie does not delete it", what, owner.Name)}
	case err != nil:
		return Result{}, kubeError(ctx, "replicaset "+req.Target.Namespace+"/"+owner.Name, err)
	case rs.Spec.Replicas != nil && *rs.Spec.Replicas == 0:
		return Result{}, &Error{Code: api.CodeConflict, Msg: fmt.Sprintf("%s: its replicaset %s wants no pods (an old revision being scaled down), so nothing would replace it", what, rs.Name)}
	}
	by := "replicaset " + rs.Name
	if d := metav1.GetControllerOf(rs); d != nil && d.Kind == "Deployment" {
		by += " (deployment " + d.Name + ")"
	}

	uid := pod.UID
	opts := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}
	if req.Expect != "" {
		rv := req.Expect
		opts.Preconditions.ResourceVersion = &rv
	}
	msg := fmt.Sprintf("deleted %s; %s creates a replacement", what, by)
	if req.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
		msg = fmt.Sprintf("would delete %s; %s would create a replacement", what, by)
	}
	if err := pods.Delete(ctx, pod.Name, opts); err != nil {
		return Result{}, kubeError(ctx, what, err)
	}
	return Result{Message: msg, Changes: []api.Change{{Field: "pod", From: pod.Name, To: "(deleted)"}}}, nil
}
