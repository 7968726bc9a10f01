package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/audit"
	"github.com/vigie-dev/vigie/platform/store"
)

// Crash recovery. A server killed while an action runs (kill -9, a crash, a lost node)
// leaves its idempotency key "pending" and, for an approved request, the approval
// "approved", with no answer and no outcome: a retry with the key would only ever hear
// 409 idempotency_conflict. At start, before serving, the next server finishes them from
// what the audit log knows, and never runs anything again:
//
//   - a pending key gets a stored answer, 409 interrupted, whose message says whether
//     nothing was done (no "requested" record), the outcome is unknown (a "requested"
//     record and no outcome), or how the action ended (its outcome record exists: only
//     the answer was lost); an "outcome" record with status interrupted is written when
//     the action has none, so the audit chain says so;
//   - an approval left approved ends failed with code interrupted (and an outcome record
//     with status interrupted), or executed/failed as its outcome record says.
//
// Only what was claimed (or approved) before this process started is recovered, and
// only what is older than the start minus the action timeout at once: a request that
// another server on the same store began just before is still within its deadline. The
// rest is recovered once the action timeout has passed (StartRecovery). This makes one
// server per store safe, and a rolling restart; several servers serving one store at
// the same time would need leader election for the recovery, which is not built.

// Recovery counts what a recovery finished.
type Recovery struct {
	Keys      int // pending idempotency keys now answered 409 interrupted
	Approvals int // approved requests ended (failed, interrupted; or as their outcome record says)
}

// StartRecovery recovers, before the server serves, what a stopped server left in flight
// (see above): at once what was claimed before the start minus the action timeout, and,
// in the background once the action timeout has passed, the rest of what was claimed
// before the start. stop cancels the background pass and waits for it: call it before
// closing the store. Failures are logged, never fatal: the server serves anyway, and the
// next start tries again.
func (s *Server) StartRecovery(ctx context.Context) (stop func()) {
	start := s.o.Now()
	s.recoverAndLog(ctx, start.Add(-s.o.ActionTimeout))
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTimer(s.o.ActionTimeout)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.recoverAndLog(ctx, start)
	}()
	return func() {
		cancel()
		<-done
	}
}

func (s *Server) recoverAndLog(ctx context.Context, before time.Time) {
	rep, err := s.Recover(ctx, before)
	if err != nil {
		s.log.Error("recovery of interrupted requests: some are left for the next start", "claimed_before", before.UTC().Format(time.RFC3339), "err", err)
	}
	if rep.Keys > 0 || rep.Approvals > 0 {
		s.log.Warn("recovered requests a stopped server left running", "keys", rep.Keys, "approvals", rep.Approvals,
			"claimed_before", before.UTC().Format(time.RFC3339))
	}
}

// recoveryPage is how many keys or approvals one store read returns.
const recoveryPage = 100

// Recover finishes the idempotency keys still pending that were claimed before before,
// and the approvals still approved (running) that were decided before before, as the
// comment at the top of this file says. Running it again finds nothing more to do.
func (s *Server) Recover(ctx context.Context, before time.Time) (Recovery, error) {
	var rep Recovery
	var errs []error
	seen := map[string]bool{}
	for {
		keys, err := s.store.PendingIdempotency(ctx, before, recoveryPage)
		if err != nil {
			return rep, fmt.Errorf("recovery: %w", err)
		}
		fresh := 0
		for _, k := range keys {
			if id := k.User + "\x00" + k.Key; !seen[id] {
				seen[id], fresh = true, fresh+1
				if err := s.recoverKey(ctx, k); err != nil {
					errs = append(errs, err)
					continue
				}
				rep.Keys++
			}
		}
		if len(keys) < recoveryPage || fresh == 0 {
			break
		}
	}
	for {
		list, err := s.store.ListApprovals(ctx, store.ApprovalFilter{States: []string{store.ApprovalApproved}, DecidedBefore: before, Limit: recoveryPage})
		if err != nil {
			return rep, errors.Join(append(errs, fmt.Errorf("recovery: %w", err))...)
		}
		fresh := 0
		for _, a := range list {
			if !seen["approval\x00"+a.ID] {
				seen["approval\x00"+a.ID], fresh = true, fresh+1
				if err := s.recoverApproval(ctx, a); err != nil {
					errs = append(errs, err)
					continue
				}
				rep.Approvals++
			}
		}
		if len(list) < recoveryPage || fresh == 0 {
			break
		}
	}
	return rep, errors.Join(errs...)
}

