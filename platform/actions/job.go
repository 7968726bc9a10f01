package actions

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/vigie-dev/vigie/platform/api"
)

// Runbook jobs: the server resolves a team's job template with the request's values
// (platform/policy) and the runner creates the Kubernetes Job with the server's own
// credentials. The values are in the container's argv (each element as the template
// wrote it, placeholders replaced) and environment, never in a shell.

// Labels and annotations of the Jobs vigie creates (and of their pods, for the labels).
const (
	LabelJobTemplate = "vigie.dev/job-template"
	LabelTeam        = "vigie.dev/team"
	LabelManagedBy   = "app.kubernetes.io/managed-by"
	ManagedByVigie   = "vigie"

	AnnotationRequestedBy = "vigie.dev/requested-by"
	AnnotationReason      = "vigie.dev/reason"
	AnnotationActionID    = "vigie.dev/action-id"
	AnnotationValues      = "vigie.dev/values" // the values as a JSON object
	AnnotationApprover    = "vigie.dev/approver"

	// LabelJobName and LabelControllerUID are the labels the Job controller puts on a
	// Job's pods.
	LabelJobName       = "batch.kubernetes.io/job-name"
	LabelControllerUID = "batch.kubernetes.io/controller-uid"

	// JobContainer is the name of the one container of a job's pods.
	JobContainer = "job"
	// JobTTL is how long a finished Job (and its pods, and their logs) stays.
	JobTTL = 7 * 24 * time.Hour
)

// Job is what a job action creates, resolved by the server from the team's template and
// the request's values.
type Job struct {
	Team               string
	Template           string
	Image              string
	Command            []string          // argv as run
	Env                map[string]string // VIGIE_PARAM_<NAME>
	Values             map[string]string // every parameter's value, defaults filled in
	Timeout            time.Duration     // the Job's activeDeadlineSeconds
	ServiceAccountName string            // "": none, and no API token in the pods
	// Labels are the team's own labels (the equalities of its selector), put on the Job
	// and its pods so that the team's views show them.
	Labels map[string]string

	User, Approver, Reason, ActionID string
}

// SelectorLabels returns the label equalities of a team selector ("team=payments,tier
// in (web)" gives team and tier), the labels an object needs to be the team's.
func SelectorLabels(selector string) map[string]string {
	out := map[string]string{}
	sel, err := labels.Parse(selector)
	if err != nil || selector == "" {
		return out
	}
	reqs, _ := sel.Requirements()
	for _, r := range reqs {
		vals := r.Values().UnsortedList()
		switch {
		case (r.Operator() == selection.Equals || r.Operator() == selection.DoubleEquals) && len(vals) == 1,
			r.Operator() == selection.In && len(vals) == 1:
			out[r.Key()] = vals[0]
		}
	}
	return out
}

// jobObject is the Job a run creates in namespace ns.
func jobObject(ns string, j *Job) *batchv1.Job {
	lbls := maps.Clone(j.Labels)
	if lbls == nil {
		lbls = map[string]string{}
	}
	lbls[LabelJobTemplate], lbls[LabelTeam], lbls[LabelManagedBy] = j.Template, j.Team, ManagedByVigie
	values, _ := json.Marshal(j.Values)
	ann := map[string]string{AnnotationRequestedBy: j.User, AnnotationActionID: j.ActionID, AnnotationValues: string(values)}
	if j.Reason != "" {
		ann[AnnotationReason] = j.Reason
	}
	if j.Approver != "" {
		ann[AnnotationApprover] = j.Approver
	}
	var env []corev1.EnvVar
	for _, k := range slices.Sorted(maps.Keys(j.Env)) {
		env = append(env, corev1.EnvVar{Name: k, Value: j.Env[k]})
	}
	deadline := int64(math.Ceil(j.Timeout.Seconds()))
	backoff, ttl := int32(0), int32(JobTTL/time.Second)
	spec := corev1.PodSpec{
		RestartPolicy:      corev1.RestartPolicyNever,
		ServiceAccountName: j.ServiceAccountName,
		Containers:         []corev1.Container{{Name: JobContainer, Image: j.Image, Command: slices.Clone(j.Command), Env: env}},
	}
	if j.ServiceAccountName == "" {
		no := false
		spec.AutomountServiceAccountToken = &no
	}
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{GenerateName: j.Template + "-", Namespace: ns, Labels: lbls, Annotations: ann},
		Spec: batchv1.JobSpec{
			BackoffLimit:            &backoff,
			ActiveDeadlineSeconds:   &deadline,
			TTLSecondsAfterFinished: &ttl,
			Template:                corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: maps.Clone(lbls)}, Spec: spec},
		},
	}
}

