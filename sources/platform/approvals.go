package platform

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/vigie-dev/vigie/platform/api"
)

// ApprovalQuery selects approval requests: one of the caller's teams ("" = all of them,
// and the caller's own requests), a status ("" = pending, "all", or one of
// api.ApprovalStates), at most Limit (0 = the server's 50).
type ApprovalQuery struct {
	Team   string
	Status string
	Limit  int
}

// Approvals returns approval requests, newest first: those the caller may decide on
// carry MayDecide; the caller's own are there too.
func (c *Client) Approvals(ctx context.Context, q ApprovalQuery) (api.ApprovalsResponse, error) {
	var out api.ApprovalsResponse
	err := c.call(ctx, http.MethodGet, "/v1/approvals", params("team", q.Team, "status", q.Status, "limit", positive(int64(q.Limit))), nil, &out)
	return out, err
}

// Decide approves or rejects approval request id, with a reason. Approved, the request
// runs at once: the answer is the approval with its outcome (status executed); when the
// request ran and failed (its target changed since it was asked for, say), the error is
// an *Error with the action's code. A request already decided is an *Error with code
// conflict, an expired one with code expired.
func (c *Client) Decide(ctx context.Context, id string, decision api.Decision, reason string) (api.Approval, error) {
	var out api.Approval
	if id == "" {
		return out, errors.New("platform: decide: no approval request id")
	}
	err := c.call(ctx, http.MethodPost, "/v1/approvals/"+url.PathEscape(id), nil,
		api.DecisionRequest{Decision: decision, Reason: reason}, &out)
	return out, err
}