// trail is what the audit log holds about one action: its last record of each kind.
type trail struct {
	requested *api.AuditRecord // "requested" before acting (for an approved request: its run, with the approver)
	asked     *api.AuditRecord // "requested" with status pending_approval: the request was stored for an approval
	outcome   *api.AuditRecord // the action's outcome
}

func (s *Server) trailOf(ctx context.Context, actionID string) (trail, error) {
	var tr trail
	if actionID == "" {
		return tr, nil
	}
	after := int64(0)
	for {
		page, err := s.store.ListAudit(ctx, store.AuditFilter{ActionID: actionID, After: after, Limit: 500})
		if err != nil {
			return tr, fmt.Errorf("audit records of %s: %w", actionID, err)
		}
		for _, e := range page {
			after = e.Seq
			r, err := audit.Decode(e)
			if err != nil {
				return tr, err
			}
			switch {
			case r.Type == api.AuditOutcome:
				tr.outcome = &r
			case r.Type == api.AuditRequested && r.Status == api.StatusPendingApproval:
				tr.asked = &r
			case r.Type == api.AuditRequested:
				tr.requested = &r
			}
		}
		if len(page) < 500 {
			return tr, nil
		}
	}
}

// interrupted is the outcome record of an action a stopped server left running (or
// never started), made from what the audit log recorded of it.
func interrupted(base api.AuditRecord, msg string) api.AuditRecord {
	base.Seq, base.ID, base.Time, base.PrevHash, base.Hash = 0, "", time.Time{}, "", ""
	base.Type, base.Status, base.Code, base.Message = api.AuditOutcome, api.StatusInterrupted, api.CodeInterrupted, msg
	base.DryRun, base.Changes = false, nil
	return base
}

