package actions

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/vigie-dev/vigie/platform/api"
)

// Annotations the Deployment controller and kubectl keep on Deployments and ReplicaSets.
const (
	RevisionAnnotation    = "deployment.kubernetes.io/revision"
	ChangeCauseAnnotation = "kubernetes.io/change-cause"
)

// revision is one ReplicaSet of a Deployment and its revision number.
type revision struct {
	rs *appsv1.ReplicaSet
	n  int64
}

// history is a Deployment's ReplicaSets, by ascending revision, and the current
// revision: the one whose template is the Deployment's (0 while a rollout starts and
// the controller has not created that ReplicaSet yet).
type history struct {
	revs    []revision
	current int64
}

func (h history) find(n int64) *revision {
	for i := range h.revs {
		if h.revs[i].n == n {
			return &h.revs[i]
		}
	}
	return nil
}

// numbers lists the revisions for a message: "1, 2, 3".
func (h history) numbers() string {
	if len(h.revs) == 0 {
		return "none"
	}
	out := make([]string, len(h.revs))
	for i, r := range h.revs {
		out[i] = strconv.FormatInt(r.n, 10)
	}
	return strings.Join(out, ", ")
}

// history lists the ReplicaSets the Deployment controls (selected by its selector, with
// it as their controller) that carry a revision, as `kubectl rollout history` does.
func (r *Runner) history(ctx context.Context, d *appsv1.Deployment, what string) (history, error) {
	sel := labels.Everything()
	if d.Spec.Selector != nil {
		s, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil {
			return history{}, &Error{Code: api.CodeActionFailed, Msg: fmt.Sprintf("%s: its selector: %v", what, err), Err: err}
		}
		sel = s
	}
	list, err := r.o.Client.AppsV1().ReplicaSets(d.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return history{}, kubeError(ctx, "the replicasets of "+what, err)
	}
	var h history
	for i := range list.Items {
		rs := &list.Items[i]
		ref := metav1.GetControllerOf(rs)
		if ref == nil || ref.UID != d.UID || rs.DeletionTimestamp != nil {
			continue
		}
		n, err := strconv.ParseInt(rs.Annotations[RevisionAnnotation], 10, 64)
		if err != nil || n <= 0 {
			continue
		}
		h.revs = append(h.revs, revision{rs: rs, n: n})
		if n > h.current && equalIgnoreHash(&rs.Spec.Template, &d.Spec.Template) {
			h.current = n
		}
	}
	sort.Slice(h.revs, func(i, j int) bool { return h.revs[i].n < h.revs[j].n })
	return h, nil
}

// Revisions lists the revisions of a Deployment, newest first, each with what rolling
// back to it would change in the pod template. selector is the owning team's: a
// Deployment without its labels is refused.
func (r *Runner) Revisions(ctx context.Context, t api.Target, selector string) (api.RevisionsResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
	defer cancel()
	sel, err := teamSelector(selector)
	if err != nil {
		return api.RevisionsResponse{}, err
	}
	d, err := r.deployment(ctx, t, sel)
	if err != nil {
		return api.RevisionsResponse{}, err
	}
	h, err := r.history(ctx, d, "deployment "+t.String())
	if err != nil {
		return api.RevisionsResponse{}, err
	}
	out := api.RevisionsResponse{Namespace: d.Namespace, Name: d.Name, ResourceVersion: d.ResourceVersion,
		Current: h.current, Replicas: replicasOf(d), Paused: d.Spec.Paused, Revisions: []api.Revision{}}
	for i := len(h.revs) - 1; i >= 0; i-- {
		rs := h.revs[i].rs
		rev := api.Revision{Revision: h.revs[i].n, ReplicaSet: rs.Name, Created: rs.CreationTimestamp.UTC(),
			Images: []string{}, Current: h.revs[i].n == h.current, Replicas: rs.Status.Replicas,
			ChangeCause: clip(rs.Annotations[ChangeCauseAnnotation])}
		for _, c := range rs.Spec.Template.Spec.Containers {
			rev.Images = append(rev.Images, c.Image)
		}
		if !rev.Current {
			rev.Changes = templateChanges(&d.Spec.Template, &rs.Spec.Template)
		}
		out.Revisions = append(out.Revisions, rev)
	}
	return out, nil
}
