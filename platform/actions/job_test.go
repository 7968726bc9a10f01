package actions

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	k8stesting "k8s.io/client-go/testing"

	"github.com/vigie-dev/vigie/platform/actions/actionstest"
	"github.com/vigie-dev/vigie/platform/api"
)

func flushJob() *Job {
	return &Job{Team: "payments", Template: "flush-cache", Image: "registry.local/tools:1.4",
		Command: []string{"/bin/flush-cache", "--service=ledger", "--note=x; rm -rf /"},
		Env:     map[string]string{"VIGIE_PARAM_SERVICE": "ledger", "VIGIE_PARAM_NOTE": "x; rm -rf /"},
		Values:  map[string]string{"service": "ledger", "note": "x; rm -rf /"},
		Timeout: 10*time.Minute + 500*time.Millisecond,
		Labels:  map[string]string{"team": "payments"},
		User:    "alice", Reason: "INC-7: stale cache", ActionID: "act_1"}
}

func jobReq(j *Job, dry bool) Request {
	return Request{Kind: api.ActionJob, Target: api.Target{Namespace: "payments", Name: "flush-cache"}, Job: j, DryRun: dry}
}

func TestRunJobCreatesTheJob(t *testing.T) {
	k := actionstest.New()
	created := actionstest.Jobs(k)
	r := runner(t, k)

	res, err := r.Run(context.Background(), jobReq(flushJob(), true))
	if err != nil {
		t.Fatal(err)
	}
	if created.Load() != 0 {
		t.Fatal("the dry run created a job")
	}
	if res.Job == nil || res.Job.Name != "" || res.Job.Status != api.JobPending || !slices.Equal(res.Job.Command, flushJob().Command) ||
		res.Job.Values["note"] != "x; rm -rf /" || res.Job.User != "alice" {
		t.Errorf("dry run job %+v", res.Job)
	}
	if res.Message != `would start a job of template flush-cache in payments: ["/bin/flush-cache","--service=ledger","--note=x; rm -rf /"]` {
		t.Errorf("dry run message %q", res.Message)
	}
	if len(res.Changes) != 5 || res.Changes[2] != (api.Change{Field: "job.command", To: `["/bin/flush-cache","--service=ledger","--note=x; rm -rf /"]`}) ||
		res.Changes[3] != (api.Change{Field: "job.values[note]", To: "x; rm -rf /"}) {
		t.Errorf("dry run changes %+v", res.Changes)
	}

	j := flushJob()
	j.Approver = "lena"
	res, err = r.Run(context.Background(), jobReq(j, false))
	if err != nil {
		t.Fatal(err)
	}
	if created.Load() != 1 || res.Job == nil || !strings.HasPrefix(res.Job.Name, "flush-cache-") || len(res.Job.Name) != len("flush-cache-")+5 {
		t.Fatalf("created %d, run %+v", created.Load(), res.Job)
	}
	if res.Message != "started job payments/"+res.Job.Name+" (template flush-cache)" || res.Changes[0] != (api.Change{Field: "job", To: "payments/" + res.Job.Name}) {
		t.Errorf("message %q changes %+v", res.Message, res.Changes)
	}
	got, err := k.BatchV1().Jobs("payments").Get(context.Background(), res.Job.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"vigie.dev/job-template": "flush-cache", "vigie.dev/team": "payments", "app.kubernetes.io/managed-by": "vigie", "team": "payments"}
	for k, v := range want {
		if got.Labels[k] != v || got.Spec.Template.Labels[k] != v {
			t.Errorf("label %s: job %q, pod template %q; want %q", k, got.Labels[k], got.Spec.Template.Labels[k], v)
		}
	}
	a := got.Annotations
	if a["vigie.dev/requested-by"] != "alice" || a["vigie.dev/reason"] != "INC-7: stale cache" || a["vigie.dev/action-id"] != "act_1" ||
		a["vigie.dev/approver"] != "lena" || a["vigie.dev/values"] != `{"note":"x; rm -rf /","service":"ledger"}` {
		t.Errorf("annotations %v", a)
	}
	s := got.Spec
	if *s.BackoffLimit != 0 || *s.ActiveDeadlineSeconds != 601 || *s.TTLSecondsAfterFinished != 7*24*3600 || s.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("spec %+v", s)
	}
	ps := s.Template.Spec
	if len(ps.Containers) != 1 || ps.Containers[0].Name != "job" || ps.Containers[0].Image != "registry.local/tools:1.4" ||
		!slices.Equal(ps.Containers[0].Command, flushJob().Command) || ps.Containers[0].Args != nil {
		t.Errorf("container %+v", ps.Containers)
	}
	if env := ps.Containers[0].Env; len(env) != 2 || env[0] != (corev1.EnvVar{Name: "VIGIE_PARAM_NOTE", Value: "x; rm -rf /"}) || env[1].Name != "VIGIE_PARAM_SERVICE" {
		t.Errorf("env %+v", env)
	}
	if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken || ps.ServiceAccountName != "" {
		t.Error("a job without a service account must get no API token")
	}
	if res.Job.Approver != "lena" || res.Job.Reason != "INC-7: stale cache" || res.Job.ActionID != "act_1" || res.Job.Template != "flush-cache" {
		t.Errorf("run %+v", res.Job)
	}

	// With a service account, its token is the cluster's default behaviour.
	j = flushJob()
	j.ServiceAccountName = "runbooks"
	res, err = r.Run(context.Background(), jobReq(j, false))
	if err != nil {
		t.Fatal(err)
	}
	got, _ = k.BatchV1().Jobs("payments").Get(context.Background(), res.Job.Name, metav1.GetOptions{})
	if got.Spec.Template.Spec.ServiceAccountName != "runbooks" || got.Spec.Template.Spec.AutomountServiceAccountToken != nil {
		t.Errorf("service account: %+v", got.Spec.Template.Spec)
	}

	// No resolved job (a server bug): nothing is created.
	if _, err := r.Run(context.Background(), jobReq(nil, false)); err == nil || created.Load() != 2 {
		t.Errorf("no job: %v, created %d", err, created.Load())
	}
	j = flushJob()
	j.Template = "other"
	var ae *Error
	if _, err := r.Run(context.Background(), jobReq(j, false)); !errors.As(err, &ae) || ae.Code != api.CodeInternal {
		t.Errorf("a job of another template than the target: %v", err)
	}
}

