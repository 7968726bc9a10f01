package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/auth"
	"github.com/vigie-dev/vigie/platform/policy"
	"github.com/vigie-dev/vigie/platform/store"
)

// Approvals. An action whose policy effect is "approval" is stored pending (POST
// /v1/actions answers 202); another member of the owning team, whose role the policy
// allows to run that action itself, approves or rejects it (POST /v1/approvals/{id}).
// The decision is a conditional update in the store (pending → approved, only while
// pending and unexpired), so of concurrent approvals exactly one wins and runs the
// request, once, through the same path as an allowed action (execute), with its
// preconditions checked then. Every decision and every refused attempt is audited.

const maxDecisionBody = 16 << 10

var approvalIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// requestApproval stores an action the policy wants approved and audits it as
// requested, pending approval. Nothing runs until someone approves it.
func (s *Server) requestApproval(x *exchange, rec api.AuditRecord, req api.ActionRequest, d policy.Decision) {
	ctx := context.WithoutCancel(x.r.Context())
	now := s.o.Now().UTC().Truncate(time.Microsecond)
	expires := now.Add(s.o.ApprovalTTL)
	reqJSON, _ := json.Marshal(req)
	rec.Type, rec.Status, rec.Message = api.AuditRequested, api.StatusPendingApproval, d.Reason
	written, err := s.audit.Append(ctx, rec)
	if err == nil {
		err = s.store.CreateApproval(ctx, store.Approval{ID: rec.ActionID, User: rec.User, TokenID: rec.TokenID, Role: string(d.Role),
			Team: d.Team, Environment: d.Environment, Kind: string(req.Kind), Namespace: req.Target.Namespace, Name: req.Target.Name,
			IdempotencyKey: req.IdempotencyKey, RequestID: x.id, Request: reqJSON, State: store.ApprovalPending,
			CreatedAt: now, ExpiresAt: expires})
	}
	if err != nil {
		s.log.Error("approval request", "request_id", x.id, "err", err)
		s.releaseKey(ctx, rec.User, req)
		x.fail(http.StatusServiceUnavailable, apiError(api.CodeUnavailable, "cannot record the approval request, so nothing was done; retry later"))
		return
	}
	s.metrics.actions.Inc(kindLabel(req.Kind), api.StatusPendingApproval)
	who := "another member of " + d.Team + " whose role may run it"
	if roles := s.approverRoles(d.Environment, req.Kind); len(roles) > 0 {
		who = "a " + strings.Join(roles, " or ") + " of " + d.Team
	}
	out := api.Outcome{ID: rec.ActionID, Status: api.StatusPendingApproval, AuditID: written.ID,
		Message: fmt.Sprintf("%s; nothing was done yet: %s may approve it (POST /v1/approvals/%s) until %s",
			d.Reason, who, rec.ActionID, expires.Format(time.RFC3339))}
	b, _ := json.Marshal(out)
	if req.IdempotencyKey != "" {
		if err := s.store.FinishIdempotency(ctx, rec.User, req.IdempotencyKey, http.StatusAccepted, b, now); err != nil {
			s.log.Error("idempotency finish", "request_id", x.id, "err", err)
		}
	}
	x.raw(http.StatusAccepted, b)
}

// approverRoles lists the roles the policy allows to run kind in env namespaces.
func (s *Server) approverRoles(env string, kind api.ActionKind) []string {
	var out []string
	for _, r := range api.Roles() {
		if s.cfg.Policy[env][kind][r] == policy.Allow {
			out = append(out, string(r))
		}
	}
	return out
}

// authorizeDecision says whether p may approve or reject approval a of request req: not
// with a read-only token, not the requester, and only with a role in the owning team
// that the policy allows to run the action itself (a role that needs an approval for it
// cannot grant one). It returns the policy's decision for p.
func (s *Server) authorizeDecision(p auth.Principal, a store.Approval, req api.ActionRequest) (policy.Decision, *api.ErrorBody) {
	refuse := func(code, format string, args ...any) (policy.Decision, *api.ErrorBody) {
		e := apiError(code, format, args...)
		return policy.Decision{}, &e
	}
	if p.ReadOnly {
		return refuse(api.CodeReadOnly, "this token is read-only: it can approve or reject nothing")
	}
	if p.User == a.User {
		return refuse(api.CodeForbidden, "%s asked for this %s: another member of %s must approve or reject it", p.User, req.Kind, a.Team)
	}
	d := s.cfg.Decide(policy.Subject{User: p.User}, req)
	switch {
	case d.Effect == policy.Deny && d.Code == api.CodeForbidden:
		e := apiError(api.CodeForbidden, "%s may not approve or reject this %s: %s", p.User, req.Kind, d.Reason)
		return d, &e
	case d.Effect == policy.Deny:
		e := apiError(d.Code, "the request no longer passes the policy: %s", d.Reason)
		return d, &e
	case d.Team != a.Team:
		e := apiError(api.CodeForbidden, "namespace %s now belongs to team %s, not %s: the request must be made again", req.Target.Namespace, d.Team, a.Team)
		return d, &e
	case d.Effect != policy.Allow:
		e := apiError(api.CodeForbidden, "%ss of %s need an approval to %s in %s namespaces themselves, so %s cannot approve or reject one (who can: %s)",
			d.Role, d.Team, req.Kind, d.Environment, p.User, strings.Join(s.approverRoles(d.Environment, req.Kind), ", "))
		return d, &e
	}
	return d, nil
}

