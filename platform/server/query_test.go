package server

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/platform/actions"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/policy"
)

// queryConfig is testConfig's teams and users with a database each; saved queries are
// allowed to every role of payments in production, SQL to oncalls, leads and admins.
const queryConfig = `
teams:
  payments:
    namespaces: {payments: production, payments-staging: staging}
    selector: team=payments
    databases:
      payments: {dsnEnv: VIGIE_SERVER_TEST_PAYMENTS_DSN}
      ledger: {dsnEnv: VIGIE_SERVER_TEST_UNSET_DSN}
  search:
    namespaces: {search: production}
    selector: team=search
    databases:
      search: {dsnEnv: VIGIE_SERVER_TEST_SEARCH_DSN}
users:
  alice: {payments: member}
  olivia: {payments: oncall}
  lena: {payments: lead}
  ada: {payments: admin}
  bob: {search: member}
policy:
  production:
    query-saved: {member: allow, oncall: allow, lead: allow, admin: allow}
    query-sql:   {oncall: allow, lead: allow, admin: allow}
limits: {queryTimeout: 3s, queryRows: 50, queryBytes: 64KiB}
`

const (
	testDSN    = "postgres://payments_ro:s3cret-pw@db.payments.internal:5432/payments"
	queryWhy   = "INC-88: checkout is slow, looking at the orders"
	secretCell = "4242-4242-4242-4242" // a value of the results: never in the audit log
)

// fakeQueries is the server's query runner in unit tests: it records what it was asked
// and answers out/err.
type fakeQueries struct {
	mu    sync.Mutex
	specs []actions.QuerySpec
	out   actions.QueryOutput
	err   error
	seen  func() // called while running
}

func (f *fakeQueries) run(_ context.Context, q actions.QuerySpec) (actions.QueryOutput, error) {
	f.mu.Lock()
	f.specs = append(f.specs, q)
	seen, out, err := f.seen, f.out, f.err
	f.mu.Unlock()
	if seen != nil {
		seen()
	}
	return out, err
}

// set changes what the runner answers.
func (f *fakeQueries) set(change func(f *fakeQueries)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *fakeQueries) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.specs)
}

func str(s string) *string { return &s }

func queryEnv(t *testing.T) (*env, *fakeQueries) {
	t.Helper()
	t.Setenv("VIGIE_SERVER_TEST_PAYMENTS_DSN", testDSN)
	t.Setenv("VIGIE_SERVER_TEST_SEARCH_DSN", "postgres://search_ro:s3cret-pw@db.search.internal/search")
	cfg, err := policy.Parse("server.yaml", []byte(queryConfig))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *Options) { o.Config = cfg })
	f := &fakeQueries{out: actions.QueryOutput{
		Columns:  []api.Column{{Name: "id", Type: "bigint"}, {Name: "card", Type: "text"}},
		Rows:     [][]*string{{str("1"), str(secretCell)}, {str("2"), nil}},
		Duration: 12 * time.Millisecond,
	}}
	e.srv.queryRun = f.run
	return e, f
}

func sqlReq(sql string) api.QueryRequest {
	return api.QueryRequest{Database: "payments", SQL: sql, Reason: queryWhy}
}

func (r response) queryResult(t *testing.T) api.QueryResult {
	t.Helper()
	var q api.QueryResult
	if err := json.Unmarshal(r.body, &q); err != nil || q.ID == "" {
		t.Fatalf("not a query result (%d): %s", r.status, r.body)
	}
	return q
}

// noSecrets fails when the DSN (its password, its host) or a result value shows in an
// answer, a log line or an audit record.
func (e *env) noSecrets(answers ...response) {
	e.t.Helper()
	texts := []string{e.logs.String()}
	for _, r := range answers {
		texts = append(texts, string(r.body))
	}
	for _, rec := range e.records() {
		b, _ := json.Marshal(rec)
		texts = append(texts, string(b))
	}
	for _, txt := range texts {
		for _, secret := range []string{"s3cret-pw", "db.payments.internal", "db.search.internal"} {
			if strings.Contains(txt, secret) {
				e.t.Errorf("%q shows in %.300s", secret, txt)
			}
		}
	}
	for _, rec := range e.records() {
		b, _ := json.Marshal(rec)
		if strings.Contains(string(b), secretCell) {
			e.t.Errorf("a result value is in the audit log: %s", b)
		}
	}
}

