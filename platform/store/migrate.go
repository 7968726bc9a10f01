package store

import (
	"context"
	"fmt"
	"time"
)

// migration is one versioned schema change. Its SQL is the same on SQLite and
// PostgreSQL: portable types only (TEXT, BIGINT, INTEGER, BOOLEAN), times as Unix
// microseconds (0: none).
type migration struct {
	version int64
	name    string
	sql     string
}

// migrations are applied in order, each once. Never edit one that has shipped: add one.
var migrations = []migration{
	{1, "tokens, audit, idempotency, approvals", `
CREATE TABLE tokens (
	id         TEXT PRIMARY KEY,
	hash       TEXT NOT NULL UNIQUE,
	user_name  TEXT NOT NULL,
	read_only  BOOLEAN NOT NULL DEFAULT FALSE,
	note       TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL DEFAULT 0,
	revoked_at BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE audit_records (
	seq       BIGINT PRIMARY KEY,
	id        TEXT NOT NULL UNIQUE,
	at        BIGINT NOT NULL,
	rec_type  TEXT NOT NULL,
	team      TEXT NOT NULL,
	user_name TEXT NOT NULL,
	action_id TEXT NOT NULL,
	body      TEXT NOT NULL,
	prev_hash TEXT NOT NULL,
	hash      TEXT NOT NULL
);
CREATE INDEX audit_records_team_seq ON audit_records (team, seq);
CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY,
	seq  BIGINT NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');
CREATE TABLE idempotency (
	user_name    TEXT NOT NULL,
	idem_key     TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	state        TEXT NOT NULL,
	status_code  INTEGER NOT NULL DEFAULT 0,
	response     TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL,
	PRIMARY KEY (user_name, idem_key)
);
CREATE TABLE approvals (
	id         TEXT PRIMARY KEY,
	user_name  TEXT NOT NULL,
	team       TEXT NOT NULL,
	request    TEXT NOT NULL,
	state      TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	decided_by TEXT NOT NULL DEFAULT '',
	decided_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX approvals_team_state ON approvals (team, state);
`},
	{2, "approvals: the full request, the decision and the outcome", `
ALTER TABLE approvals ADD COLUMN token_id TEXT NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN role TEXT NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN environment TEXT NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN namespace TEXT NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN target_name TEXT NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN idem_key TEXT NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN decision_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN finished_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE approvals ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
CREATE INDEX approvals_user_state ON approvals (user_name, state);
CREATE INDEX approvals_state_expires ON approvals (state, expires_at);
`},
	{3, "idempotency: the action id of the key; indexes for the recovery of interrupted actions", `
ALTER TABLE idempotency ADD COLUMN action_id TEXT NOT NULL DEFAULT '';
CREATE INDEX idempotency_state_created ON idempotency (state, created_at);
CREATE INDEX audit_records_action ON audit_records (action_id, seq);
`},
}

// SchemaVersion is the schema version this build migrates to.
func SchemaVersion() int64 { return migrations[len(migrations)-1].version }

// migrate applies the missing migrations in one transaction (DDL is transactional on
// both databases), so a failed start leaves the schema as it was. Concurrent starts on
// PostgreSQL wait for each other (advisory lock); on SQLite the write lock does it.
func migrate(ctx context.Context, b backend) error {
	return b.tx(ctx, func(q querier) error {
		if lock := b.dialect().migrationLock; lock != "" {
			if _, err := q.exec(ctx, lock); err != nil {
				return fmt.Errorf("migration lock: %w", err)
			}
		}
		if _, err := q.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    BIGINT PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`); err != nil {
			return fmt.Errorf("schema_migrations: %w", err)
		}
		var current int64
		if err := q.queryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&current); err != nil {
			return fmt.Errorf("schema version: %w", err)
		}
		if current > SchemaVersion() {
			return fmt.Errorf("the database schema is at version %d, newer than this vigie knows (%d): upgrade vigie", current, SchemaVersion())
		}
		for _, m := range migrations {
			if m.version <= current {
				continue
			}
			if _, err := q.exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
			if _, err := q.exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, time.Now().UnixMicro()); err != nil {
				return fmt.Errorf("migration %d: %w", m.version, err)
			}
		}
		return nil
	})
}
