package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

func pendingApproval(id, user, team string, created time.Time) Approval {
	return Approval{ID: id, User: user, TokenID: "tok_" + user, Role: "oncall", Team: team, Environment: "production",
		Kind: "scale", Namespace: team, Name: "checkout", IdempotencyKey: "k-" + id, RequestID: "req_" + id,
		Request:   []byte(`{"kind":"scale","target":{"namespace":"` + team + `","name":"checkout"},"params":{"replicas":4}}`),
		State:     ApprovalPending,
		CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
}

func ids(as []Approval) string {
	var out []string
	for _, a := range as {
		out = append(out, a.ID)
	}
	return fmt.Sprint(out)
}

func testApprovals(t *testing.T, s Store, _ string) {
	ctx := context.Background()
	a := pendingApproval("ap1", "alice", "payments", t0)
	if err := s.CreateApproval(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateApproval(ctx, a); err == nil {
		t.Error("a duplicate approval id was stored")
	}
	got, err := s.GetApproval(ctx, "ap1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, a) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, a)
	}
	if _, err := s.GetApproval(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: %v, want ErrNotFound", err)
	}
	for i, ap := range []Approval{
		pendingApproval("ap2", "olivia", "payments", t0.Add(time.Second)),
		pendingApproval("ap3", "bob", "search", t0.Add(2*time.Second)),
		pendingApproval("ap4", "sam", "search", t0.Add(3*time.Second)),
	} {
		if i == 2 {
			ap.User = "alice" // alice asks in search too
		}
		if err := s.CreateApproval(ctx, ap); err != nil {
			t.Fatal(err)
		}
	}

	// Decide: approve ap1, reject ap3.
	at := t0.Add(time.Minute)
	got, err = s.DecideApproval(ctx, "ap1", ApprovalDecision{State: ApprovalApproved, By: "lena", At: at, Reason: "ok"})
	if err != nil || got.State != ApprovalApproved || got.DecidedBy != "lena" || !got.DecidedAt.Equal(at) || got.DecisionReason != "ok" {
		t.Fatalf("approve = %+v, %v", got, err)
	}
	got, err = s.DecideApproval(ctx, "ap1", ApprovalDecision{State: ApprovalRejected, By: "ada", At: at})
	if !errors.Is(err, ErrApprovalState) || got.State != ApprovalApproved || got.DecidedBy != "lena" {
		t.Errorf("deciding twice = %+v, %v; want ErrApprovalState and the first decision", got, err)
	}
	if _, err := s.DecideApproval(ctx, "ap3", ApprovalDecision{State: ApprovalRejected, By: "sam", At: at, Reason: "not now"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DecideApproval(ctx, "nope", ApprovalDecision{State: ApprovalApproved, By: "lena", At: at}); !errors.Is(err, ErrNotFound) {
		t.Errorf("deciding an unknown id: %v", err)
	}
	if _, err := s.DecideApproval(ctx, "ap2", ApprovalDecision{State: ApprovalExecuted, By: "lena", At: at}); err == nil {
		t.Error("executed is not a decision")
	}

	// Finish: only an approved approval, once.
	if err := s.FinishApproval(ctx, "ap2", ApprovalExecuted, []byte(`{}`), at); !errors.Is(err, ErrApprovalState) {
		t.Errorf("finishing a pending approval: %v", err)
	}
	out := []byte(`{"status":"succeeded","message":"scaled"}`)
	if err := s.FinishApproval(ctx, "ap1", ApprovalExecuted, out, at.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishApproval(ctx, "ap1", ApprovalFailed, nil, at); !errors.Is(err, ErrApprovalState) {
		t.Errorf("finishing twice: %v", err)
	}
	if err := s.FinishApproval(ctx, "nope", ApprovalFailed, nil, at); !errors.Is(err, ErrNotFound) {
		t.Errorf("finishing an unknown id: %v", err)
	}
	got, _ = s.GetApproval(ctx, "ap1")
	if got.State != ApprovalExecuted || string(got.Outcome) != string(out) || !got.FinishedAt.Equal(at.Add(time.Second)) {
		t.Errorf("after finish: %+v", got)
	}

	for _, c := range []struct {
		f    ApprovalFilter
		want string
	}{
		{ApprovalFilter{}, "[ap4 ap3 ap2 ap1]"},
		{ApprovalFilter{Teams: []string{"payments"}}, "[ap2 ap1]"},
		{ApprovalFilter{Teams: []string{"payments"}, User: "alice"}, "[ap4 ap2 ap1]"},
		{ApprovalFilter{User: "alice"}, "[ap4 ap1]"},
		{ApprovalFilter{Teams: []string{"payments", "search"}, States: []string{ApprovalPending}}, "[ap4 ap2]"},
		{ApprovalFilter{States: []string{ApprovalRejected, ApprovalExecuted}}, "[ap3 ap1]"},
		{ApprovalFilter{Limit: 1}, "[ap4]"},
		{ApprovalFilter{Teams: []string{"other"}}, "[]"},
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

// Of many concurrent decisions on one approval, exactly one wins.
func testApprovalsConcurrent(t *testing.T, s Store, _ string) {
	ctx := context.Background()
	if err := s.CreateApproval(ctx, pendingApproval("race", "alice", "payments", t0)); err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	var winners []string
	for i := range n {
		wg.Go(func() {
			state := ApprovalApproved
			if i%2 == 1 {
				state = ApprovalRejected
			}
			by := fmt.Sprintf("user%d", i)
			a, err := s.DecideApproval(ctx, "race", ApprovalDecision{State: state, By: by, At: t0.Add(time.Minute)})
			switch {
			case err == nil:
				mu.Lock()
				winners = append(winners, by)
				mu.Unlock()
			case errors.Is(err, ErrApprovalState):
				if a.State == ApprovalPending {
					t.Errorf("refused, yet the approval is still pending")
				}
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("%d concurrent decisions won (%v), want 1", len(winners), winners)
	}
	if a, _ := s.GetApproval(ctx, "race"); a.DecidedBy != winners[0] {
		t.Errorf("decided by %q, but %q won", a.DecidedBy, winners[0])
	}
}

func testApprovalsExpire(t *testing.T, s Store, _ string) {
	ctx := context.Background()
	for _, a := range []Approval{
		pendingApproval("old", "alice", "payments", t0),
		pendingApproval("new", "alice", "payments", t0.Add(30*time.Minute)),
		pendingApproval("done", "alice", "payments", t0),
	} {
		if err := s.CreateApproval(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DecideApproval(ctx, "done", ApprovalDecision{State: ApprovalRejected, By: "lena", At: t0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	// At its expiry, a pending approval can no longer be decided.
	expiry := t0.Add(time.Hour)
	a, err := s.DecideApproval(ctx, "old", ApprovalDecision{State: ApprovalApproved, By: "lena", At: expiry})
	if !errors.Is(err, ErrApprovalState) || a.State != ApprovalPending {
		t.Errorf("approving at the expiry = %+v, %v", a, err)
	}
	n, err := s.ExpireApprovals(ctx, expiry)
	if err != nil || n != 1 {
		t.Fatalf("ExpireApprovals = %d, %v; want 1", n, err)
	}
	for id, want := range map[string]string{"old": ApprovalExpired, "new": ApprovalPending, "done": ApprovalRejected} {
		if a, _ := s.GetApproval(ctx, id); a.State != want {
			t.Errorf("%s: %s, want %s", id, a.State, want)
		}
	}
	if n, _ := s.ExpireApprovals(ctx, expiry); n != 0 {
		t.Errorf("expiring again marked %d", n)
	}
}

// An approval stored by schema 1 (before the full request had columns) is read after
// the migration to the current schema, with empty new columns.
func testApprovalsUpgrade(t *testing.T, s Store, dsn string) {
	ctx := context.Background()
	b := s.(*sqlStore).b
	err := b.tx(ctx, func(q querier) error {
		for _, stmt := range append(schema2Idempotency(), // what later schemas changed, undone
			"DROP TABLE approvals",
			`CREATE TABLE approvals (
	id         TEXT PRIMARY KEY,
	user_name  TEXT NOT NULL,
	team       TEXT NOT NULL,
	request    TEXT NOT NULL,
	state      TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	decided_by TEXT NOT NULL DEFAULT '',
	decided_at BIGINT NOT NULL DEFAULT 0
)`,
			"CREATE INDEX approvals_team_state ON approvals (team, state)",
			"DELETE FROM schema_migrations WHERE version > 1",
		) {
			if _, err := q.exec(ctx, stmt); err != nil {
				return fmt.Errorf("%s: %w", stmt, err)
			}
		}
		_, err := q.exec(ctx, "INSERT INTO approvals (id, user_name, team, request, state, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			"v1", "alice", "payments", `{"kind":"scale"}`, "pending", micros(t0), micros(t0.Add(time.Hour)))
		return err
	})
	if err != nil {
		t.Fatalf("back to schema 1: %v", err)
	}
	s2 := mustOpen(t, dsn)
	a, err := s2.GetApproval(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	want := Approval{ID: "v1", User: "alice", Team: "payments", Request: []byte(`{"kind":"scale"}`), State: ApprovalPending,
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("after the upgrade:\n got %+v\nwant %+v", a, want)
	}
	var version int64
	if err := s2.(*sqlStore).b.run(ctx, func(q querier) error {
		return q.queryRow(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&version)
	}); err != nil || version != SchemaVersion() {
		t.Errorf("schema version %d, %v; want %d", version, err, SchemaVersion())
	}
	if _, err := s2.DecideApproval(ctx, "v1", ApprovalDecision{State: ApprovalApproved, By: "lena", At: t0.Add(time.Minute)}); err != nil {
		t.Errorf("deciding an upgraded approval: %v", err)
	}
}
