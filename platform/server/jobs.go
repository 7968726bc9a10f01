package server

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/vigie-dev/vigie/platform/actions"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/policy"
)

// Runbook jobs: POST /v1/actions kind "job" runs one of the team's job templates
// (teams.T.jobs) with typed values; GET /v1/jobs and GET /v1/jobs/{namespace}/{name}
// follow the runs. The Job is created with the server's credentials; the values only
// become argv elements and environment variables (policy.JobTemplate.Resolve).

// Bounds of GET /v1/jobs.
const (
	defaultJobsLimit = 50
	maxJobsLimit     = 200
	maxAuditValues   = policy.MaxJobParams
)

// templateOf returns the job template req names, when it is team's and runs in the
// target namespace; otherwise why not (403: a team runs only its own templates, where
// they run).
func (s *Server) templateOf(req api.ActionRequest, team string) (*policy.JobTemplate, *api.ErrorBody) {
	t := s.cfg.Teams[team]
	if t == nil {
		e := apiError(api.CodeForbidden, "namespace %q belongs to no team", req.Target.Namespace)
		return nil, &e
	}
	j := t.Job(req.Target.Name)
	if j == nil {
		e := apiError(api.CodeForbidden, "team %s has no job template %q: a team runs only its own templates (GET /v1/teams lists them)", t.Name, clip(req.Target.Name, 64))
		return nil, &e
	}
	if j.Namespace != req.Target.Namespace {
		e := apiError(api.CodeForbidden, "job template %s of team %s runs in namespace %s, not %s", j.Name, t.Name, j.Namespace, req.Target.Namespace)
		return nil, &e
	}
	return j, nil
}

// validateJob checks what validate cannot without the team: a job names one of the
// team's templates, in its namespace (403 otherwise), and its values pass the template's
// parameters (400); the other kinds take no values.
func (s *Server) validateJob(req api.ActionRequest, team string) *api.ErrorBody {
	if req.Kind != api.ActionJob {
		if req.Params.Values != nil {
			e := fieldError("params.values", "%s takes no values (a job does)", req.Kind)
			return &e
		}
		return nil
	}
	if req.Expect != nil {
		e := fieldError("expect", "a job takes no precondition (each run is a new Job)")
		return &e
	}
	j, e := s.templateOf(req, team)
	if e != nil {
		return e
	}
	if _, err := j.Resolve(req.Params.Values); err != nil {
		return jobValueError(err)
	}
	return nil
}

func jobValueError(err error) *api.ErrorBody {
	var ve *policy.JobValueError
	if errors.As(err, &ve) {
		e := api.ErrorBody{Code: api.CodeInvalid, Message: ve.Error(), Details: map[string]string{"field": ve.Field()}}
		return &e
	}
	e := fieldError("params.values", "%v", err)
	return &e
}

// jobOf is what the runner creates for a job request of team, resolved again when it
// runs (an approved request runs after the configuration may have changed): nil for the
// other kinds. rec names who asked, who approved, the reason and the action id.
func (s *Server) jobOf(req api.ActionRequest, team string, rec api.AuditRecord) (*actions.Job, error) {
	if req.Kind != api.ActionJob {
		return nil, nil
	}
	j, e := s.templateOf(req, team)
	if e != nil {
		return nil, &actions.Error{Code: e.Code, Msg: e.Message}
	}
	r, err := j.Resolve(req.Params.Values)
	if err != nil {
		return nil, &actions.Error{Code: api.CodeInvalid, Msg: err.Error()}
	}
	return &actions.Job{Team: team, Template: j.Name, Image: j.Image, Command: r.Command, Env: r.Env, Values: r.Values,
		Timeout: j.Timeout, ServiceAccountName: j.ServiceAccountName, Labels: actions.SelectorLabels(s.cfg.Teams[team].Selector),
		User: rec.User, Approver: rec.Approver, Reason: req.Reason, ActionID: rec.ActionID}, nil
}

