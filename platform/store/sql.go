package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// sqlStore is the Store of both databases: the SQL is shared, the backend differs.
type sqlStore struct{ b backend }

// list runs a query and scans each row with scan; what names the list in errors.
func list[T any](ctx context.Context, s *sqlStore, what, q string, args []any, scan func(row) (T, error)) ([]T, error) {
	var out []T
	err := s.b.run(ctx, func(qr querier) error {
		out = out[:0] // a retried transaction starts again
		rs, err := qr.query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			v, err := scan(rs)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func (s *sqlStore) Ping(ctx context.Context) error { return s.b.ping(ctx) }
func (s *sqlStore) Close() error                   { return s.b.close() }

// --- tokens ---

func (s *sqlStore) CreateToken(ctx context.Context, t Token) error {
	return s.b.run(ctx, func(q querier) error {
		_, err := q.exec(ctx, `INSERT INTO tokens (id, hash, user_name, read_only, note, created_at, expires_at, revoked_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, t.ID, t.Hash, t.User, t.ReadOnly, t.Note, micros(t.CreatedAt), micros(t.ExpiresAt), micros(t.RevokedAt))
		if err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		return nil
	})
}

const tokenCols = "id, hash, user_name, read_only, note, created_at, expires_at, revoked_at"

func scanToken(r row) (Token, error) {
	var t Token
	var created, expires, revoked int64
	if err := r.Scan(&t.ID, &t.Hash, &t.User, &t.ReadOnly, &t.Note, &created, &expires, &revoked); err != nil {
		return Token{}, err
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = fromMicros(created), fromMicros(expires), fromMicros(revoked)
	return t, nil
}

func (s *sqlStore) TokenByHash(ctx context.Context, hash string) (Token, error) {
	var t Token
	err := s.b.run(ctx, func(q querier) error {
		var err error
		t, err = scanToken(q.queryRow(ctx, "SELECT "+tokenCols+" FROM tokens WHERE hash = ?", hash))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, ErrNotFound
	}
	if err != nil {
		return Token{}, fmt.Errorf("token lookup: %w", err)
	}
	return t, nil
}

func (s *sqlStore) ListTokens(ctx context.Context) ([]Token, error) {
	return list(ctx, s, "list tokens", "SELECT "+tokenCols+" FROM tokens ORDER BY created_at, id", nil, scanToken)
}

func (s *sqlStore) RevokeToken(ctx context.Context, id string, at time.Time) error {
	return s.b.run(ctx, func(q querier) error {
		n, err := q.exec(ctx, "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0", micros(at), id)
		if err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		if n == 0 {
			var one int64
			if err := q.queryRow(ctx, "SELECT 1 FROM tokens WHERE id = ?", id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
		}
		return nil // already revoked: revoking again changes nothing
	})
}

// --- audit ---

func (s *sqlStore) AppendAudit(ctx context.Context, build func(AuditHead) (AuditEntry, error)) (AuditEntry, error) {
	var e AuditEntry
	err := s.b.tx(ctx, func(q querier) error {
		var h AuditHead
		if err := q.queryRow(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1"+s.b.dialect().forUpdate).Scan(&h.Seq, &h.Hash); err != nil {
			return fmt.Errorf("audit head: %w", err)
		}
		var err error
		if e, err = build(h); err != nil {
			return err
		}
		if e.Seq != h.Seq+1 || e.PrevHash != h.Hash {
			return fmt.Errorf("audit append: entry %d/%q does not follow the head %d/%q", e.Seq, e.PrevHash, h.Seq, h.Hash)
		}
		if _, err := q.exec(ctx, `INSERT INTO audit_records (seq, id, at, rec_type, team, user_name, action_id, body, prev_hash, hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.Seq, e.ID, micros(e.Time), e.Type, e.Team, e.User, e.ActionID, string(e.Body), e.PrevHash, e.Hash); err != nil {
			return fmt.Errorf("audit insert: %w", err)
		}
		if _, err := q.exec(ctx, "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", e.Seq, e.Hash); err != nil {
			return fmt.Errorf("audit head update: %w", err)
		}
		return nil
	})
	if err != nil {
		return AuditEntry{}, err
	}
	return e, nil
}

func (s *sqlStore) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Teams != nil && len(f.Teams) == 0 {
		return nil, nil
	}
	var where []string
	var args []any
	if f.Teams != nil {
		where = append(where, "team IN (?"+strings.Repeat(", ?", len(f.Teams)-1)+")")
		for _, t := range f.Teams {
			args = append(args, t)
		}
	}
	if f.ActionID != "" {
		where, args = append(where, "action_id = ?"), append(args, f.ActionID)
	}
	if f.After > 0 {
		where, args = append(where, "seq > ?"), append(args, f.After)
	}
	if f.Before > 0 {
		where, args = append(where, "seq < ?"), append(args, f.Before)
	}
	q := "SELECT seq, id, at, rec_type, team, user_name, action_id, body, prev_hash, hash FROM audit_records"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Descending {
		q += " ORDER BY seq DESC"
	} else {
		q += " ORDER BY seq"
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q += " LIMIT ?"
	args = append(args, limit)
	return list(ctx, s, "list audit", q, args, func(r row) (AuditEntry, error) {
		var e AuditEntry
		var at int64
		var body string
		err := r.Scan(&e.Seq, &e.ID, &at, &e.Type, &e.Team, &e.User, &e.ActionID, &body, &e.PrevHash, &e.Hash)
		e.Time, e.Body = fromMicros(at), []byte(body)
		return e, err
	})
}

func (s *sqlStore) AuditHead(ctx context.Context) (AuditHead, error) {
	var h AuditHead
	err := s.b.run(ctx, func(q querier) error {
		return q.queryRow(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&h.Seq, &h.Hash)
	})
	if err != nil {
		return AuditHead{}, fmt.Errorf("audit head: %w", err)
	}
	return h, nil
}

// --- idempotency ---

const idemCols = "user_name, idem_key, request_hash, state, status_code, response, created_at, updated_at, action_id"

func scanIdem(r row) (Idem, error) {
	var i Idem
	var resp string
	var created, updated int64
	if err := r.Scan(&i.User, &i.Key, &i.RequestHash, &i.State, &i.StatusCode, &resp, &created, &updated, &i.ActionID); err != nil {
		return Idem{}, err
	}
	i.Response, i.CreatedAt, i.UpdatedAt = []byte(resp), fromMicros(created), fromMicros(updated)
	return i, nil
}

func (s *sqlStore) ClaimIdempotency(ctx context.Context, in Idem) (Idem, bool, error) {
	var out Idem
	var claimed bool
	err := s.b.run(ctx, func(q querier) error {
		n, err := q.exec(ctx, `INSERT INTO idempotency (user_name, idem_key, request_hash, state, created_at, updated_at, action_id)
VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_name, idem_key) DO NOTHING`,
			in.User, in.Key, in.RequestHash, IdemPending, micros(in.CreatedAt), micros(in.CreatedAt), in.ActionID)
		if err != nil {
			return err
		}
		claimed = n == 1
		out, err = scanIdem(q.queryRow(ctx, "SELECT "+idemCols+" FROM idempotency WHERE user_name = ? AND idem_key = ?", in.User, in.Key))
		return err
	})
	if err != nil {
		return Idem{}, false, fmt.Errorf("idempotency claim: %w", err)
	}
	return out, claimed, nil
}

func (s *sqlStore) FinishIdempotency(ctx context.Context, user, key string, status int, response []byte, at time.Time) error {
	return s.b.run(ctx, func(q querier) error {
		n, err := q.exec(ctx, `UPDATE idempotency SET state = ?, status_code = ?, response = ?, updated_at = ?
WHERE user_name = ? AND idem_key = ? AND state = ?`, IdemDone, status, string(response), micros(at), user, key, IdemPending)
		if err != nil {
			return fmt.Errorf("idempotency finish: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

func (s *sqlStore) ReleaseIdempotency(ctx context.Context, user, key string) error {
	return s.b.run(ctx, func(q querier) error {
		_, err := q.exec(ctx, "DELETE FROM idempotency WHERE user_name = ? AND idem_key = ? AND state = ?", user, key, IdemPending)
		if err != nil {
			return fmt.Errorf("idempotency release: %w", err)
		}
		return nil
	})
}

func (s *sqlStore) PendingIdempotency(ctx context.Context, claimedBefore time.Time, limit int) ([]Idem, error) {
	if limit <= 0 {
		limit = 100
	}
	return list(ctx, s, "pending idempotency keys", "SELECT "+idemCols+` FROM idempotency WHERE state = ? AND created_at < ?
ORDER BY created_at, user_name, idem_key LIMIT ?`, []any{IdemPending, micros(claimedBefore), limit}, scanIdem)
}
