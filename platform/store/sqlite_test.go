package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSQLiteStore(t *testing.T) {
	runSuite(t, func(t *testing.T) string {
		return "sqlite:" + filepath.Join(t.TempDir(), "sub", "platform.db")
	})
}

func TestSQLiteFileIsPrivateAndWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "platform.db")
	s := mustOpen(t, "sqlite:"+path)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	var mode string
	b := s.(*sqlStore).b.(*sqlBackend)
	if err := b.db.QueryRowContext(context.Background(), "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v", mode, err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for dsn, want := range map[string]string{
		"mysql://u:secretpw@h/db":      "want sqlite:PATH or postgres://",
		"sqlite:":                      "empty path",
		"sqlite:/tmp/a?b.db":           "must not contain",
		"postgres://u:secretpw@%zz/db": "cannot parse",
		"postgres://u:secretpw@127.0.0.1:1/db?connect_timeout=1": "127.0.0.1:1/db",
	} {
		_, err := Open(ctx, dsn)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) = %v, want %q", dsn, err, want)
			continue
		}
		if strings.Contains(err.Error(), "secretpw") {
			t.Errorf("Open(%q) error shows the password: %v", dsn, err)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:pw@h:5432/db?sslmode=disable": "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgres://u@h/db":                         "postgres://u@h/db",
		"postgres://h/db?password=pw":               "postgres://h/db?password=xxxxx",
		"sqlite:/x/y.db":                            "sqlite:/x/y.db",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDefaultSQLitePath(t *testing.T) {
	env := map[string]string{"HOME": "/home/a"}
	get := func(k string) string { return env[k] }
	if p, _ := DefaultSQLitePath(get); p != "/home/a/.local/share/vigie/platform.db" {
		t.Errorf("got %q", p)
	}
	env["XDG_DATA_HOME"] = "/data"
	if p, _ := DefaultSQLitePath(get); p != "/data/vigie/platform.db" {
		t.Errorf("got %q", p)
	}
	if _, err := DefaultSQLitePath(func(string) string { return "" }); err == nil {
		t.Error("no HOME, no error")
	}
}

func TestRebind(t *testing.T) {
	if got := rebind("SELECT a FROM t WHERE b = ? AND c IN (?, ?)"); got != "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)" {
		t.Errorf("rebind = %q", got)
	}
}
