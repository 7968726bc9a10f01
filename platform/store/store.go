// Package store keeps the platform's state: API tokens (hashed), the hash-chained audit
// log, idempotency records and approvals. Two implementations share one SQL schema and
// one code path: SQLite (modernc.org/sqlite, the default, one file) and PostgreSQL (pgx,
// for a shared deployment). Migrations run when a store opens.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when the token, record or key asked for does not exist.
var ErrNotFound = errors.New("not found")

// Token is an API token as stored: never the secret, only its SHA-256 hash.
type Token struct {
	ID        string
	Hash      string // hex SHA-256 of the secret
	User      string
	ReadOnly  bool
	Note      string
	CreatedAt time.Time
	ExpiresAt time.Time // zero: never
	RevokedAt time.Time // zero: not revoked
}

// AuditHead is the end of the audit chain: the last record's sequence number and hash
// (0 and "" for an empty log).
type AuditHead struct {
	Seq  int64
	Hash string
}

// AuditEntry is one stored audit record. Body is the record's canonical JSON, which the
// hash covers; the other columns repeat some of its fields for queries.
type AuditEntry struct {
	Seq      int64
	ID       string
	Time     time.Time
	Type     string
	Team     string
	User     string
	ActionID string
	Body     []byte
	PrevHash string
	Hash     string
}

// AuditFilter selects audit entries. Teams nil means every team; an empty non-nil
// slice selects nothing. ActionID "" means every action. Descending lists newest first,
// from Before (exclusive; 0: the end); ascending lists from After (exclusive).
type AuditFilter struct {
	Teams      []string
	ActionID   string
	After      int64
	Before     int64
	Descending bool
	Limit      int // 0: 100
}

// Idempotency states.
const (
	IdemPending = "pending"
	IdemDone    = "done"
)

// Idem is the record of one idempotency key of one user.
type Idem struct {
	User        string
	Key         string
	RequestHash string // hash of the request body the key was first used with
	State       string // IdemPending while the first request runs
	ActionID    string // the action (or approval request) the first request started; "" for keys claimed before schema 3
	StatusCode  int    // HTTP status of the first answer, when done
	Response    []byte // body of the first answer, when done
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Store is the platform's storage. Implementations are safe for concurrent use.
type Store interface {
	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	Close() error

	CreateToken(ctx context.Context, t Token) error
	// TokenByHash returns the token whose secret hashes to hash, or ErrNotFound.
	TokenByHash(ctx context.Context, hash string) (Token, error)
	ListTokens(ctx context.Context) ([]Token, error)
	// RevokeToken marks the token revoked at at; ErrNotFound when no such id.
	RevokeToken(ctx context.Context, id string, at time.Time) error

	// AppendAudit appends one record atomically: build receives the current head and
	// returns the entry to store (its Seq must be head.Seq+1 and PrevHash head.Hash).
	// Appends are serialised, so the chain never forks. The entry is durable on return.
	AppendAudit(ctx context.Context, build func(head AuditHead) (AuditEntry, error)) (AuditEntry, error)
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
	// AuditHead returns the recorded end of the chain.
	AuditHead(ctx context.Context) (AuditHead, error)

	// ClaimIdempotency records key as pending for idem.User unless it exists. It returns
	// the stored record and whether this call created it.
	ClaimIdempotency(ctx context.Context, idem Idem) (Idem, bool, error)
	// FinishIdempotency stores the answer of a pending key.
	FinishIdempotency(ctx context.Context, user, key string, status int, response []byte, at time.Time) error
	// ReleaseIdempotency forgets a pending key whose request stopped before acting.
	ReleaseIdempotency(ctx context.Context, user, key string) error
	// PendingIdempotency lists the keys still pending that were claimed before
	// claimedBefore, oldest first, at most limit (0: 100): after a restart, the keys of
	// requests that a stopped server left running.
	PendingIdempotency(ctx context.Context, claimedBefore time.Time, limit int) ([]Idem, error)

	// CreateApproval stores a new approval request (State ApprovalPending).
	CreateApproval(ctx context.Context, a Approval) error
	// GetApproval returns the approval with this id, or ErrNotFound.
	GetApproval(ctx context.Context, id string) (Approval, error)
	// ListApprovals returns the approvals f selects, newest first.
	ListApprovals(ctx context.Context, f ApprovalFilter) ([]Approval, error)
	// DecideApproval moves a pending approval that has not expired at d.At to d.State
	// (ApprovalApproved or ApprovalRejected), recording who decided, when and why. It is
	// a conditional update: of concurrent calls on one approval, exactly one succeeds;
	// the others, and any call on an approval that is not pending or has expired, get
	// ErrApprovalState with the approval as it is now. ErrNotFound when there is none.
	DecideApproval(ctx context.Context, id string, d ApprovalDecision) (Approval, error)
	// FinishApproval moves an approved approval to ApprovalExecuted or ApprovalFailed
	// with its outcome (JSON); ErrApprovalState when it is not approved.
	FinishApproval(ctx context.Context, id, state string, outcome []byte, at time.Time) error
	// ExpireApprovals marks ApprovalExpired every pending approval whose expiry is at or
	// before now, and returns how many it marked.
	ExpireApprovals(ctx context.Context, now time.Time) (int64, error)
}
