package workloads

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/vigie-dev/vigie/views/table"
)

// hostileText carries an OSC title write, a clear screen and a UTF-8 encoded C1 CSI.
const hostileText = "boom \x1b]0;pwned\x07 \x1b[2J \u009b31m"

// describeTestPod is a crash-looping pod with an init container, resources, env from a
// secret and a literal secret-looking value, and a hostile annotation.
func describeTestPod() *corev1.Pod {
	now := workloadsTestNow()
	p := statusTestPod(func(p *corev1.Pod) {
		p.UID = "pod-uid-1"
		p.Annotations = map[string]string{
			"team": "payments",
			"note": hostileText,
			"long": strings.Repeat("x", 300),
			"kubectl.kubernetes.io/last-applied-configuration": `{"kind":"Pod"}`,
		}
		p.Spec.InitContainers = []corev1.Container{{Name: "migrate", Image: "migrate:1"}}
		p.Spec.Containers[0].Resources = corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
		}
		p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}
		p.Spec.Containers[0].Env = []corev1.EnvVar{
			{Name: "API_TOKEN", Value: "s3cr3t"},
			{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password",
			}}},
		}
		p.Status.PodIP = "10.0.0.7"
		p.Status.QOSClass = corev1.PodQOSBurstable
		start := metav1.NewTime(now.Add(-2 * time.Hour))
		p.Status.StartTime = &start
		p.Status.Conditions = []corev1.PodCondition{
			{Type: corev1.PodInitialized, Status: corev1.ConditionTrue},
			{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady", Message: "containers with unready status: [app]"},
		}
		p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "migrate", State: stTerminated("Completed", 0, now.Add(-2*time.Hour))}}
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name: "app", RestartCount: 7,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
				Reason: "CrashLoopBackOff", Message: "back-off 5m0s restarting failed container",
			}},
			LastTerminationState: stTerminated("OOMKilled", 137, now.Add(-3*time.Minute)),
		}}
	})
	return p
}

// describeTestEvents are a team's events, newest first: some about the pod, some not.
func describeTestEvents() []*corev1.Event {
	now := workloadsTestNow()
	ev := func(kind, ns, name, uid, typ, reason, msg string, count int32, ago time.Duration) *corev1.Event {
		return &corev1.Event{
			InvolvedObject: corev1.ObjectReference{Kind: kind, Namespace: ns, Name: name, UID: types.UID(uid)},
			Type:           typ, Reason: reason, Message: msg, Count: count,
			LastTimestamp: metav1.NewTime(now.Add(-ago)),
		}
	}
	return []*corev1.Event{
		ev("Pod", "shop", "checkout-7d9f8b6c5-x2k4q", "pod-uid-1", "Warning", "BackOff", "Back-off restarting failed container "+hostileText, 42, time.Minute),
		ev("Pod", "shop", "other-pod", "", "Warning", "BackOff", "not me", 1, 2*time.Minute),
		ev("Deployment", "shop", "checkout", "", "Normal", "ScalingReplicaSet", "Scaled up replica set checkout-7d9f8b6c5 to 3", 1, 3*time.Minute),
		ev("Pod", "billing", "checkout-7d9f8b6c5-x2k4q", "", "Normal", "Pulled", "other namespace", 1, 4*time.Minute),
		ev("Pod", "shop", "checkout-7d9f8b6c5-x2k4q", "old-uid", "Normal", "Pulled", "previous pod of that name", 1, 5*time.Minute),
		ev("Pod", "shop", "checkout-7d9f8b6c5-x2k4q", "", "Normal", "Pulled", "Successfully pulled image", 1, 10*time.Minute),
	}
}

// describeJoined joins the lines for substring assertions.
func describeJoined(lines []Line) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

// describeFind returns the first line containing s.
func describeFind(t *testing.T, lines []Line, s string) Line {
	t.Helper()
	for _, l := range lines {
		if strings.Contains(l.Text, s) {
			return l
		}
	}
	t.Fatalf("no line contains %q in:\n%s", s, describeJoined(lines))
	return Line{}
}

// describeIndex is the index of the first line containing s, or -1.
func describeIndex(lines []Line, s string) int {
	for i, l := range lines {
		if strings.Contains(l.Text, s) {
			return i
		}
	}
	return -1
}

