package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// querier is what the shared SQL code needs from a connection or a transaction. Queries
// use ? placeholders; the PostgreSQL backend rewrites them to $n.
type querier interface {
	exec(ctx context.Context, q string, args ...any) (int64, error)
	query(ctx context.Context, q string, args ...any) (rows, error)
	queryRow(ctx context.Context, q string, args ...any) row
}

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

type row interface{ Scan(dest ...any) error }

// dialect holds the few statements that differ between SQLite and PostgreSQL.
type dialect struct {
	name          string
	forUpdate     string // locks the rows a SELECT reads until the transaction ends
	migrationLock string // serialises concurrent migrations of one database
}

// backend runs functions on a connection, or in a write transaction that is committed
// when the function returns nil. Write transactions are serialised on SQLite (BEGIN
// IMMEDIATE) and use row locks on PostgreSQL (dialect.forUpdate).
type backend interface {
	run(ctx context.Context, fn func(q querier) error) error
	tx(ctx context.Context, fn func(q querier) error) error
	ping(ctx context.Context) error
	close() error
	dialect() dialect
}

// --- database/sql (SQLite) ---

type sqlBackend struct {
	db *sql.DB
	d  dialect
}

type sqlQ interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

type sqlQuerier struct{ q sqlQ }

func (s sqlQuerier) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := s.q.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s sqlQuerier) query(ctx context.Context, q string, args ...any) (rows, error) {
	r, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

func (s sqlQuerier) queryRow(ctx context.Context, q string, args ...any) row {
	return s.q.QueryRowContext(ctx, q, args...)
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

func (b *sqlBackend) run(ctx context.Context, fn func(q querier) error) error {
	return fn(sqlQuerier{b.db})
}

func (b *sqlBackend) tx(ctx context.Context, fn func(q querier) error) error {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(sqlQuerier{tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (b *sqlBackend) ping(ctx context.Context) error { return b.db.PingContext(ctx) }
func (b *sqlBackend) close() error                   { return b.db.Close() }
func (b *sqlBackend) dialect() dialect               { return b.d }

// --- pgx (PostgreSQL) ---

// pgPool is a small connection pool over pgx.Conn: at most size connections, idle ones
// reused, broken ones dropped. (pgxpool would need github.com/jackc/puddle/v2 in go.mod.)
type pgPool struct {
	cfg    *pgx.ConnConfig
	sem    chan struct{}
	mu     sync.Mutex
	idle   []*pgx.Conn
	closed bool
}

var errClosed = errors.New("store is closed")

func newPgPool(cfg *pgx.ConnConfig, size int) *pgPool {
	return &pgPool{cfg: cfg, sem: make(chan struct{}, size)}
}

func (p *pgPool) acquire(ctx context.Context) (*pgx.Conn, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.sem
		return nil, errClosed
	}
	for len(p.idle) > 0 {
		c := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if !c.IsClosed() {
			p.mu.Unlock()
			return c, nil
		}
	}
	p.mu.Unlock()
	c, err := pgx.ConnectConfig(ctx, p.cfg)
	if err != nil {
		<-p.sem
		return nil, err
	}
	return c, nil
}

// release returns c to the pool unless it is closed, failed with something other than
// a server-side SQL error, or is left inside a transaction.
func (p *pgPool) release(c *pgx.Conn, err error) {
	defer func() { <-p.sem }()
	var pgErr *pgconn.PgError
	broken := c.IsClosed() || (err != nil && !errors.As(err, &pgErr) && !errors.Is(err, pgx.ErrNoRows)) ||
		c.PgConn().TxStatus() != 'I'
	p.mu.Lock()
	if broken || p.closed {
		p.mu.Unlock()
		_ = c.Close(context.Background())
		return
	}
	p.idle = append(p.idle, c)
	p.mu.Unlock()
}

func (p *pgPool) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, c := range p.idle {
		_ = c.Close(context.Background())
	}
	p.idle = nil
	return nil
}

type pgQ interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type pgQuerier struct{ q pgQ }

// rebind turns ? placeholders into $1, $2, ... (the queries hold no ? in literals).
func rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (p pgQuerier) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := p.q.Exec(ctx, rebind(q), args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (p pgQuerier) query(ctx context.Context, q string, args ...any) (rows, error) {
	r, err := p.q.Query(ctx, rebind(q), args...)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (p pgQuerier) queryRow(ctx context.Context, q string, args ...any) row {
	return pgRow{p.q.QueryRow(ctx, rebind(q), args...)}
}

// pgRow maps pgx.ErrNoRows to sql.ErrNoRows so the shared code checks one error.
type pgRow struct{ r pgx.Row }

func (r pgRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return sql.ErrNoRows
	}
	return err
}

type pgBackend struct {
	pool *pgPool
	d    dialect
}

func (b *pgBackend) run(ctx context.Context, fn func(q querier) error) (err error) {
	c, err := b.pool.acquire(ctx)
	if err != nil {
		return err
	}
	defer func() { b.pool.release(c, err) }()
	return fn(pgQuerier{c})
}

func (b *pgBackend) tx(ctx context.Context, fn func(q querier) error) (err error) {
	c, err := b.pool.acquire(ctx)
	if err != nil {
		return err
	}
	defer func() { b.pool.release(c, err) }()
	tx, err := c.Begin(ctx)
	if err != nil {
		return err
	}
	if err = fn(pgQuerier{tx}); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	return tx.Commit(ctx)
}

func (b *pgBackend) ping(ctx context.Context) error {
	return b.run(ctx, func(q querier) error {
		var one int64
		return q.queryRow(ctx, "SELECT 1").Scan(&one)
	})
}

func (b *pgBackend) close() error     { return b.pool.close() }
func (b *pgBackend) dialect() dialect { return b.d }
