package actions

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/vigie-dev/vigie/platform/api"
)

func TestSplitStatements(t *testing.T) {
	for _, c := range []struct {
		sql  string
		want []string
	}{
		{"SELECT 1", []string{"SELECT 1"}},
		{"SELECT 1;", []string{"SELECT 1"}},
		{"  SELECT 1 ;  -- done\n", []string{"SELECT 1"}},
		{"SELECT 1; SELECT 2", []string{"SELECT 1", "SELECT 2"}},
		{"SELECT 1;;; ;", []string{"SELECT 1"}},
		{"-- only a comment", nil},
		{"/* a; b */ ; -- c;\n", nil},
		// A ; inside a string, a quoted identifier, a comment or a dollar quote splits nothing.
		{"SELECT 'a;b', 'it''s; here' FROM t", []string{"SELECT 'a;b', 'it''s; here' FROM t"}},
		{`SELECT "we;ird"" name" FROM t; SELECT 2`, []string{`SELECT "we;ird"" name" FROM t`, "SELECT 2"}},
		{"SELECT 1 -- trailing; comment\n; SELECT 2", []string{"SELECT 1 -- trailing; comment", "SELECT 2"}},
		{"SELECT /* outer /* nested; */ still; */ 1; SELECT 2", []string{"SELECT /* outer /* nested; */ still; */ 1", "SELECT 2"}},
		{"SELECT $$a;b$$, $tag$ $$; $tag$; SELECT 2", []string{"SELECT $$a;b$$, $tag$ $$; $tag$", "SELECT 2"}},
		{"SELECT $1; SELECT a$b$c FROM t", []string{"SELECT $1", "SELECT a$b$c FROM t"}},
		// E'' strings take backslash escapes: \' does not end them; in a plain string it does.
		{`SELECT E'it\'s; fine'; SELECT 2`, []string{`SELECT E'it\'s; fine'`, "SELECT 2"}},
		{`SELECT 'a\'; SELECT 2; --'`, []string{`SELECT 'a\'`, "SELECT 2"}},
		{`SELECT e'\\'; SELECT 2`, []string{`SELECT e'\\'`, "SELECT 2"}},
		{"SELECT U&'d\\0061t;a' ; SELECT 2", []string{"SELECT U&'d\\0061t;a'", "SELECT 2"}},
		{"SELECT 1 --; comment at the end", []string{"SELECT 1 --; comment at the end"}},
	} {
		got, err := SplitStatements(c.sql)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("SplitStatements(%q) = %q, %v; want %q", c.sql, got, err, c.want)
		}
	}
	for sql, want := range map[string]string{
		"SELECT 'open":              "the string at character 8 is not closed",
		`SELECT "open`:              "the quoted identifier at character 8 is not closed",
		"SELECT /* open /* */":      "the comment at character 8 is not closed",
		"SELECT $x$ open $y$":       "the dollar-quoted string at character 8 is not closed ($x$)",
		`SELECT E'open\'`:           "the string at character 9 is not closed",
		"SELECT 'é' || 'open":       "the string at character 15 is not closed",
		"SELECT $$ never closed; x": "not closed ($$)",
	} {
		if _, err := SplitStatements(sql); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("SplitStatements(%q) = %v, want %q", sql, err, want)
		}
	}
}

func TestCheckSQLAccepts(t *testing.T) {
	for _, sql := range []string{
		"SELECT count(*) FROM orders",
		"select 1;",
		"  -- why\n/* and how */ SELECT 1 ; -- done",
		"(SELECT 1) UNION (SELECT 2)",
		"WITH t AS (SELECT * FROM orders) SELECT count(*) FROM t",
		"EXPLAIN SELECT * FROM orders",
		"EXPLAIN (COSTS false, FORMAT json) SELECT * FROM orders",
		"SHOW search_path",
		"VALUES (1, 'a'), (2, 'b')",
		"TABLE orders",
		"SELECT pg_sleep(1)",
		// Words in strings, quoted identifiers and comments count for nothing.
		"SELECT 'insert into x; delete from y' AS sql, \"update\" FROM t -- DELETE FROM orders; DROP TABLE t",
		"SELECT $$ pg_terminate_backend(1); $$",
		"SELECT * FROM orders WHERE status = 'paid' FOR ME", // not FOR UPDATE/SHARE
		"SELECT lo_price FROM products",                     // a column, not lo_*()
		"SELECT pg_stat_statements.query FROM pg_stat_statements",
		"SELECT * FROM pg_locks",
	} {
		if err := CheckSQL(sql); err != nil {
			t.Errorf("CheckSQL(%q) = %v", sql, err)
		}
	}
	for _, name := range api.SavedQueries() {
		sql, ok := SavedSQL(name)
		if !ok {
			t.Fatalf("no SQL for saved query %s", name)
		}
		if err := CheckSQL(sql); err != nil {
			t.Errorf("saved query %s does not pass the checks: %v", name, err)
		}
	}
}

