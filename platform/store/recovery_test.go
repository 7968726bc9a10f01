package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// What the start-up recovery of the server reads (platform/server/recover.go): the
// keys a stopped server left pending, the audit records of one action, and the
// approvals left approved without an outcome.

func keys(is []Idem) string {
	var out []string
	for _, i := range is {
		out = append(out, i.User+"/"+i.Key)
	}
	return fmt.Sprint(out)
}

func testIdemPending(t *testing.T, s Store, _ string) {
	ctx := context.Background()
	for i, in := range []Idem{
		{User: "bob", Key: "k2", RequestHash: "h", CreatedAt: t0.Add(time.Minute), ActionID: "act_2"},
		{User: "alice", Key: "k1", RequestHash: "h", CreatedAt: t0, ActionID: "act_1"},
		{User: "alice", Key: "k3", RequestHash: "h", CreatedAt: t0.Add(2 * time.Minute), ActionID: "act_3"},
		{User: "alice", Key: "done", RequestHash: "h", CreatedAt: t0, ActionID: "act_0"},
		{User: "alice", Key: "legacy", RequestHash: "h", CreatedAt: t0.Add(30 * time.Second)}, // no action id
	} {
		got, claimed, err := s.ClaimIdempotency(ctx, in)
		if err != nil || !claimed {
			t.Fatalf("claim %d: %v %v", i, claimed, err)
		}
		if got.ActionID != in.ActionID {
			t.Errorf("claim %s: action id %q, want %q", in.Key, got.ActionID, in.ActionID)
		}
	}
	if err := s.FinishIdempotency(ctx, "alice", "done", 200, []byte(`{}`), t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	// A claim of an existing key keeps the first request's action id.
	if got, claimed, _ := s.ClaimIdempotency(ctx, Idem{User: "alice", Key: "k1", RequestHash: "h", CreatedAt: t0.Add(time.Hour), ActionID: "act_other"}); claimed || got.ActionID != "act_1" {
		t.Errorf("second claim of k1 = %+v %v", got, claimed)
	}

	for _, c := range []struct {
		before time.Time
		limit  int
		want   string
	}{
		{t0, 0, "[]"}, // strictly before
		{t0.Add(time.Minute), 0, "[alice/k1 alice/legacy]"},
		{t0.Add(time.Hour), 0, "[alice/k1 alice/legacy bob/k2 alice/k3]"}, // oldest first; never a done key
		{t0.Add(time.Hour), 2, "[alice/k1 alice/legacy]"},
	} {
		got, err := s.PendingIdempotency(ctx, c.before, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		if g := keys(got); g != c.want {
			t.Errorf("PendingIdempotency(%v, %d) = %s, want %s", c.before.Sub(t0), c.limit, g, c.want)
		}
	}
	got, _ := s.PendingIdempotency(ctx, t0.Add(time.Second), 1)
	want := Idem{User: "alice", Key: "k1", RequestHash: "h", State: IdemPending, CreatedAt: t0, UpdatedAt: t0, ActionID: "act_1", Response: []byte{}}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("pending k1 = %+v, want %+v", got, want)
	}
	// Finished (as the recovery does), a key is no longer pending.
	if err := s.FinishIdempotency(ctx, "alice", "k1", 409, []byte(`{"error":{"code":"interrupted"}}`), t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.PendingIdempotency(ctx, t0.Add(time.Hour), 0); keys(got) != "[alice/legacy bob/k2 alice/k3]" {
		t.Errorf("after finishing k1: %s", keys(got))
	}
	if err := s.FinishIdempotency(ctx, "alice", "k1", 409, nil, t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("finishing a recovered key again: %v, want ErrNotFound", err)
	}
}

func testAuditByAction(t *testing.T, s Store, _ string) {
	ctx := context.Background()
	for i, action := range []string{"act_a", "act_b", "act_a", "", "act_a"} {
		_, err := s.AppendAudit(ctx, func(h AuditHead) (AuditEntry, error) {
			seq := h.Seq + 1
			return AuditEntry{Seq: seq, ID: fmt.Sprintf("r%d", i), Time: t0, Type: "requested", Team: "payments", User: "alice",
				ActionID: action, Body: []byte("{}"), PrevHash: h.Hash, Hash: fmt.Sprintf("hash%d", seq)}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		f    AuditFilter
		want string
	}{
		{AuditFilter{ActionID: "act_a"}, "[r0 r2 r4]"},
		{AuditFilter{ActionID: "act_a", Descending: true, Limit: 2}, "[r4 r2]"},
		{AuditFilter{ActionID: "act_b", Teams: []string{"search"}}, "[]"},
		{AuditFilter{ActionID: "act_none"}, "[]"},
		{AuditFilter{}, "[r0 r1 r2 r3 r4]"},
	} {
		got, err := s.ListAudit(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, e := range got {
			ids = append(ids, e.ID)
		}
		if g := fmt.Sprint(ids); g != c.want {
			t.Errorf("ListAudit(%+v) = %s, want %s", c.f, g, c.want)
		}
	}
}

func testApprovalsDecidedBefore(t *testing.T, s Store, _ string) {
	ctx := context.Background()
	for _, a := range []Approval{
		pendingApproval("pending", "alice", "payments", t0),
		pendingApproval("early", "alice", "payments", t0),
		pendingApproval("late", "alice", "payments", t0),
		pendingApproval("rejected", "alice", "search", t0),
	} {
		if err := s.CreateApproval(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	for id, d := range map[string]ApprovalDecision{
		"early":    {State: ApprovalApproved, By: "lena", At: t0.Add(time.Minute)},
		"late":     {State: ApprovalApproved, By: "lena", At: t0.Add(10 * time.Minute)},
		"rejected": {State: ApprovalRejected, By: "sam", At: t0.Add(time.Minute)},
	} {
		if _, err := s.DecideApproval(ctx, id, d); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		f    ApprovalFilter
		want string
	}{
		{ApprovalFilter{States: []string{ApprovalApproved}, DecidedBefore: t0.Add(5 * time.Minute)}, "[early]"},
		{ApprovalFilter{States: []string{ApprovalApproved}, DecidedBefore: t0.Add(time.Hour)}, "[late early]"},
		{ApprovalFilter{States: []string{ApprovalApproved}, DecidedBefore: t0.Add(time.Minute)}, "[]"}, // strictly before
		{ApprovalFilter{DecidedBefore: t0.Add(5 * time.Minute)}, "[rejected early]"},                   // never an undecided one
		{ApprovalFilter{States: []string{ApprovalApproved}}, "[late early]"},
	} {
		got, err := s.ListApprovals(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if g := ids(got); g != c.want {
			t.Errorf("ListApprovals(%+v) = %s, want %s", c.f, g, c.want)
		}
	}
}

// A key claimed by schema 2 (before keys had an action id) is read, and listed pending,
// after the migration to the current schema, with an empty action id.
func testIdemUpgrade(t *testing.T, s Store, dsn string) {
	ctx := context.Background()
	b := s.(*sqlStore).b
	err := b.tx(ctx, func(q querier) error {
		for _, stmt := range schema2Idempotency() {
			if _, err := q.exec(ctx, stmt); err != nil {
				return fmt.Errorf("%s: %w", stmt, err)
			}
		}
		_, err := q.exec(ctx, "INSERT INTO idempotency (user_name, idem_key, request_hash, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
			"alice", "old-key", "h", IdemPending, micros(t0), micros(t0))
		return err
	})
	if err != nil {
		t.Fatalf("back to schema 2: %v", err)
	}
	s2 := mustOpen(t, dsn)
	got, err := s2.PendingIdempotency(ctx, t0.Add(time.Second), 0)
	if err != nil || len(got) != 1 || got[0].Key != "old-key" || got[0].ActionID != "" || got[0].State != IdemPending {
		t.Fatalf("after the upgrade: %+v, %v", got, err)
	}
	if _, claimed, err := s2.ClaimIdempotency(ctx, Idem{User: "alice", Key: "new-key", RequestHash: "h", CreatedAt: t0, ActionID: "act_n"}); err != nil || !claimed {
		t.Errorf("claiming after the upgrade: %v %v", claimed, err)
	}
}

// schema2Idempotency takes the idempotency table and the indexes back to schema 2.
func schema2Idempotency() []string {
	return []string{
		"DROP INDEX audit_records_action",
		"DROP TABLE idempotency",
		`CREATE TABLE idempotency (
	user_name    TEXT NOT NULL,
	idem_key     TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	state        TEXT NOT NULL,
	status_code  INTEGER NOT NULL DEFAULT 0,
	response     TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL,
	PRIMARY KEY (user_name, idem_key)
)`,
		"DELETE FROM schema_migrations WHERE version > 2",
	}
}
