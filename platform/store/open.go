package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// DefaultSQLitePath is $XDG_DATA_HOME/vigie/platform.db, else ~/.local/share/vigie/platform.db.
// getenv is the process environment (tests pass their own).
func DefaultSQLitePath(getenv func(string) string) (string, error) {
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "vigie", "platform.db"), nil
	}
	home := getenv("HOME")
	if home == "" {
		return "", errors.New("neither $XDG_DATA_HOME nor $HOME is set: give the database with --db sqlite:PATH")
	}
	return filepath.Join(home, ".local", "share", "vigie", "platform.db"), nil
}

// Open opens the store named by dsn, "sqlite:PATH" or "postgres://..." (also
// "postgresql://"), and runs the migrations. Errors never contain the DSN's password.
func Open(ctx context.Context, dsn string) (Store, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return OpenSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return OpenPostgres(ctx, dsn)
	}
	return nil, fmt.Errorf("database %q: want sqlite:PATH or postgres://...", Redact(dsn))
}

// Redact returns dsn without its password, for messages and logs.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		if i := strings.Index(dsn, "@"); i >= 0 {
			return "***" + dsn[i:]
		}
		return dsn
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

var (
	sqliteDialect   = dialect{name: "sqlite"}
	postgresDialect = dialect{name: "postgres", forUpdate: " FOR UPDATE", migrationLock: "SELECT pg_advisory_xact_lock(7426990001)"}
)

// OpenSQLite opens (creating it and its folder) the SQLite database at path, in WAL mode
// with synchronous=FULL (a committed audit record survives a crash), a busy timeout, and
// write transactions that take the write lock at BEGIN (BEGIN IMMEDIATE).
func OpenSQLite(ctx context.Context, path string) (Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: path %q must not contain ? or #", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	dsn := path + "?_busy_timeout=10000&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate&_foreign_keys=1"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &sqlStore{b: &sqlBackend{db: db, d: sqliteDialect}}
	if err := s.open(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	// The file holds token hashes and the audit log: owner only.
	_ = os.Chmod(path, 0o600)
	return s, nil
}

// OpenPostgres connects to PostgreSQL (a libpq URL or key=value DSN).
func OpenPostgres(ctx context.Context, dsn string) (Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres %s: cannot parse the DSN", Redact(dsn))
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	where := fmt.Sprintf("postgres %s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
	s := &sqlStore{b: &pgBackend{pool: newPgPool(cfg, 10), d: postgresDialect}}
	if err := s.open(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("%s: %w", where, scrub(err, cfg.Password))
	}
	return s, nil
}

// scrub makes sure a password never reaches a message, whatever the driver put in it.
func scrub(err error, password string) error {
	if password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), password, "xxxxx"))
}

func (s *sqlStore) open(ctx context.Context) error {
	if err := s.b.ping(ctx); err != nil {
		return err
	}
	return migrate(ctx, s.b)
}
