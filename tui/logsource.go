package tui

import (
	"context"
	"errors"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vigie-dev/vigie/sources"
	"github.com/vigie-dev/vigie/sources/kube"
	"github.com/vigie-dev/vigie/views"
)

// logSource returns the log feed of a session: Kubernetes pod logs through its client.
func logSource(s Session) func(context.Context, views.LogQuery) (<-chan sources.LogBatch, error) {
	if s.Kube == nil {
		return nil
	}
	cs := s.Kube
	return func(ctx context.Context, q views.LogQuery) (<-chan sources.LogBatch, error) {
		if q.Pod == "" && q.Selector == "" {
			return nil, errors.New("logs: the deployment's pod selector is unknown (is it still there?)")
		}
		return kube.Logs(ctx, cs, kube.LogsRequest{Namespace: q.Namespace, Pod: q.Pod, Selector: q.Selector,
			Container: q.Container, Since: q.Since, Follow: q.Follow, Previous: q.Previous})
	}
}

// selectorOf returns the pod selector of a deployment route, from the last snapshot.
func (m *Model) selectorOf(r views.Route) string {
	if r.Kind != "Deployment" || m.last == nil {
		return ""
	}
	for _, d := range m.last.Deployments {
		if d.Namespace == r.Namespace && d.Name == r.Name && d.Spec.Selector != nil {
			if sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err == nil && !sel.Empty() {
				return sel.String()
			}
		}
	}
	return ""
}
