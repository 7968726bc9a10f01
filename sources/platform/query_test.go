package platform

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/vigie-dev/vigie/platform/api"
)

// Query posts to /v1/queries and decodes the table (NULL as nil); refusals and
// failures are *Error worded for a query, not for an action.
func TestQuery(t *testing.T) {
	s := &stub{t: t, status: 200, body: `{"id":"qry_1","auditId":"aud_2","columns":[{"name":"count","type":"bigint"},{"name":"note","type":"text"}],
		"rows":[["500",null]],"truncated":false,"rowCount":1,"durationMs":3}`}
	c := client(t, s)
	req := api.QueryRequest{Database: "payments", SQL: "SELECT count(*), NULL AS note FROM orders", Reason: "INC-9: how many orders"}
	out, err := c.Query(context.Background(), req)
	if err != nil || out.RowCount != 1 || len(out.Columns) != 2 || out.Columns[0] != (api.Column{Name: "count", Type: "bigint"}) ||
		*out.Rows[0][0] != "500" || out.Rows[0][1] != nil || out.Truncated || out.AuditID != "aud_2" {
		t.Fatalf("Query = %+v, %v", out, err)
	}
	var sent map[string]any
	if err := json.Unmarshal(s.gotB, &sent); err != nil {
		t.Fatal(err)
	}
	if s.got.Method != "POST" || s.got.URL.Path != "/v1/queries" || sent["database"] != "payments" || sent["sql"] != req.SQL ||
		sent["reason"] != req.Reason || sent["saved"] != nil || sent["team"] != nil {
		t.Errorf("sent %s %s %s", s.got.Method, s.got.URL.Path, s.gotB)
	}

	for _, c2 := range []struct {
		status int
		body   string
		code   string
		want   string
	}{
		{403, `{"error":{"code":"forbidden","message":"INSERT is refused: a query runs one read-only statement","details":{"auditId":"aud_3","field":"sql"}}}`,
			api.CodeForbidden, "not allowed: INSERT is refused: a query runs one read-only statement"},
		{504, `{"error":{"code":"timeout","message":"the query ran longer than its limit of 1s and was cancelled (limits.queryTimeout)","details":{"auditId":"aud_4","kind":"query-sql"}}}`,
			api.CodeTimeout, "the query ran longer than its limit of 1s and was cancelled (limits.queryTimeout)"},
		{502, `{"error":{"code":"action_failed","message":"database payments: out of memory","details":{"auditId":"aud_5","kind":"query-saved"}}}`,
			api.CodeActionFailed, "the query failed: database payments: out of memory"},
	} {
		s.status, s.body = c2.status, c2.body
		_, err := c.Query(context.Background(), req)
		var pe *Error
		if !errors.As(err, &pe) || pe.Code != c2.code || pe.AuditID() == "" || pe.Error() != c2.want {
			t.Errorf("%d: %v", c2.status, err)
		}
	}

	for _, bad := range []api.QueryRequest{{SQL: "SELECT 1"}, {Database: "payments"}, {Database: "payments", SQL: "SELECT 1", Saved: "locks"}} {
		if _, err := c.Query(context.Background(), bad); err == nil || !strings.HasPrefix(err.Error(), "platform: query:") {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}