func assertNoTermControl(t *testing.T, lines []string) {
	t.Helper()
	for _, l := range lines {
		for _, r := range l {
			if r == 0x1b || r == 0x07 || r == 0x9b || r < 0x20 || (r >= 0x80 && r <= 0x9f) {
				t.Fatalf("control %U in line %q", r, l)
			}
		}
	}
}

func describeTexts(lines []Line) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.Text
	}
	return out
}

func TestDescribePod(t *testing.T) {
	lines := DescribePod(describeTestPod(), describeTestEvents(), workloadsTestNow())
	all := describeJoined(lines)

	// What the engineer reads, with its meaning.
	checks := []struct {
		contains string
		tone     table.Tone
	}{
		{"Name:         checkout-7d9f8b6c5-x2k4q", table.ToneNone},
		{"Namespace:    shop", table.ToneNone},
		{"Node:         node-a", table.ToneNone},
		{"Status:       CrashLoopBackOff, 0/1 ready, 7 restarts (last 3m ago)", table.ToneDanger},
		{"Owner:        ReplicaSet/checkout-7d9f8b6c5 (Deployment checkout)", table.ToneNone},
		{"IP:           10.0.0.7", table.ToneNone},
		{"QoS Class:    Burstable", table.ToneNone},
		{"Start Time:   2026-03-14T10:00:00Z (120m ago)", table.ToneNone},
		{"Labels:       app=checkout", table.ToneNone},
		{"              pod-template-hash=7d9f8b6c5", table.ToneNone},
		{"Conditions:", table.ToneInfo},
		{"  Initialized:  True", table.ToneNone},
		{"  Ready:        False ContainersNotReady: containers with unready status: [app]", table.ToneWarning},
		{"Containers:", table.ToneInfo},
		{"  migrate (init):", table.ToneNone},
		{"State:          Terminated: Completed (exit 0)", table.ToneMuted},
		{"  app:", table.ToneNone},
		{"    Image:          registry.local/checkout:1.4.2", table.ToneNone},
		{"State:          Waiting: CrashLoopBackOff: back-off 5m0s restarting failed container", table.ToneDanger},
		{"Restart Count:  7", table.ToneWarning},
		{"Last State:     OOMKilled (exit 137), finished 2026-03-14T11:57:00Z (3m ago)", table.ToneDanger},
		{"Requests:       cpu=250m, memory=128Mi", table.ToneNone},
		{"Limits:         memory=256Mi", table.ToneNone},
		{"Ports:          8080/TCP (http)", table.ToneNone},
		{"Env:            API_TOKEN", table.ToneNone},
		{"DB_PASSWORD from secret db/password", table.ToneNone},
		{"Events:", table.ToneInfo},
		{"  60s Warning BackOff: Back-off restarting failed container boom", table.ToneWarning},
		{"  10m Normal Pulled: Successfully pulled image", table.ToneMuted},
	}
	for _, c := range checks {
		if l := describeFind(t, lines, c.contains); l.Tone != c.tone {
			t.Errorf("%q has tone %v, want %v", l.Text, l.Tone, c.tone)
		}
	}

	// Order of the sections and of init before regular containers.
	order := []string{"Name:", "Namespace:", "Node:", "Status:", "Owner:", "IP:", "QoS Class:", "Start Time:",
		"Labels:", "Annotations:", "Conditions:", "Containers:", "migrate (init):", "  app:", "Events:", "Warning BackOff", "Normal Pulled"}
	last := -1
	for _, s := range order {
		i := describeIndex(lines, s)
		if i <= last {
			t.Fatalf("%q at line %d, expected after line %d:\n%s", s, i, last, all)
		}
		last = i
	}

	if !strings.Contains(all, "(x42)") {
		t.Errorf("repeated event count missing:\n%s", all)
	}
	for _, absent := range []string{"s3cr3t", "not me", "other namespace", "previous pod of that name",
		"ScalingReplicaSet", "last-applied-configuration"} {
		if strings.Contains(all, absent) {
			t.Errorf("describe shows %q:\n%s", absent, all)
		}
	}
	if l := describeFind(t, lines, "long="); !strings.HasSuffix(l.Text, strings.Repeat("x", 120)+"…") {
		t.Errorf("long annotation not cut at 120 runes: %q", l.Text)
	}
	// Sorted annotations: kubectl's last-applied skipped, then long, note, team.
	if a, b, c := describeIndex(lines, "long="), describeIndex(lines, "note="), describeIndex(lines, "team="); a >= b || b >= c {
		t.Errorf("annotations not sorted: %d %d %d", a, b, c)
	}
	assertNoTermControl(t, describeTexts(lines))
	if !strings.Contains(all, "^[]0;pwned^G") || !strings.Contains(all, "<U+009B>31m") {
		t.Errorf("hostile text should stay visible, made inert:\n%s", all)
	}
}

