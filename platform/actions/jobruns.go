package actions

import (
	"context"
	"fmt"
	"slices"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/vigie-dev/vigie/platform/api"
)

// The runs of job templates, read with the server's credentials: only Jobs vigie
// created (its labels select them), never every Job of a namespace.

// jobSelector selects the Jobs vigie created (of template, "" = any template).
func jobSelector(template string) (labels.Selector, error) {
	tpl, err := labels.NewRequirement(LabelJobTemplate, selection.Exists, nil)
	if template != "" {
		tpl, err = labels.NewRequirement(LabelJobTemplate, selection.Equals, []string{template})
	}
	if err != nil {
		return nil, &Error{Code: api.CodeInvalid, Msg: fmt.Sprintf("template %q: %v", template, err)}
	}
	managed, _ := labels.NewRequirement(LabelManagedBy, selection.Equals, []string{ManagedByVigie})
	return labels.NewSelector().Add(*tpl, *managed), nil
}

// vigieJob reports whether a Job carries the labels of the Jobs vigie creates.
func vigieJob(j *batchv1.Job) bool {
	return j.Labels[LabelJobTemplate] != "" && j.Labels[LabelManagedBy] == ManagedByVigie
}

// JobRuns lists the runs in namespaces (of template; "" = all), newest first, at most
// limit (0: all), each with its pods.
func (r *Runner) JobRuns(ctx context.Context, namespaces []string, template string, limit int) ([]api.JobRun, error) {
	ctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
	defer cancel()
	sel, err := jobSelector(template)
	if err != nil {
		return nil, err
	}
	var jobs []batchv1.Job
	for _, ns := range namespaces {
		list, err := r.o.Client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err != nil {
			return nil, kubeError(ctx, "jobs of "+ns, err)
		}
		for _, j := range list.Items {
			if vigieJob(&j) {
				jobs = append(jobs, j)
			}
		}
	}
	slices.SortFunc(jobs, func(a, b batchv1.Job) int {
		if c := b.CreationTimestamp.Compare(a.CreationTimestamp.Time); c != 0 {
			return c
		}
		if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		return strings.Compare(b.Name, a.Name)
	})
	if limit > 0 && len(jobs) > limit {
		jobs = jobs[:limit]
	}
	// The pods of the Jobs shown: one label-selected list per namespace.
	pods := map[string][]corev1.Pod{} // namespace/job name -> pods
	listed := map[string]bool{}
	for _, j := range jobs {
		if listed[j.Namespace] {
			continue
		}
		listed[j.Namespace] = true
		ps, err := r.jobPods(ctx, j.Namespace, "")
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			k := p.Namespace + "/" + p.Labels[LabelJobName]
			pods[k] = append(pods[k], p)
		}
	}
	out := make([]api.JobRun, 0, len(jobs))
	for i := range jobs {
		out = append(out, JobRunOf(&jobs[i], ownPods(&jobs[i], pods[jobs[i].Namespace+"/"+jobs[i].Name])))
	}
	return out, nil
}

// JobRun returns run namespace/name: not_found when there is no such Job, or when vigie
// did not create it.
func (r *Runner) JobRun(ctx context.Context, namespace, name string) (api.JobRun, error) {
	ctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
	defer cancel()
	what := "job " + namespace + "/" + name
	j, err := r.o.Client.BatchV1().Jobs(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return api.JobRun{}, kubeError(ctx, what, err)
	}
	if !vigieJob(j) {
		return api.JobRun{}, &Error{Code: api.CodeNotFound, Msg: what + " is not a runbook job of vigie's (it carries no " + LabelJobTemplate + " label)"}
	}
	pods, err := r.jobPods(ctx, namespace, name)
	if err != nil {
		return api.JobRun{}, err
	}
	return JobRunOf(j, ownPods(j, pods)), nil
}

// jobPods lists the pods of vigie's Jobs in namespace (of Job name; "" = all of them):
// the pod template carries the Job's labels, and the Job controller adds the job name.
func (r *Runner) jobPods(ctx context.Context, namespace, name string) ([]corev1.Pod, error) {
	op, vals := selection.Exists, []string(nil)
	if name != "" {
		op, vals = selection.Equals, []string{name}
	}
	byJob, err := labels.NewRequirement(LabelJobName, op, vals)
	if err != nil {
		return nil, &Error{Code: api.CodeInvalid, Msg: fmt.Sprintf("job %q: %v", name, err)}
	}
	sel, _ := jobSelector("")
	list, err := r.o.Client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.Add(*byJob).String()})
	if err != nil {
		return nil, kubeError(ctx, "pods of jobs in "+namespace, err)
	}
	return list.Items, nil
}

// ownPods keeps the pods whose controller is job (a pod of an earlier Job of the same
// name is another run's).
func ownPods(job *batchv1.Job, pods []corev1.Pod) []corev1.Pod {
	out := []corev1.Pod{}
	for _, p := range pods {
		if uid := p.Labels[LabelControllerUID]; uid != "" && uid != string(job.UID) {
			continue
		}
		if ref := metav1.GetControllerOf(&p); ref != nil && ref.UID != job.UID {
			continue
		}
		out = append(out, p)
	}
	return out
}
