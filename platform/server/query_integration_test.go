//go:build integration

package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigie-dev/vigie/internal/stackenv"
	"github.com/vigie-dev/vigie/platform/actions/actionstest"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/auth"
	"github.com/vigie-dev/vigie/platform/policy"
	"github.com/vigie-dev/vigie/platform/store"
	"github.com/vigie-dev/vigie/sources/platform"
)

// queryStackConfig is the stack's users (alice payments oncall, bob search oncall) and
// databases, read with the stack's SELECT-only roles; queries are allowed to oncalls in
// production (the stack's namespaces are dev: here they are production, so a reason is
// needed), with a 1s statement timeout and 50 rows.
const queryStackConfig = `
teams:
  payments:
    namespaces: {payments: production}
    selector: team=payments
    databases:
      payments: {dsnEnv: VIGIE_QUERY_IT_PAYMENTS_DSN}
  search:
    namespaces: {search: production}
    selector: team=search
    databases:
      search: {dsnEnv: VIGIE_QUERY_IT_SEARCH_DSN}
users:
  alice: {payments: oncall}
  bob: {search: oncall}
policy:
  production:
    query-saved: {member: allow, oncall: allow, lead: allow, admin: allow}
    query-sql:   {oncall: allow, lead: allow, admin: allow}
limits: {queryTimeout: 1s, queryRows: 50%s}
`

const stackWhy = "vigie integration test: read-only queries"

