package actions

import "github.com/vigie-dev/vigie/platform/api"

// savedSQL is the SQL of vigie's saved queries. They run like free SQL (RunQuery: the
// team's SELECT-only role, a READ ONLY transaction, the same timeout and caps), and read
// only PostgreSQL's own views; each is about the database it runs in.
var savedSQL = map[string]string{
	// The statements that took the most time in total (pg_stat_statements: the extension
	// must be installed in the database, and the role a member of pg_read_all_stats to
	// see other roles' statements).
	api.SavedSlowQueries: `SELECT s.queryid::text AS queryid, r.rolname AS role, s.calls,
  round(s.total_exec_time::numeric, 1) AS total_ms, round(s.mean_exec_time::numeric, 2) AS mean_ms,
  round(s.max_exec_time::numeric, 2) AS max_ms, s.rows, left(s.query, 1000) AS query
FROM pg_stat_statements s LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.userid
WHERE s.dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
ORDER BY s.total_exec_time DESC
LIMIT 50`,

	// Locks in this database, waiting ones first, with the session holding or waiting
	// for each and who blocks it.
	api.SavedLocks: `SELECT l.pid, a.usename AS "user", a.application_name, l.locktype, l.mode, l.granted,
  CASE WHEN l.relation IS NOT NULL THEN l.relation::regclass::text END AS relation,
  pg_catalog.pg_blocking_pids(l.pid)::text AS blocked_by, a.state,
  date_trunc('second', now() - a.xact_start)::text AS xact_age,
  date_trunc('second', now() - a.query_start)::text AS query_age, left(a.query, 500) AS query
FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
WHERE l.pid <> pg_catalog.pg_backend_pid()
  AND (l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) OR a.datname = current_database())
ORDER BY l.granted, a.xact_start NULLS LAST, l.pid
LIMIT 500`,

	// Open transactions in this database, oldest first.
	api.SavedLongTransactions: `SELECT pid, usename AS "user", application_name, client_addr::text AS client, state,
  date_trunc('second', now() - xact_start)::text AS xact_age,
  date_trunc('second', now() - state_change)::text AS state_age,
  wait_event_type, wait_event, backend_xid::text AS xid, left(query, 500) AS query
FROM pg_catalog.pg_stat_activity
WHERE datname = current_database() AND xact_start IS NOT NULL AND pid <> pg_catalog.pg_backend_pid()
ORDER BY xact_start
LIMIT 200`,

	// Tables (and materialized views) by total size: the table, its indexes and TOAST.
	api.SavedTableSizes: `SELECT n.nspname AS schema, c.relname AS "table",
  pg_catalog.pg_size_pretty(pg_catalog.pg_total_relation_size(c.oid)) AS total,
  pg_catalog.pg_size_pretty(pg_catalog.pg_relation_size(c.oid)) AS data,
  pg_catalog.pg_size_pretty(pg_catalog.pg_indexes_size(c.oid)) AS indexes,
  c.reltuples::bigint AS estimated_rows, pg_catalog.pg_total_relation_size(c.oid) AS total_bytes
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
ORDER BY pg_catalog.pg_total_relation_size(c.oid) DESC, 1, 2
LIMIT 500`,
}

// SavedSQL returns the SQL of the saved query name.
func SavedSQL(name string) (string, bool) {
	s, ok := savedSQL[name]
	return s, ok
}
