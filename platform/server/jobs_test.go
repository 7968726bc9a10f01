package server

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vigie-dev/vigie/platform/actions/actionstest"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/policy"
)

// jobsTestConfig: payments runs flush-cache in its dev namespace (any role) and reindex
// in production (oncall: approval, lead: allow); search has a template of its own.
const jobsTestConfig = `
teams:
  payments:
    namespaces: {payments: production, payments-dev: dev}
    selector: team=payments
    prometheusMatchers: {team: payments}
    lokiMatchers: {team: payments, cluster: local}
    oncall: {schedule: payments-primary}
    jobs:
      flush-cache:
        description: Flush the ledger's read cache
        namespace: payments-dev
        image: registry.local/tools:1.4
        command: ["/bin/flush-cache", "--service={{service}}", "--batch={{batch}}", "--ticket={{ticket}}"]
        timeout: 10m
        params:
          service: {type: enum, values: [ledger, checkout], default: ledger}
          batch:   {type: int, min: 1, max: 1000, default: 100}
          ticket:  {type: string, pattern: '[A-Z]+-[0-9]+', required: true}
      reindex:
        namespace: payments
        image: registry.local/tools:1.4
        command: [/bin/reindex]
  search:
    namespaces: {search: production, search-dev: dev}
    selector: team=search
    jobs:
      rebuild:
        namespace: search-dev
        image: registry.local/tools:1.4
        command: [/bin/rebuild]
users:
  alice: {payments: member}
  olivia: {payments: oncall}
  lena: {payments: lead}
  ada: {payments: admin}
  bob: {search: member}
policy:
  dev:
    job:     {member: allow, oncall: allow, lead: allow}
    restart: {member: allow}
  production:
    job: {oncall: approval, lead: allow}
`

// jobsEnv is a server whose fake cluster creates Jobs like the apiserver; created
// counts the Jobs stored.
func jobsEnv(t *testing.T) (*env, *atomic.Int64) {
	t.Helper()
	cfg, err := policy.Parse("server.yaml", []byte(jobsTestConfig))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *Options) { o.Config = cfg })
	return e, actionstest.Jobs(e.kube)
}

func flushReq(values map[string]string) api.ActionRequest {
	return api.ActionRequest{Kind: api.ActionJob, Target: api.Target{Namespace: "payments-dev", Name: "flush-cache"},
		Params: api.Params{Values: values}, Reason: "INC-42: stale reads"}
}