func TestSelectorLabels(t *testing.T) {
	for sel, want := range map[string]string{
		"team=payments":                     "team=payments",
		"team==payments,tier in (web)":      "team=payments,tier=web",
		"team=payments,tier in (web,batch)": "team=payments",
		"team!=search,env,!legacy":          "",
		"":                                  "",
		"not a selector(":                   "",
	} {
		got := SelectorLabels(sel)
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(got)) {
			parts = append(parts, k+"="+got[k])
		}
		if strings.Join(parts, ",") != want {
			t.Errorf("%q: %v, want %s", sel, got, want)
		}
	}
}

func vigieJobObj(ns, name, template string, created time.Time) *batchv1.Job {
	j := jobObject(ns, &Job{Team: "payments", Template: template, Image: "x", Command: []string{"/bin/x"}, User: "alice",
		Values: map[string]string{"a": "1"}, Timeout: time.Minute})
	j.Name, j.UID, j.CreationTimestamp = name, types.UID("uid-"+name), metav1.NewTime(created)
	return j
}

func TestJobRunStatus(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *metav1.Time { x := metav1.NewTime(t0.Add(d)); return &x }
	cond := func(typ batchv1.JobConditionType, reason, msg string, d time.Duration) batchv1.JobCondition {
		return batchv1.JobCondition{Type: typ, Status: corev1.ConditionTrue, Reason: reason, Message: msg, LastTransitionTime: *at(d)}
	}
	base := vigieJobObj("payments", "flush-cache-abcde", "flush-cache", t0)

	j := base.DeepCopy()
	run := JobRunOf(j, nil)
	if run.Status != api.JobPending || run.Started != nil || run.Finished != nil || !run.Created.Equal(t0) || run.Values["a"] != "1" || run.User != "alice" {
		t.Errorf("new job %+v", run)
	}
	pending := actionstest.JobPod(j, "flush-cache-abcde-zzzzz", corev1.PodPending, t0)
	pending.Status.ContainerStatuses = []corev1.ContainerStatus{{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "no such image"}}}}
	if run := JobRunOf(j, []corev1.Pod{*pending}); run.Status != api.JobPending || run.Message != "pod flush-cache-abcde-zzzzz: ImagePullBackOff: no such image" {
		t.Errorf("pending pod %+v", run)
	}

	j.Status.StartTime = at(time.Second)
	late := actionstest.JobPod(j, "flush-cache-abcde-bbbbb", corev1.PodRunning, t0.Add(3*time.Second))
	early := actionstest.JobPod(j, "flush-cache-abcde-ccccc", corev1.PodFailed, t0.Add(2*time.Second))
	run = JobRunOf(j, []corev1.Pod{*late, *early})
	if run.Status != api.JobRunning || !run.Started.Equal(t0.Add(time.Second)) || !slices.Equal(run.Pods, []string{"flush-cache-abcde-ccccc", "flush-cache-abcde-bbbbb"}) {
		t.Errorf("running %+v", run)
	}

	j.Status.Conditions = []batchv1.JobCondition{cond(batchv1.JobSuccessCriteriaMet, "CompletionsReached", "", 5*time.Second), cond(batchv1.JobComplete, "CompletionsReached", "", 5*time.Second)}
	j.Status.CompletionTime = at(6 * time.Second)
	if run := JobRunOf(j, nil); run.Status != api.JobSucceeded || !run.Finished.Equal(t0.Add(6*time.Second)) || run.Message != "" {
		t.Errorf("succeeded %+v", run)
	}

	j.Status.CompletionTime = nil
	j.Status.Conditions = []batchv1.JobCondition{cond(batchv1.JobFailureTarget, "DeadlineExceeded", "Job was active longer than specified deadline", 600*time.Second),
		cond(batchv1.JobFailed, "DeadlineExceeded", "Job was active longer than specified deadline", 601*time.Second)}
	if run := JobRunOf(j, []corev1.Pod{*late}); run.Status != api.JobFailed || run.Message != "DeadlineExceeded: Job was active longer than specified deadline" ||
		!run.Finished.Equal(t0.Add(601*time.Second)) {
		t.Errorf("failed %+v", run)
	}
	// A condition that is not true says nothing.
	j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionFalse}}
	if run := JobRunOf(j, nil); run.Status != api.JobPending {
		t.Errorf("false condition %+v", run)
	}
}

