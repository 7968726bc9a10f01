package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"unicode"

	"github.com/vigie-dev/vigie/platform/actions"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/audit"
	"github.com/vigie-dev/vigie/platform/auth"
	"github.com/vigie-dev/vigie/platform/policy"
)

const maxActionBody = 64 << 10

// httpStatus is the HTTP status of an api error code.
func httpStatus(code string) int {
	switch code {
	case api.CodeUnauthenticated:
		return http.StatusUnauthorized
	case api.CodeForbidden, api.CodeReadOnly:
		return http.StatusForbidden
	case api.CodeInvalid:
		return http.StatusBadRequest
	case api.CodeReasonRequired, api.CodeLimit:
		return http.StatusUnprocessableEntity
	case api.CodeNotFound:
		return http.StatusNotFound
	case api.CodeConflict, api.CodeIdempotency:
		return http.StatusConflict
	case api.CodeActionFailed:
		return http.StatusBadGateway
	case api.CodeTimeout:
		return http.StatusGatewayTimeout
	case api.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func kindLabel(k api.ActionKind) string {
	if slices.Contains(api.ActionKinds(), k) || api.QueryKind(k) {
		return string(k)
	}
	return "unknown"
}

// act is POST /v1/actions: authenticate → authorise against the action's own target →
// validate → idempotency → audit "requested" (durable) → act with a deadline → audit the
// outcome → answer. Refusals at every step are audited too.
func (s *Server) act(x *exchange) {
	ctx := x.r.Context()
	var req api.ActionRequest
	decodeErr := readBody(x, maxActionBody, &req)
	rec := api.AuditRecord{RequestID: x.id, ActionID: audit.NewID("act_")}
	if decodeErr == nil {
		s.describe(&rec, req)
	}
	x.extra = append(x.extra, "action_id", rec.ActionID)

	p, ok := s.authWrite(x, &rec, s.refuse)
	if !ok {
		return
	}
	if decodeErr != nil {
		s.refuse(x, rec, apiError(api.CodeInvalid, "request body: %v", decodeErr))
		return
	}
	dryRun, err := parseBool(x.r.URL.Query().Get("dryRun"))
	if err != nil {
		s.refuse(x, rec, apiError(api.CodeInvalid, "dryRun: want true or false, got %q", x.r.URL.Query().Get("dryRun")))
		return
	}
	rec.DryRun = dryRun
	if !slices.Contains(api.ActionKinds(), req.Kind) {
		s.refuse(x, rec, fieldError("kind", "unknown action %q (known: %v)", req.Kind, api.ActionKinds()))
		return
	}

	d := s.cfg.Decide(policy.Subject{User: p.User, ReadOnly: p.ReadOnly, DryRun: dryRun}, req)
	rec.Role = d.Role
	if d.Effect == policy.Deny {
		s.refuse(x, rec, api.ErrorBody{Code: d.Code, Message: d.Reason})
		return
	}
	if e := validate(req); e != nil {
		s.refuse(x, rec, *e)
		return
	}
	if e := s.validateSilenceOf(req, d.Team); e != nil {
		s.refuse(x, rec, *e)
		return
	}
	if e := s.validateJob(req, d.Team); e != nil { // jobs.go
		s.refuse(x, rec, *e)
		return
	}

	if req.IdempotencyKey != "" && !dryRun {
		if !s.claimKey(x, rec, p.User, req) {
			return // answered: a replay, a conflict, or a store failure
		}
	}
	if d.Effect == policy.Approval && !dryRun {
		s.requestApproval(x, rec, req, d)
		return
	}

	ex := s.execute(x, rec, req, d, dryRun)
	if !ex.ran {
		s.releaseKey(ctx, p.User, req)
	} else if req.IdempotencyKey != "" && !dryRun {
		if err := s.store.FinishIdempotency(context.WithoutCancel(ctx), p.User, req.IdempotencyKey, ex.status, ex.body, s.o.Now()); err != nil {
			s.log.Error("idempotency finish", "request_id", x.id, "err", err)
		}
	}
	x.raw(ex.status, ex.body)
}

// execution is what execute did: the answer to send, and the outcome record.
type execution struct {
	ran     bool // false: nothing was done (the "requested" record could not be written)
	status  int
	body    []byte          // the answer: an api.Outcome, or an api.ErrorResponse
	outcome api.AuditRecord // what happened (Status, Code, Message, Changes)
	auditID string          // of the outcome record (of the "requested" one if that failed)
}

// execute runs an authorised, validated request: audit "requested" (durable) → act with
// a deadline → audit the outcome. act calls it for an allowed request, and an approval
// for the request it approves (rec then names the requester and the Approver). It does
// not answer.
func (s *Server) execute(x *exchange, rec api.AuditRecord, req api.ActionRequest, d policy.Decision, dryRun bool) execution {
	ctx := x.r.Context()
	rec.Type = api.AuditRequested
	requested, err := s.audit.Append(ctx, rec)
	if err != nil {
		s.log.Error("audit requested", "request_id", x.id, "err", err)
		x.extra = append(x.extra, "error_code", api.CodeUnavailable)
		b, _ := json.Marshal(api.ErrorResponse{Error: apiError(api.CodeUnavailable, "cannot write the audit record, so nothing was done; retry later")})
		return execution{status: http.StatusServiceUnavailable, body: b}
	}

	// The action and its outcome record must complete even if the caller goes away.
	actx := context.WithoutCancel(ctx)
	job, actErr := s.jobOf(req, d.Team, rec) // jobs.go: nil for the other kinds
	var res actions.Result
	if actErr == nil {
		res, actErr = s.actions.Run(actx, actions.Request{Kind: req.Kind, Target: req.Target, Replicas: replicas(req),
			ToRevision: req.Params.ToRevision, Expect: expectRV(req), ExpectRevision: expectRevision(req), DryRun: dryRun,
			Selector: s.cfg.Teams[d.Team].Selector, Silence: s.silenceOf(req, d.Team, rec.User), Job: job})
	}

	out := rec
	out.Type, out.ID = api.AuditOutcome, ""
	var ae *actions.Error
	switch {
	case actErr == nil:
		out.Status, out.Message, out.Changes = api.StatusSucceeded, res.Message, res.Changes
	case errors.As(actErr, &ae):
		out.Status, out.Code, out.Message = api.StatusFailed, ae.Code, ae.Msg
	default:
		out.Status, out.Code, out.Message = api.StatusFailed, api.CodeInternal, actErr.Error()
	}
	if rec.Approver != "" {
		out.Message = sinceRequested(out.Code, out.Message)
	}
	outcome, err := s.audit.Append(actx, out)
	auditID := outcome.ID
	if err != nil {
		s.log.Error("audit outcome: the action ran but its outcome is not recorded", "request_id", x.id, "action_id", rec.ActionID, "err", err)
		auditID = requested.ID
	}

	var status int
	var answer any
	metric := out.Status
	if actErr == nil {
		status = http.StatusOK
		answer = api.Outcome{ID: rec.ActionID, Status: api.StatusSucceeded, Message: res.Message, AuditID: auditID,
			DryRun: dryRun, Changes: res.Changes, Warnings: res.Warnings, ResourceVersion: res.ResourceVersion, Silence: res.Silence, Job: res.Job}
		if dryRun {
			metric = "dry_run"
		}
	} else {
		status = httpStatus(out.Code)
		answer = api.ErrorResponse{Error: api.ErrorBody{Code: out.Code, Message: out.Message,
			Details: map[string]string{"actionId": rec.ActionID, "auditId": auditID}}}
		x.extra = append(x.extra, "error_code", out.Code)
	}
	s.metrics.actions.Inc(kindLabel(req.Kind), metric)
	b, _ := json.Marshal(answer)
	return execution{ran: true, status: status, body: b, outcome: out, auditID: auditID}
}

// describe copies what the request says into the audit record, bounded: the body of an
// unauthenticated request is recorded too, so it must not bloat the log.
func (s *Server) describe(rec *api.AuditRecord, req api.ActionRequest) {
	rec.Kind = api.ActionKind(clip(string(req.Kind), 32))
	rec.Target = &api.Target{Namespace: clip(req.Target.Namespace, 253), Name: clip(req.Target.Name, 253)}
	rec.Params = auditValues(auditParams(req.Params), req.Params)
	rec.Reason = clip(req.Reason, 1024)
	if team, _, ok := s.cfg.Owner(req.Target.Namespace); ok {
		rec.Team = team.Name
	}
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// refuse audits and answers a refusal (authentication, policy, validation).
func (s *Server) refuse(x *exchange, rec api.AuditRecord, e api.ErrorBody) {
	rec.Type, rec.Status = api.AuditDenied, api.StatusDenied
	metric := "denied"
	if status := httpStatus(e.Code); status == http.StatusBadRequest || e.Code == api.CodeIdempotency {
		rec.Type, metric = api.AuditInvalid, "invalid"
	}
	rec.Code, rec.Message = e.Code, e.Message
	written, err := s.audit.Append(context.WithoutCancel(x.r.Context()), rec)
	if err != nil {
		s.log.Error("audit refusal", "request_id", x.id, "err", err)
	} else {
		if e.Details == nil {
			e.Details = map[string]string{}
		}
		e.Details["auditId"] = written.ID
	}
	s.metrics.actions.Inc(kindLabel(rec.Kind), metric)
	x.fail(httpStatus(e.Code), e)
}

func fieldError(field, format string, args ...any) api.ErrorBody {
	return api.ErrorBody{Code: api.CodeInvalid, Message: field + ": " + fmt.Sprintf(format, args...), Details: map[string]string{"field": field}}
}

// readBody reads a write's JSON body (at most max bytes) and decodes it strictly. Its
// error is answered only after authentication: an unknown caller learns nothing of it.
func readBody(x *exchange, max int64, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(x.w, x.r.Body, max))
	if err != nil {
		return err
	}
	return decodeStrict(body, v)
}

// authWrite authenticates a write. A refused token is answered 401 through refuse, which
// audits it with rec; a store that does not answer is 503. On success rec names the
// caller. ok false: the request was answered.
func (s *Server) authWrite(x *exchange, rec *api.AuditRecord, refuse func(*exchange, api.AuditRecord, api.ErrorBody)) (auth.Principal, bool) {
	p, err := s.authenticate(x)
	switch {
	case err != nil && isAuthFailure(err):
		refuse(x, *rec, api.ErrorBody{Code: api.CodeUnauthenticated, Message: err.Error()})
		return p, false
	case err != nil:
		s.authFail(x, err)
		return p, false
	}
	rec.User, rec.TokenID = p.User, p.TokenID
	return p, true
}

// decodeStrict decodes one JSON object, refusing unknown fields and trailing data.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return nil
}

func parseBool(s string) (bool, error) {
	if s == "" {
		return false, nil
	}
	return strconv.ParseBool(s)
}

func replicas(req api.ActionRequest) int32 {
	if req.Params.Replicas == nil {
		return 0
	}
	return *req.Params.Replicas
}

func expectRV(req api.ActionRequest) string {
	if req.Expect == nil {
		return ""
	}
	return req.Expect.ResourceVersion
}

func expectRevision(req api.ActionRequest) int64 {
	if req.Expect == nil {
		return 0
	}
	return req.Expect.Revision
}

func printable(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return false
		}
	}
	return true
}