func (e *env) job(ns, name string) *batchv1.Job {
	e.t.Helper()
	j, err := e.kube.BatchV1().Jobs(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return j
}

func TestJobRunsAndIsAudited(t *testing.T) {
	e, created := jobsEnv(t)
	r := e.do("POST", "/v1/actions", "alice", flushReq(map[string]string{"ticket": "INC-42", "batch": "250"}))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	o := r.outcome(t)
	run := o.Job
	if created.Load() != 1 || run == nil || !strings.HasPrefix(run.Name, "flush-cache-") || run.Namespace != "payments-dev" {
		t.Fatalf("created %d, outcome %+v", created.Load(), o)
	}
	want := []string{"/bin/flush-cache", "--service=ledger", "--batch=250", "--ticket=INC-42"}
	if !slices.Equal(run.Command, want) || run.Values["service"] != "ledger" || run.User != "alice" || run.ActionID != o.ID || run.Status != api.JobPending {
		t.Errorf("run %+v", run)
	}
	if o.Message != "started job payments-dev/"+run.Name+" (template flush-cache)" {
		t.Errorf("message %q", o.Message)
	}
	j := e.job("payments-dev", run.Name)
	if !slices.Equal(j.Spec.Template.Spec.Containers[0].Command, want) || j.Labels["team"] != "payments" || j.Labels["vigie.dev/team"] != "payments" ||
		j.Annotations["vigie.dev/requested-by"] != "alice" || j.Annotations["vigie.dev/action-id"] != o.ID || j.Annotations["vigie.dev/reason"] != "INC-42: stale reads" ||
		*j.Spec.ActiveDeadlineSeconds != 600 {
		t.Errorf("job %+v", j.ObjectMeta)
	}
	recs := e.records()
	if len(recs) != 2 || recs[0].Type != api.AuditRequested || recs[1].Type != api.AuditOutcome || recs[1].Status != api.StatusSucceeded || recs[1].ID != o.AuditID {
		t.Fatalf("records %+v", recs)
	}
	for _, rec := range recs {
		if rec.Kind != api.ActionJob || rec.Team != "payments" || rec.Params == nil || rec.Params.Values["ticket"] != "INC-42" ||
			*rec.Target != (api.Target{Namespace: "payments-dev", Name: "flush-cache"}) {
			t.Errorf("record %+v", rec)
		}
	}
	if recs[1].Changes[0] != (api.Change{Field: "job", To: "payments-dev/" + run.Name}) || recs[1].Message != o.Message {
		t.Errorf("outcome record %+v", recs[1])
	}
	e.verify()
}

// Refused job requests are answered with the right code, audited, and create nothing.
func TestJobRefusals(t *testing.T) {
	ok := map[string]string{"ticket": "INC-1"}
	with := func(k, v string) map[string]string { m := map[string]string{"ticket": "INC-1"}; m[k] = v; return m }
	wrongNS := flushReq(ok)
	wrongNS.Target.Namespace = "payments"
	otherTeams := flushReq(ok)
	otherTeams.Target.Name = "rebuild"
	withExpect := flushReq(ok)
	withExpect.Expect = &api.Expect{ResourceVersion: "1"}
	restartValues := restartReq("payments-dev", "checkout", "")
	restartValues.Params.Values = ok
	reindex := api.ActionRequest{Kind: api.ActionJob, Target: api.Target{Namespace: "payments", Name: "reindex"}, Reason: "why"}
	cases := []struct {
		name, who string
		body      any
		status    int
		code, msg string
		auditType string
	}{
		{"missing required", "alice", flushReq(nil), 400, api.CodeInvalid, "params.values.ticket: required", api.AuditInvalid},
		{"unknown parameter", "alice", flushReq(with("force", "true")), 400, api.CodeInvalid, `params.values.force: template flush-cache has no parameter "force"`, api.AuditInvalid},
		{"pattern mismatch", "alice", flushReq(map[string]string{"ticket": "inc-1"}), 400, api.CodeInvalid, `params.values.ticket: "inc-1" does not match ^(?:[A-Z]+-[0-9]+)$`, api.AuditInvalid},
		{"shell injection", "alice", flushReq(map[string]string{"ticket": "INC-1; rm -rf /"}), 400, api.CodeInvalid, "params.values.ticket", api.AuditInvalid},
		{"placeholder injection", "alice", flushReq(map[string]string{"ticket": "{{batch}}"}), 400, api.CodeInvalid, "params.values.ticket", api.AuditInvalid},
		{"out of bounds", "alice", flushReq(with("batch", "1001")), 400, api.CodeInvalid, "params.values.batch: 1001 is out of range [1, 1000]", api.AuditInvalid},
		{"not an enum value", "alice", flushReq(with("service", "search-api")), 400, api.CodeInvalid, `params.values.service: "search-api": want one of ledger, checkout`, api.AuditInvalid},
		{"another team's template", "alice", otherTeams, 403, api.CodeForbidden, `team payments has no job template "rebuild"`, api.AuditDenied},
		{"not the template's namespace", "lena", wrongNS, 403, api.CodeForbidden, "runs in namespace payments-dev, not payments", api.AuditDenied},
		{"another team's member", "bob", flushReq(ok), 403, api.CodeForbidden, "bob is not a member of team payments", api.AuditDenied},
		{"read-only token", "readonly", flushReq(ok), 403, api.CodeReadOnly, "read-only", api.AuditDenied},
		{"member in production", "alice", reindex, 403, api.CodeForbidden, "no policy rule allows job to members", api.AuditDenied},
		{"production without reason", "lena", reindex, 422, api.CodeReasonRequired, "at least 10 characters", api.AuditDenied},
		{"precondition", "alice", withExpect, 400, api.CodeInvalid, "expect: a job takes no precondition", api.AuditInvalid},
		{"values on a restart", "alice", restartValues, 400, api.CodeInvalid, "params.values: restart takes no values", api.AuditInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, created := jobsEnv(t)
			r := e.do("POST", "/v1/actions", c.who, c.body)
			eb := r.errorBody(t)
			if r.status != c.status || eb.Code != c.code || !strings.Contains(eb.Message, c.msg) {
				t.Fatalf("got %d %s %q, want %d %s %q", r.status, eb.Code, eb.Message, c.status, c.code, c.msg)
			}
			if created.Load() != 0 {
				t.Errorf("%d jobs created on a refusal", created.Load())
			}
			if c.status == 400 && strings.HasPrefix(c.msg, "params.values.") && eb.Details["field"] != strings.SplitN(c.msg, ":", 2)[0] {
				t.Errorf("field %q", eb.Details["field"])
			}
			rec := e.recordByID(eb.Details["auditId"])
			if rec.Type != c.auditType || rec.Code != c.code || rec.Status != api.StatusDenied || rec.Message != eb.Message {
				t.Errorf("audit record %+v", rec)
			}
			if c.name == "shell injection" && rec.Params.Values["ticket"] != "INC-1; rm -rf /" {
				t.Errorf("the refused value is not in the audit record: %+v", rec.Params)
			}
		})
	}
}