// queryStackEnv is an in-process server reading the local platform's PostgreSQL, with
// tokens for alice and bob; extraLimits is appended to the limits.
func queryStackEnv(t *testing.T, extraLimits string) (*env, string) {
	t.Helper()
	se := stackenv.MustLoad(t)
	paymentsDSN := se.MustGet(t, "VIGIE_STACK_PG_PAYMENTS_RO_DSN")
	t.Setenv("VIGIE_QUERY_IT_PAYMENTS_DSN", paymentsDSN)
	t.Setenv("VIGIE_QUERY_IT_SEARCH_DSN", se.MustGet(t, "VIGIE_STACK_PG_SEARCH_RO_DSN"))
	cfg, err := policy.Parse("query.yaml", []byte(fmt.Sprintf(queryStackConfig, extraLimits)))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "platform.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	logs := &syncBuffer{}
	srv, err := New(Options{Config: cfg, Store: st, Kube: actionstest.New(), Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e := &env{t: t, srv: srv, ts: ts, store: st, logs: logs, tokens: map[string]string{}}
	svc := auth.New(st, nil)
	for _, u := range []string{"alice", "bob"} {
		e.tokens[u] = e.token(svc, auth.CreateOptions{User: u, TTL: time.Hour})
	}
	u, err := url.Parse(paymentsDSN)
	if err != nil {
		t.Fatal(err)
	}
	password, _ := u.User.Password()
	return e, password
}

// superPayments connects to database payments as the stack's superuser.
func superPayments(t *testing.T) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(stackenv.MustLoad(t).MustGet(t, "VIGIE_STACK_PG_DSN"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database = "payments"
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("the local platform's PostgreSQL does not answer (start it with %q): %v", stackenv.StartCommand, err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// paymentsRows is what a write would change: the rows of payments' seeded tables (test/stack's
// orders and refunds), the orders sequence, and the list of tables.
func paymentsRows(t *testing.T, su *pgx.Conn) (orders int64, state string) {
	t.Helper()
	err := su.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM orders), format('orders %s (sum %s), refunds %s, seq %s, tables %s',
		(SELECT count(*) FROM orders), (SELECT sum(amount_cents) FROM orders), (SELECT count(*) FROM refunds),
		(SELECT last_value FROM orders_id_seq),
		(SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'))`).Scan(&orders, &state)
	if err != nil {
		t.Fatal(err)
	}
	return orders, state
}

// Through an in-process server on the local platform's PostgreSQL: alice (payments
// oncall) runs the saved query table-sizes and free SQL on payments, through vigie's
// client; every write attempt is refused and audited, and payments' tables are
// unchanged; bob (search) cannot query payments; the row cap truncates; a statement
// over the 1s timeout answers a timeout. The role's password is in no answer, log line
// or audit record.
func TestQueriesOnTheLocalPostgreSQL(t *testing.T) {
	e, password := queryStackEnv(t, "")
	su := superPayments(t)
	orders, before := paymentsRows(t, su)
	ctx := context.Background()
	alice, err := platform.New(platform.Options{URL: e.ts.URL, Token: e.tokens["alice"]})
	if err != nil {
		t.Fatal(err)
	}

	// The saved query table-sizes lists payments' seeded tables.
	res, err := alice.Query(ctx, api.QueryRequest{Database: "payments", Saved: api.SavedTableSizes, Reason: stackWhy})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Columns) < 2 || res.Columns[1].Name != "table" || res.Truncated || res.RowCount != len(res.Rows) {
		t.Fatalf("table-sizes: %+v", res)
	}
	var tables []string
	for _, r := range res.Rows {
		tables = append(tables, *r[1])
	}
	if got := strings.Join(tables, ","); !strings.Contains(","+got+",", ",orders,") || !strings.Contains(","+got+",", ",refunds,") {
		t.Errorf("table-sizes lists %s", got)
	}
	if rec := e.recordByID(res.AuditID); rec.Type != api.AuditOutcome || rec.Kind != api.QuerySaved || rec.User != "alice" ||
		rec.Query.Saved != api.SavedTableSizes || *rec.Query.Rows != len(res.Rows) {
		t.Errorf("table-sizes outcome %+v %+v", rec, rec.Query)
	}

	// Free SQL.
	res, err = alice.Query(ctx, api.QueryRequest{Database: "payments", SQL: "SELECT count(*) AS orders FROM orders", Reason: stackWhy})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || *res.Rows[0][0] != fmt.Sprint(orders) || res.Columns[0] != (api.Column{Name: "orders", Type: "bigint"}) {
		t.Fatalf("count: %+v", res)
	}
	// Another team's name for the database is refused even with the team named.
	if _, err := alice.Query(ctx, api.QueryRequest{Team: "search", Database: "payments", SQL: "SELECT 1", Reason: stackWhy}); err == nil {
		t.Error("team search's database payments")
	}

	// Every write attempt is refused (by vigie's checks, or by PostgreSQL for a read the
	// role may not do) and audited with its SQL text; nothing changes.
	const row = "(customer_id, amount_cents, status) VALUES (1, 1, 'vigie-test')"
	for _, c := range []struct {
		sql     string
		status  int
		msg     string
		refusal string // audit record type
	}{
		{"INSERT INTO orders " + row, 403, "INSERT is refused", api.AuditDenied},
		{"BEGIN READ WRITE; INSERT INTO orders " + row, 403, "more than one statement", api.AuditDenied},
		{"SET default_transaction_read_only = off; INSERT INTO orders " + row, 403, "more than one statement", api.AuditDenied},
		{"COPY (SELECT 1) TO PROGRAM 'id'", 403, "COPY is refused", api.AuditDenied},
		{"WITH x AS (INSERT INTO orders " + row + " RETURNING 1) SELECT 1", 403, "INSERT is refused", api.AuditDenied},
		{"SELECT 1; DELETE FROM refunds", 403, "more than one statement", api.AuditDenied},
		{"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'payments_ro'", 403, "pg_terminate_backend() is refused", api.AuditDenied},
		{"SELECT * INTO orders_copy FROM orders", 403, "SELECT INTO", api.AuditDenied},
		{"SELECT * FROM orders FOR UPDATE", 403, "UPDATE", api.AuditDenied},
		{"EXPLAIN ANALYZE DELETE FROM refunds", 403, "EXPLAIN ANALYZE", api.AuditDenied},
		{"SELECT set_config('default_transaction_read_only', 'off', false)", 403, "set_config() is refused", api.AuditDenied},
		{"SELECT nextval('orders_id_seq')", 403, "nextval() is refused", api.AuditDenied},
		{"DELETE FROM refunds", 403, "DELETE is refused", api.AuditDenied},
		// Past vigie's checks, PostgreSQL refuses: the outcome record says so.
		{"SELECT * FROM pg_authid", 403, "PostgreSQL refused the statement: permission denied for table pg_authid", api.AuditOutcome},
		{"SELECT * FROM no_such_table", 400, `PostgreSQL: relation "no_such_table" does not exist`, api.AuditOutcome},
	} {
		t.Run(c.sql, func(t *testing.T) {
			r := e.do("POST", "/v1/queries", "alice", api.QueryRequest{Database: "payments", SQL: c.sql, Reason: stackWhy})
			eb := r.errorBody(t)
			if r.status != c.status || !strings.Contains(eb.Message, c.msg) {
				t.Fatalf("%d %s", r.status, r.body)
			}
			rec := e.recordByID(eb.Details["auditId"])
			if rec.Type != c.refusal || rec.Kind != api.QuerySQL || rec.User != "alice" || rec.Team != "payments" || rec.Query == nil ||
				rec.Query.SQL != c.sql || rec.Query.Database != "payments" || rec.Code != eb.Code {
				t.Errorf("audit record %+v %+v", rec, rec.Query)
			}
			if _, after := paymentsRows(t, su); after != before {
				t.Fatalf("database payments changed:\n before %s\n after  %s", before, after)
			}
		})
	}

	// bob (search) cannot query payments: 403, audited in payments' log.
	r := e.do("POST", "/v1/queries", "bob", api.QueryRequest{Database: "payments", Saved: api.SavedTableSizes, Reason: stackWhy})
	eb := r.errorBody(t)
	if r.status != 403 || !strings.Contains(eb.Message, "bob is not a member of team payments") {
		t.Fatalf("bob on payments: %d %s", r.status, r.body)
	}
	if rec := e.recordByID(eb.Details["auditId"]); rec.Type != api.AuditDenied || rec.User != "bob" || rec.Team != "payments" || rec.Query.Saved != api.SavedTableSizes {
		t.Errorf("bob's refusal %+v", rec)
	}
	// ... and can query search.
	if r := e.do("POST", "/v1/queries", "bob", api.QueryRequest{Database: "search", SQL: "SELECT count(*) FROM documents", Reason: stackWhy}); r.status != 200 {
		t.Errorf("bob on search: %d %s", r.status, r.body)
	}

	// The row cap (50) truncates a statement of a million rows, at once.
	start := time.Now()
	res, err = alice.Query(ctx, api.QueryRequest{Database: "payments", SQL: "SELECT generate_series(1, 1000000) AS n", Reason: stackWhy})
	if err != nil || len(res.Rows) != 50 || res.RowCount != 50 || !res.Truncated || *res.Rows[49][0] != "50" ||
		!strings.Contains(res.Message, "limit of 50 (limits.queryRows)") || time.Since(start) > 5*time.Second {
		t.Errorf("row cap: %d rows, truncated %v, %q, %s, %v", len(res.Rows), res.Truncated, res.Message, time.Since(start), err)
	}
	if rec := e.recordByID(res.AuditID); !rec.Query.Truncated || *rec.Query.Rows != 50 {
		t.Errorf("truncated outcome %+v", rec.Query)
	}

	// The statement timeout (1s) answers a clear timeout.
	start = time.Now()
	_, err = alice.Query(ctx, api.QueryRequest{Database: "payments", SQL: "SELECT pg_sleep(30)", Reason: stackWhy})
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Status != 504 || pe.Code != api.CodeTimeout ||
		err.Error() != "the query ran longer than its limit of 1s and was cancelled (limits.queryTimeout)" || time.Since(start) > 10*time.Second {
		t.Fatalf("timeout after %s: %v", time.Since(start), err)
	}
	if rec := e.recordByID(pe.AuditID()); rec.Type != api.AuditOutcome || rec.Code != api.CodeTimeout || rec.Query.SQL != "SELECT pg_sleep(30)" {
		t.Errorf("timeout outcome %+v", rec)
	}

	if o, after := paymentsRows(t, su); after != before || o != orders {
		t.Errorf("database payments changed:\n before %s\n after  %s", before, after)
	}
	// No answer, log line or audit record shows the role's password.
	texts := []string{e.logs.String()}
	for _, rec := range e.records() {
		b, _ := json.Marshal(rec)
		texts = append(texts, string(b))
	}
	for _, txt := range texts {
		if password != "" && strings.Contains(txt, password) {
			t.Errorf("the password of payments_ro shows in %.200s", txt)
		}
	}
	e.verify()
}

// The byte cap (here 4KiB) truncates too.
func TestQueryByteCapOnTheLocalPostgreSQL(t *testing.T) {
	e, _ := queryStackEnv(t, ", queryBytes: 4KiB")
	r := e.do("POST", "/v1/queries", "alice", api.QueryRequest{Database: "payments", SQL: "SELECT repeat('x', 1000) FROM generate_series(1, 10)", Reason: stackWhy})
	q := r.queryResult(t)
	if r.status != 200 || len(q.Rows) != 4 || !q.Truncated || !strings.Contains(q.Message, "limit of 4096 bytes (limits.queryBytes)") {
		t.Errorf("byte cap: %d %.300s", r.status, r.body)
	}
	e.verify()
}