// runJob creates the Job of req.Job in the target namespace; a dry run asks the
// apiserver to validate it (admission included) and stores nothing.
func (r *Runner) runJob(ctx context.Context, req Request) (Result, error) {
	j := req.Job
	if j == nil || j.Template != req.Target.Name || len(j.Command) == 0 {
		return Result{}, &Error{Code: api.CodeInternal, Msg: "job: the server resolved no job for " + req.Target.String()}
	}
	ns := req.Target.Namespace
	what := fmt.Sprintf("job of template %s in %s", j.Template, ns)
	opts := metav1.CreateOptions{FieldManager: FieldManager}
	if req.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	created, err := r.o.Client.BatchV1().Jobs(ns).Create(ctx, jobObject(ns, j), opts)
	if err != nil {
		return Result{}, kubeError(ctx, what, err)
	}
	run := JobRunOf(created, nil)
	argv, _ := json.Marshal(run.Command)
	changes := []api.Change{{Field: "job.template", To: j.Template}, {Field: "job.image", To: j.Image}, {Field: "job.command", To: string(argv)}}
	for _, k := range slices.Sorted(maps.Keys(run.Values)) {
		changes = append(changes, api.Change{Field: "job.values[" + k + "]", To: run.Values[k]})
	}
	if req.DryRun {
		run.Name = "" // generated for the dry run only: the real run gets another
		return Result{Message: fmt.Sprintf("would start a job of template %s in %s: %s", j.Template, ns, argv), Changes: changes, Job: &run}, nil
	}
	changes = append([]api.Change{{Field: "job", To: ns + "/" + created.Name}}, changes...)
	return Result{Message: fmt.Sprintf("started job %s/%s (template %s)", ns, created.Name, j.Template), Changes: changes,
		ResourceVersion: created.ResourceVersion, Job: &run}, nil
}

// JobRunOf describes a Job vigie created, with its pods (any order; nil: none known).
func JobRunOf(job *batchv1.Job, pods []corev1.Pod) api.JobRun {
	run := api.JobRun{Namespace: job.Namespace, Name: job.Name, Template: job.Labels[LabelJobTemplate],
		User: job.Annotations[AnnotationRequestedBy], Approver: job.Annotations[AnnotationApprover],
		Reason: job.Annotations[AnnotationReason], ActionID: job.Annotations[AnnotationActionID],
		Created: job.CreationTimestamp.UTC(), Status: api.JobPending}
	if v := job.Annotations[AnnotationValues]; v != "" {
		_ = json.Unmarshal([]byte(v), &run.Values) // a Job edited by hand: no values
	}
	if cs := job.Spec.Template.Spec.Containers; len(cs) > 0 {
		run.Command = append(slices.Clone(cs[0].Command), cs[0].Args...)
	}
	if t := job.Status.StartTime; t != nil {
		at := t.UTC()
		run.Started = &at
	}
	pods = slices.Clone(pods)
	slices.SortFunc(pods, func(a, b corev1.Pod) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	for _, p := range pods {
		run.Pods = append(run.Pods, p.Name)
	}
	for _, c := range job.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		at := c.LastTransitionTime.UTC()
		switch c.Type {
		case batchv1.JobFailed, batchv1.JobFailureTarget:
			run.Status, run.Message = api.JobFailed, conditionMessage(c)
			if run.Finished == nil || c.Type == batchv1.JobFailed {
				run.Finished = &at
			}
		case batchv1.JobComplete, batchv1.JobSuccessCriteriaMet:
			if run.Status != api.JobFailed {
				run.Status = api.JobSucceeded
				if run.Finished == nil || c.Type == batchv1.JobComplete {
					run.Finished = &at
				}
			}
		}
	}
	if run.Status == api.JobSucceeded && job.Status.CompletionTime != nil {
		at := job.Status.CompletionTime.UTC()
		run.Finished = &at
	}
	if run.Status != api.JobPending {
		return run
	}
	for _, p := range pods {
		if p.Status.Phase == corev1.PodRunning {
			run.Status = api.JobRunning
		}
		for _, cs := range p.Status.ContainerStatuses {
			if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" && run.Message == "" {
				run.Message = clipText(fmt.Sprintf("pod %s: %s: %s", p.Name, w.Reason, w.Message), 1024)
			}
		}
	}
	if pods == nil && job.Status.Ready != nil && *job.Status.Ready > 0 {
		run.Status = api.JobRunning
	}
	return run
}

func conditionMessage(c batchv1.JobCondition) string {
	msg := c.Reason
	if c.Message != "" {
		msg += ": " + c.Message
	}
	return clipText(msg, 1024)
}

func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
