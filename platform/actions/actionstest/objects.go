package actionstest

import (
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// Template returns a pod template of one container "app" running image, with the pod
// labels, the template annotations and the environment variables given.
func Template(image string, labels, annotations map[string]string, env ...corev1.EnvVar) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: annotations},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image, Env: env}}},
	}
}

// History returns a Deployment like the controller leaves it after rolling out each
// template in turn: the Deployment (resourceVersion "10", template and revision
// annotation of the last template) and one ReplicaSet per template, revision i+1, owned
// by it, with its pod-template-hash label; the last one has the replicas. The
// Deployment's selector is app=name; the templates should carry that label.
func History(ns, name string, replicas int32, labels map[string]string, templates ...corev1.PodTemplateSpec) []runtime.Object {
	d := Deployment(ns, name, replicas, labels)
	d.UID = UID("Deployment", name)
	d.Generation = int64(len(templates))
	d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}
	d.Spec.Template = *templates[len(templates)-1].DeepCopy()
	d.Annotations = map[string]string{"deployment.kubernetes.io/revision": strconv.Itoa(len(templates))}
	out := []runtime.Object{d}
	for i, tpl := range templates {
		hash := fmt.Sprintf("h%08d", i+1) // ReplicaSetName
		rs := &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-" + hash, UID: UID("ReplicaSet", name+"-"+hash),
				Labels: map[string]string{"app": name, "pod-template-hash": hash},
				Annotations: map[string]string{"deployment.kubernetes.io/revision": strconv.Itoa(i + 1),
					"kubernetes.io/change-cause": fmt.Sprintf("release %d", i+1)},
				CreationTimestamp: metav1.Unix(int64(1_700_000_000+3600*i), 0),
				OwnerReferences:   []metav1.OwnerReference{controller("apps/v1", "Deployment", name, d.UID)},
			},
			Spec: appsv1.ReplicaSetSpec{Template: *tpl.DeepCopy()},
		}
		if rs.Spec.Template.Labels == nil {
			rs.Spec.Template.Labels = map[string]string{}
		}
		rs.Spec.Template.Labels["pod-template-hash"] = hash
		n := int32(0)
		if i == len(templates)-1 {
			n = replicas
		}
		rs.Spec.Replicas, rs.Status.Replicas = &n, n
		out = append(out, rs)
	}
	return out
}

// Pod returns a pod with labels, at resourceVersion "7", controlled by owner (nil: a
// bare pod).
func Pod(ns, name string, labels map[string]string, owner *metav1.OwnerReference) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels,
		UID: UID("Pod", name), ResourceVersion: "7"}}
	if owner != nil {
		p.OwnerReferences = []metav1.OwnerReference{*owner}
	}
	return p
}

// ReplicaSetName is the name History gives the ReplicaSet of revision rev of Deployment name.
func ReplicaSetName(name string, rev int) string { return fmt.Sprintf("%s-h%08d", name, rev) }

// UID is the UID History and Pod give an object of that kind and name.
func UID(kind, name string) types.UID { return types.UID("uid-" + strings.ToLower(kind) + "-" + name) }

// Controller returns a controller owner reference to the object of that kind and name,
// with the UID History gives it.
func Controller(kind, name string) *metav1.OwnerReference {
	apiVersion := "apps/v1"
	if kind == "Job" {
		apiVersion = "batch/v1"
	}
	ref := controller(apiVersion, kind, name, UID(kind, name))
	return &ref
}

func controller(apiVersion, kind, name string, uid types.UID) metav1.OwnerReference {
	yes := true
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid, Controller: &yes}
}