// what names the action of r for a message: "this restart of payments/checkout".
func what(r *api.AuditRecord) string {
	if r == nil || r.Kind == "" {
		return "this request"
	}
	if r.Target == nil || r.Target.Name == "" {
		if r.Target != nil && r.Target.Namespace != "" {
			return fmt.Sprintf("this %s in %s", r.Kind, r.Target.Namespace)
		}
		return "this " + string(r.Kind)
	}
	return fmt.Sprintf("this %s of %s", r.Kind, r.Target)
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// recoverKey answers a pending key 409 interrupted, after writing the outcome record the
// action lacks. The record is written first: if the server stops in between, the next
// recovery finds it and writes no second one.
func (s *Server) recoverKey(ctx context.Context, k store.Idem) error {
	tr, err := s.trailOf(ctx, k.ActionID)
	if err != nil {
		return err
	}
	at := rfc3339(k.CreatedAt)
	e := api.ErrorBody{Code: api.CodeInterrupted, Details: map[string]string{}}
	if k.ActionID != "" {
		e.Details["actionId"] = k.ActionID
	}
	var rec *api.AuditRecord // the outcome record to write, if the action has none
	switch {
	case k.ActionID == "": // claimed before keys recorded their action
		e.Message = fmt.Sprintf("the server stopped while this request ran (it started at %s): its outcome is unknown; check the audit log and the target's state before retrying with a new key", at)
		r := interrupted(api.AuditRecord{User: k.User}, e.Message)
		rec = &r
	case tr.outcome != nil:
		o := tr.outcome
		ended := map[string]string{api.StatusInterrupted: "was interrupted"}[o.Status]
		if ended == "" {
			ended = o.Status
		}
		if o.Message != "" {
			ended += ": " + o.Message
		}
		e.Message = fmt.Sprintf("the server stopped before answering %s (asked at %s); the audit log says it %s (record %s); check the target's state before retrying with a new key",
			what(o), at, ended, o.ID)
		e.Details["auditId"] = o.ID
	case tr.asked != nil:
		a, err := s.store.GetApproval(ctx, k.ActionID)
		switch {
		case err == nil:
			e.Message = fmt.Sprintf("the server stopped before answering %s (asked at %s): it was stored as approval request %s, %s now (GET /v1/approvals)",
				what(tr.asked), at, a.ID, a.State)
			e.Details["auditId"] = tr.asked.ID
		case errors.Is(err, store.ErrNotFound):
			e.Message = fmt.Sprintf("the server stopped before storing %s for an approval (asked at %s): nothing was done; ask again with a new key", what(tr.asked), at)
			r := interrupted(*tr.asked, e.Message)
			rec = &r
		default:
			return fmt.Errorf("approval %s: %w", k.ActionID, err)
		}
	case tr.requested != nil:
		e.Message = fmt.Sprintf("the server stopped while %s ran (it started at %s): its outcome is unknown; check the target's state before retrying with a new key", what(tr.requested), at)
		r := interrupted(*tr.requested, e.Message)
		rec = &r
	default: // the "requested" record, written before acting, is not there: nothing ran
		e.Message = fmt.Sprintf("the server stopped before this request acted (it was made at %s): nothing was done; retry with a new key", at)
		r := interrupted(api.AuditRecord{User: k.User, ActionID: k.ActionID}, e.Message)
		rec = &r
	}
	if rec != nil {
		written, err := s.audit.Append(ctx, *rec)
		if err != nil {
			return fmt.Errorf("interrupted request %s of %s: %w", k.ActionID, k.User, err)
		}
		e.Details["auditId"] = written.ID
		s.metrics.actions.Inc(kindLabel(rec.Kind), api.StatusInterrupted)
	}
	body, _ := json.Marshal(api.ErrorResponse{Error: e})
	err = s.store.FinishIdempotency(ctx, k.User, k.Key, http.StatusConflict, body, s.o.Now().UTC())
	if errors.Is(err, store.ErrNotFound) { // its own request answered meanwhile (another server on the store)
		s.log.Warn("recovery: the key was answered meanwhile", "user", k.User, "action_id", k.ActionID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("interrupted request %s of %s: %w", k.ActionID, k.User, err)
	}
	s.log.Warn("recovered a request a stopped server left running: its key now answers 409 interrupted",
		"user", k.User, "action_id", k.ActionID, "claimed_at", at, "audit_id", e.Details["auditId"])
	return nil
}

// recoverApproval ends an approval left approved: as its outcome record says when the
// run was recorded, else failed (interrupted) with an outcome record. It never runs it.
func (s *Server) recoverApproval(ctx context.Context, a store.Approval) error {
	tr, err := s.trailOf(ctx, a.ID)
	if err != nil {
		return err
	}
	state := store.ApprovalFailed
	var o api.ApprovalOutcome
	if out := tr.outcome; out != nil {
		o = api.ApprovalOutcome{Outcome: api.Outcome{ID: a.ID, Status: out.Status, Message: out.Message, AuditID: out.ID, Changes: out.Changes}, Code: out.Code}
		if out.Status == api.StatusSucceeded {
			state = store.ApprovalExecuted
		}
	} else {
		approved := fmt.Sprintf("approved by %s at %s", a.DecidedBy, rfc3339(a.DecidedAt))
		base := tr.requested // the run's "requested" record, written before acting
		var msg string
		if base != nil {
			msg = fmt.Sprintf("the server stopped while %s ran (%s): its outcome is unknown; check the target's state, then ask again if needed", what(base), approved)
		} else {
			var req api.ActionRequest
			_ = json.Unmarshal(a.Request, &req)
			r := api.AuditRecord{ActionID: a.ID, User: a.User, TokenID: a.TokenID, Approver: a.DecidedBy, Role: api.Role(a.Role)}
			s.describe(&r, req)
			r.Team = a.Team
			base = &r
			msg = fmt.Sprintf("the server stopped after %s was %s, before it ran: nothing was done; ask again", what(base), approved)
		}
		written, err := s.audit.Append(ctx, interrupted(*base, msg))
		if err != nil {
			return fmt.Errorf("interrupted approval %s: %w", a.ID, err)
		}
		s.metrics.actions.Inc(kindLabel(base.Kind), api.StatusInterrupted)
		o = api.ApprovalOutcome{Outcome: api.Outcome{ID: a.ID, Status: api.StatusFailed, Message: msg, AuditID: written.ID}, Code: api.CodeInterrupted}
	}
	outcome, _ := json.Marshal(o)
	err = s.store.FinishApproval(ctx, a.ID, state, outcome, s.o.Now().UTC().Truncate(time.Microsecond))
	if errors.Is(err, store.ErrApprovalState) { // its own run finished meanwhile (another server on the store)
		s.log.Warn("recovery: the approval ended meanwhile", "approval_id", a.ID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("interrupted approval %s: %w", a.ID, err)
	}
	s.log.Warn("recovered an approved request a stopped server left running: it ends "+state+", never run again",
		"approval_id", a.ID, "requester", a.User, "approver", a.DecidedBy, "audit_id", o.AuditID)
	return nil
}
