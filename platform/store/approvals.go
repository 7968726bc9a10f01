package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Approval states. An approval is created pending; another user approves or rejects
// it, or it expires; an approved one is then executed once and ends executed or failed.
const (
	ApprovalPending  = "pending"
	ApprovalApproved = "approved" // decided; its execution is running (or was interrupted)
	ApprovalRejected = "rejected"
	ApprovalExpired  = "expired"
	ApprovalExecuted = "executed" // ran and succeeded
	ApprovalFailed   = "failed"   // ran and failed (the outcome says why), or could not run
)

// ApprovalStates lists the states, in their order of life.
func ApprovalStates() []string {
	return []string{ApprovalPending, ApprovalApproved, ApprovalRejected, ApprovalExpired, ApprovalExecuted, ApprovalFailed}
}

// ErrApprovalState is returned when an approval is not in the state a transition needs
// (it was decided by someone else first, it expired, it already ran).
var ErrApprovalState = errors.New("the approval is not in the state this needs")

// Approval is an action request that waits for, or got, another user's decision.
// Request is the whole ActionRequest (kind, target, params, reason, expect, idempotency
// key) as JSON; the columns beside it repeat some of it for queries and listings.
type Approval struct {
	ID             string // the action id of the request
	User           string // the requester
	TokenID        string // the requester's token
	Role           string // the requester's role in Team when asking
	Team           string // the team owning the target namespace
	Environment    string // the target namespace's environment class
	Kind           string
	Namespace      string
	Name           string
	IdempotencyKey string
	RequestID      string // the HTTP request that asked
	Request        []byte // the ActionRequest JSON
	State          string
	CreatedAt      time.Time
	ExpiresAt      time.Time
	DecidedBy      string    // who approved or rejected it
	DecidedAt      time.Time // zero: not decided
	DecisionReason string
	FinishedAt     time.Time // when it was executed (or failed); zero: not yet
	Outcome        []byte    // what the execution did, as JSON; nil before
}

// ApprovalFilter selects approvals: those of one of Teams or requested by User (both
// empty: every approval), in one of States (empty: any), decided before DecidedBefore
// (zero: decided or not), newest first, at most Limit (0: 100).
type ApprovalFilter struct {
	Teams         []string
	User          string
	States        []string
	DecidedBefore time.Time
	Limit         int
}

// ApprovalDecision is an approval's decision.
type ApprovalDecision struct {
	State  string // ApprovalApproved or ApprovalRejected
	By     string
	At     time.Time // also the time the approval must not have expired at
	Reason string
}

const approvalCols = `id, user_name, token_id, role, team, environment, kind, namespace, target_name, idem_key,
request_id, request, state, created_at, expires_at, decided_by, decided_at, decision_reason, finished_at, outcome`

func scanApproval(r row) (Approval, error) {
	var a Approval
	var request, outcome string
	var created, expires, decided, finished int64
	if err := r.Scan(&a.ID, &a.User, &a.TokenID, &a.Role, &a.Team, &a.Environment, &a.Kind, &a.Namespace, &a.Name,
		&a.IdempotencyKey, &a.RequestID, &request, &a.State, &created, &expires, &a.DecidedBy, &decided,
		&a.DecisionReason, &finished, &outcome); err != nil {
		return Approval{}, err
	}
	a.Request = []byte(request)
	if outcome != "" {
		a.Outcome = []byte(outcome)
	}
	a.CreatedAt, a.ExpiresAt, a.DecidedAt, a.FinishedAt = fromMicros(created), fromMicros(expires), fromMicros(decided), fromMicros(finished)
	return a, nil
}

func (s *sqlStore) CreateApproval(ctx context.Context, a Approval) error {
	if a.State == "" {
		a.State = ApprovalPending
	}
	return s.b.run(ctx, func(q querier) error {
		_, err := q.exec(ctx, "INSERT INTO approvals ("+approvalCols+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.User, a.TokenID, a.Role, a.Team, a.Environment, a.Kind, a.Namespace, a.Name, a.IdempotencyKey,
			a.RequestID, string(a.Request), a.State, micros(a.CreatedAt), micros(a.ExpiresAt), a.DecidedBy,
			micros(a.DecidedAt), a.DecisionReason, micros(a.FinishedAt), string(a.Outcome))
		if err != nil {
			return fmt.Errorf("create approval: %w", err)
		}
		return nil
	})
}

