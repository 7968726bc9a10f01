//go:build integration

package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigie-dev/vigie/internal/stackenv"
	"github.com/vigie-dev/vigie/platform/api"
)

// The local platform's PostgreSQL (test/stack): database payments, read by the
// SELECT-only role payments_ro (VIGIE_STACK_PG_PAYMENTS_RO_DSN); the superuser
// (VIGIE_STACK_PG_DSN) checks that nothing changed.

// pgSuper connects as the superuser to database db; the test fails (never skips) when
// the local platform is not up.
func pgSuper(t *testing.T, db string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(stackenv.MustLoad(t).MustGet(t, "VIGIE_STACK_PG_DSN"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database = db
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("the local platform's PostgreSQL does not answer (start it with %q): %v", stackenv.StartCommand, err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// paymentsState is what a write would change in database payments: the rows of its
// tables, the orders sequence, and its tables.
func paymentsState(t *testing.T, su *pgx.Conn) string {
	t.Helper()
	var s string
	err := su.QueryRow(context.Background(), `SELECT format('orders %s (sum %s, max id %s), refunds %s, seq %s, tables %s',
		(SELECT count(*) FROM orders), (SELECT sum(amount_cents) FROM orders), (SELECT max(id) FROM orders),
		(SELECT count(*) FROM refunds), (SELECT last_value FROM orders_id_seq),
		(SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func roSpec(t *testing.T, sql string) QuerySpec {
	return QuerySpec{Database: "payments", DSN: stackenv.MustLoad(t).MustGet(t, "VIGIE_STACK_PG_PAYMENTS_RO_DSN"), SQL: sql,
		Timeout: 2 * time.Second, MaxRows: 100, MaxBytes: 1 << 20, AppName: "vigie-actions-test " + t.Name()}
}

// The read-only role and the READ ONLY transaction hold without the server's text
// checks: RunQuery is given each write attempt directly (none passes CheckSQL), and
// PostgreSQL refuses every one; nothing in database payments changes, and no session is
// left behind.
func TestRunQueryRefusedWritesWithoutTheTextChecks(t *testing.T) {
	su := pgSuper(t, "payments")
	before := paymentsState(t, su)
	var superPID int
	if err := su.QueryRow(context.Background(), "SELECT pg_backend_pid()").Scan(&superPID); err != nil {
		t.Fatal(err)
	}
	const row = "(customer_id, amount_cents, status) VALUES (1, 1, 'vigie-test')"
	for _, c := range []struct {
		sql  string
		code string // "" = any refusal
		msg  string
	}{
		{"INSERT INTO orders " + row, api.CodeForbidden, "cannot execute INSERT in a read-only transaction"},
		{"BEGIN READ WRITE; INSERT INTO orders " + row, api.CodeForbidden, "cannot insert multiple commands into a prepared statement"},
		{"SET default_transaction_read_only = off; INSERT INTO orders " + row, api.CodeForbidden, "multiple commands"},
		{"COMMIT; BEGIN READ WRITE; INSERT INTO orders " + row + "; COMMIT", api.CodeForbidden, "multiple commands"},
		{"BEGIN READ WRITE", api.CodeForbidden, "transaction read-write mode must be set before any query"},
		{"SET transaction_read_only = off", api.CodeForbidden, "transaction read-write mode must be set before any query"},
		{"SELECT set_config('transaction_read_only', 'off', true)", api.CodeForbidden, "read-write mode must be set before any query"},
		{"COPY (SELECT 1) TO PROGRAM 'id'", api.CodeForbidden, "pg_execute_server_program"},
		{"COPY orders FROM STDIN", api.CodeForbidden, ""},
		{"WITH x AS (INSERT INTO orders " + row + " RETURNING 1) SELECT 1", api.CodeForbidden, "in a read-only transaction"},
		{"WITH x AS (DELETE FROM orders RETURNING 1) SELECT count(*) FROM x", api.CodeForbidden, "in a read-only transaction"},
		{"UPDATE orders SET status = 'vigie-test'", api.CodeForbidden, "cannot execute UPDATE in a read-only transaction"},
		{"DELETE FROM refunds", api.CodeForbidden, "cannot execute DELETE in a read-only transaction"},
		{"TRUNCATE refunds", api.CodeForbidden, "cannot execute TRUNCATE TABLE in a read-only transaction"},
		{"DROP TABLE refunds", api.CodeForbidden, "cannot execute DROP TABLE in a read-only transaction"},
		{"CREATE TABLE vigie_test (a int)", api.CodeForbidden, "cannot execute CREATE TABLE in a read-only transaction"},
		{"SELECT * INTO orders_copy FROM orders", api.CodeForbidden, "cannot execute SELECT INTO in a read-only transaction"},
		{"SELECT * FROM orders FOR UPDATE", api.CodeForbidden, "cannot execute SELECT FOR UPDATE in a read-only transaction"},
		{"SELECT nextval('orders_id_seq')", api.CodeForbidden, ""},
		{"SELECT pg_terminate_backend(" + fmt.Sprint(superPID) + ")", api.CodeForbidden, "must be a superuser to terminate superuser process"},
		{"SELECT pg_cancel_backend(" + fmt.Sprint(superPID) + ")", api.CodeForbidden, "must be a superuser to cancel superuser query"},
		{"SELECT lo_import('/etc/passwd')", api.CodeForbidden, "permission denied for function lo_import"},
		{"SELECT pg_read_file('/etc/passwd')", api.CodeForbidden, "permission denied for function pg_read_file"},
		{"PREPARE TRANSACTION 'vigie-test'", "", ""},
		{"DO $$ BEGIN INSERT INTO orders " + row + "; END $$", api.CodeForbidden, "in a read-only transaction"},
	} {
		t.Run(c.sql, func(t *testing.T) {
			if CheckSQL(c.sql) == nil {
				t.Errorf("CheckSQL passes %q: the server would send it", c.sql)
			}
			out, err := RunQuery(context.Background(), roSpec(t, c.sql))
			var ae *Error
			if !errors.As(err, &ae) || (c.code != "" && ae.Code != c.code) || !strings.Contains(ae.Msg, c.msg) {
				t.Fatalf("RunQuery = %+v, %v; want %s %q", out, err, c.code, c.msg)
			}
			if out.Rows != nil {
				t.Errorf("rows with an error: %v", out.Rows)
			}
		})
	}
	// A read the role may not do passes the text checks; PostgreSQL refuses it.
	_, err := RunQuery(context.Background(), roSpec(t, "SELECT * FROM pg_authid"))
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != api.CodeForbidden || !strings.Contains(ae.Msg, "permission denied for table pg_authid") {
		t.Errorf("pg_authid: %v", err)
	}
	if err := su.Ping(context.Background()); err != nil {
		t.Errorf("the superuser's session was terminated: %v", err)
	}
	if after := paymentsState(t, su); after != before {
		t.Errorf("database payments changed:\n before %s\n after  %s", before, after)
	}
	noSessionLeft(t, su, "vigie-actions-test ")
}

// noSessionLeft waits until no session whose application_name starts with prefix is
// left (RunQuery closes its connection; the server notices within moments).
func noSessionLeft(t *testing.T, su *pgx.Conn, prefix string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n int
		if err := su.QueryRow(context.Background(), "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE $1 || '%'", prefix).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions %q are left", n, prefix)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestRunQueryReadsTypesAndCaps(t *testing.T) {
	su := pgSuper(t, "payments")
	var orders string
	if err := su.QueryRow(context.Background(), "SELECT count(*)::text FROM orders").Scan(&orders); err != nil {
		t.Fatal(err)
	}
	out, err := RunQuery(context.Background(), roSpec(t, "SELECT count(*) FROM orders;"))
	if err != nil || len(out.Rows) != 1 || *out.Rows[0][0] != orders || out.Columns[0] != (api.Column{Name: "count", Type: "bigint"}) || out.Truncated {
		t.Fatalf("count: %+v %v", out, err)
	}

	// Text forms, PostgreSQL's type names, NULL, timestamps in UTC.
	out, err = RunQuery(context.Background(), roSpec(t, `SELECT 1::bigint AS n, NULL::text AS t, true AS b,
		'2024-01-02 03:04:05+02'::timestamptz AS ts, '{1,2}'::int[] AS a, 'x'::bytea AS raw, 1.50::numeric(4,2) AS amount`))
	if err != nil {
		t.Fatal(err)
	}
	var types, values []string
	for i, c := range out.Columns {
		types = append(types, c.Name+" "+c.Type)
		if v := out.Rows[0][i]; v == nil {
			values = append(values, "NULL")
		} else {
			values = append(values, *v)
		}
	}
	if got := strings.Join(types, ", "); got != "n bigint, t text, b boolean, ts timestamp with time zone, a integer[], raw bytea, amount numeric" {
		t.Errorf("types: %s", got)
	}
	if got := strings.Join(values, " | "); got != `1 | NULL | t | 2024-01-02 01:04:05+00 | {1,2} | \x78 | 1.50` {
		t.Errorf("values: %s", got)
	}

	// The row cap stops a statement of a hundred million rows at once (it is cancelled,
	// not drained).
	spec := roSpec(t, "SELECT generate_series(1, 100000000) AS i")
	spec.MaxRows, spec.Timeout = 5, 20*time.Second
	start := time.Now()
	out, err = RunQuery(context.Background(), spec)
	if err != nil || len(out.Rows) != 5 || !out.Truncated || out.CutBy != "rows" || *out.Rows[4][0] != "5" || time.Since(start) > 5*time.Second {
		t.Errorf("row cap: %d rows, %v %q in %s, %v", len(out.Rows), out.Truncated, out.CutBy, time.Since(start), err)
	}
	// The byte cap: rows of a 1000-character value weigh 1006 bytes; 4096 hold 4.
	spec = roSpec(t, "SELECT repeat('x', 1000) AS v FROM generate_series(1, 100)")
	spec.MaxBytes = 4096
	out, err = RunQuery(context.Background(), spec)
	if err != nil || len(out.Rows) != 4 || !out.Truncated || out.CutBy != "bytes" {
		t.Errorf("byte cap: %d rows, %v %q, %v", len(out.Rows), out.Truncated, out.CutBy, err)
	}
	// A single row far larger than the cap is not even read.
	spec.SQL = "SELECT 'small' AS v UNION ALL SELECT repeat('y', 50000000)"
	out, err = RunQuery(context.Background(), spec)
	if err != nil || len(out.Rows) != 1 || !out.Truncated || out.CutBy != "bytes" {
		t.Errorf("huge row: %d rows, %v %q, %v", len(out.Rows), out.Truncated, out.CutBy, err)
	}

	// The statement timeout.
	spec = roSpec(t, "SELECT pg_sleep(30)")
	spec.Timeout = time.Second
	start = time.Now()
	_, err = RunQuery(context.Background(), spec)
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != api.CodeTimeout || ae.Msg != "the query ran longer than its limit of 1s and was cancelled (limits.queryTimeout)" || time.Since(start) > 5*time.Second {
		t.Errorf("timeout after %s: %v", time.Since(start), err)
	}

	// The saved queries run on the stack's database.
	for _, name := range api.SavedQueries() {
		sql, _ := SavedSQL(name)
		out, err := RunQuery(context.Background(), roSpec(t, sql))
		if err != nil {
			t.Errorf("saved %s: %v", name, err)
			continue
		}
		switch name {
		case api.SavedTableSizes:
			var tables []string
			for _, r := range out.Rows {
				tables = append(tables, *r[1])
			}
			if !strings.Contains(","+strings.Join(tables, ",")+",", ",orders,") || !strings.Contains(strings.Join(tables, ","), "refunds") {
				t.Errorf("table-sizes: %v", tables)
			}
		case api.SavedSlowQueries:
			if len(out.Rows) == 0 || out.Columns[len(out.Columns)-1].Name != "query" {
				t.Errorf("slow-queries: %+v", out)
			}
		}
	}
	noSessionLeft(t, su, "vigie-actions-test ")
}
