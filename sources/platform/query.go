package platform

import (
	"context"
	"errors"
	"net/http"

	"github.com/vigie-dev/vigie/platform/api"
)

// Query runs a read-only query on one of the caller's teams' databases: a saved query
// (req.Saved, one of api.SavedQueries) or one SQL statement (req.SQL), with a reason.
// The result's values are PostgreSQL's text forms (nil for NULL); Truncated says the
// server's row or byte cap cut the rows (Message says which). Refusals (the policy, a
// statement that would write, more than one statement) and failures (PostgreSQL's
// error, the statement timeout) are *Error; their AuditID names the audit record.
func (c *Client) Query(ctx context.Context, req api.QueryRequest) (api.QueryResult, error) {
	var out api.QueryResult
	if req.Database == "" {
		return out, errors.New("platform: query: no database")
	}
	if (req.SQL == "") == (req.Saved == "") {
		return out, errors.New("platform: query: give a saved query or SQL (one of them)")
	}
	err := c.call(ctx, http.MethodPost, "/v1/queries", nil, req, &out)
	return out, err
}
