package api

import "time"

// CodeExpired is the error code of a decision on an approval request that expired
// (410): nothing ran; the requester must ask again.
const CodeExpired = "expired"

// AuditDecided is the audit record of a decision on an approval request: Status is
// ApprovalApproved, ApprovalRejected or ApprovalExpired; User is who decided (or tried
// to, for an expired request), ActionID the request's id, Reason the decision's reason.
const AuditDecided = "decided"

// Approval request states (Approval.Status; also the Status of AuditDecided records).
const (
	ApprovalPending  = "pending"  // waits for a decision
	ApprovalApproved = "approved" // approved; its execution runs (a server restart ends one left running as failed, code interrupted)
	ApprovalRejected = "rejected" // nothing ran
	ApprovalExpired  = "expired"  // nobody decided in time; nothing ran
	ApprovalExecuted = "executed" // approved, ran and succeeded
	ApprovalFailed   = "failed"   // approved, ran and failed (Outcome says why)
)

// ApprovalStates lists the states.
func ApprovalStates() []string {
	return []string{ApprovalPending, ApprovalApproved, ApprovalRejected, ApprovalExpired, ApprovalExecuted, ApprovalFailed}
}

// Decision is what an approver decides.
type Decision string

const (
	DecisionApprove Decision = "approve"
	DecisionReject  Decision = "reject"
)

// DecisionRequest is the body of POST /v1/approvals/{id}.
type DecisionRequest struct {
	Decision Decision `json:"decision"`
	Reason   string   `json:"reason,omitempty"` // why; at most 1024 characters
}

// Approval is an action request that the policy sent for an approval (POST /v1/actions
// answered 202 pending_approval), and what became of it. Another member of the owning
// team, whose role the policy allows to run the action itself, approves or rejects it;
// approved, the server runs it once, as the requester asked it, naming both in the
// audit log.
type Approval struct {
	ID             string           `json:"id"`     // the action id the 202 answered
	Status         string           `json:"status"` // ApprovalPending, ...
	Request        ActionRequest    `json:"request"`
	Requester      string           `json:"requester"`
	Role           Role             `json:"role,omitempty"` // the requester's role when asking
	Team           string           `json:"team"`           // owning the target namespace
	Environment    string           `json:"environment"`    // the target namespace's class
	CreatedAt      time.Time        `json:"createdAt"`
	ExpiresAt      time.Time        `json:"expiresAt"`
	DecidedBy      string           `json:"decidedBy,omitempty"`
	DecidedAt      *time.Time       `json:"decidedAt,omitempty"`
	DecisionReason string           `json:"decisionReason,omitempty"`
	Outcome        *ApprovalOutcome `json:"outcome,omitempty"` // when executed or failed
	// MayDecide tells whether the caller may approve or reject it now (it is pending, not
	// theirs, and the policy allows their role to run the action).
	MayDecide bool `json:"mayDecide"`
}

// ApprovalOutcome is what running an approved request did: the Outcome the action
// answered, with Status StatusSucceeded, or StatusFailed and the error Code.
type ApprovalOutcome struct {
	Outcome
	Code string `json:"code,omitempty"`
}

// ApprovalsResponse answers GET /v1/approvals, newest first.
type ApprovalsResponse struct {
	Approvals []Approval `json:"approvals"`
}
