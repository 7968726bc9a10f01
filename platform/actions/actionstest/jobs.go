package actionstest

import (
	"crypto/rand"
	"sync/atomic"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	k8stesting "k8s.io/client-go/testing"
)

var jobsGVR = schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}

// Jobs makes k's Job creates behave like the apiserver's: generateName gives a name
// (five random characters), the Job gets a UID, a creation time and resourceVersion
// "1", and a server-side dry run stores nothing. It returns the count of stored creates.
func Jobs(k *Kube) *atomic.Int64 {
	var created atomic.Int64
	k.PrependReactor("create", "jobs", func(a k8stesting.Action) (bool, runtime.Object, error) {
		c := a.(k8stesting.CreateActionImpl)
		j := c.GetObject().(*batchv1.Job).DeepCopy()
		if j.Name == "" && j.GenerateName != "" {
			j.Name = j.GenerateName + randomSuffix()
		}
		j.UID = types.UID("uid-job-" + j.Name)
		j.CreationTimestamp = metav1.NewTime(time.Now())
		j.ResourceVersion = "1"
		if len(c.GetCreateOptions().DryRun) > 0 {
			return true, j, nil
		}
		if err := k.Tracker().Create(jobsGVR, j, c.GetNamespace()); err != nil {
			return true, nil, err
		}
		created.Add(1)
		return true, j, nil
	})
	return &created
}

// JobPod returns a pod of Job job as the Job controller makes it: the Job's pod labels,
// the job-name and controller-uid labels, and a controller reference to it.
func JobPod(job *batchv1.Job, name string, phase corev1.PodPhase, created time.Time) *corev1.Pod {
	labels := map[string]string{"batch.kubernetes.io/job-name": job.Name, "batch.kubernetes.io/controller-uid": string(job.UID)}
	for k, v := range job.Spec.Template.Labels {
		labels[k] = v
	}
	yes := true
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: job.Namespace, Name: name, Labels: labels, CreationTimestamp: metav1.NewTime(created),
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: job.Name, UID: job.UID, Controller: &yes}}},
		Status: corev1.PodStatus{Phase: phase},
	}
}

func randomSuffix() string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789" // as the apiserver's name generator
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
