package workloads

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vigie-dev/vigie/views/table"
)

// workloadsTestNow is the clock of these tests.
func workloadsTestNow() time.Time { return time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC) }

// statusTestPod is a scheduled pod of the checkout deployment with one container "app";
// edit adjusts it for a case.
func statusTestPod(edit func(p *corev1.Pod)) *corev1.Pod {
	yes := true
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:              "checkout-7d9f8b6c5-x2k4q",
			Namespace:         "shop",
			CreationTimestamp: metav1.NewTime(workloadsTestNow().Add(-2 * time.Hour)),
			Labels:            map[string]string{"app": "checkout", "pod-template-hash": "7d9f8b6c5"},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "checkout-7d9f8b6c5", Controller: &yes,
			}},
		},
		Spec: corev1.PodSpec{
			NodeName:   "node-a",
			Containers: []corev1.Container{{Name: "app", Image: "registry.local/checkout:1.4.2"}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
	if edit != nil {
		edit(p)
	}
	return p
}

func stRunning() corev1.ContainerState {
	return corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(workloadsTestNow().Add(-time.Hour))}}
}

func stWaiting(reason string) corev1.ContainerState {
	return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}
}

func stTerminated(reason string, code int32, finished time.Time) corev1.ContainerState {
	return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		Reason: reason, ExitCode: code, FinishedAt: metav1.NewTime(finished),
	}}
}