func TestDescribePodEmpty(t *testing.T) {
	p := statusTestPod(func(p *corev1.Pod) {
		p.Spec.NodeName = ""
		p.OwnerReferences = nil
		p.Labels = nil
	})
	lines := DescribePod(p, nil, workloadsTestNow())
	for _, want := range []string{"Node:         <none>", "Owner:        <none>", "Labels:       <none>", "Annotations:  <none>"} {
		if l := describeFind(t, lines, want); l.Tone != table.ToneMuted {
			t.Errorf("%q tone %v, want muted", l.Text, l.Tone)
		}
	}
	ev := describeIndex(lines, "Events:")
	if ev < 0 || ev+1 >= len(lines) || lines[ev+1].Text != "  <none>" || lines[ev+1].Tone != table.ToneMuted {
		t.Errorf("no events should read a muted <none>:\n%s", describeJoined(lines))
	}
}

func describeTestDeployment() *appsv1.Deployment {
	surge, unavailable := intstr.FromInt32(1), intstr.FromString("25%")
	optional := true
	return statusTestDeployment(func(d *appsv1.Deployment) {
		d.Labels = map[string]string{"app": "checkout", "team": "payments"}
		d.Annotations["note"] = hostileText
		d.Spec.Strategy = appsv1.DeploymentStrategy{
			Type:          appsv1.RollingUpdateDeploymentStrategyType,
			RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable},
		}
		d.Status.UpdatedReplicas, d.Status.AvailableReplicas, d.Status.UnavailableReplicas = 1, 2, 1
		d.Status.Conditions[1] = appsv1.DeploymentCondition{
			Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded",
			Message: `ReplicaSet "checkout-5c8" has timed out progressing.`,
		}
		app := &d.Spec.Template.Spec.Containers[0]
		app.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")}
		app.Ports = []corev1.ContainerPort{{ContainerPort: 9090, Name: "metrics"}}
		app.Env = []corev1.EnvVar{
			{Name: "LOG_LEVEL", Value: "debug"},
			{Name: "STRIPE_KEY", Value: "s3cr3t"},
			{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password",
			}}},
			{Name: "FEATURES", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "flags"}, Key: "features", Optional: &optional,
			}}},
			{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
		}
		app.EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "stripe"},
		}}}
	})
}

func TestDescribeDeployment(t *testing.T) {
	lines := DescribeDeployment(describeTestDeployment(), describeTestEvents(), workloadsTestNow())
	all := describeJoined(lines)
	checks := []struct {
		contains string
		tone     table.Tone
	}{
		{"Name:         checkout", table.ToneNone},
		{"Created:      2026-03-12T12:00:00Z (2d ago)", table.ToneNone},
		{"Labels:       app=checkout", table.ToneNone},
		{"Selector:     app=checkout", table.ToneNone},
		{"Replicas:     3 desired / 1 updated / 3 ready / 2 available / 1 unavailable", table.ToneNone},
		{"Strategy:     RollingUpdate (maxSurge 1, maxUnavailable 25%)", table.ToneNone},
		{"Revision:     4", table.ToneNone},
		{"Rollout:      Stalled: ProgressDeadlineExceeded", table.ToneDanger},
		{"Conditions:", table.ToneInfo},
		{"  Available:    True MinimumReplicasAvailable", table.ToneNone},
		{"  Progressing:  False ProgressDeadlineExceeded: ReplicaSet \"checkout-5c8\" has timed out progressing.", table.ToneDanger},
		{"Pod Template:", table.ToneInfo},
		{"  app:", table.ToneNone},
		{"    Image:     registry.local/checkout:1.4.2", table.ToneNone},
		{"    Requests:  cpu=500m", table.ToneNone},
		{"    Limits:    <none>", table.ToneMuted},
		{"    Ports:     9090/TCP (metrics)", table.ToneNone},
		{"    Env:       all keys from secret stripe", table.ToneNone},
		{"               LOG_LEVEL", table.ToneNone},
		{"               STRIPE_KEY", table.ToneNone},
		{"               DB_PASSWORD from secret db/password", table.ToneNone},
		{"               FEATURES from configmap flags/features", table.ToneNone},
		{"               POD_IP from field status.podIP", table.ToneNone},
		{"  proxy:", table.ToneNone},
		{"    Image:     envoy:^[[2J1.30", table.ToneNone},
		{"Events:", table.ToneInfo},
		{"  3m Normal ScalingReplicaSet: Scaled up replica set checkout-7d9f8b6c5 to 3", table.ToneMuted},
	}
	for _, c := range checks {
		if l := describeFind(t, lines, c.contains); l.Tone != c.tone {
			t.Errorf("%q has tone %v, want %v", l.Text, l.Tone, c.tone)
		}
	}
	for _, absent := range []string{"s3cr3t", "debug", "BackOff", "Pulled"} {
		if strings.Contains(all, absent) {
			t.Errorf("describe shows %q:\n%s", absent, all)
		}
	}
	order := []string{"Name:", "Namespace:", "Created:", "Labels:", "Annotations:", "Selector:", "Replicas:",
		"Strategy:", "Revision:", "Rollout:", "Conditions:", "Pod Template:", "Events:"}
	last := -1
	for _, s := range order {
		i := describeIndex(lines, s)
		if i <= last {
			t.Fatalf("%q at line %d, expected after line %d:\n%s", s, i, last, all)
		}
		last = i
	}
	assertNoTermControl(t, describeTexts(lines))

	recreate := statusTestDeployment(func(d *appsv1.Deployment) {
		d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	})
	describeFind(t, DescribeDeployment(recreate, nil, workloadsTestNow()), "Strategy:     Recreate")
}