// auditValues puts a bounded copy of the request's job values in the audit record's
// parameters (the body of an unauthenticated request is recorded too).
func auditValues(out *api.Params, in api.Params) *api.Params {
	if len(in.Values) == 0 {
		if out != nil {
			out.Values = nil
		}
		return out
	}
	if out == nil {
		out = &api.Params{}
	}
	out.Values = map[string]string{}
	for i, k := range slices.Sorted(maps.Keys(in.Values)) {
		if i == maxAuditValues {
			out.Values["…"] = strconv.Itoa(len(in.Values)-i) + " more"
			break
		}
		out.Values[clip(k, 64)] = clip(in.Values[k], policy.MaxJobValue)
	}
	return out
}

// jobsList is GET /v1/jobs: the runs of the caller's teams' templates (?team= one of
// them, ?template=, ?limit= 1..200, default 50), newest first. A read: read-only tokens
// may call it. Only Jobs vigie created, in the teams' namespaces, are listed.
func (s *Server) jobsList(x *exchange) {
	p, err := s.authenticate(x)
	if err != nil {
		s.authFail(x, err)
		return
	}
	q := x.r.URL.Query()
	teams, _, ok := s.readTeams(x, p.User, "jobs")
	if !ok {
		return
	}
	template := q.Get("template")
	if template != "" {
		if errs := validation.IsDNS1123Label(template); len(errs) > 0 {
			x.fail(http.StatusBadRequest, fieldError("template", "%q is not a job template name: %s", clip(template, 64), errs[0]))
			return
		}
	}
	limit := defaultJobsLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxJobsLimit {
			x.fail(http.StatusBadRequest, fieldError("limit", "want an integer from 1 to %d, got %q", maxJobsLimit, clip(v, 32)))
			return
		}
		limit = n
	}
	var namespaces []string
	for _, t := range teams {
		namespaces = append(namespaces, s.cfg.Teams[t].NamespaceNames()...)
	}
	out := api.JobsResponse{Runs: []api.JobRun{}}
	if len(namespaces) > 0 {
		runs, err := s.actions.JobRuns(x.r.Context(), namespaces, template, limit)
		if err != nil {
			s.readFail(x, "jobs", err)
			return
		}
		out.Runs = append(out.Runs, runs...)
	}
	x.reply(http.StatusOK, out)
}

// jobGet is GET /v1/jobs/{namespace}/{name}: one run, when the caller's teams own the
// namespace (403 otherwise) and vigie created the Job (404 otherwise).
func (s *Server) jobGet(x *exchange) {
	p, err := s.authenticate(x)
	if err != nil {
		s.authFail(x, err)
		return
	}
	ns, name := x.r.PathValue("namespace"), x.r.PathValue("name")
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		x.fail(http.StatusBadRequest, fieldError("namespace", "%q is not a namespace name: %s", clip(ns, 64), errs[0]))
		return
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		x.fail(http.StatusBadRequest, fieldError("name", "%q is not a Job name: %s", clip(name, 64), errs[0]))
		return
	}
	team, _, ok := s.cfg.Owner(ns)
	if !ok {
		s.denyRead(x, "", &api.Target{Namespace: ns, Name: name}, apiError(api.CodeForbidden, "namespace %q belongs to no team", ns))
		return
	}
	if _, ok := s.cfg.Role(p.User, team.Name); !ok {
		s.denyRead(x, team.Name, &api.Target{Namespace: ns, Name: name}, apiError(api.CodeForbidden, "%s is not a member of team %s, which owns namespace %s", p.User, team.Name, ns))
		return
	}
	run, err := s.actions.JobRun(x.r.Context(), ns, name)
	if err != nil {
		s.readFail(x, "job", err)
		return
	}
	x.reply(http.StatusOK, run)
}

// readFail answers a failed read of the cluster.
func (s *Server) readFail(x *exchange, what string, err error) {
	var ae *actions.Error
	if !errors.As(err, &ae) {
		ae = &actions.Error{Code: api.CodeInternal, Msg: err.Error()}
	}
	if ae.Code == api.CodeInternal || ae.Code == api.CodeActionFailed {
		s.log.Error(what, "request_id", x.id, "err", err)
	}
	x.fail(httpStatus(ae.Code), apiError(ae.Code, "%s", ae.Msg))
}
