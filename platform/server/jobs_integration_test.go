//go:build integration

package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/auth"
	"github.com/vigie-dev/vigie/platform/policy"
	"github.com/vigie-dev/vigie/platform/store"
	"github.com/vigie-dev/vigie/sources/platform"
)

// jobsClusterConfig gives team payments (the stack's payments namespace, of class env) one
// job template, named per test so that its Jobs are this test's only.
func jobsClusterConfig(template, env string) string {
	return `
teams:
  payments:
    namespaces: {payments: ` + env + `}
    selector: team=payments
    jobs:
      ` + template + `:
        description: vigie integration test
        namespace: payments
        image: registry.local/tools:1.4
        command: ["/bin/flush-cache", "--service={{service}}", "--batch={{batch}}", "--ticket={{ticket}}"]
        timeout: 5m
        params:
          service: {type: enum, values: [ledger, checkout], default: ledger}
          batch:   {type: int, min: 1, max: 1000, default: 100}
          ticket:  {type: string, pattern: '[A-Z]+-[0-9]+', required: true}
  search:
    namespaces: {search: ` + env + `}
    selector: team=search
users:
  alice: {payments: oncall}
  bob: {search: oncall}
  lena: {payments: lead}
policy:
  dev:
    job: {member: allow, oncall: allow, lead: allow}
  production:
    job: {oncall: approval, lead: allow}
`
}

// jobsCluster is a server in-process acting on the local platform's apiserver with its
// admin identity, and a Go client per user (alice, bob, lena, and alice read-only).
type jobsCluster struct {
	*env
	cs       kubernetes.Interface
	template string
	clients  map[string]*platform.Client
}

