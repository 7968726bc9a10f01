package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/platform/api"
)

const queryConfig = `
teams:
  payments:
    namespaces: {payments: production, payments-dev: dev}
    databases:
      payments: {dsnEnv: VIGIE_TEST_PAYMENTS_DSN}
      ledger: {dsnFile: secrets/ledger.dsn}
      shared: {dsnFile: /etc/vigie/shared.dsn}
  search:
    namespaces: {search: dev}
    databases:
      search: {dsnEnv: VIGIE_TEST_SEARCH_DSN}
      shared: {dsnEnv: VIGIE_TEST_SHARED_DSN}
  billing:
    namespaces: {billing: production}
    databases:
      shared: {dsnEnv: VIGIE_TEST_SHARED_DSN}
users:
  alice: {payments: oncall}
  mo: {payments: member}
  lena: {payments: lead}
  bob: {search: member}
  sam: {search: lead, billing: lead}
policy:
  production:
    query-saved: {member: allow, oncall: allow, lead: allow}
    query-sql:   {member: deny, oncall: allow, lead: allow}
  dev:
    query-saved: {member: allow, lead: allow}
    query-sql:   {lead: allow}
limits:
  queryTimeout: 5s
  queryRows: 200
  queryBytes: 512KiB
`

func TestParseDatabasesAndQueryLimits(t *testing.T) {
	c, err := Parse("/etc/vigie/server.yaml", []byte(queryConfig))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Teams["payments"]
	if got := strings.Join(p.DatabaseNames(), ","); got != "ledger,payments,shared" {
		t.Errorf("payments' databases %s", got)
	}
	if db := p.Databases["payments"]; db.DSNEnv != "VIGIE_TEST_PAYMENTS_DSN" || db.DSNFile != "" || db.Source() != "environment variable VIGIE_TEST_PAYMENTS_DSN" {
		t.Errorf("payments: %+v", db)
	}
	if db := p.Databases["ledger"]; db.DSNFile != "/etc/vigie/secrets/ledger.dsn" || db.DSNEnv != "" {
		t.Errorf("a relative dsnFile is resolved from the configuration's folder: %+v", db)
	}
	if want := (QueryLimits{Timeout: 5 * time.Second, Rows: 200, Bytes: 512 << 10}); c.Limits.Query != want {
		t.Errorf("limits %+v, want %+v", c.Limits.Query, want)
	}
	if c.Policy[api.EnvProduction][api.QuerySQL][api.RoleOncall] != Allow || c.Policy[api.EnvProduction][api.QuerySQL][api.RoleMember] != Deny {
		t.Errorf("policy %v", c.Policy[api.EnvProduction])
	}

	// Defaults.
	c, err = Parse("server.yaml", []byte("teams:\n  a: {namespaces: {a: dev}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits.Query != (QueryLimits{Timeout: 10 * time.Second, Rows: 1000, Bytes: 1 << 20}) || len(c.Teams["a"].Databases) != 0 {
		t.Errorf("defaults %+v %v", c.Limits.Query, c.Teams["a"].Databases)
	}
	for src, want := range map[string]int{"queryBytes: 2048": 2048, "queryBytes: 1MiB": 1 << 20, "queryBytes: 4MiB": 4 << 20,
		"queryBytes: 500kB": 500000, `queryBytes: "64 KiB"`: 64 << 10} {
		c, err := Parse("server.yaml", []byte("limits: {"+src+"}\n"))
		if err != nil || c.Limits.Query.Bytes != want {
			t.Errorf("%s: %v %v", src, c, err)
		}
	}
}

func TestParseDatabaseProblems(t *testing.T) {
	data := `teams:
  payments:
    namespaces: {payments: production}
    databases:
      payments: {dsnEnv: PAYMENTS_DSN, dsnFile: /x}
      Ledger: {dsnEnv: X}
      fraud: {}
      audit: {dsn: "postgres://u:pw@h/db"}
      search: {dsnEnv: "1BAD"}
      orders: {dsnEnv: [A]}
policy:
  production:
    query-sql: {oncall: approval, lead: maybe}
    query-all: {lead: allow}
limits:
  queryTimeout: 61s
  queryRows: 0
  queryBytes: 1GB
`
	_, err := Parse("server.yaml", []byte(data))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %v, want Errors", err)
	}
	want := []string{
		`server.yaml:5:7: teams.payments.databases.payments: give dsnEnv or dsnFile, not both`,
		`server.yaml:6:7: teams.payments.databases.Ledger: database name: want lower-case letters`,
		`server.yaml:7:7: teams.payments.databases.fraud: say where the DSN of the database's SELECT-only role is: {dsnEnv: VAR} or {dsnFile: PATH}`,
		`server.yaml:8:15: teams.payments.databases.audit.dsn: unknown key (valid keys: dsnEnv, dsnFile)`,
		`server.yaml:9:24: teams.payments.databases.search.dsnEnv: "1BAD" is not an environment variable name`,
		`server.yaml:10:24: teams.payments.databases.orders.dsnEnv: expected a string, got a list`,
		`server.yaml:13:25: policy.production.query-sql.oncall: a query cannot wait for an approval`,
		`server.yaml:13:41: policy.production.query-sql.lead: unknown effect "maybe"`,
		`server.yaml:14:5: policy.production.query-all: unknown action "query-all" (valid: [scale restart rollback delete-pod silence expire-silence job query-saved query-sql])`,
		`server.yaml:16:17: limits.queryTimeout: 1m1s is out of range [1s, 1m0s]`,
		`server.yaml:17:14: limits.queryRows: 0 is out of range [1, 10000]`,
		`server.yaml:18:15: limits.queryBytes: "1GB" is not a size`,
	}
	if len(errs) != len(want) {
		t.Errorf("%d problems, want %d:\n%v", len(errs), len(want), err)
	}
	for i := 0; i < len(errs) && i < len(want); i++ {
		if !strings.HasPrefix(errs[i].String(), want[i]) {
			t.Errorf("problem %d:\n got %s\nwant %s", i, errs[i], want[i])
		}
	}
	if strings.Contains(err.Error(), "pw@") {
		t.Errorf("a problem quotes a DSN: %v", err)
	}
	for data, want := range map[string]string{
		`limits: {queryTimeout: 500ms}`:                                        "500ms is out of range [1s, 1m0s]",
		`limits: {queryRows: 10001}`:                                           "10001 is out of range [1, 10000]",
		`limits: {queryBytes: 5MiB}`:                                           "5MiB (5242880 bytes) is out of range [1024, 4194304]",
		`limits: {queryBytes: 100}`:                                            "100 is out of range [1024, 4194304]",
		`limits: {queryBytes: true}`:                                           "expected a string, got a boolean",
		"teams:\n  a: {namespaces: {a: dev}, databases: [x]}":                  "teams.a.databases: expected a mapping, got a list",
		"teams:\n  a: {namespaces: {a: dev}, databases: {x: {dsnFile: \"\"}}}": "want the path of a file holding the DSN",
		"teams:\n  a: {namespaces: {a: dev}, databases: {x: null}}":            "say where the DSN",
	} {
		_, err := Parse("server.yaml", []byte(data))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", data, err, want)
		}
	}
}

