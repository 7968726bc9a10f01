// Package audit writes and verifies the platform's hash-chained audit log. Each record's
// hash is the SHA-256 of its canonical JSON, which includes the previous record's hash,
// so changing or removing a record breaks every link after it; the store also keeps the
// chain's head, so removing the last records is caught too.
//
// Records never hold secrets: no token, no DSN, no Authorization header. (The reason a
// user types is stored as typed.)
package audit

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/store"
)

// Log appends records to a store's audit chain.
type Log struct {
	store store.Store
	now   func() time.Time
}

// New returns a Log over s; now is the clock (nil: time.Now).
func New(s store.Store, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{store: s, now: now}
}

// NewID returns a random identifier with a prefix, such as "aud_3f2a9c0d1e4b5a69".
func NewID(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Append stores rec as the next link of the chain and returns it with its sequence
// number, id, time and hashes. It returns once the record is durable.
func (l *Log) Append(ctx context.Context, rec api.AuditRecord) (api.AuditRecord, error) {
	if rec.ID == "" {
		rec.ID = NewID("aud_")
	}
	if rec.Time.IsZero() {
		rec.Time = l.now()
	}
	// The store keeps microseconds: the hashed time must be the stored one.
	rec.Time = rec.Time.UTC().Truncate(time.Microsecond)
	var out api.AuditRecord
	_, err := l.store.AppendAudit(ctx, func(h store.AuditHead) (store.AuditEntry, error) {
		r := rec
		r.Seq, r.PrevHash, r.Hash = h.Seq+1, h.Hash, ""
		body, err := Canonical(r)
		if err != nil {
			return store.AuditEntry{}, err
		}
		r.Hash = HashOf(body)
		out = r
		return entryOf(r, body), nil
	})
	if err != nil {
		return api.AuditRecord{}, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

func entryOf(r api.AuditRecord, body []byte) store.AuditEntry {
	return store.AuditEntry{Seq: r.Seq, ID: r.ID, Time: r.Time, Type: r.Type, Team: r.Team, User: r.User,
		ActionID: r.ActionID, Body: body, PrevHash: r.PrevHash, Hash: r.Hash}
}

// Canonical is the JSON the hash covers: the record without its hash, object keys sorted,
// no insignificant whitespace.
func Canonical(r api.AuditRecord) ([]byte, error) {
	r.Hash = ""
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v) // maps marshal with sorted keys
}

// HashOf is the hex SHA-256 of a canonical body.
func HashOf(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// Decode turns a stored entry into the record it holds, with its hash.
func Decode(e store.AuditEntry) (api.AuditRecord, error) {
	var r api.AuditRecord
	if err := json.Unmarshal(e.Body, &r); err != nil {
		return api.AuditRecord{}, fmt.Errorf("audit record %d: %w", e.Seq, err)
	}
	r.Hash = e.Hash
	return r, nil
}

// Report is what Verify found on an intact chain.
type Report struct {
	Records int64
	Head    store.AuditHead
}

// BrokenError is the first broken link of the chain.
type BrokenError struct {
	Seq     int64  // the record where the chain breaks
	ID      string // its id, when the record exists
	Problem string
}

func (e *BrokenError) Error() string {
	if e.ID != "" {
		return fmt.Sprintf("audit chain broken at record %d (%s): %s", e.Seq, e.ID, e.Problem)
	}
	return fmt.Sprintf("audit chain broken at record %d: %s", e.Seq, e.Problem)
}

// Verify walks the whole chain in order and returns the first broken link as a
// *BrokenError; other errors are store failures.
func Verify(ctx context.Context, s store.Store) (Report, error) {
	var rep Report
	prev := store.AuditHead{}
	for {
		page, err := s.ListAudit(ctx, store.AuditFilter{After: prev.Seq, Limit: 500})
		if err != nil {
			return rep, err
		}
		for _, e := range page {
			if err := checkLink(prev, e); err != nil {
				return rep, err
			}
			prev = store.AuditHead{Seq: e.Seq, Hash: e.Hash}
			rep.Records++
		}
		if len(page) < 500 {
			break
		}
	}
	head, err := s.AuditHead(ctx)
	if err != nil {
		return rep, err
	}
	if head != prev {
		return rep, &BrokenError{Seq: prev.Seq + 1, Problem: fmt.Sprintf(
			"the chain ends at record %d but its recorded head is record %d (%.12s): records were removed from the end", prev.Seq, head.Seq, head.Hash)}
	}
	rep.Head = head
	return rep, nil
}

func checkLink(prev store.AuditHead, e store.AuditEntry) error {
	broken := func(format string, args ...any) error {
		return &BrokenError{Seq: e.Seq, ID: e.ID, Problem: fmt.Sprintf(format, args...)}
	}
	if e.Seq != prev.Seq+1 {
		return &BrokenError{Seq: prev.Seq + 1, Problem: fmt.Sprintf("record %d is missing (the next record is %d)", prev.Seq+1, e.Seq)}
	}
	if e.PrevHash != prev.Hash {
		return broken("its previous hash %.12s does not match record %d's hash %.12s", e.PrevHash, prev.Seq, prev.Hash)
	}
	if HashOf(e.Body) != e.Hash {
		return broken("its content does not match its hash (the record was modified)")
	}
	r, err := Decode(e)
	if err != nil {
		return broken("its content is not a record: %v", err)
	}
	canon, err := Canonical(r)
	if err != nil || !bytes.Equal(canon, e.Body) {
		return broken("its content is not canonical JSON")
	}
	if r.Seq != e.Seq || r.PrevHash != e.PrevHash || r.ID != e.ID || r.Type != e.Type || r.Team != e.Team ||
		r.User != e.User || r.ActionID != e.ActionID || !r.Time.Equal(e.Time) {
		return broken("its columns disagree with its hashed content (the record was modified)")
	}
	return nil
}

// IsBroken reports whether err is a broken chain (as opposed to a store failure).
func IsBroken(err error) bool {
	var b *BrokenError
	return errors.As(err, &b)
}