func getApproval(ctx context.Context, q querier, id string) (Approval, error) {
	a, err := scanApproval(q.queryRow(ctx, "SELECT "+approvalCols+" FROM approvals WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Approval{}, ErrNotFound
	}
	return a, err
}

func (s *sqlStore) GetApproval(ctx context.Context, id string) (Approval, error) {
	var a Approval
	err := s.b.run(ctx, func(q querier) error {
		var err error
		a, err = getApproval(ctx, q, id)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return Approval{}, err
	}
	if err != nil {
		return Approval{}, fmt.Errorf("get approval: %w", err)
	}
	return a, nil
}

func (s *sqlStore) ListApprovals(ctx context.Context, f ApprovalFilter) ([]Approval, error) {
	var where, who []string
	var args []any
	if len(f.Teams) > 0 {
		who = append(who, "team IN (?"+strings.Repeat(", ?", len(f.Teams)-1)+")")
		for _, t := range f.Teams {
			args = append(args, t)
		}
	}
	if f.User != "" {
		who, args = append(who, "user_name = ?"), append(args, f.User)
	}
	if len(who) > 0 {
		where = append(where, "("+strings.Join(who, " OR ")+")")
	}
	if len(f.States) > 0 {
		where = append(where, "state IN (?"+strings.Repeat(", ?", len(f.States)-1)+")")
		for _, st := range f.States {
			args = append(args, st)
		}
	}
	if !f.DecidedBefore.IsZero() {
		where, args = append(where, "decided_at > 0 AND decided_at < ?"), append(args, micros(f.DecidedBefore))
	}
	q := "SELECT " + approvalCols + " FROM approvals"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT ?"
	args = append(args, limit)
	return list(ctx, s, "list approvals", q, args, scanApproval)
}

func (s *sqlStore) DecideApproval(ctx context.Context, id string, d ApprovalDecision) (Approval, error) {
	if d.State != ApprovalApproved && d.State != ApprovalRejected {
		return Approval{}, fmt.Errorf("decide approval: %q is not a decision", d.State)
	}
	var a Approval
	var moved bool
	err := s.b.run(ctx, func(q querier) error {
		// The WHERE clause is the guard: one UPDATE wins, whatever the concurrency (the
		// database serialises writers to the row and re-checks the condition).
		n, err := q.exec(ctx, `UPDATE approvals SET state = ?, decided_by = ?, decided_at = ?, decision_reason = ?
WHERE id = ? AND state = ? AND expires_at > ?`, d.State, d.By, micros(d.At), d.Reason, id, ApprovalPending, micros(d.At))
		if err != nil {
			return err
		}
		moved = n == 1
		a, err = getApproval(ctx, q, id)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return Approval{}, err
	}
	if err != nil {
		return Approval{}, fmt.Errorf("decide approval: %w", err)
	}
	if !moved {
		return a, ErrApprovalState
	}
	return a, nil
}

func (s *sqlStore) FinishApproval(ctx context.Context, id, state string, outcome []byte, at time.Time) error {
	if state != ApprovalExecuted && state != ApprovalFailed {
		return fmt.Errorf("finish approval: %q is not an end state", state)
	}
	return s.b.run(ctx, func(q querier) error {
		n, err := q.exec(ctx, "UPDATE approvals SET state = ?, outcome = ?, finished_at = ? WHERE id = ? AND state = ?",
			state, string(outcome), micros(at), id, ApprovalApproved)
		if err != nil {
			return fmt.Errorf("finish approval: %w", err)
		}
		if n == 1 {
			return nil
		}
		if _, err := getApproval(ctx, q, id); err != nil {
			return err
		}
		return ErrApprovalState
	})
}

func (s *sqlStore) ExpireApprovals(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.b.run(ctx, func(q querier) error {
		var err error
		n, err = q.exec(ctx, "UPDATE approvals SET state = ? WHERE state = ? AND expires_at <= ?", ApprovalExpired, ApprovalPending, micros(now))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("expire approvals: %w", err)
	}
	return n, nil
}
