package audit

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/store"
)

// chain makes a SQLite store holding n records and returns it with the file's path.
func chain(t *testing.T, n int) (store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "platform.db")
	s, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	l := New(s, func() time.Time { clock = clock.Add(time.Second); return clock })
	for i := range n {
		_, err := l.Append(context.Background(), api.AuditRecord{
			Type: api.AuditRequested, ActionID: "act", User: "alice", Team: "payments", Kind: api.ActionScale,
			Target: &api.Target{Namespace: "payments", Name: "checkout"}, Reason: strings.Repeat("r", i+10),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return s, path
}

// tamper runs SQL on the store's file behind its back, as an attacker with file access.
func tamper(t *testing.T, path, q string, args ...any) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Exec(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("tamper %q changed nothing", q)
	}
}

func TestAppendChainsRecords(t *testing.T) {
	s, _ := chain(t, 3)
	es, err := s.ListAudit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	prev := ""
	for i, e := range es {
		r, err := Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		if r.Seq != int64(i+1) || r.PrevHash != prev || r.Hash != HashOf(e.Body) || !strings.HasPrefix(r.ID, "aud_") {
			t.Errorf("record %d: %+v", i, r)
		}
		if strings.Contains(string(e.Body), `"hash"`) {
			t.Errorf("the hashed body contains its own hash: %s", e.Body)
		}
		prev = r.Hash
	}
	rep, err := Verify(context.Background(), s)
	if err != nil || rep.Records != 3 || rep.Head.Seq != 3 || rep.Head.Hash != prev {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

func TestCanonicalSortsKeysAndIgnoresHash(t *testing.T) {
	r := api.AuditRecord{Seq: 1, ID: "a", Type: "denied", PrevHash: "", Hash: "zzz", Message: "<x>"}
	b, err := Canonical(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"a","message":"\u003cx\u003e","prevHash":"","seq":1,"time":"0001-01-01T00:00:00Z","type":"denied"}`
	if string(b) != want {
		t.Errorf("Canonical = %s\nwant        %s", b, want)
	}
}

func TestVerifyEmptyChain(t *testing.T) {
	s, _ := chain(t, 0)
	if rep, err := Verify(context.Background(), s); err != nil || rep.Records != 0 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

func TestVerifyFindsTheFirstBrokenLink(t *testing.T) {
	cases := []struct {
		name    string
		tamper  func(t *testing.T, path string)
		seq     int64
		problem string
	}{
		{"modified content", func(t *testing.T, p string) {
			tamper(t, p, "UPDATE audit_records SET body = replace(body, 'alice', 'mallory') WHERE seq = 2")
		}, 2, "does not match its hash"},
		{"modified content with a recomputed hash", func(t *testing.T, p string) {
			db, _ := sql.Open("sqlite", p)
			defer db.Close()
			var body string
			if err := db.QueryRow("SELECT body FROM audit_records WHERE seq = 2").Scan(&body); err != nil {
				t.Fatal(err)
			}
			body = strings.Replace(body, `"reason":"rrrrrrrrrrr"`, `"reason":"nothing here"`, 1)
			tamper(t, p, "UPDATE audit_records SET body = ?, hash = ? WHERE seq = 2", body, HashOf([]byte(body)))
		}, 3, "does not match record 2's hash"},
		{"modified column", func(t *testing.T, p string) {
			tamper(t, p, "UPDATE audit_records SET team = 'search' WHERE seq = 3")
		}, 3, "columns disagree"},
		{"deleted record", func(t *testing.T, p string) {
			tamper(t, p, "DELETE FROM audit_records WHERE seq = 2")
		}, 2, "record 2 is missing"},
		{"deleted first record", func(t *testing.T, p string) {
			tamper(t, p, "DELETE FROM audit_records WHERE seq = 1")
		}, 1, "record 1 is missing"},
		{"deleted last record", func(t *testing.T, p string) {
			tamper(t, p, "DELETE FROM audit_records WHERE seq = 4")
		}, 4, "removed from the end"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, path := chain(t, 4)
			c.tamper(t, path)
			_, err := Verify(context.Background(), s)
			var b *BrokenError
			if !errors.As(err, &b) || !IsBroken(err) {
				t.Fatalf("Verify = %v, want a broken chain", err)
			}
			if b.Seq != c.seq || !strings.Contains(b.Problem, c.problem) {
				t.Fatalf("broken at %d: %q; want %d: %q", b.Seq, b.Problem, c.seq, c.problem)
			}
		})
	}
}