// approvalOf is the wire form of a, as p sees it at now.
func (s *Server) approvalOf(a store.Approval, p auth.Principal, now time.Time) api.Approval {
	out := api.Approval{ID: a.ID, Status: a.State, Requester: a.User, Role: api.Role(a.Role), Team: a.Team,
		Environment: a.Environment, CreatedAt: a.CreatedAt, ExpiresAt: a.ExpiresAt, DecidedBy: a.DecidedBy,
		DecisionReason: a.DecisionReason}
	if err := json.Unmarshal(a.Request, &out.Request); err != nil {
		s.log.Error("approval: stored request", "approval_id", a.ID, "err", err)
	}
	if !a.DecidedAt.IsZero() {
		t := a.DecidedAt
		out.DecidedAt = &t
	}
	if len(a.Outcome) > 0 {
		var o api.ApprovalOutcome
		if err := json.Unmarshal(a.Outcome, &o); err == nil {
			out.Outcome = &o
		}
	}
	if out.Status == api.ApprovalPending && !now.Before(a.ExpiresAt) {
		out.Status = api.ApprovalExpired
	}
	if out.Status == api.ApprovalPending {
		_, e := s.authorizeDecision(p, a, out.Request)
		out.MayDecide = e == nil
	}
	return out
}

// approvalsList is GET /v1/approvals: the approval requests of the caller's teams and
// the caller's own; ?team= one of the caller's teams, ?status= a state or "all"
// (default pending), ?limit= (≤ 500). Expired requests are marked so first.
func (s *Server) approvalsList(x *exchange) {
	p, err := s.authenticate(x)
	if err != nil {
		s.authFail(x, err)
		return
	}
	q := x.r.URL.Query()
	teams, picked, ok := s.readTeams(x, p.User, "approval requests")
	if !ok {
		return
	}
	f := store.ApprovalFilter{Teams: teams, User: p.User, States: []string{store.ApprovalPending}, Limit: 50}
	if picked {
		f.User = "" // one team's requests, not also the caller's own elsewhere
	}
	switch st := q.Get("status"); {
	case st == "all":
		f.States = nil
	case slices.Contains(api.ApprovalStates(), st):
		f.States = []string{st}
	case st != "":
		x.fail(http.StatusBadRequest, apiError(api.CodeInvalid, "status: want one of %s or all, got %q", strings.Join(api.ApprovalStates(), ", "), clip(st, 32)))
		return
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			x.fail(http.StatusBadRequest, apiError(api.CodeInvalid, "limit: want an integer from 1 to 500, got %q", clip(v, 32)))
			return
		}
		f.Limit = n
	}
	now := s.o.Now().UTC()
	if _, err := s.store.ExpireApprovals(x.r.Context(), now); err != nil {
		s.log.Error("expire approvals", "request_id", x.id, "err", err)
		x.fail(http.StatusServiceUnavailable, apiError(api.CodeUnavailable, "cannot read the approval requests now"))
		return
	}
	list, err := s.store.ListApprovals(x.r.Context(), f)
	if err != nil {
		s.log.Error("list approvals", "request_id", x.id, "err", err)
		x.fail(http.StatusServiceUnavailable, apiError(api.CodeUnavailable, "cannot read the approval requests now"))
		return
	}
	out := api.ApprovalsResponse{Approvals: []api.Approval{}}
	for _, a := range list {
		out.Approvals = append(out.Approvals, s.approvalOf(a, p, now))
	}
	x.reply(http.StatusOK, out)
}

// decisionStatus is the HTTP status of a refused decision's code.
func decisionStatus(code string) int {
	if code == api.CodeExpired {
		return http.StatusGone
	}
	return httpStatus(code)
}