func TestJobDryRunCreatesNothing(t *testing.T) {
	e, created := jobsEnv(t)
	r := e.do("POST", "/v1/actions?dryRun=true", "alice", flushReq(map[string]string{"ticket": "INC-7", "service": "checkout"}))
	o := r.outcome(t)
	if r.status != 200 || !o.DryRun || o.Job == nil || o.Job.Name != "" || created.Load() != 0 {
		t.Fatalf("%d %+v, created %d", r.status, o, created.Load())
	}
	if !slices.Equal(o.Job.Command, []string{"/bin/flush-cache", "--service=checkout", "--batch=100", "--ticket=INC-7"}) ||
		!strings.HasPrefix(o.Message, "would start a job of template flush-cache in payments-dev: ") {
		t.Errorf("dry run %+v", o)
	}
	if list, _ := e.kube.BatchV1().Jobs("payments-dev").List(context.Background(), metav1.ListOptions{}); len(list.Items) != 0 {
		t.Errorf("%d jobs after a dry run", len(list.Items))
	}
}

func TestJobIdempotencyAndApproval(t *testing.T) {
	e, created := jobsEnv(t)
	req := flushReq(map[string]string{"ticket": "INC-9"})
	req.IdempotencyKey = "run-1"
	first := e.do("POST", "/v1/actions", "alice", req)
	second := e.do("POST", "/v1/actions", "alice", req)
	if first.status != 200 || second.status != 200 || second.header.Get("Idempotent-Replayed") != "true" || created.Load() != 1 ||
		second.outcome(t).Job.Name != first.outcome(t).Job.Name {
		t.Fatalf("retry with the key: %d %d, created %d", first.status, second.status, created.Load())
	}

	reindex := api.ActionRequest{Kind: api.ActionJob, Target: api.Target{Namespace: "payments", Name: "reindex"}, Reason: "INC-9: rebuild the index"}
	asked := e.do("POST", "/v1/actions", "olivia", reindex)
	o := asked.outcome(t)
	if asked.status != 202 || o.Status != api.StatusPendingApproval || created.Load() != 1 {
		t.Fatalf("olivia's reindex: %d %+v, created %d", asked.status, o, created.Load())
	}
	if r := e.decide("alice", o.ID, api.DecisionApprove, ""); r.status != 403 {
		t.Errorf("a member approving: %d %s", r.status, r.body)
	}
	r := e.decide("lena", o.ID, api.DecisionApprove, "ok")
	var a api.Approval
	if err := json.Unmarshal(r.body, &a); err != nil || r.status != 200 || a.Status != api.ApprovalExecuted || a.Outcome == nil || a.Outcome.Job == nil {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	if created.Load() != 2 {
		t.Fatalf("created %d after the approval", created.Load())
	}
	j := e.job("payments", a.Outcome.Job.Name)
	if j.Annotations["vigie.dev/requested-by"] != "olivia" || j.Annotations["vigie.dev/approver"] != "lena" || a.Outcome.Job.Approver != "lena" {
		t.Errorf("approved job %v / %+v", j.Annotations, a.Outcome.Job)
	}
	if r := e.decide("lena", o.ID, api.DecisionApprove, ""); r.status != 409 || created.Load() != 2 {
		t.Errorf("approving twice: %d, created %d", r.status, created.Load())
	}
}

func TestJobsRead(t *testing.T) {
	e, _ := jobsEnv(t)
	var names []string
	for _, ticket := range []string{"INC-1", "INC-2"} {
		o := e.do("POST", "/v1/actions", "alice", flushReq(map[string]string{"ticket": ticket})).outcome(t)
		names = append(names, o.Job.Name)
	}
	first := e.job("payments-dev", names[0])
	first.Status.StartTime = &metav1.Time{Time: time.Now()}
	first.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
	if _, err := e.kube.BatchV1().Jobs("payments-dev").UpdateStatus(context.Background(), first, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := actionstest.JobPod(first, names[0]+"-x2x2x", corev1.PodSucceeded, time.Now())
	handmade := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "payments-dev", Name: "migrate", Labels: map[string]string{"team": "payments"}}}
	for _, obj := range []any{pod, handmade} {
		var err error
		switch o := obj.(type) {
		case *corev1.Pod:
			_, err = e.kube.CoreV1().Pods("payments-dev").Create(context.Background(), o, metav1.CreateOptions{})
		case *batchv1.Job:
			err = e.kube.Tracker().Add(o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}

	var list api.JobsResponse
	r := e.do("GET", "/v1/jobs", "readonly", nil)
	if err := json.Unmarshal(r.body, &list); err != nil || r.status != 200 || len(list.Runs) != 2 {
		t.Fatalf("read-only list: %d %s", r.status, r.body)
	}
	if list.Runs[0].Name != names[1] || list.Runs[1].Name != names[0] || list.Runs[1].Status != api.JobSucceeded ||
		!slices.Equal(list.Runs[1].Pods, []string{names[0] + "-x2x2x"}) || list.Runs[0].Values["ticket"] != "INC-2" {
		t.Errorf("runs %+v: want newest first, with status and pods", list.Runs)
	}
	r = e.do("GET", "/v1/jobs?team=payments&template=flush-cache&limit=1", "alice", nil)
	if err := json.Unmarshal(r.body, &list); err != nil || len(list.Runs) != 1 || list.Runs[0].Name != names[1] {
		t.Errorf("limit 1: %s", r.body)
	}
	r = e.do("GET", "/v1/jobs", "bob", nil)
	if err := json.Unmarshal(r.body, &list); err != nil || r.status != 200 || len(list.Runs) != 0 || !strings.Contains(string(r.body), `"runs":[]`) {
		t.Errorf("bob sees another team's runs: %s", r.body)
	}
	for q, want := range map[string]int{"?team=payments": 403, "?limit=0": 400, "?limit=201": 400, "?template=Bad_Name": 400} {
		if r := e.do("GET", "/v1/jobs"+q, "bob", nil); r.status != want {
			t.Errorf("%s: %d, want %d: %s", q, r.status, want, r.body)
		}
	}
	if r := e.do("GET", "/v1/jobs", "", nil); r.status != 401 {
		t.Errorf("no token: %d", r.status)
	}

	var run api.JobRun
	r = e.do("GET", "/v1/jobs/payments-dev/"+names[0], "readonly", nil)
	if err := json.Unmarshal(r.body, &run); err != nil || r.status != 200 || run.Status != api.JobSucceeded || run.User != "alice" {
		t.Errorf("one run: %d %s", r.status, r.body)
	}
	for path, c := range map[string]struct {
		who    string
		status int
	}{
		"/v1/jobs/payments-dev/" + names[0]: {"bob", 403},
		"/v1/jobs/payments-dev/migrate":     {"alice", 404},
		"/v1/jobs/payments-dev/nope":        {"alice", 404},
		"/v1/jobs/kube-system/x":            {"alice", 403},
		"/v1/jobs/Payments/x":               {"alice", 400},
	} {
		if r := e.do("GET", path, c.who, nil); r.status != c.status {
			t.Errorf("%s as %s: %d, want %d: %s", path, c.who, r.status, c.status, r.body)
		}
	}
}

func TestTeamsShowScopeAndJobs(t *testing.T) {
	e, _ := jobsEnv(t)
	var out api.TeamsResponse
	r := e.do("GET", "/v1/teams", "alice", nil)
	if err := json.Unmarshal(r.body, &out); err != nil || len(out.Teams) != 1 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	p := out.Teams[0]
	if p.PrometheusMatchers["team"] != "payments" || p.LokiMatchers["cluster"] != "local" || p.OncallSchedule != "payments-primary" || len(p.Jobs) != 2 {
		t.Fatalf("team %+v", p)
	}
	fc := p.Jobs[0]
	if fc.Name != "flush-cache" || fc.Environment != api.EnvDev || fc.Timeout != "10m" || len(fc.Params) != 3 || fc.Params[2].Pattern != "^(?:[A-Z]+-[0-9]+)$" ||
		p.Jobs[1].Name != "reindex" || p.Jobs[1].Environment != api.EnvProduction {
		t.Errorf("jobs %+v", p.Jobs)
	}
	if strings.Contains(string(r.body), "rebuild") {
		t.Error("alice sees search's template")
	}
}
