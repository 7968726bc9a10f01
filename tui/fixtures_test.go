package tui

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/sources/kube"
	"github.com/vigie-dev/vigie/views"
)

// testNow is the fixed clock of the screen tests.
var testNow = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

func ago(d time.Duration) metav1.Time { return metav1.NewTime(testNow.Add(-d)) }

// The injected text: an OSC title change, a clear screen and a C1 CSI byte.
const evil = "pwn\x1b]0;pwned\x07ed\x1b[2J now\u009b31m"

func deployment(name string, replicas, ready int32, rev string, progressing bool) *appsv1.Deployment {
	cond := appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable"}
	if progressing {
		cond.Reason = "ReplicaSetUpdated"
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "payments", CreationTimestamp: ago(26 * time.Hour),
			Labels: map[string]string{"app": name, "team": "payments"}, Generation: 1,
			Annotations: map[string]string{"deployment.kubernetes.io/revision": rev}},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app",
					Image: "registry.local/payments/" + name + ":1.4." + rev}}},
			},
		},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: replicas, UpdatedReplicas: replicas,
			ReadyReplicas: ready, AvailableReplicas: ready, Conditions: []appsv1.DeploymentCondition{cond}},
	}
}

func pod(dep, hash, suffix string, age time.Duration, crash bool) *corev1.Pod {
	ready := !crash
	st := corev1.ContainerStatus{Name: "app", Ready: ready, Image: "registry.local/payments/" + dep + ":1.4.3"}
	if crash {
		st.RestartCount = 7
		st.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
			Message: "back-off 5m0s restarting failed container"}}
		st.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: "Error", ExitCode: 1, FinishedAt: ago(2 * time.Minute), StartedAt: ago(3 * time.Minute)}}
	} else {
		st.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: ago(age)}}
	}
	condStatus := corev1.ConditionTrue
	if crash {
		condStatus = corev1.ConditionFalse
	}
	rs := dep + "-" + hash
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: rs + "-" + suffix, Namespace: "payments", CreationTimestamp: ago(age),
			Labels:          map[string]string{"app": dep, "team": "payments", "pod-template-hash": hash},
			OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: rs, Controller: ptr(true)}}},
		Spec: corev1.PodSpec{NodeName: "kwok-node-1", Containers: []corev1.Container{{Name: "app",
			Image: "registry.local/payments/" + dep + ":1.4.3",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{st},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: condStatus}}},
	}
}

func ptr[T any](v T) *T { return &v }

func event(name, kind, obj, typ, reason, msg string, age time.Duration, count int32) *corev1.Event {
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: name, Namespace: "payments"},
		InvolvedObject: corev1.ObjectReference{Kind: kind, Name: obj, Namespace: "payments"},
		Type:           typ, Reason: reason, Message: msg, Count: count, LastTimestamp: ago(age),
	}
}

// fixture is the payments team as the local platform seeds it, frozen at testNow.
func fixture() kube.Snapshot {
	crash := pod("fraud-worker", "796b7978bb", "4c6c2", 3*time.Hour, true)
	return kube.Snapshot{
		Seq: 1, At: testNow, Synced: true,
		Deployments: []*appsv1.Deployment{
			deployment("checkout", 3, 3, "3", false),
			deployment("fraud-worker", 1, 0, "1", true),
			deployment("ledger", 2, 2, "2", false),
		},
		Pods: []*corev1.Pod{
			pod("checkout", "57d49946f6", "69zfr", 26*time.Hour, false),
			pod("checkout", "57d49946f6", "k9pch", 26*time.Hour, false),
			pod("checkout", "57d49946f6", "nww4w", 25*time.Hour, false),
			crash,
			pod("ledger", "5b889f8658", "pp982", 90*time.Minute, false),
			pod("ledger", "5b889f8658", "swxzd", 90*time.Minute, false),
		},
		Events: []*corev1.Event{
			event("e1", "Pod", crash.Name, "Warning", "BackOff", "Back-off restarting failed container app", 2*time.Minute, 31),
			event("e2", "Deployment", "ledger", "Normal", "ScalingReplicaSet", "Scaled up replica set ledger-5b889f8658 to 2", 90*time.Minute, 1),
			event("e3", "Pod", "checkout-57d49946f6-69zfr", "Normal", "Pulled", "Container image already present", 26*time.Hour, 1),
		},
	}
}

// manyPods returns a snapshot with n running pods.
func manyPods(n int) kube.Snapshot {
	s := fixture()
	s.Pods = nil
	for i := range n {
		s.Pods = append(s.Pods, pod("bench-load", "8f47bcf9b", fmt.Sprintf("%05d", i), time.Duration(i)*time.Second, i%97 == 0))
	}
	return s
}

// newTestModel builds a model on the fixture session with a fixed clock and no clock ticks.
func newTestModel(start views.Route, env string) *Model {
	keys := keymaps.Default()
	keys.ApplyReadOnly()
	m := New(Options{
		Session: Session{Context: "local-payments", Environment: env, Team: "payments",
			Namespaces: []string{"payments"}, Selector: "team=payments"},
		Contexts: []string{"local-admin", "local-payments", "local-search"},
		Teams:    []string{"payments", "search"},
		Keys:     keys,
		Theme:    "dark",
		Start:    start,
		Now:      func() time.Time { return testNow },
		NoTick:   true,
	})
	return m
}

// withFeed makes m's workloads source a channel the test writes snapshots to.
func withFeed(m *Model) chan kube.Snapshot {
	ch := make(chan kube.Snapshot)
	m.opts.Source = func(ctx context.Context, _ Session) (<-chan kube.Snapshot, error) { return ch, nil }
	return ch
}

// feedTo sends s to the program reading ch, failing when nobody reads it.
func feedTo(t *testing.T, ch chan kube.Snapshot, s kube.Snapshot) {
	t.Helper()
	select {
	case ch <- s:
	case <-time.After(5 * time.Second):
		t.Fatal("the program does not read its workloads feed")
	}
}