func TestPodStatus(t *testing.T) {
	crashFinished := workloadsTestNow().Add(-3 * time.Minute)
	oomFinished := workloadsTestNow().Add(-10 * time.Minute)
	deleted := metav1.NewTime(workloadsTestNow().Add(-time.Minute))
	cases := []struct {
		name     string
		pod      *corev1.Pod
		status   string
		tone     table.Tone
		ready    int
		total    int
		restarts int32
		lastRe   time.Time
		lastTerm string
	}{
		{
			name: "running and ready",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Ready: true, State: stRunning()}}
			}),
			status: "Running", tone: table.ToneOK, ready: 1, total: 1,
		},
		{
			name: "running but not ready",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: stRunning()}}
			}),
			status: "Running", tone: table.ToneWarning, ready: 0, total: 1,
		},
		{
			name: "crash loop with 7 restarts, last exit Error 1",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{
					Name: "app", RestartCount: 7, State: stWaiting("CrashLoopBackOff"),
					LastTerminationState: stTerminated("Error", 1, crashFinished),
				}}
			}),
			status: "CrashLoopBackOff", tone: table.ToneDanger, total: 1, restarts: 7,
			lastRe: crashFinished, lastTerm: "Error (exit 1)",
		},
		{
			name: "image pull back-off",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodPending
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: stWaiting("ImagePullBackOff")}}
			}),
			status: "ImagePullBackOff", tone: table.ToneDanger, total: 1,
		},
		{
			name: "create container config error",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodPending
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: stWaiting("CreateContainerConfigError")}}
			}),
			status: "CreateContainerConfigError", tone: table.ToneDanger, total: 1,
		},
		{
			name: "container creating",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodPending
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: stWaiting("ContainerCreating")}}
			}),
			status: "ContainerCreating", tone: table.ToneWarning, total: 1,
		},
		{
			name: "terminated OOMKilled",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{
					Name: "app", RestartCount: 2, State: stTerminated("OOMKilled", 137, oomFinished),
				}}
			}),
			status: "OOMKilled", tone: table.ToneDanger, total: 1, restarts: 2,
		},
		{
			name: "running again after an OOM kill",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{
					Name: "app", Ready: true, RestartCount: 1, State: stRunning(),
					LastTerminationState: stTerminated("OOMKilled", 137, oomFinished),
				}}
			}),
			status: "Running", tone: table.ToneOK, ready: 1, total: 1, restarts: 1,
			lastRe: oomFinished, lastTerm: "OOMKilled (exit 137)",
		},
		{
			name: "killed by signal without reason",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{
					Terminated: &corev1.ContainerStateTerminated{Signal: 9, ExitCode: 137},
				}}}
			}),
			status: "Signal:9", tone: table.ToneDanger, total: 1,
		},
		{
			name: "pending unschedulable",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.Spec.NodeName = ""
				p.Status.Phase = corev1.PodPending
				p.Status.Conditions = []corev1.PodCondition{{
					Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable",
					Message: "0/3 nodes are available: 3 Insufficient memory.",
				}}
			}),
			status: "Pending: Unschedulable", tone: table.ToneWarning, total: 1,
		},
		{
			name: "init 0/1",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodPending
				p.Spec.InitContainers = []corev1.Container{{Name: "migrate", Image: "migrate:1"}}
				p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "migrate", State: stRunning()}}
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: stWaiting("PodInitializing")}}
			}),
			status: "Init:0/1", tone: table.ToneWarning, total: 1,
		},
		{
			name: "init crash loop counts init restarts",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodPending
				p.Spec.InitContainers = []corev1.Container{{Name: "migrate", Image: "migrate:1"}}
				p.Status.InitContainerStatuses = []corev1.ContainerStatus{{
					Name: "migrate", RestartCount: 4, State: stWaiting("CrashLoopBackOff"),
					LastTerminationState: stTerminated("Error", 2, crashFinished),
				}}
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: stWaiting("PodInitializing")}}
			}),
			status: "Init:CrashLoopBackOff", tone: table.ToneDanger, total: 1, restarts: 4,
			lastRe: crashFinished, lastTerm: "Error (exit 2)",
		},
		{
			name: "completed",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodSucceeded
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: stTerminated("Completed", 0, crashFinished)}}
			}),
			status: "Completed", tone: table.ToneMuted, total: 1,
		},
		{
			name: "terminating",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.DeletionTimestamp = &deleted
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Ready: true, State: stRunning()}}
			}),
			status: "Terminating", tone: table.ToneWarning, ready: 1, total: 1,
		},
		{
			name: "node lost while deleting",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.DeletionTimestamp = &deleted
				p.Status.Reason = "NodeLost"
			}),
			status: "Unknown", tone: table.ToneWarning, total: 1,
		},
		{
			name: "evicted",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodFailed
				p.Status.Reason = "Evicted"
				p.Status.Message = "The node was low on resource: memory."
			}),
			status: "Evicted", tone: table.ToneDanger, total: 1,
		},
		{
			name: "failed",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodFailed
			}),
			status: "Failed", tone: table.ToneDanger, total: 1,
		},
		{
			name: "reason with escape sequence is sanitised",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: stWaiting("Bad\x1b[2J")}}
			}),
			status: "Bad^[[2J", tone: table.ToneWarning, total: 1,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := PodStatus(c.pod)
			if got.Status != c.status || got.Tone != c.tone {
				t.Errorf("status = %q (%v), want %q (%v)", got.Status, got.Tone, c.status, c.tone)
			}
			if got.Ready != c.ready || got.Total != c.total {
				t.Errorf("ready = %d/%d, want %d/%d", got.Ready, got.Total, c.ready, c.total)
			}
			if got.Restarts != c.restarts {
				t.Errorf("restarts = %d, want %d", got.Restarts, c.restarts)
			}
			if !got.LastRestart.Equal(c.lastRe) {
				t.Errorf("last restart = %v, want %v", got.LastRestart, c.lastRe)
			}
			if got.LastTermination != c.lastTerm {
				t.Errorf("last termination = %q, want %q", got.LastTermination, c.lastTerm)
			}
		})
	}
}