func TestQueryThroughTheAPI(t *testing.T) {
	e, f := queryEnv(t)
	const sql = "SELECT id, card FROM orders WHERE id < 3 -- the two first"
	// The "requested" record, with the SQL text, is written before the query runs.
	f.seen = func() { // (before any request: no lock needed)
		recs := e.records()
		last := recs[len(recs)-1]
		if last.Type != api.AuditRequested || last.Query == nil || last.Query.SQL != sql {
			t.Errorf("while the query runs, the last record is %+v", last)
		}
	}
	r := e.do("POST", "/v1/queries", "olivia", sqlReq(sql))
	f.set(func(f *fakeQueries) { f.seen = nil })
	q := r.queryResult(t)
	if r.status != 200 || q.RowCount != 2 || len(q.Rows) != 2 || q.Truncated || q.DurationMs != 12 || q.Message != "" ||
		q.Columns[1] != (api.Column{Name: "card", Type: "text"}) || *q.Rows[0][1] != secretCell || q.Rows[1][1] != nil {
		t.Fatalf("answer %d %s", r.status, r.body)
	}
	if !strings.Contains(string(r.body), `"rows":[["1","4242-4242-4242-4242"],["2",null]]`) {
		t.Errorf("rows on the wire: %s", r.body)
	}
	spec := f.specs[0]
	if spec.DSN != testDSN || spec.SQL != sql || spec.Database != "payments" || spec.Timeout != 3*time.Second ||
		spec.MaxRows != 50 || spec.MaxBytes != 64<<10 || !strings.HasPrefix(spec.AppName, "vigie olivia qry_") {
		t.Errorf("the runner was asked %+v", spec)
	}
	recs := e.records()
	req, out := recs[len(recs)-2], recs[len(recs)-1]
	if req.Type != api.AuditRequested || req.Kind != api.QuerySQL || req.User != "olivia" || req.Team != "payments" || req.Role != api.RoleOncall ||
		req.Reason != queryWhy || req.ActionID != q.ID || req.Query.Database != "payments" || req.Query.SQL != sql || req.Query.Rows != nil || req.Target != nil {
		t.Errorf("requested record %+v %+v", req, req.Query)
	}
	if out.Type != api.AuditOutcome || out.Status != api.StatusSucceeded || out.ID != q.AuditID || out.ActionID != q.ID ||
		out.Query.SQL != sql || *out.Query.Rows != 2 || out.Query.Truncated || out.Query.DurationMs != 12 || out.Message != "2 rows in 12 ms" {
		t.Errorf("outcome record %+v %+v", out, out.Query)
	}

	// A saved query runs vigie's SQL; a member may (the policy allows saved queries to all).
	r = e.do("POST", "/v1/queries", "alice", api.QueryRequest{Team: "payments", Database: "payments", Saved: api.SavedTableSizes, Reason: queryWhy})
	if r.status != 200 {
		t.Fatalf("saved: %d %s", r.status, r.body)
	}
	want, _ := actions.SavedSQL(api.SavedTableSizes)
	if f.specs[1].SQL != want {
		t.Errorf("saved query ran %q", f.specs[1].SQL)
	}
	if rec := e.records(); rec[len(rec)-2].Kind != api.QuerySaved || rec[len(rec)-2].Query.Saved != api.SavedTableSizes || rec[len(rec)-2].Query.SQL != "" {
		t.Errorf("saved query's record %+v", rec[len(rec)-2].Query)
	}

	// Truncated: the message says which limit.
	f.set(func(f *fakeQueries) { f.out.Truncated, f.out.CutBy = true, "rows" })
	r = e.do("POST", "/v1/queries", "lena", sqlReq("SELECT * FROM generate_series(1, 100000)"))
	if q := r.queryResult(t); !q.Truncated || !strings.Contains(q.Message, "limit of 50 (limits.queryRows)") {
		t.Errorf("truncated: %s", r.body)
	}
	if rec := e.records(); !rec[len(rec)-1].Query.Truncated {
		t.Errorf("truncated outcome %+v", rec[len(rec)-1].Query)
	}

	// A read-only token may query: a query is a read.
	if r := e.do("POST", "/v1/queries", "readonly", sqlReq("SELECT 1")); r.status != 200 {
		t.Errorf("read-only token: %d %s", r.status, r.body)
	}

	// GET /v1/teams names the team's databases, never their DSNs.
	r = e.do("GET", "/v1/teams", "olivia", nil)
	if !strings.Contains(string(r.body), `"databases":["ledger","payments"]`) || strings.Contains(string(r.body), "VIGIE_SERVER_TEST") {
		t.Errorf("teams: %s", r.body)
	}
	r = e.do("GET", "/metrics", "", nil)
	if !strings.Contains(string(r.body), `vigie_platform_actions_total{kind="query-sql",outcome="succeeded"} 3`) ||
		!strings.Contains(string(r.body), `vigie_platform_actions_total{kind="query-saved",outcome="succeeded"} 1`) {
		t.Errorf("metrics lack the queries")
	}
	e.noSecrets()
	e.verify()
}