func TestJobRunsAreVigiesOnly(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	older := vigieJobObj("payments", "flush-cache-aaaaa", "flush-cache", t0)
	newer := vigieJobObj("payments", "reindex-bbbbb", "reindex", t0.Add(time.Minute))
	staging := vigieJobObj("payments-staging", "flush-cache-ccccc", "flush-cache", t0.Add(2*time.Minute))
	other := vigieJobObj("search", "reindex-ddddd", "reindex", t0.Add(3*time.Minute))
	handmade := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "payments", Name: "migrate", Labels: map[string]string{"vigie.dev/job-template": "flush-cache"},
		CreationTimestamp: metav1.NewTime(t0.Add(4 * time.Minute))}}
	// A pod of an earlier Job of the same name, and pods of the older run.
	stale := actionstest.JobPod(older, "flush-cache-aaaaa-old00", corev1.PodSucceeded, t0)
	stale.Labels["batch.kubernetes.io/controller-uid"] = "uid-gone"
	stale.OwnerReferences[0].UID = "uid-gone"
	k := actionstest.New(older, newer, staging, other, handmade, stale,
		actionstest.JobPod(older, "flush-cache-aaaaa-second", corev1.PodSucceeded, t0.Add(2*time.Second)),
		actionstest.JobPod(older, "flush-cache-aaaaa-first", corev1.PodFailed, t0.Add(time.Second)))
	r := runner(t, k)
	ctx := context.Background()

	runs, err := r.JobRuns(ctx, []string{"payments", "payments-staging"}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, run := range runs {
		names = append(names, run.Namespace+"/"+run.Name)
	}
	if strings.Join(names, ",") != "payments-staging/flush-cache-ccccc,payments/reindex-bbbbb,payments/flush-cache-aaaaa" {
		t.Fatalf("runs %v: want vigie's, in the namespaces asked, newest first", names)
	}
	if p := runs[2].Pods; !slices.Equal(p, []string{"flush-cache-aaaaa-first", "flush-cache-aaaaa-second"}) {
		t.Errorf("pods %v: want its own, oldest first", p)
	}
	if runs, _ := r.JobRuns(ctx, []string{"payments", "payments-staging"}, "flush-cache", 1); len(runs) != 1 || runs[0].Name != "flush-cache-ccccc" {
		t.Errorf("template and limit: %+v", runs)
	}
	// The lists are label-selected: the apiserver is never asked for every Job.
	for _, a := range k.Actions() {
		if a.GetVerb() == "list" {
			sel := a.(k8stesting.ListAction).GetListRestrictions().Labels.String()
			if !strings.Contains(sel, "vigie.dev/job-template") || !strings.Contains(sel, "app.kubernetes.io/managed-by=vigie") {
				t.Errorf("%s %s listed with selector %q", a.GetVerb(), a.GetResource().Resource, sel)
			}
		}
	}

	run, err := r.JobRun(ctx, "payments", "flush-cache-aaaaa")
	if err != nil || run.Template != "flush-cache" || !slices.Equal(run.Pods, []string{"flush-cache-aaaaa-first", "flush-cache-aaaaa-second"}) {
		t.Errorf("one run: %+v %v", run, err)
	}
	var ae *Error
	if _, err := r.JobRun(ctx, "payments", "migrate"); !errors.As(err, &ae) || ae.Code != api.CodeNotFound || !strings.Contains(ae.Msg, "not a runbook job") {
		t.Errorf("a job vigie did not create: %v", err)
	}
	if _, err := r.JobRun(ctx, "payments", "nope"); !errors.As(err, &ae) || ae.Code != api.CodeNotFound {
		t.Errorf("no such job: %v", err)
	}
}
