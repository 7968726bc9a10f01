// Package actionstest gives tests a fake Kubernetes clientset that behaves like the
// apiserver where the actions depend on it: updates carry a resourceVersion
// precondition, bump the resourceVersion, and server-side dry runs store nothing.
package actionstest

import (
	"strconv"
	"sync/atomic"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

var deployments = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

// Kube is a fake clientset and a count of the updates that were stored.
type Kube struct {
	*fake.Clientset
	Updates atomic.Int64 // stored (non-dry-run) updates
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
