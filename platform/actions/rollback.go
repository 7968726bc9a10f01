package actions

import (
	"context"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/vigie-dev/vigie/platform/api"
)

// rollbackSkippedAnnotations are the ReplicaSet annotations `kubectl rollout undo` does
// not copy onto the Deployment (the controller's own, and kubectl's last applied state).
var rollbackSkippedAnnotations = map[string]bool{
	"kubectl.kubernetes.io/last-applied-configuration": true,
	RevisionAnnotation:                          true,
	"deployment.kubernetes.io/revision-history": true,
	"deployment.kubernetes.io/desired-replicas": true,
	"deployment.kubernetes.io/max-replicas":     true,
	"deprecated.deployment.rollback.to":         true,
}

// planRollback does what `kubectl rollout undo [--to-revision=N]` does: the Deployment's
// pod template becomes the chosen ReplicaSet's (without its pod-template-hash label), and
// the ReplicaSet's annotations (the change cause) are copied onto the Deployment. The
// previous revision is the highest one below the current one. Replicas, and the
// ConfigMaps and Secrets the template reads, are not reverted: the plan warns about them.
func (r *Runner) planRollback(ctx context.Context, req Request, cur *appsv1.Deployment, what string) (plan, error) {
	if cur.Spec.Paused {
		return plan{}, &Error{Code: api.CodeConflict, Msg: what + " is paused: resume it before rolling it back"}
	}
	h, err := r.history(ctx, cur, what)
	if err != nil {
		return plan{}, err
	}
	if req.ExpectRevision != 0 && h.current != req.ExpectRevision {
		now := fmt.Sprintf("now %d", h.current)
		if h.current == 0 {
			now = "a new rollout is starting"
		}
		return plan{}, &Error{Code: api.CodeConflict, Msg: fmt.Sprintf(
			"%s changed since you saw it (revision %d, %s): look at its revisions again and retry", what, req.ExpectRevision, now)}
	}
	var to *revision
	if req.ToRevision == 0 {
		if h.current == 0 {
			return plan{}, &Error{Code: api.CodeConflict, Msg: what + " is starting a rollout (no ReplicaSet has its template yet), so its previous revision is unclear: retry in a moment, or name the revision"}
		}
		for i := range h.revs {
			if h.revs[i].n < h.current {
				to = &h.revs[i] // ascending: the last one below the current revision
			}
		}
		if to == nil {
			return plan{}, &Error{Code: api.CodeNotFound, Msg: fmt.Sprintf("%s has no revision before %d to roll back to (its revisions: %s)", what, h.current, h.numbers())}
		}
	} else if to = h.find(req.ToRevision); to == nil {
		return plan{}, &Error{Code: api.CodeNotFound, Msg: fmt.Sprintf("%s has no revision %d (its revisions: %s)", what, req.ToRevision, h.numbers())}
	}
	if to.n == h.current || equalIgnoreHash(&to.rs.Spec.Template, &cur.Spec.Template) {
		return plan{noop: fmt.Sprintf("%s is already at revision %d: nothing to do", what, to.n)}, nil
	}

	next := cur.DeepCopy()
	next.Spec.Template = *withoutHash(&to.rs.Spec.Template)
	changes := templateChanges(&cur.Spec.Template, &next.Spec.Template)
	var keys []string
	for k := range to.rs.Annotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := to.rs.Annotations[k]
		if rollbackSkippedAnnotations[k] || next.Annotations[k] == v {
			continue
		}
		if next.Annotations == nil {
			next.Annotations = map[string]string{}
		}
		changes = append(changes, api.Change{Field: "metadata.annotations[" + k + "]", From: clip(cur.Annotations[k]), To: clip(v)})
		next.Annotations[k] = v
	}

	warnings := []string{fmt.Sprintf("replicas are not reverted (%d now)", replicasOf(cur))}
	if refs := templateRefs(&next.Spec.Template); len(refs) > 0 {
		warnings = append(warnings, "ConfigMaps/Secrets referenced by the template are not reverted: "+strings.Join(refs, ", "))
	}
	fromTo := fmt.Sprintf("from revision %d to revision %d", h.current, to.n)
	if h.current == 0 {
		fromTo = fmt.Sprintf("to revision %d", to.n)
	}
	// The controller gives the reused ReplicaSet the next revision number.
	becomes := h.revs[len(h.revs)-1].n + 1
	return plan{next: next, changes: changes, warnings: warnings,
		did:   fmt.Sprintf("rolled back %s %s (it becomes revision %d)", what, fromTo, becomes),
		would: fmt.Sprintf("would roll back %s %s", what, fromTo)}, nil
}
