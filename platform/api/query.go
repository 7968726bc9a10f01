package api

// Read-only queries on a team's database (POST /v1/queries). A query runs with the
// team's SELECT-only database role, inside a READ ONLY transaction, with a statement
// timeout, a row cap and a byte cap; its SQL text is audited, its results are not.

// Query kinds: the policy's actions for queries (policy.<class>.query-saved and
// policy.<class>.query-sql), and the Kind of their audit records. They are not
// ActionKinds: POST /v1/actions refuses them.
const (
	QuerySaved ActionKind = "query-saved" // one of vigie's saved queries (SavedQueries)
	QuerySQL   ActionKind = "query-sql"   // free SQL: one read-only statement
)

// QueryKinds lists the query kinds.
func QueryKinds() []ActionKind { return []ActionKind{QuerySaved, QuerySQL} }

// QueryKind reports whether k is a query kind.
func QueryKind(k ActionKind) bool { return k == QuerySaved || k == QuerySQL }

// Saved queries: vigie's own SQL, run like free SQL.
const (
	SavedSlowQueries      = "slow-queries"      // pg_stat_statements, top by total execution time
	SavedLocks            = "locks"             // pg_locks with the sessions holding or waiting for them
	SavedLongTransactions = "long-transactions" // open transactions, oldest first (pg_stat_activity)
	SavedTableSizes       = "table-sizes"       // tables by total size (with indexes and TOAST)
)

// SavedQueries lists the saved queries.
func SavedQueries() []string {
	return []string{SavedSlowQueries, SavedLocks, SavedLongTransactions, SavedTableSizes}
}

// QueryRequest is the body of POST /v1/queries: Saved or SQL, not both.
type QueryRequest struct {
	// Team owns Database; "" when only one team has a database of that name (or only
	// one of the caller's teams does).
	Team     string `json:"team,omitempty"`
	Database string `json:"database"`         // the database's name in the server's configuration (teams.T.databases)
	Saved    string `json:"saved,omitempty"`  // one of SavedQueries
	SQL      string `json:"sql,omitempty"`    // one read-only statement (SELECT, WITH, EXPLAIN without ANALYZE, SHOW, VALUES, TABLE)
	Reason   string `json:"reason,omitempty"` // required (10 characters or more) when the team has a production namespace
}

// Kind is the request's policy action: QuerySQL when it carries SQL, else QuerySaved.
func (q QueryRequest) Kind() ActionKind {
	if q.SQL != "" {
		return QuerySQL
	}
	return QuerySaved
}

// Column is one column of a query's result: its name and its PostgreSQL type, as
// format_type shows it ("bigint", "timestamp with time zone").
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// QueryResult answers POST /v1/queries. Every value is PostgreSQL's text form of it
// (as psql shows it; timestamps in UTC), NULL is nil. Truncated says the rows stop at
// the row cap (limits.queryRows) or the byte cap (limits.queryBytes): the query had
// more.
type QueryResult struct {
	ID         string      `json:"id"`      // the query's action id (the audit records' actionId)
	AuditID    string      `json:"auditId"` // the outcome record
	Columns    []Column    `json:"columns"`
	Rows       [][]*string `json:"rows"`
	Truncated  bool        `json:"truncated"`
	RowCount   int         `json:"rowCount"` // len(Rows)
	DurationMs int64       `json:"durationMs"`
	Message    string      `json:"message,omitempty"` // why the rows were cut, when they were
}

// QueryAudit is what an audit record keeps of a query: the database, the saved query or
// the SQL text, and, in the outcome, how many rows came back, whether they were cut and
// how long it took. Never the rows, never the database's DSN.
type QueryAudit struct {
	Database   string `json:"database"`
	Saved      string `json:"saved,omitempty"`
	SQL        string `json:"sql,omitempty"`
	Rows       *int   `json:"rows,omitempty"` // outcome only
	Truncated  bool   `json:"truncated,omitempty"`
	DurationMs int64  `json:"durationMs,omitempty"`
}