// refuseDecision audits and answers a refused decision.
func (s *Server) refuseDecision(x *exchange, rec api.AuditRecord, e api.ErrorBody) {
	rec.Type, rec.Status = api.AuditDenied, api.StatusDenied
	if e.Code == api.CodeInvalid {
		rec.Type = api.AuditInvalid
	}
	rec.Code, rec.Message = e.Code, e.Message
	written, err := s.audit.Append(context.WithoutCancel(x.r.Context()), rec)
	if err != nil {
		s.log.Error("audit refused decision", "request_id", x.id, "err", err)
	} else {
		if e.Details == nil {
			e.Details = map[string]string{}
		}
		e.Details["auditId"] = written.ID
	}
	x.fail(decisionStatus(e.Code), e)
}

// decide is POST /v1/approvals/{id}: authenticate → validate → authorise the decider
// against the stored request → conditional update (pending and unexpired → approved or
// rejected) → audit the decision → on approval, run the request once (execute) and
// store its outcome → answer.
func (s *Server) decide(x *exchange) {
	ctx := x.r.Context()
	id := x.r.PathValue("id")
	var dr api.DecisionRequest
	decodeErr := readBody(x, maxDecisionBody, &dr)
	rec := api.AuditRecord{RequestID: x.id, ActionID: clip(id, 64), Reason: clip(dr.Reason, 1024)}
	x.extra = append(x.extra, "approval_id", rec.ActionID)

	p, ok := s.authWrite(x, &rec, s.refuseDecision)
	if !ok {
		return
	}
	switch {
	case !approvalIDRE.MatchString(id):
		s.refuseDecision(x, rec, fieldError("id", "%q is not an approval request id", clip(id, 64)))
		return
	case decodeErr != nil:
		s.refuseDecision(x, rec, apiError(api.CodeInvalid, "request body: %v", decodeErr))
		return
	case dr.Decision != api.DecisionApprove && dr.Decision != api.DecisionReject:
		s.refuseDecision(x, rec, fieldError("decision", "want %s or %s, got %q", api.DecisionApprove, api.DecisionReject, clip(string(dr.Decision), 32)))
		return
	case len([]rune(dr.Reason)) > 1024:
		s.refuseDecision(x, rec, fieldError("reason", "%d characters, at most 1024", len([]rune(dr.Reason))))
		return
	case !printable(dr.Reason):
		s.refuseDecision(x, rec, fieldError("reason", "control characters are not allowed"))
		return
	}

	a, err := s.store.GetApproval(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		s.refuseDecision(x, rec, apiError(api.CodeNotFound, "there is no approval request %s", id))
		return
	}
	if err != nil {
		s.log.Error("get approval", "request_id", x.id, "err", err)
		x.fail(http.StatusServiceUnavailable, apiError(api.CodeUnavailable, "cannot read the approval request now; nothing was done"))
		return
	}
	var req api.ActionRequest
	if err := json.Unmarshal(a.Request, &req); err != nil {
		s.log.Error("approval: stored request", "request_id", x.id, "approval_id", id, "err", err)
		x.fail(http.StatusInternalServerError, apiError(api.CodeInternal, "the stored request of %s cannot be read; nothing was done", id))
		return
	}
	s.describe(&rec, req)
	rec.Team, rec.Reason = a.Team, clip(dr.Reason, 1024)

	d, refusal := s.authorizeDecision(p, a, req)
	rec.Role = d.Role
	if refusal != nil {
		s.refuseDecision(x, rec, *refusal)
		return
	}

	now := s.o.Now().UTC().Truncate(time.Microsecond)
	state, verb := store.ApprovalApproved, "approved"
	if dr.Decision == api.DecisionReject {
		state, verb = store.ApprovalRejected, "rejected"
	}
	got, err := s.store.DecideApproval(ctx, id, store.ApprovalDecision{State: state, By: p.User, At: now, Reason: dr.Reason})
	switch {
	case errors.Is(err, store.ErrApprovalState) && (got.State == store.ApprovalPending || got.State == store.ApprovalExpired):
		if got.State == store.ApprovalPending { // expired, not yet marked
			if n, err := s.store.ExpireApprovals(context.WithoutCancel(ctx), now); err != nil {
				s.log.Error("expire approvals", "request_id", x.id, "err", err)
			} else if n > 0 {
				s.metrics.actions.Inc(kindLabel(req.Kind), api.ApprovalExpired)
			}
		}
		s.refuseDecision(x, rec, apiError(api.CodeExpired, "%s's request %s expired at %s, so nothing was done: %s can ask again",
			a.User, id, a.ExpiresAt.Format(time.RFC3339), a.User))
		return
	case errors.Is(err, store.ErrApprovalState):
		when := ""
		if !got.DecidedAt.IsZero() {
			when = " at " + got.DecidedAt.Format(time.RFC3339)
		}
		decided := got.State
		if decided != store.ApprovalRejected {
			decided = store.ApprovalApproved
		}
		s.refuseDecision(x, rec, apiError(api.CodeConflict, "%s's request %s was already %s by %s%s (now %s): nothing more was done",
			a.User, id, decided, got.DecidedBy, when, got.State))
		return
	case errors.Is(err, store.ErrNotFound):
		s.refuseDecision(x, rec, apiError(api.CodeNotFound, "there is no approval request %s", id))
		return
	case err != nil:
		s.log.Error("decide approval", "request_id", x.id, "err", err)
		x.fail(http.StatusServiceUnavailable, apiError(api.CodeUnavailable, "cannot record the decision now; nothing was done"))
		return
	}

	// The decision stands: record it, and run an approved request even if the caller goes away.
	actx := context.WithoutCancel(ctx)
	dec := rec
	dec.Type, dec.Status = api.AuditDecided, state
	dec.Message = fmt.Sprintf("%s %s %s's %s of %s", p.User, verb, a.User, req.Kind, req.Target)
	if _, err := s.audit.Append(actx, dec); err != nil {
		s.log.Error("audit decision", "request_id", x.id, "approval_id", id, "err", err)
		if state == store.ApprovalApproved {
			// Nothing runs without its trail: the approval ends failed, the requester asks again.
			msg := "cannot write the audit record of the approval, so nothing was done; ask again"
			s.finishApproval(x, got, api.ApprovalOutcome{Outcome: api.Outcome{ID: id, Status: api.StatusFailed, Message: msg}, Code: api.CodeUnavailable})
			x.fail(http.StatusServiceUnavailable, apiError(api.CodeUnavailable, "%s", msg))
			return
		}
	}
	s.metrics.actions.Inc(kindLabel(req.Kind), verb)
	x.extra = append(x.extra, "decision", verb)
	if state == store.ApprovalRejected {
		x.reply(http.StatusOK, s.approvalOf(got, p, now))
		return
	}

	run := api.AuditRecord{RequestID: x.id, ActionID: a.ID, User: a.User, TokenID: a.TokenID, Approver: p.User, Role: api.Role(a.Role)}
	s.describe(&run, req)
	run.Team = a.Team
	x.r = x.r.WithContext(actx) // approved: it runs, and is recorded, even if the approver goes away
	ex := s.execute(x, run, req, d, false)
	o := api.ApprovalOutcome{Outcome: api.Outcome{ID: id, Status: api.StatusFailed, Message: ex.outcome.Message, AuditID: ex.auditID}, Code: ex.outcome.Code}
	switch {
	case !ex.ran:
		o.Code, o.Message = api.CodeUnavailable, "cannot write the audit record, so nothing was done; ask again"
	case ex.status == http.StatusOK:
		if err := json.Unmarshal(ex.body, &o.Outcome); err != nil {
			s.log.Error("approval outcome", "request_id", x.id, "err", err)
		}
	}
	got = s.finishApproval(x, got, o)
	if ex.status != http.StatusOK {
		x.raw(ex.status, ex.body)
		return
	}
	x.reply(http.StatusOK, s.approvalOf(got, p, s.o.Now().UTC()))
}

// finishApproval stores what running approval a did, and returns a as it now is.
func (s *Server) finishApproval(x *exchange, a store.Approval, o api.ApprovalOutcome) store.Approval {
	a.State = store.ApprovalFailed
	if o.Status == api.StatusSucceeded {
		a.State = store.ApprovalExecuted
	}
	a.Outcome, _ = json.Marshal(o)
	a.FinishedAt = s.o.Now().UTC().Truncate(time.Microsecond)
	if err := s.store.FinishApproval(context.WithoutCancel(x.r.Context()), a.ID, a.State, a.Outcome, a.FinishedAt); err != nil {
		s.log.Error("finish approval: the outcome is in the audit log only", "request_id", x.id, "approval_id", a.ID, "err", err)
	}
	return a
}

// sinceRequested words a precondition refused when an approved request runs: the target
// changed since it was requested, not since the approver saw it.
func sinceRequested(code, msg string) string {
	if code != api.CodeConflict || !strings.Contains(msg, " since you saw it") {
		return msg
	}
	msg = strings.Replace(msg, " since you saw it", " since it was requested", 1)
	if i := strings.LastIndex(msg, ": look at"); i >= 0 {
		msg = msg[:i]
	}
	return msg + ": nothing was done; look at it again and ask again"
}
