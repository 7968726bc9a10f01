// Package actionstest gives tests a fake Kubernetes clientset that behaves like the
// apiserver where the actions depend on it: updates carry a resourceVersion
// precondition, bump the resourceVersion, deletes honour their preconditions, and
// server-side dry runs store nothing.
package actionstest

import (
	"strconv"
	"sync/atomic"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

var (
	deployments = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	pods        = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
)

// Kube is a fake clientset and a count of the updates and deletes that were stored.
type Kube struct {
	*fake.Clientset
	Updates atomic.Int64 // stored (non-dry-run) Deployment updates
	Deletes atomic.Int64 // stored (non-dry-run) pod deletes
}

// Deployment returns a Deployment with labels and replicas, at resourceVersion "10".
func Deployment(ns, name string, replicas int32, labels map[string]string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels, ResourceVersion: "10"},
		Spec:       appsv1.DeploymentSpec{Replicas: &replicas},
	}
}

// New returns a fake clientset holding objs.
func New(objs ...runtime.Object) *Kube {
	k := &Kube{Clientset: fake.NewClientset(objs...)}
	k.PrependReactor("update", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		u := a.(k8stesting.UpdateActionImpl)
		obj := u.GetObject().(*appsv1.Deployment).DeepCopy()
		cur, err := k.Tracker().Get(deployments, u.GetNamespace(), obj.Name)
		if err != nil {
			return true, nil, err
		}
		if rv := cur.(*appsv1.Deployment).ResourceVersion; obj.ResourceVersion != rv {
			return true, nil, apierrors.NewConflict(deployments.GroupResource(), obj.Name,
				errString("the object has been modified; please apply your changes to the latest version and try again"))
		}
		if len(u.GetUpdateOptions().DryRun) > 0 {
			return true, obj, nil
		}
		n, _ := strconv.Atoi(obj.ResourceVersion)
		obj.ResourceVersion = strconv.Itoa(n + 1)
		if err := k.Tracker().Update(deployments, obj, u.GetNamespace()); err != nil {
			return true, nil, err
		}
		k.Updates.Add(1)
		return true, obj, nil
	})
	k.PrependReactor("delete", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		d := a.(k8stesting.DeleteActionImpl)
		cur, err := k.Tracker().Get(pods, d.GetNamespace(), d.GetName())
		if err != nil {
			return true, nil, err
		}
		pod := cur.(*corev1.Pod)
		if p := d.DeleteOptions.Preconditions; p != nil &&
			(p.UID != nil && *p.UID != pod.UID || p.ResourceVersion != nil && *p.ResourceVersion != pod.ResourceVersion) {
			return true, nil, apierrors.NewConflict(pods.GroupResource(), pod.Name,
				errString("Precondition failed: the object's UID or resourceVersion differs"))
		}
		if len(d.DeleteOptions.DryRun) > 0 {
			return true, nil, nil
		}
		if err := k.Tracker().Delete(pods, d.GetNamespace(), d.GetName()); err != nil {
			return true, nil, err
		}
		k.Deletes.Add(1)
		return true, nil, nil
	})
	return k
}

// Bump changes a stored Deployment behind the actions' back (another writer).
func (k *Kube) Bump(ns, name string) {
	cur, err := k.Tracker().Get(deployments, ns, name)
	if err != nil {
		panic(err)
	}
	d := cur.(*appsv1.Deployment).DeepCopy()
	n, _ := strconv.Atoi(d.ResourceVersion)
	d.ResourceVersion = strconv.Itoa(n + 1)
	if err := k.Tracker().Update(deployments, d, ns); err != nil {
		panic(err)
	}
}

// Pod returns a stored pod, or nil when there is none.
func (k *Kube) Pod(ns, name string) *corev1.Pod {
	cur, err := k.Tracker().Get(pods, ns, name)
	if err != nil {
		return nil
	}
	return cur.(*corev1.Pod)
}

// Get returns a stored Deployment.
func (k *Kube) Get(ns, name string) *appsv1.Deployment {
	cur, err := k.Tracker().Get(deployments, ns, name)
	if err != nil {
		panic(err)
	}
	return cur.(*appsv1.Deployment)
}

type errString string

func (e errString) Error() string { return string(e) }