func newJobsCluster(t *testing.T, envClass string) *jobsCluster {
	t.Helper()
	cs := adminClient(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	template := "it-flush-" + hex.EncodeToString(b)
	cfg, err := policy.Parse("jobs.yaml", []byte(jobsClusterConfig(template, envClass)))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "platform.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	srv, err := New(Options{Config: cfg, Store: st, Kube: cs, ActionTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	c := &jobsCluster{env: &env{t: t, srv: srv, ts: ts, store: st, tokens: map[string]string{}}, cs: cs, template: template, clients: map[string]*platform.Client{}}
	svc := auth.New(st, nil)
	for _, u := range []string{"alice", "bob", "lena"} {
		c.tokens[u] = c.token(svc, auth.CreateOptions{User: u, TTL: time.Hour})
	}
	c.tokens["readonly"] = c.token(svc, auth.CreateOptions{User: "alice", TTL: time.Hour, ReadOnly: true})
	for who, tok := range c.tokens {
		cl, err := platform.New(platform.Options{URL: ts.URL, Token: tok, Timeout: 40 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		c.clients[who] = cl
	}
	t.Cleanup(func() {
		bg := metav1.DeletePropagationBackground
		err := cs.BatchV1().Jobs("payments").DeleteCollection(context.Background(), metav1.DeleteOptions{PropagationPolicy: &bg},
			metav1.ListOptions{LabelSelector: "vigie.dev/job-template=" + template})
		if err != nil {
			t.Errorf("deleting the test's jobs: %v", err)
		}
	})
	return c
}

// jobNames lists the names of the Jobs of the test's template, as the cluster has them.
func (c *jobsCluster) jobNames() []string {
	c.t.Helper()
	list, err := c.cs.BatchV1().Jobs("payments").List(context.Background(), metav1.ListOptions{LabelSelector: "vigie.dev/job-template=" + c.template})
	if err != nil {
		c.t.Fatal(err)
	}
	var out []string
	for _, j := range list.Items {
		out = append(out, j.Name)
	}
	return out
}

func (c *jobsCluster) request(values map[string]string) api.ActionRequest {
	return api.ActionRequest{Kind: api.ActionJob, Target: api.Target{Namespace: "payments", Name: c.template},
		Params: api.Params{Values: values}, Reason: "INC-42: runbook jobs integration test"}
}

// refused checks that err is a refusal with status and code, audited with that code.
func (c *jobsCluster) refused(err error, status int, code, what string) {
	c.t.Helper()
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Status != status || pe.Code != code {
		c.t.Errorf("%s: got %v, want %d %s", what, err, status, code)
		return
	}
	rec := c.recordByID(pe.AuditID())
	if rec.Code != code || rec.Kind != api.ActionJob || rec.Status != api.StatusDenied {
		c.t.Errorf("%s: audit record %+v", what, rec)
	}
}

// TestJobOnTheCluster: a payments oncall runs the template through the server; the Job
// exists with the resolved argv, labels and annotations; GET /v1/jobs shows it and it
// reaches succeeded with its pod. Bad values, another team's member and a read-only
// token are refused and audited, and a dry run creates nothing: the template has only
// the one Job in the end.
func TestJobOnTheCluster(t *testing.T) {
	c := newJobsCluster(t, api.EnvDev)
	ctx := context.Background()

	o, err := c.clients["alice"].Act(ctx, c.request(map[string]string{"ticket": "INC-42", "service": "checkout"}))
	if err != nil || o.Job == nil || !strings.HasPrefix(o.Job.Name, c.template+"-") {
		t.Fatalf("alice runs the template: %+v, %v", o, err)
	}
	name := o.Job.Name
	if o.Message != "started job payments/"+name+" (template "+c.template+")" {
		t.Errorf("message %q", o.Message)
	}
	j, err := c.cs.BatchV1().Jobs("payments").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	argv := []string{"/bin/flush-cache", "--service=checkout", "--batch=100", "--ticket=INC-42"}
	ctr := j.Spec.Template.Spec.Containers
	if len(ctr) != 1 || !slices.Equal(ctr[0].Command, argv) || len(ctr[0].Args) != 0 || ctr[0].Image != "registry.local/tools:1.4" {
		t.Errorf("containers %+v, want argv %q", ctr, argv)
	}
	var env []string
	for _, e := range ctr[0].Env {
		env = append(env, e.Name+"="+e.Value)
	}
	if strings.Join(env, " ") != "VIGIE_PARAM_BATCH=100 VIGIE_PARAM_SERVICE=checkout VIGIE_PARAM_TICKET=INC-42" {
		t.Errorf("env %v", env)
	}
	for k, v := range map[string]string{"vigie.dev/job-template": c.template, "vigie.dev/team": "payments", "app.kubernetes.io/managed-by": "vigie", "team": "payments"} {
		if j.Labels[k] != v || j.Spec.Template.Labels[k] != v {
			t.Errorf("label %s: %q on the Job, %q on its pods, want %q", k, j.Labels[k], j.Spec.Template.Labels[k], v)
		}
	}
	var values map[string]string
	_ = json.Unmarshal([]byte(j.Annotations["vigie.dev/values"]), &values)
	if j.Annotations["vigie.dev/requested-by"] != "alice" || j.Annotations["vigie.dev/action-id"] != o.ID ||
		j.Annotations["vigie.dev/reason"] != "INC-42: runbook jobs integration test" || values["ticket"] != "INC-42" || values["batch"] != "100" {
		t.Errorf("annotations %v", j.Annotations)
	}
	if *j.Spec.BackoffLimit != 0 || *j.Spec.ActiveDeadlineSeconds != 300 || *j.Spec.TTLSecondsAfterFinished != 7*24*3600 ||
		j.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("spec %+v", j.Spec)
	}

	// It runs to completion (kube-controller-manager's Job controller, kwok's pod-complete).
	var run api.JobRun
	deadline := time.Now().Add(90 * time.Second)
	for {
		list, err := c.clients["readonly"].Jobs(ctx, platform.JobQuery{Team: "payments", Template: c.template})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Runs) != 1 || list.Runs[0].Name != name {
			t.Fatalf("runs %+v, want just %s", list.Runs, name)
		}
		run = list.Runs[0]
		if run.Status == api.JobSucceeded && len(run.Pods) > 0 || run.Status == api.JobFailed || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if run.Status != api.JobSucceeded || run.Finished == nil || run.Started == nil || run.User != "alice" || !slices.Equal(run.Command, argv) {
		t.Fatalf("run %+v: want succeeded", run)
	}
	pod, err := c.cs.CoreV1().Pods("payments").Get(ctx, run.Pods[0], metav1.GetOptions{})
	if err != nil || pod.Labels["batch.kubernetes.io/job-name"] != name {
		t.Errorf("pod %s: %v %v", run.Pods[0], err, pod.Labels)
	}
	if one, err := c.clients["alice"].Job(ctx, "payments", name); err != nil || one.Status != api.JobSucceeded || !slices.Equal(one.Pods, run.Pods) {
		t.Errorf("GET one run: %+v %v", one, err)
	}
	var pe *platform.Error
	if _, err := c.clients["bob"].Job(ctx, "payments", name); !errors.As(err, &pe) || pe.Status != 403 {
		t.Errorf("bob reads payments' run: %v", err)
	}

	// Refusals: each audited, none creates a Job.
	for what, values := range map[string]map[string]string{
		"pattern mismatch":       {"ticket": "inc-42"},
		"out of bounds":          {"ticket": "INC-42", "batch": "1001"},
		"unknown parameter":      {"ticket": "INC-42", "shell": "/bin/sh"},
		"missing required":       {"batch": "5"},
		"shell injection":        {"ticket": "x; rm -rf /"},
		"placeholder injection":  {"ticket": "INC-1", "service": "{{ticket}}"},
		"newline in a value":     {"ticket": "INC-1\n--batch=1"},
		"not an enum value":      {"ticket": "INC-1", "service": "ledger checkout"},
		"not a decimal integer":  {"ticket": "INC-1", "batch": "1e3"},
		"a value with a command": {"ticket": "INC-1", "batch": "$(reboot)"},
	} {
		_, err := c.clients["alice"].Act(ctx, c.request(values))
		c.refused(err, 400, api.CodeInvalid, what)
	}
	_, err = c.clients["bob"].Act(ctx, c.request(map[string]string{"ticket": "INC-42"}))
	c.refused(err, 403, api.CodeForbidden, "bob, of team search")
	_, err = c.clients["readonly"].Act(ctx, c.request(map[string]string{"ticket": "INC-42"}))
	c.refused(err, 403, api.CodeReadOnly, "a read-only token")

	dry, err := c.clients["alice"].DryRun(ctx, c.request(map[string]string{"ticket": "INC-43", "batch": "7"}))
	if err != nil || !dry.DryRun || dry.Job == nil || dry.Job.Name != "" || !slices.Contains(dry.Job.Command, "--batch=7") {
		t.Errorf("dry run: %+v %v", dry, err)
	}
	if names := c.jobNames(); !slices.Equal(names, []string{name}) {
		t.Errorf("jobs of the template %v: want only %s (refusals and the dry run create nothing)", names, name)
	}
	c.verify()
}

// TestJobApprovalOnTheCluster: in a production namespace an oncall's run waits for an
// approval (nothing is created); a lead approves it and exactly one Job is created,
// naming both; a second approval runs nothing.
func TestJobApprovalOnTheCluster(t *testing.T) {
	c := newJobsCluster(t, api.EnvProduction)
	ctx := context.Background()

	asked, err := c.clients["alice"].Act(ctx, c.request(map[string]string{"ticket": "INC-77"}))
	if err != nil || asked.Status != api.StatusPendingApproval {
		t.Fatalf("alice's run: %+v, %v", asked, err)
	}
	if names := c.jobNames(); len(names) != 0 {
		t.Fatalf("a run waiting for an approval created %v", names)
	}
	approved, err := c.clients["lena"].Decide(ctx, asked.ID, api.DecisionApprove, "go ahead")
	if err != nil || approved.Status != api.ApprovalExecuted || approved.Outcome == nil || approved.Outcome.Job == nil {
		t.Fatalf("lena approves: %+v, %v", approved, err)
	}
	names := c.jobNames()
	if len(names) != 1 || names[0] != approved.Outcome.Job.Name {
		t.Fatalf("jobs %v after the approval, want exactly %s", names, approved.Outcome.Job.Name)
	}
	j, err := c.cs.BatchV1().Jobs("payments").Get(ctx, names[0], metav1.GetOptions{})
	if err != nil || j.Annotations["vigie.dev/requested-by"] != "alice" || j.Annotations["vigie.dev/approver"] != "lena" || j.Annotations["vigie.dev/action-id"] != asked.ID {
		t.Errorf("approved job: %v %v", err, j.Annotations)
	}
	var pe *platform.Error
	if _, err := c.clients["lena"].Decide(ctx, asked.ID, api.DecisionApprove, ""); !errors.As(err, &pe) || pe.Code != api.CodeConflict {
		t.Errorf("approving twice: %v", err)
	}
	if again := c.jobNames(); len(again) != 1 {
		t.Errorf("jobs %v after a second approval", again)
	}
	run, err := c.clients["alice"].Job(ctx, "payments", names[0])
	if err != nil || run.Approver != "lena" || run.User != "alice" {
		t.Errorf("run %+v %v", run, err)
	}
	c.verify()
}
