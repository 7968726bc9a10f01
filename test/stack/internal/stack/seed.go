package stack

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/yaml"

	"github.com/vigie-dev/vigie/test/stack/config"
)

// Teams of the seeded cluster: namespace = team name.
var Teams = []struct{ Name, User string }{{"payments", "alice"}, {"search", "bob"}}

// NodeNames are kwok's fake nodes.
var NodeNames = []string{"kwok-node-0", "kwok-node-1", "kwok-node-2"}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// installLogsCRD installs kwok's Logs CRD and waits until it is served.
func (u *upRun) installLogsCRD(ctx context.Context) error {
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(config.KwokLogsCRD, &obj.Object); err != nil {
		return fmt.Errorf("kwok Logs CRD: %w", err)
	}
	if _, err := u.dyn.Resource(crdGVR).Create(ctx, obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create kwok Logs CRD: %w", err)
	}
	return u.poll(ctx, "kwok Logs CRD established", 30*time.Second, func(ctx context.Context) error {
		got, err := u.dyn.Resource(crdGVR).Get(ctx, obj.GetName(), metav1.GetOptions{})
		if err != nil {
			return err
		}
		conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				return nil
			}
		}
		return fmt.Errorf("not established")
	})
}

// createNodes creates kwok's fake nodes (kwok makes them Ready).
func (u *upRun) createNodes(ctx context.Context) error {
	for _, name := range NodeNames {
		n := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name:        name,
				Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
				Labels: map[string]string{
					"type": "kwok", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
					"node-role.kubernetes.io/agent": "", "topology.kubernetes.io/zone": "local-" + name[len(name)-1:],
				},
			},
			Status: corev1.NodeStatus{
				Capacity:    nodeResources(),
				Allocatable: nodeResources(),
				NodeInfo:    corev1.NodeSystemInfo{KubeletVersion: "fake", OperatingSystem: "linux", Architecture: "amd64"},
			},
		}
		if _, err := u.kube.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create node %s: %w", name, err)
		}
	}
	return nil
}

// nodePodCapacity is each fake node's pod capacity: 3 nodes hold the seeded pods and the
// 5,000-pod (and up to ~10,000-pod) benchmarks of `stack load`.
const nodePodCapacity = "4000"

func nodeResources() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("32"), corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods: resource.MustParse(nodePodCapacity),
	}
}

// waitNodesReady waits for every fake node to be Ready.
func (u *upRun) waitNodesReady(ctx context.Context) error {
	return u.poll(ctx, "nodes Ready", 60*time.Second, func(ctx context.Context) error {
		var notReady []string
		for _, name := range NodeNames {
			n, err := u.kube.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil || !nodeReady(n) {
				notReady = append(notReady, name)
			}
		}
		if len(notReady) > 0 {
			return fmt.Errorf("not Ready: %s", strings.Join(notReady, ", "))
		}
		return nil
	})
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// seedNamespaces creates the team namespaces with RBAC for their users, and waits for their
// default ServiceAccounts (pods are refused before they exist).
func (u *upRun) seedNamespaces(ctx context.Context) error {
	for _, t := range Teams {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: t.Name, Labels: map[string]string{"team": t.Name}}}
		if _, err := u.kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("namespace %s: %w", t.Name, err)
		}
		role, binding := TeamRBAC(t.Name, t.User)
		if _, err := u.kube.RbacV1().Roles(t.Name).Create(ctx, role, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("role in %s: %w", t.Name, err)
		}
		if _, err := u.kube.RbacV1().RoleBindings(t.Name).Create(ctx, binding, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("rolebinding in %s: %w", t.Name, err)
		}
	}
	return u.poll(ctx, "default ServiceAccounts", 60*time.Second, func(ctx context.Context) error {
		for _, t := range Teams {
			if _, err := u.kube.CoreV1().ServiceAccounts(t.Name).Get(ctx, "default", metav1.GetOptions{}); err != nil {
				return fmt.Errorf("%s/default: %w", t.Name, err)
			}
		}
		return nil
	})
}