func TestPodStatusOwnerAndNode(t *testing.T) {
	yes := true
	cases := []struct {
		name          string
		pod           *corev1.Pod
		owner, deploy string
		node          string
	}{
		{
			name:  "replica set of a deployment",
			pod:   statusTestPod(nil),
			owner: "ReplicaSet/checkout-7d9f8b6c5", deploy: "checkout", node: "node-a",
		},
		{
			name: "replica set without the hash label is no deployment",
			pod: statusTestPod(func(p *corev1.Pod) {
				delete(p.Labels, "pod-template-hash")
			}),
			owner: "ReplicaSet/checkout-7d9f8b6c5", node: "node-a",
		},
		{
			name: "stateful set",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.OwnerReferences = []metav1.OwnerReference{{Kind: "StatefulSet", Name: "db", Controller: &yes}}
				p.Spec.NodeName = "node-\x1b]0;pwned\x07"
			}),
			owner: "StatefulSet/db", node: "node-^[]0;pwned^G",
		},
		{
			name: "bare pod, unscheduled",
			pod: statusTestPod(func(p *corev1.Pod) {
				p.OwnerReferences = nil
				p.Spec.NodeName = ""
			}),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := PodStatus(c.pod)
			if got.Owner != c.owner || got.Deployment != c.deploy || got.Node != c.node {
				t.Errorf("owner/deployment/node = %q/%q/%q, want %q/%q/%q",
					got.Owner, got.Deployment, got.Node, c.owner, c.deploy, c.node)
			}
			if !got.Created.Equal(c.pod.CreationTimestamp.Time) {
				t.Errorf("created = %v", got.Created)
			}
		})
	}
}

// statusTestDeployment is a 3-replica deployment whose rollout has finished.
func statusTestDeployment(edit func(d *appsv1.Deployment)) *appsv1.Deployment {
	three := int32(3)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name: "checkout", Namespace: "shop", Generation: 4,
			CreationTimestamp: metav1.NewTime(workloadsTestNow().Add(-48 * time.Hour)),
			Annotations:       map[string]string{"deployment.kubernetes.io/revision": "4"},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: &three,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "checkout"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "checkout"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{
					{Name: "app", Image: "registry.local/checkout:1.4.2"},
					{Name: "proxy", Image: "envoy:\x1b[2J1.30"},
				}},
			},
		},
		Status: appsv1.DeploymentStatus{
			ObservedGeneration: 4, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3,
			Conditions: []appsv1.DeploymentCondition{
				{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable"},
				{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable"},
			},
		},
	}
	if edit != nil {
		edit(d)
	}
	return d
}

func TestDeploymentStatus(t *testing.T) {
	zero := int32(0)
	cases := []struct {
		name    string
		d       *appsv1.Deployment
		rollout string
		tone    table.Tone
	}{
		{name: "complete", d: statusTestDeployment(nil), rollout: "Complete", tone: table.ToneOK},
		{
			name: "progressing: new pods not yet available",
			d: statusTestDeployment(func(d *appsv1.Deployment) {
				d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.AvailableReplicas = 4, 1, 3
				d.Status.Conditions[1].Reason = "ReplicaSetUpdated"
			}),
			rollout: "Progressing", tone: table.ToneWarning,
		},
		{
			name: "progressing: controller has not seen the new spec",
			d: statusTestDeployment(func(d *appsv1.Deployment) {
				d.Generation = 5
			}),
			rollout: "Progressing", tone: table.ToneWarning,
		},
		{
			name: "stalled",
			d: statusTestDeployment(func(d *appsv1.Deployment) {
				d.Status.UpdatedReplicas, d.Status.AvailableReplicas = 1, 2
				d.Status.Conditions[1] = appsv1.DeploymentCondition{
					Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded",
				}
			}),
			rollout: "Stalled: ProgressDeadlineExceeded", tone: table.ToneDanger,
		},
		{
			name: "replica failure",
			d: statusTestDeployment(func(d *appsv1.Deployment) {
				d.Status.Conditions = append(d.Status.Conditions, appsv1.DeploymentCondition{
					Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate",
				})
			}),
			rollout: "Failed: FailedCreate", tone: table.ToneDanger,
		},
		{
			name: "paused",
			d: statusTestDeployment(func(d *appsv1.Deployment) {
				d.Spec.Paused = true
			}),
			rollout: "Paused", tone: table.ToneWarning,
		},
		{
			name: "scaled to zero",
			d: statusTestDeployment(func(d *appsv1.Deployment) {
				d.Spec.Replicas = &zero
				d.Status = appsv1.DeploymentStatus{ObservedGeneration: 4}
			}),
			rollout: "Scaled to zero", tone: table.ToneMuted,
		},
		{
			name: "nothing available is danger even while progressing",
			d: statusTestDeployment(func(d *appsv1.Deployment) {
				d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas = 3, 0, 0
			}),
			rollout: "Progressing", tone: table.ToneDanger,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := DeploymentStatus(c.d)
			if got.Rollout != c.rollout || got.Tone != c.tone {
				t.Errorf("rollout = %q (%v), want %q (%v)", got.Rollout, got.Tone, c.rollout, c.tone)
			}
		})
	}

	got := DeploymentStatus(statusTestDeployment(nil))
	if got.Desired != 3 || got.Ready != 3 || got.UpToDate != 3 || got.Available != 3 || got.Revision != "4" {
		t.Errorf("counts = %+v", got)
	}
	if len(got.Images) != 2 || got.Images[0] != "registry.local/checkout:1.4.2" || got.Images[1] != "envoy:^[[2J1.30" {
		t.Errorf("images = %q", got.Images)
	}
	noReplicas := statusTestDeployment(func(d *appsv1.Deployment) { d.Spec.Replicas = nil })
	if got := DeploymentStatus(noReplicas); got.Desired != 1 {
		t.Errorf("nil replicas: desired = %d, want the API default 1", got.Desired)
	}
}

