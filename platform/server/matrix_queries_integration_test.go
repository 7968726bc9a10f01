//go:build integration

package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigie-dev/vigie/platform/api"
)

// queryRows is the matrix of POST /v1/queries on payments' database, read with its
// SELECT-only role. A query is a read: a read-only session may run what its user's role
// may. The writes are refused to everyone: by the policy before the SQL is looked at
// (other team, member), by vigie's SQL check for the others.
var queryRows = []struct {
	want  statuses
	name  string
	saved string
	sql   string
}{
	//        none bad  exp  othr mbr  onc  lead adm  r-o
	{statuses{401, 401, 401, 403, 200, 200, 200, 200, 200}, "saved table-sizes", api.SavedTableSizes, ""},
	{statuses{401, 401, 401, 403, 403, 200, 200, 200, 200}, "SQL: count the orders", "", "SELECT count(*) AS orders FROM orders"},
	{statuses{401, 401, 401, 403, 403, 403, 403, 403, 403}, "SQL: insert an order (a write)", "", "INSERT INTO orders (customer_id, amount_cents, status) VALUES (1, 1, 'vigie-matrix')"},
	{statuses{401, 401, 401, 403, 403, 403, 403, 403, 403}, "SQL: a read-write transaction (a write)", "", "BEGIN READ WRITE; DELETE FROM refunds"},
	{statuses{401, 401, 401, 403, 403, 403, 403, 403, 403}, "SQL: a write in a CTE (a write)", "", "WITH x AS (DELETE FROM refunds RETURNING 1) SELECT count(*) FROM x"},
}

// TestAuthorizationMatrixQueries: POST /v1/queries × every identity on the local
// platform's PostgreSQL. Every refusal is audited with the SQL asked, and payments'
// tables are unchanged after each request (row counts, sum, sequence, list of tables);
// no answer, log line or record shows a DSN.
func TestAuthorizationMatrixQueries(t *testing.T) {
	e := matrixEnv(t, adminClient(t), "")
	su := superPayments(t)
	orders, before := paymentsRows(t, su)
	why := matrixWhy()
	var answers []response
	for _, row := range queryRows {
		for i, id := range identities {
			want := row.want[i]
			t.Run(row.name+"/"+id.label, func(t *testing.T) {
				req := api.QueryRequest{Database: "payments", Saved: row.saved, SQL: row.sql, Reason: why}
				r := e.do("POST", "/v1/queries", id.who, req)
				answers = append(answers, r)
				if r.status != want {
					t.Fatalf("%d %s, want %d", r.status, r.body, want)
				}
				if _, after := paymentsRows(t, su); after != before {
					t.Fatalf("database payments changed:\n before %s\n after  %s", before, after)
				}
				if want != 200 {
					rec := checkRefusal(t, e, r, id, req.Kind())
					if rec.Query == nil || rec.Query.Database != "payments" || rec.Query.SQL != row.sql || rec.Query.Saved != row.saved {
						t.Errorf("the refusal's record does not say what was asked: %+v", rec.Query)
					}
					return
				}
				q := r.queryResult(t)
				switch {
				case row.saved != "":
					if len(q.Columns) < 2 || q.Columns[1].Name != "table" || !strings.Contains(string(r.body), `"orders"`) {
						t.Errorf("table-sizes: %s", r.body)
					}
				default:
					if len(q.Rows) != 1 || *q.Rows[0][0] != fmt.Sprint(orders) {
						t.Errorf("count: %s, want %d", r.body, orders)
					}
				}
				if rec := e.recordByID(q.AuditID); rec.Type != api.AuditOutcome || rec.Status != api.StatusSucceeded || rec.User != id.user || rec.Kind != req.Kind() {
					t.Errorf("outcome record %+v", rec)
				}
			})
		}
	}
	noDSNs(t, e, answers...)
	e.verify()
}
