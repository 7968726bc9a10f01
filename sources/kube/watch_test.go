package kube

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestStripForDisplay(t *testing.T) {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Name:          "checkout-1",
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
		Annotations:   map[string]string{corev1.LastAppliedConfigAnnotation: `{"big":"json"}`, "team": "payments"},
	}}
	out, err := StripForDisplay(p)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*corev1.Pod)
	if got.ManagedFields != nil {
		t.Error("managedFields kept")
	}
	if _, ok := got.Annotations[corev1.LastAppliedConfigAnnotation]; ok {
		t.Error("last-applied annotation kept")
	}
	if got.Annotations["team"] != "payments" {
		t.Error("other annotations must stay")
	}
	// Tombstones are not objects: they pass through untouched.
	tomb := "not an object"
	if out, err := StripForDisplay(tomb); err != nil || out != tomb {
		t.Errorf("tombstone: %v, %v", out, err)
	}
}

func TestSnapshotProblems(t *testing.T) {
	s := Snapshot{Problems: []Problem{{Namespace: "search", Resource: "pods", Forbidden: true}}}
	if s.Stale() || !s.Forbidden("search", "pods") || s.Forbidden("payments", "pods") {
		t.Fatalf("forbidden only: stale=%v", s.Stale())
	}
	s.Problems = append(s.Problems, Problem{Namespace: "payments", Resource: "pods", Err: "connection refused"})
	if !s.Stale() {
		t.Fatal("a connection error must make the snapshot stale")
	}
}

// The watch refuses a scope it cannot apply rather than watching cluster-wide.
func TestWatchRejectsBadScope(t *testing.T) {
	for _, s := range []Scope{{}, {Namespaces: []string{"payments"}, Selector: "team in (a,"}} {
		if _, err := Watch(context.Background(), nil, s, WatchOptions{}); err == nil {
			t.Errorf("Watch(%+v) accepted", s)
		}
	}
}