// TeamRBAC is the read-only Role of a team in its namespace (no secrets, no writes) and its
// binding to the team's user.
func TeamRBAC(ns, user string) (*rbacv1.Role, *rbacv1.RoleBinding) {
	read := []string{"get", "list", "watch"}
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "team-viewer", Namespace: ns, Labels: map[string]string{"team": ns}},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods", "pods/log", "pods/status", "services", "endpoints", "configmaps",
				"events", "persistentvolumeclaims", "replicationcontrollers", "serviceaccounts", "resourcequotas", "limitranges"}, Verbs: read},
			{APIGroups: []string{"apps"}, Resources: []string{"deployments", "deployments/scale", "deployments/status", "replicasets",
				"replicasets/status", "statefulsets", "daemonsets", "controllerrevisions"}, Verbs: read},
			{APIGroups: []string{"batch"}, Resources: []string{"jobs", "cronjobs"}, Verbs: read},
			{APIGroups: []string{"autoscaling"}, Resources: []string{"horizontalpodautoscalers"}, Verbs: read},
			{APIGroups: []string{"policy"}, Resources: []string{"poddisruptionbudgets"}, Verbs: read},
			{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses", "networkpolicies"}, Verbs: read},
			{APIGroups: []string{"events.k8s.io"}, Resources: []string{"events"}, Verbs: read},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: read},
		},
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "team-viewer-" + user, Namespace: ns, Labels: map[string]string{"team": ns}},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "team-viewer"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	}
	return role, binding
}

// Release is one revision of a seeded Deployment.
type Release struct {
	Version     string
	Annotations map[string]string // pod template annotations
	Cause       string            // kubernetes.io/change-cause
}

// Workload is a seeded Deployment and its history.
type Workload struct {
	Team, Name string
	Replicas   int32
	CPU, Mem   string // limits; requests are half
	Crashloop  bool
	Releases   []Release // applied in order, each rollout awaited except the last when Bad
	Bad        bool      // the last release is a bad one (high errors)
}

// Workloads is the seeded set (see the brief in the README).
var Workloads = []Workload{
	{Team: "payments", Name: "checkout", Replicas: 3, CPU: "500m", Mem: "256Mi", Releases: []Release{
		{Version: "1.4.0", Cause: "initial release"},
		{Version: "1.4.1", Cause: "fix rounding of refunds"},
		{Version: "1.4.2", Cause: "faster cart totals"},
	}},
	{Team: "payments", Name: "ledger", Replicas: 2, CPU: "1", Mem: "512Mi", Bad: true, Releases: []Release{
		{Version: "2.7.0", Cause: "initial release"},
		{Version: "2.8.0", Cause: "new double-entry validation", Annotations: map[string]string{
			"sim.vigie.dev/error-ratio": "0.4", "sim.vigie.dev/latency-ms": "800"}},
	}},
	{Team: "payments", Name: "fraud-worker", Replicas: 1, CPU: "250m", Mem: "128Mi", Crashloop: true, Releases: []Release{
		{Version: "0.9.1", Cause: "initial release"},
	}},
	{Team: "search", Name: "search-api", Replicas: 3, CPU: "500m", Mem: "384Mi", Releases: []Release{
		{Version: "3.0.0", Cause: "initial release"},
		{Version: "3.1.0", Cause: "typo-tolerant suggest"},
	}},
	{Team: "search", Name: "indexer", Replicas: 2, CPU: "1", Mem: "1Gi", Releases: []Release{
		{Version: "5.2.3", Cause: "initial release"},
	}},
}

// Deployment renders workload w at release i.
func (w Workload) Deployment(i int) *appsv1.Deployment {
	r := w.Releases[i]
	labels := map[string]string{"app": w.Name, "team": w.Team}
	podLabels := map[string]string{"app": w.Name, "team": w.Team, "sim.vigie.dev/simulate": "true"}
	if w.Crashloop {
		podLabels["sim.vigie.dev/crashloop"] = "true"
	}
	annotations := map[string]string{}
	maps.Copy(annotations, r.Annotations)
	half := func(q string) resource.Quantity {
		v := resource.MustParse(q)
		return *resource.NewMilliQuantity(v.MilliValue()/2, v.Format)
	}
	cpu, mem := resource.MustParse(w.CPU), resource.MustParse(w.Mem)
	memReq := resource.MustParse(w.Mem)
	memReq.Set(memReq.Value() / 2)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: w.Name, Namespace: w.Team, Labels: labels,
			Annotations: map[string]string{"kubernetes.io/change-cause": r.Cause}},
		Spec: appsv1.DeploymentSpec{
			Replicas: &w.Replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": w.Name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels, Annotations: annotations},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{
						Name:  "app",
						Image: fmt.Sprintf("registry.local/%s/%s:%s", w.Team, w.Name, r.Version),
						Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
						Env:   []corev1.EnvVar{{Name: "TEAM", Value: w.Team}, {Name: "LOG_FORMAT", Value: "json"}},
						Resources: corev1.ResourceRequirements{
							Limits:   corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem},
							Requests: corev1.ResourceList{corev1.ResourceCPU: half(w.CPU), corev1.ResourceMemory: memReq},
						},
					}},
				},
			},
		},
	}
}