// Every refusal is audited, with the SQL text, and runs nothing.
func TestQueryRefusalsAreAudited(t *testing.T) {
	e, f := queryEnv(t)
	body := func(sql string) api.QueryRequest { return sqlReq(sql) }
	for _, c := range []struct {
		name   string
		who    string
		body   any
		status int
		code   string
		msg    string
		typ    string
		sql    string // in the record
	}{
		{"no token", "", body("SELECT 1"), 401, api.CodeUnauthenticated, "", api.AuditDenied, "SELECT 1"},
		{"expired token", "expired", body("SELECT 1"), 401, api.CodeUnauthenticated, "", api.AuditDenied, "SELECT 1"},
		{"the other team", "bob", body("SELECT 1"), 403, api.CodeForbidden, "bob is not a member of team payments, which owns database payments", api.AuditDenied, "SELECT 1"},
		{"a member's SQL", "alice", body("SELECT 1"), 403, api.CodeForbidden, "no policy rule allows query-sql to members of payments in production", api.AuditDenied, "SELECT 1"},
		{"no reason", "olivia", api.QueryRequest{Database: "payments", SQL: "SELECT 1"}, 422, api.CodeReasonRequired, "needs a reason", api.AuditDenied, "SELECT 1"},
		{"no such database", "olivia", api.QueryRequest{Database: "orders", SQL: "SELECT 1", Reason: queryWhy}, 403, api.CodeForbidden, `no team has a database "orders"`, api.AuditDenied, "SELECT 1"},
		{"INSERT", "olivia", body("INSERT INTO orders (id) VALUES (1)"), 403, api.CodeForbidden, "INSERT is refused", api.AuditDenied, "INSERT INTO orders (id) VALUES (1)"},
		{"two statements", "olivia", body("BEGIN READ WRITE; INSERT INTO orders (id) VALUES (1)"), 403, api.CodeForbidden, "more than one statement", api.AuditDenied, "BEGIN READ WRITE; INSERT INTO orders (id) VALUES (1)"},
		{"SET", "olivia", body("SET default_transaction_read_only = off; INSERT INTO orders (id) VALUES (1)"), 403, api.CodeForbidden, "more than one statement", api.AuditDenied, "SET default_transaction_read_only = off; INSERT INTO orders (id) VALUES (1)"},
		{"COPY TO PROGRAM", "olivia", body("COPY (SELECT 1) TO PROGRAM 'id'"), 403, api.CodeForbidden, "COPY is refused", api.AuditDenied, "COPY (SELECT 1) TO PROGRAM 'id'"},
		{"writing CTE", "olivia", body("WITH x AS (DELETE FROM orders RETURNING 1) SELECT 1"), 403, api.CodeForbidden, "DELETE is refused", api.AuditDenied, "WITH x AS (DELETE FROM orders RETURNING 1) SELECT 1"},
		{"terminate", "olivia", body("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"), 403, api.CodeForbidden, "pg_terminate_backend() is refused", api.AuditDenied, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"},
		{"unclosed string", "olivia", body("SELECT 'x"), 400, api.CodeInvalid, "not closed", api.AuditInvalid, "SELECT 'x"},
		{"saved and sql", "olivia", api.QueryRequest{Database: "payments", SQL: "SELECT 1", Saved: "locks", Reason: queryWhy}, 400, api.CodeInvalid, "sql: give saved or sql, not both", api.AuditInvalid, "SELECT 1"},
		{"neither", "olivia", api.QueryRequest{Database: "payments", Reason: queryWhy}, 400, api.CodeInvalid, "give a saved query (slow-queries, locks, long-transactions, table-sizes) or sql", api.AuditInvalid, ""},
		{"unknown saved", "olivia", api.QueryRequest{Database: "payments", Saved: "everything", Reason: queryWhy}, 400, api.CodeInvalid, `unknown saved query "everything"`, api.AuditInvalid, ""},
		{"no database", "olivia", api.QueryRequest{SQL: "SELECT 1", Reason: queryWhy}, 400, api.CodeInvalid, "database: say which database", api.AuditInvalid, "SELECT 1"},
		{"unknown field", "olivia", `{"database":"payments","sql":"SELECT 1","rows":5}`, 400, api.CodeInvalid, `unknown field "rows"`, api.AuditInvalid, ""},
		{"not JSON", "olivia", `SELECT 1`, 400, api.CodeInvalid, "request body", api.AuditInvalid, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("POST", "/v1/queries", c.who, c.body)
			eb := r.errorBody(t)
			if r.status != c.status || eb.Code != c.code || !strings.Contains(eb.Message, c.msg) || eb.Details["auditId"] == "" {
				t.Fatalf("%d %s", r.status, r.body)
			}
			rec := e.recordByID(eb.Details["auditId"])
			if rec.Type != c.typ || rec.Code != c.code || rec.Message != eb.Message || rec.RequestID == "" ||
				(c.sql != "" && (rec.Query == nil || rec.Query.SQL != c.sql)) {
				t.Errorf("record %+v %+v", rec, rec.Query)
			}
			if c.who == "bob" && rec.Team != "payments" {
				t.Errorf("the refusal is not in payments' audit log: %+v", rec)
			}
		})
	}
	if n := f.calls(); n != 0 {
		t.Errorf("the runner ran %d times", n)
	}
	// A query kind is not an action.
	r := e.do("POST", "/v1/actions", "olivia", api.ActionRequest{Kind: api.QuerySQL, Target: api.Target{Namespace: "payments", Name: "x"}, Reason: queryWhy})
	if r.status != 400 || !strings.Contains(r.errorBody(t).Message, `unknown action "query-sql"`) {
		t.Errorf("POST /v1/actions query-sql: %d %s", r.status, r.body)
	}
	e.noSecrets()
	e.verify()
}

