package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// freshDB returns the DSN of a new, empty database (or schema) for one subtest.
type freshDB func(t *testing.T) string

// runSuite is the one store test suite: SQLite runs it in unit tests, PostgreSQL in the
// integration tests, so both implementations pass the same checks.
func runSuite(t *testing.T, fresh freshDB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store, dsn string)
	}{
		{"migrations are idempotent", testMigrations},
		{"tokens", testTokens},
		{"audit append and list", testAudit},
		{"audit concurrent appends keep one chain", testAuditConcurrent},
		{"idempotency", testIdempotency},
		{"idempotency concurrent claims", testIdemConcurrent},
		{"approvals", testApprovals},
		{"approvals concurrent decisions", testApprovalsConcurrent},
		{"approvals expire", testApprovalsExpire},
		{"approvals survive the upgrade from schema 1", testApprovalsUpgrade},
		{"pending idempotency keys, oldest first", testIdemPending},
		{"idempotency keys survive the upgrade from schema 2", testIdemUpgrade},
		{"audit records of one action", testAuditByAction},
		{"approvals decided before a time", testApprovalsDecidedBefore},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dsn := fresh(t)
			s := mustOpen(t, dsn)
			tc.fn(t, s, dsn)
		})
	}
}

func mustOpen(t *testing.T, dsn string) Store {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)