// seedWorkloads rolls every workload through its releases, concurrently.
func (u *upRun) seedWorkloads(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(Workloads))
	for i, w := range Workloads {
		wg.Go(func() { errs[i] = u.rollWorkload(ctx, w) })
	}
	wg.Wait()
	return joinErrors(errs)
}

func (u *upRun) rollWorkload(ctx context.Context, w Workload) error {
	deps := u.kube.AppsV1().Deployments(w.Team)
	for i := range w.Releases {
		want := w.Deployment(i)
		if i == 0 {
			if _, err := deps.Create(ctx, want, metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("create %s/%s: %w", w.Team, w.Name, err)
			}
		} else {
			// The controllers write the Deployment's status meanwhile: retry on conflict.
			err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
				cur, err := deps.Get(ctx, w.Name, metav1.GetOptions{})
				if err != nil {
					return err
				}
				cur.Spec.Template = want.Spec.Template
				cur.Annotations = want.Annotations
				_, err = deps.Update(ctx, cur, metav1.UpdateOptions{})
				return err
			})
			if err != nil {
				return fmt.Errorf("update %s/%s: %w", w.Team, w.Name, err)
			}
		}
		if w.Crashloop {
			continue // never becomes available; waitWorkloads checks its pod
		}
		what := fmt.Sprintf("rollout of %s/%s to %s", w.Team, w.Name, w.Releases[i].Version)
		if err := u.poll(ctx, what, 90*time.Second, func(ctx context.Context) error { return rolledOut(ctx, u.kube, w) }); err != nil {
			return err
		}
	}
	return nil
}

// rolledOut is `kubectl rollout status`: the new ReplicaSet is fully available and the old
// ones are scaled down.
func rolledOut(ctx context.Context, kube kubernetes.Interface, w Workload) error {
	d, err := kube.AppsV1().Deployments(w.Team).Get(ctx, w.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	s := d.Status
	if s.ObservedGeneration < d.Generation {
		return fmt.Errorf("generation %d not observed yet", d.Generation)
	}
	if s.UpdatedReplicas != w.Replicas || s.AvailableReplicas != w.Replicas || s.Replicas != w.Replicas {
		return fmt.Errorf("replicas %d updated %d available %d of %d", s.Replicas, s.UpdatedReplicas, s.AvailableReplicas, w.Replicas)
	}
	return nil
}

// waitWorkloads waits until each workload has its replicas Running on the current release
// (the crash-loop pod: Running phase in CrashLoopBackOff) and no old pod is left.
func (u *upRun) waitWorkloads(ctx context.Context) (int, error) {
	total := 0
	err := u.poll(ctx, "workload pods Running", 90*time.Second, func(ctx context.Context) error {
		var bad []string
		total = 0
		for _, w := range Workloads {
			pods, err := u.kube.CoreV1().Pods(w.Team).List(ctx, metav1.ListOptions{LabelSelector: "app=" + w.Name})
			if err != nil {
				return err
			}
			image := fmt.Sprintf("registry.local/%s/%s:%s", w.Team, w.Name, w.Releases[len(w.Releases)-1].Version)
			ok := 0
			for _, p := range pods.Items {
				if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning || p.Spec.Containers[0].Image != image {
					bad = append(bad, fmt.Sprintf("%s/%s (%s)", p.Namespace, p.Name, podState(&p)))
					continue
				}
				if w.Crashloop && waitingReason(&p) != "CrashLoopBackOff" {
					bad = append(bad, fmt.Sprintf("%s/%s (no CrashLoopBackOff yet)", p.Namespace, p.Name))
					continue
				}
				ok++
			}
			if ok != int(w.Replicas) {
				bad = append(bad, fmt.Sprintf("%s/%s: %d of %d pods ready", w.Team, w.Name, ok, w.Replicas))
			}
			total += ok
		}
		if len(bad) > 0 {
			return fmt.Errorf("%s", strings.Join(bad, "; "))
		}
		return nil
	})
	return total, err
}

func podState(p *corev1.Pod) string {
	if p.DeletionTimestamp != nil {
		return "terminating"
	}
	if r := waitingReason(p); r != "" {
		return string(p.Status.Phase) + "/" + r
	}
	return string(p.Status.Phase)
}

func waitingReason(p *corev1.Pod) string {
	for _, s := range p.Status.ContainerStatuses {
		if s.State.Waiting != nil {
			return s.State.Waiting.Reason
		}
	}
	return ""
}