// What the database answers (a refusal, a timeout) is the answer, audited as the
// outcome; a database whose DSN is not set runs nothing and says which variable.
func TestQueryFailures(t *testing.T) {
	e, f := queryEnv(t)
	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{&actions.Error{Code: api.CodeTimeout, Msg: "the query ran longer than its limit of 3s and was cancelled (limits.queryTimeout)"}, 504, api.CodeTimeout},
		{&actions.Error{Code: api.CodeForbidden, Msg: "PostgreSQL refused the statement: cannot execute INSERT in a read-only transaction [SQLSTATE 25006]"}, 403, api.CodeForbidden},
		{&actions.Error{Code: api.CodeInvalid, Msg: `PostgreSQL: column "x" does not exist [SQLSTATE 42703]`}, 400, api.CodeInvalid},
		{&actions.Error{Code: api.CodeUnavailable, Msg: "cannot connect to database payments (it does not answer); nothing was run"}, 503, api.CodeUnavailable},
	} {
		f.set(func(f *fakeQueries) { f.err = c.err })
		r := e.do("POST", "/v1/queries", "olivia", sqlReq("SELECT pg_sleep(30)"))
		eb := r.errorBody(t)
		if r.status != c.status || eb.Code != c.code || eb.Message != c.err.Error() || eb.Details["kind"] != "query-sql" || eb.Details["actionId"] == "" {
			t.Errorf("%s: %d %s", c.code, r.status, r.body)
		}
		rec := e.recordByID(eb.Details["auditId"])
		if rec.Type != api.AuditOutcome || rec.Status != api.StatusFailed || rec.Code != c.code || rec.Query.SQL != "SELECT pg_sleep(30)" || rec.Query.Rows != nil {
			t.Errorf("%s: outcome %+v %+v", c.code, rec, rec.Query)
		}
	}
	calls := f.calls()
	r := e.do("POST", "/v1/queries", "olivia", api.QueryRequest{Database: "ledger", Saved: api.SavedLocks, Reason: queryWhy})
	eb := r.errorBody(t)
	if r.status != 503 || eb.Message != "database ledger is not configured on the server (environment variable VIGIE_SERVER_TEST_UNSET_DSN is empty or not set); nothing was run" {
		t.Errorf("unset DSN: %d %s", r.status, r.body)
	}
	if f.calls() != calls {
		t.Error("the runner ran without a DSN")
	}
	if rec := e.recordByID(eb.Details["auditId"]); rec.Type != api.AuditOutcome || rec.Code != api.CodeUnavailable {
		t.Errorf("unset DSN outcome %+v", rec)
	}
	if !strings.Contains(e.logs.String(), `"msg":"database not usable: its queries will fail","team":"payments","database":"ledger"`) {
		t.Errorf("no warning at start about ledger's DSN:\n%s", e.logs.String())
	}
	e.noSecrets()
	e.verify()
}