func testMigrations(t *testing.T, s Store, dsn string) {
	ctx := context.Background()
	if err := s.CreateToken(ctx, Token{ID: "t1", Hash: "h1", User: "alice", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	// Opening again (and concurrently) runs the migrations again: nothing changes.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() {
			s2, err := Open(ctx, dsn)
			if err == nil {
				err = s2.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
	}
	if _, err := s.TokenByHash(ctx, "h1"); err != nil {
		t.Fatalf("token lost across reopen: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func testTokens(t *testing.T, s Store, _ string) {
	ctx := context.Background()
	a := Token{ID: "tok-a", Hash: "hash-a", User: "alice", Note: "laptop", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	b := Token{ID: "tok-b", Hash: "hash-b", User: "bob", ReadOnly: true, CreatedAt: t0.Add(time.Second)}
	for _, tok := range []Token{b, a} {
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateToken(ctx, Token{ID: "tok-c", Hash: "hash-a", User: "eve", CreatedAt: t0}); err == nil {
		t.Error("a second token with the same hash was stored")
	}
	got, err := s.TokenByHash(ctx, "hash-a")
	if err != nil {
		t.Fatal(err)
	}
	if got != a {
		t.Errorf("TokenByHash = %+v, want %+v", got, a)
	}
	if _, err := s.TokenByHash(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown hash: %v, want ErrNotFound", err)
	}
	list, err := s.ListTokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "tok-a" || list[1] != b {
		t.Errorf("ListTokens = %+v", list)
	}
	if err := s.RevokeToken(ctx, "tok-a", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, "tok-a", t0.Add(time.Hour)); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
	if got, _ := s.TokenByHash(ctx, "hash-a"); !got.RevokedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("RevokedAt = %v, want the first revocation time", got.RevokedAt)
	}
	if err := s.RevokeToken(ctx, "tok-zzz", t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoke unknown: %v, want ErrNotFound", err)
	}
}

// appendN appends n entries for team, chaining them as the audit package does (the
// hash here is a stand-in: the store does not check hashes, only the chain order).
func appendOne(t *testing.T, s Store, team string) AuditEntry {
	t.Helper()
	e, err := s.AppendAudit(context.Background(), func(h AuditHead) (AuditEntry, error) {
		seq := h.Seq + 1
		return AuditEntry{Seq: seq, ID: fmt.Sprintf("a%d", seq), Time: t0.Add(time.Duration(seq) * time.Second),
			Type: "requested", Team: team, User: "alice", ActionID: "act", Body: []byte(fmt.Sprintf(`{"seq":%d}`, seq)),
			PrevHash: h.Hash, Hash: fmt.Sprintf("hash%d", seq)}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func testAudit(t *testing.T, s Store, _ string) {
	ctx := context.Background()
	if h, err := s.AuditHead(ctx); err != nil || h != (AuditHead{}) {
		t.Fatalf("empty head = %+v, %v", h, err)
	}
	for _, team := range []string{"payments", "search", "payments", ""} {
		appendOne(t, s, team)
	}
	if h, _ := s.AuditHead(ctx); h != (AuditHead{Seq: 4, Hash: "hash4"}) {
		t.Errorf("head = %+v", h)
	}
	// A build error or a wrong link appends nothing.
	boom := errors.New("boom")
	if _, err := s.AppendAudit(ctx, func(AuditHead) (AuditEntry, error) { return AuditEntry{}, boom }); !errors.Is(err, boom) {
		t.Errorf("build error: %v", err)
	}
	if _, err := s.AppendAudit(ctx, func(h AuditHead) (AuditEntry, error) {
		return AuditEntry{Seq: h.Seq + 2, ID: "x", PrevHash: h.Hash, Body: []byte("{}")}, nil
	}); err == nil {
		t.Error("an entry skipping a sequence number was appended")
	}
	all, err := s.ListAudit(ctx, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 || all[0].Seq != 1 || all[3].Seq != 4 || all[1].PrevHash != "hash1" {
		t.Fatalf("ListAudit = %+v", all)
	}
	e := all[0]
	if e.ID != "a1" || !e.Time.Equal(t0.Add(time.Second)) || e.Type != "requested" || e.Team != "payments" ||
		e.User != "alice" || e.ActionID != "act" || string(e.Body) != `{"seq":1}` || e.PrevHash != "" || e.Hash != "hash1" {
		t.Errorf("entry round trip: %+v", e)
	}
	seqs := func(es []AuditEntry) (out []int64) {
		for _, e := range es {
			out = append(out, e.Seq)
		}
		return out
	}
	for _, c := range []struct {
		f    AuditFilter
		want string
	}{
		{AuditFilter{Teams: []string{"payments"}}, "[1 3]"},
		{AuditFilter{Teams: []string{"payments", "search"}, Descending: true}, "[3 2 1]"},
		{AuditFilter{Teams: []string{}}, "[]"},
		{AuditFilter{Descending: true, Limit: 2}, "[4 3]"},
		{AuditFilter{Descending: true, Before: 3}, "[2 1]"},
		{AuditFilter{After: 2, Limit: 1}, "[3]"},
	} {
		got, err := s.ListAudit(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if g := fmt.Sprint(seqs(got)); g != c.want {
			t.Errorf("ListAudit(%+v) = %s, want %s", c.f, g, c.want)
		}
	}
}

func testAuditConcurrent(t *testing.T, s Store, _ string) {
	const n = 40
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { appendOne(t, s, "payments") })
	}
	wg.Wait()
	all, err := s.ListAudit(context.Background(), AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != n {
		t.Fatalf("%d entries, want %d", len(all), n)
	}
	prev := ""
	for i, e := range all {
		if e.Seq != int64(i+1) || e.PrevHash != prev {
			t.Fatalf("entry %d: seq %d prev %q, want seq %d prev %q", i, e.Seq, e.PrevHash, i+1, prev)
		}
		prev = e.Hash
	}
}

func testIdempotency(t *testing.T, s Store, _ string) {
	ctx := context.Background()
	in := Idem{User: "alice", Key: "k1", RequestHash: "rh", CreatedAt: t0}
	got, claimed, err := s.ClaimIdempotency(ctx, in)
	if err != nil || !claimed || got.State != IdemPending || got.RequestHash != "rh" || !got.CreatedAt.Equal(t0) {
		t.Fatalf("first claim = %+v %v %v", got, claimed, err)
	}
	// Same key, other user: a separate record.
	if _, claimed, _ := s.ClaimIdempotency(ctx, Idem{User: "bob", Key: "k1", RequestHash: "other", CreatedAt: t0}); !claimed {
		t.Error("bob's k1 collided with alice's")
	}
	got, claimed, err = s.ClaimIdempotency(ctx, Idem{User: "alice", Key: "k1", RequestHash: "different", CreatedAt: t0.Add(time.Second)})
	if err != nil || claimed || got.State != IdemPending || got.RequestHash != "rh" {
		t.Fatalf("second claim = %+v %v %v", got, claimed, err)
	}
	if err := s.FinishIdempotency(ctx, "alice", "k1", 200, []byte(`{"id":"x"}`), t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishIdempotency(ctx, "alice", "k1", 500, nil, t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("finishing a done key: %v, want ErrNotFound", err)
	}
	got, claimed, _ = s.ClaimIdempotency(ctx, in)
	if claimed || got.State != IdemDone || got.StatusCode != 200 || string(got.Response) != `{"id":"x"}` || !got.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("claim after finish = %+v %v", got, claimed)
	}
	// Release forgets a pending key only.
	if err := s.ReleaseIdempotency(ctx, "alice", "k1"); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.ClaimIdempotency(ctx, in); got.State != IdemDone {
		t.Error("release removed a finished key")
	}
	if err := s.ReleaseIdempotency(ctx, "bob", "k1"); err != nil {
		t.Fatal(err)
	}
	if _, claimed, _ := s.ClaimIdempotency(ctx, Idem{User: "bob", Key: "k1", RequestHash: "again", CreatedAt: t0}); !claimed {
		t.Error("a released key cannot be claimed again")
	}
}

func testIdemConcurrent(t *testing.T, s Store, _ string) {
	const n = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	claims := 0
	for range n {
		wg.Go(func() {
			_, claimed, err := s.ClaimIdempotency(context.Background(), Idem{User: "alice", Key: "race", RequestHash: "rh", CreatedAt: t0})
			if err != nil {
				t.Error(err)
			}
			if claimed {
				mu.Lock()
				claims++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if claims != 1 {
		t.Fatalf("%d concurrent claims succeeded, want 1", claims)
	}
}