func TestObjectYAML(t *testing.T) {
	p := describeTestPod()
	p.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply}}
	lines, err := ObjectYAML(p)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{"kind: Pod", "apiVersion: v1", "name: checkout-7d9f8b6c5-x2k4q", "team: payments"} {
		if !strings.Contains(all, want) {
			t.Errorf("YAML lacks %q:\n%s", want, all)
		}
	}
	for _, absent := range []string{"managedFields", "last-applied-configuration", "s3cr3t"} {
		if strings.Contains(all, absent) {
			t.Errorf("YAML shows %q", absent)
		}
	}
	if !strings.Contains(all, "name: API_TOKEN") || !strings.Contains(all, HiddenEnvValue) {
		t.Errorf("YAML keeps env names and hides their values:\n%s", all)
	}
	if p.Spec.Containers[0].Env[0].Value != "s3cr3t" {
		t.Error("hiding env values must not modify the cluster object")
	}
	if len(lines) == 0 || lines[len(lines)-1] == "" {
		t.Errorf("YAML ends with an empty line")
	}
	assertNoTermControl(t, lines)
	if !strings.Contains(all, "pwned") {
		t.Errorf("the hostile annotation should render, escaped:\n%s", all)
	}
	if p.Kind != "" || p.APIVersion != "" || len(p.ManagedFields) != 1 ||
		p.Annotations["kubectl.kubernetes.io/last-applied-configuration"] == "" {
		t.Errorf("ObjectYAML modified its argument: %+v %v", p.TypeMeta, p.Annotations)
	}

	d := describeTestDeployment()
	d.Annotations = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{}"}
	lines, err = ObjectYAML(d)
	if err != nil {
		t.Fatal(err)
	}
	all = strings.Join(lines, "\n")
	if !strings.Contains(all, "kind: Deployment") || !strings.Contains(all, "apiVersion: apps/v1") ||
		strings.Contains(all, "annotations:") {
		t.Errorf("deployment YAML:\n%s", all)
	}
	if d.Kind != "" {
		t.Errorf("ObjectYAML modified the deployment's TypeMeta")
	}

	if _, err := ObjectYAML(&corev1.Service{}); err == nil {
		t.Errorf("ObjectYAML(Service) should fail")
	}
}

// FuzzObjectYAMLAnnotation: whatever a cluster puts in an annotation, the YAML view
// renders and carries no control character.
func FuzzObjectYAMLAnnotation(f *testing.F) {
	for _, s := range []string{hostileText, "\x7f", "\u0085", "\xff\xfe", "\uffff", "a\r\nb", "\t: - [", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Annotations: map[string]string{"k": v}}}
		lines, err := ObjectYAML(p)
		if err != nil {
			t.Fatalf("ObjectYAML(%q): %v", v, err)
		}
		assertNoTermControl(t, lines)
	})
}