// The DSN is read when a query runs, from the variable or the file; its errors name
// them, never a value.
func TestDatabaseDSN(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ledger.dsn")
	if err := os.WriteFile(file, []byte("  postgres://ledger_ro:s3cret@db/ledger\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VIGIE_TEST_DSN", "postgres://payments_ro:s3cret@db/payments")
	t.Setenv("VIGIE_TEST_EMPTY", " ")
	for _, c := range []struct {
		db   Database
		dsn  string
		fail string
	}{
		{Database{Name: "p", DSNEnv: "VIGIE_TEST_DSN"}, "postgres://payments_ro:s3cret@db/payments", ""},
		{Database{Name: "l", DSNFile: file}, "postgres://ledger_ro:s3cret@db/ledger", ""},
		{Database{Name: "p", DSNEnv: "VIGIE_TEST_UNSET_DSN"}, "", "database p: environment variable VIGIE_TEST_UNSET_DSN is empty or not set"},
		{Database{Name: "p", DSNEnv: "VIGIE_TEST_EMPTY"}, "", "database p: environment variable VIGIE_TEST_EMPTY is empty or not set"},
		{Database{Name: "l", DSNFile: filepath.Join(dir, "none")}, "", "database l: file " + filepath.Join(dir, "none") + ": no such file or directory"},
	} {
		dsn, err := c.db.DSN()
		if dsn != c.dsn || (err == nil) != (c.fail == "") || err != nil && err.Error() != c.fail {
			t.Errorf("%+v: %q, %v; want %q, %q", c.db, dsn, err, c.dsn, c.fail)
		}
	}
}

func TestDecideQuery(t *testing.T) {
	c, err := Parse("server.yaml", []byte(queryConfig))
	if err != nil {
		t.Fatal(err)
	}
	const why = "INC-77: checkout is slow, looking at locks"
	saved := func(team, db, reason string) api.QueryRequest {
		return api.QueryRequest{Team: team, Database: db, Saved: api.SavedLocks, Reason: reason}
	}
	sql := func(team, db, reason string) api.QueryRequest {
		return api.QueryRequest{Team: team, Database: db, SQL: "SELECT 1", Reason: reason}
	}
	for _, tc := range []struct {
		name   string
		sub    Subject
		req    api.QueryRequest
		effect Effect
		code   string
		msg    string
		team   string
	}{
		{"oncall, saved query, production", Subject{User: "alice"}, saved("", "payments", why), Allow, "", "oncalls of payments may run query-saved on database payments (production)", "payments"},
		{"oncall, SQL, production", Subject{User: "alice"}, sql("payments", "payments", why), Allow, "", "", "payments"},
		{"member, saved", Subject{User: "mo"}, saved("", "payments", why), Allow, "", "", "payments"},
		{"member, SQL: denied", Subject{User: "mo"}, sql("", "payments", why), Deny, api.CodeForbidden, "the policy denies query-sql to members of payments in production", "payments"},
		{"no reason in production", Subject{User: "alice"}, saved("", "payments", "locks"), Deny, api.CodeReasonRequired, "needs a reason of at least 10 characters (got 5)", "payments"},
		{"the other team", Subject{User: "bob"}, saved("", "payments", why), Deny, api.CodeForbidden, "bob is not a member of team payments, which owns database payments", "payments"},
		{"the other team, naming its own", Subject{User: "bob"}, saved("search", "payments", why), Deny, api.CodeForbidden, `team search has no database "payments"`, ""},
		{"no such database", Subject{User: "alice"}, saved("", "orders", why), Deny, api.CodeForbidden, `no team has a database "orders"`, ""},
		{"no such team", Subject{User: "alice"}, saved("ops", "payments", why), Deny, api.CodeForbidden, `there is no team "ops"`, ""},
		{"unknown user", Subject{User: "mallory"}, saved("", "payments", why), Deny, api.CodeForbidden, "mallory is not a member of team payments", "payments"},
		// The class is the team's most sensitive: payments has a dev namespace too.
		{"dev team, no rule for members' SQL", Subject{User: "bob"}, sql("", "search", ""), Deny, api.CodeForbidden, "no policy rule allows query-sql to members of search in dev", "search"},
		{"dev team, no reason needed", Subject{User: "bob"}, saved("", "search", ""), Allow, "", "", "search"},
		// A name several teams use: the caller's own, or say which.
		{"shared: the caller's only team with it", Subject{User: "bob"}, saved("", "shared", ""), Allow, "", "", "search"},
		{"shared: two of the caller's teams", Subject{User: "sam"}, saved("", "shared", why), Deny, api.CodeForbidden, `teams billing, search each have a database "shared": say which team`, ""},
		{"shared: named", Subject{User: "sam"}, sql("billing", "shared", why), Allow, "", "leads of billing may run query-sql on database shared", "billing"},
		{"shared: none of the caller's", Subject{User: "mallory"}, saved("", "shared", why), Deny, api.CodeForbidden, `teams billing, payments, search each have a database "shared"`, ""},
		// A query is a read: a read-only token may run one.
		{"read-only token", Subject{User: "alice", ReadOnly: true}, sql("", "payments", why), Allow, "", "", "payments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, db := c.DecideQuery(tc.sub, tc.req)
			if d.Effect != tc.effect || d.Code != tc.code || !strings.Contains(d.Reason, tc.msg) || d.Team != tc.team {
				t.Errorf("%+v, want %s %q %q team %q", d, tc.effect, tc.code, tc.msg, tc.team)
			}
			if (db != nil) != (tc.effect == Allow) || db != nil && db.Name != tc.req.Database {
				t.Errorf("database %+v", db)
			}
		})
	}
	// The actions' Decide knows nothing of queries: POST /v1/actions refuses them.
	if d := c.Decide(Subject{User: "alice"}, api.ActionRequest{Kind: api.QuerySQL, Target: api.Target{Namespace: "payments"}, Reason: why}); d.Effect != Deny || !strings.Contains(d.Reason, "unknown action") {
		t.Errorf("Decide(query-sql) = %+v", d)
	}
}