func TestCheckSQLRefuses(t *testing.T) {
	for sql, want := range map[string]string{
		"INSERT INTO orders (id) VALUES (1)":                                              "INSERT is refused",
		"BEGIN READ WRITE; INSERT INTO orders VALUES (1)":                                 "more than one statement (a ; at character 17)",
		"SET default_transaction_read_only = off; INSERT INTO orders (id) VALUES (1)":     "more than one statement",
		"SET default_transaction_read_only = off":                                         "SET is refused",
		"SELECT 1; SELECT 2":                                                              "more than one statement",
		"SELECT 1;;":                                                                      "more than one statement",
		"SELECT 1; -- ok\n; ":                                                             "more than one statement",
		"COPY (SELECT 1) TO PROGRAM 'id'":                                                 "COPY is refused",
		"COPY orders TO STDOUT":                                                           "COPY is refused",
		"WITH x AS (INSERT INTO orders (id) VALUES (1) RETURNING 1) SELECT 1":             "INSERT is refused (at character 12)",
		"WITH x AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM x":               "DELETE is refused",
		"WITH x AS (UPDATE orders SET status = 'x' RETURNING *) SELECT 1":                 "UPDATE (or FOR UPDATE) is refused",
		"with x as (merge into orders using t on true when matched then delete) select 1": "MERGE is refused",
		"SELECT * INTO orders_copy FROM orders":                                           "SELECT INTO (it creates a table) is refused",
		"SELECT * FROM orders FOR UPDATE":                                                 "UPDATE (or FOR UPDATE) is refused",
		"SELECT * FROM orders FOR SHARE":                                                  "FOR SHARE takes row locks",
		"SELECT * FROM orders FOR KEY SHARE":                                              "FOR KEY SHARE takes row locks",
		"SELECT * FROM orders FOR NO KEY UPDATE":                                          "FOR NO KEY UPDATE takes row locks",
		"EXPLAIN ANALYZE SELECT * FROM orders":                                            "EXPLAIN ANALYZE runs the statement",
		"explain (analyse) select 1":                                                      "EXPLAIN ANALYZE runs the statement",
		"EXPLAIN (FORMAT json, ANALYZE true) SELECT 1":                                    "EXPLAIN ANALYZE runs the statement",
		"EXPLAIN ANALYZE DELETE FROM orders":                                              "EXPLAIN ANALYZE runs the statement",
		"EXPLAIN DELETE FROM orders":                                                      "DELETE is refused",
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity":                          "pg_terminate_backend() is refused (at character 8)",
		"SELECT pg_catalog.pg_cancel_backend(42)":                                         "pg_cancel_backend() is refused",
		`SELECT "pg_terminate_backend"(42)`:                                               "pg_terminate_backend() is refused",
		"SELECT PG_TERMINATE_BACKEND /* hi */ (42)":                                       "pg_terminate_backend() is refused",
		"SELECT set_config('default_transaction_read_only', 'off', false)":                "set_config() is refused",
		"SELECT pg_advisory_lock(1)":                                                      "pg_advisory_lock() is refused",
		"SELECT pg_try_advisory_xact_lock(1)":                                             "pg_try_advisory_xact_lock() is refused",
		"SELECT lo_import('/etc/passwd')":                                                 "lo_import() is refused",
		"SELECT dblink_exec('host=x', 'DELETE FROM t')":                                   "dblink_exec() is refused",
		"SELECT query_to_xml('DELETE FROM orders', true, true, '')":                       "query_to_xml() is refused",
		"SELECT nextval('orders_id_seq')":                                                 "nextval() is refused",
		"SELECT pg_reload_conf()":                                                         "pg_reload_conf() is refused",
		"SELECT pg_read_file('/etc/passwd')":                                              "pg_read_file() is refused",
		"DELETE FROM orders":                                                              "DELETE is refused",
		"UPDATE orders SET status = 'x'":                                                  "UPDATE is refused",
		"DROP TABLE orders":                                                               "DROP is refused",
		"CREATE TABLE x (a int)":                                                          "CREATE is refused",
		"TRUNCATE orders":                                                                 "TRUNCATE is refused",
		"BEGIN":                                                                           "BEGIN is refused",
		"ROLLBACK":                                                                        "ROLLBACK is refused",
		"LOCK TABLE orders":                                                               "LOCK is refused",
		"DO $$ BEGIN DELETE FROM orders; END $$":                                          "DO is refused",
		"CALL archive()":                                                                  "CALL is refused",
		"VACUUM orders":                                                                   "VACUUM is refused",
		"PREPARE p AS SELECT 1":                                                           "PREPARE is refused",
		"NOTIFY x":                                                                        "NOTIFY is refused",
		"/* SELECT */ DELETE FROM orders":                                                 "DELETE is refused",
		"-- SELECT\nDELETE FROM orders":                                                   "DELETE is refused",
		"'SELECT'":                                                                        "this statement is refused",
	} {
		err := CheckSQL(sql)
		var ae *Error
		if !errors.As(err, &ae) || ae.Code != api.CodeForbidden || !strings.Contains(ae.Msg, want) {
			t.Errorf("CheckSQL(%q) = %v, want forbidden %q", sql, err, want)
		}
	}
	for sql, want := range map[string]string{
		"":                          "there is no statement",
		" -- nothing\n /* */ ;":     "there is no statement",
		"((":                        "there is no statement",
		"SELECT 'open":              "is not closed",
		"SELECT 1\x00":              "NUL",
		"SELECT '\xff'":             "not valid UTF-8",
		strings.Repeat("x", 17<<10): "at most 16384",
	} {
		err := CheckSQL(sql)
		var ae *Error
		if !errors.As(err, &ae) || ae.Code != api.CodeInvalid || !strings.Contains(ae.Msg, want) {
			t.Errorf("CheckSQL(%.40q) = %v, want invalid %q", sql, err, want)
		}
	}
}