func TestPodMatches(t *testing.T) {
	d := statusTestDeployment(nil)
	cases := []struct {
		name string
		d    *appsv1.Deployment
		p    *corev1.Pod
		want bool
	}{
		{name: "same namespace, matching labels", d: d, p: statusTestPod(nil), want: true},
		{name: "other namespace", d: d, p: statusTestPod(func(p *corev1.Pod) { p.Namespace = "billing" })},
		{name: "labels do not match", d: d, p: statusTestPod(func(p *corev1.Pod) { p.Labels["app"] = "cart" })},
		{name: "no labels", d: d, p: statusTestPod(func(p *corev1.Pod) { p.Labels = nil })},
		{
			name: "nil selector",
			d:    statusTestDeployment(func(d *appsv1.Deployment) { d.Spec.Selector = nil }),
			p:    statusTestPod(nil),
		},
		{
			name: "empty selector",
			d:    statusTestDeployment(func(d *appsv1.Deployment) { d.Spec.Selector = &metav1.LabelSelector{} }),
			p:    statusTestPod(nil),
		},
		{
			name: "invalid selector",
			d: statusTestDeployment(func(d *appsv1.Deployment) {
				d.Spec.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
					{Key: "app", Operator: "Near", Values: []string{"checkout"}},
				}}
			}),
			p: statusTestPod(nil),
		},
		{
			name: "match expressions",
			d: statusTestDeployment(func(d *appsv1.Deployment) {
				d.Spec.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
					{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{"cart", "checkout"}},
				}}
			}),
			p: statusTestPod(nil), want: true,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := PodMatches(c.d, c.p); got != c.want {
				t.Errorf("PodMatches = %v, want %v", got, c.want)
			}
		})
	}
}

func TestAge(t *testing.T) {
	cases := []struct {
		ago  time.Duration
		want string
	}{
		{45 * time.Second, "45s"},
		{90 * time.Second, "90s"},
		{5*time.Minute + 30*time.Second, "5m30s"},
		{12 * time.Minute, "12m"},
		{3*time.Hour + 12*time.Minute, "3h12m"},
		{20 * time.Hour, "20h"},
		{5 * 24 * time.Hour, "5d"},
		{3*24*time.Hour + 4*time.Hour, "3d4h"},
		{400 * 24 * time.Hour, "400d"},
		{2 * 365 * 24 * time.Hour, "2y"},
		{-10 * time.Second, "<invalid>"},
	}
	for _, c := range cases {
		if got := Age(workloadsTestNow().Add(-c.ago), workloadsTestNow()); got != c.want {
			t.Errorf("Age(now-%v) = %q, want %q", c.ago, got, c.want)
		}
	}
	if got := Age(time.Time{}, workloadsTestNow()); got != "-" {
		t.Errorf("Age(zero) = %q, want -", got)
	}
}
