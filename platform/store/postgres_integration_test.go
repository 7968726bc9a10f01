//go:build integration

package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigie-dev/vigie/internal/stackenv"
)

// throwAwayDB creates a database on the local platform's PostgreSQL for this test run
// and drops it when the test ends. It returns its superuser URL.
func throwAwayDB(t *testing.T) *url.URL {
	t.Helper()
	admin := stackenv.MustLoad(t).MustGet(t, "VIGIE_STACK_PG_DSN")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connecting to the local platform's PostgreSQL: %v", err)
	}
	defer c.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "vigie_store_test_" + hex.EncodeToString(b)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("dropping %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u
}

// TestPostgresStore runs the store suite on PostgreSQL: one throw-away database for the
// run, one schema per subtest (selected with the search_path connection parameter).
func TestPostgresStore(t *testing.T) {
	db := throwAwayDB(t)
	n := 0
	runSuite(t, func(t *testing.T) string {
		n++
		schema := fmt.Sprintf("suite_%d", n)
		ctx := context.Background()
		c, err := pgx.Connect(ctx, db.String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
			t.Fatal(err)
		}
		u := *db
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	})
}

// A broken connection (the server ends it) is dropped from the pool, not reused.
func TestPostgresPoolDropsBrokenConnections(t *testing.T) {
	db := throwAwayDB(t)
	ctx := context.Background()
	s, err := Open(ctx, db.String())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b := s.(*sqlStore).b.(*pgBackend)
	_ = b.run(ctx, func(q querier) error {
		_, err := q.exec(ctx, "SELECT pg_terminate_backend(pg_backend_pid())")
		return err
	})
	for i := range 3 {
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("ping %d after a terminated connection: %v", i, err)
		}
	}
}
