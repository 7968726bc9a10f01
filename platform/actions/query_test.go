package actions

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/vigie-dev/vigie/platform/api"
)

// fakeRows is a row source: rows of text values (nil is NULL).
type fakeRows struct {
	rows [][][]byte
	i    int
	read int // rows handed out
}

func (f *fakeRows) FieldDescriptions() []pgconn.FieldDescription { return nil }
func (f *fakeRows) NextRow() bool {
	if f.i >= len(f.rows) {
		return false
	}
	f.i++
	f.read++
	return true
}
func (f *fakeRows) Values() [][]byte { return f.rows[f.i-1] }

func numbered(n int, value string) *fakeRows {
	f := &fakeRows{}
	for i := 0; i < n; i++ {
		f.rows = append(f.rows, [][]byte{[]byte(strconv.Itoa(i)), []byte(value), nil})
	}
	return f
}

func TestCollectCaps(t *testing.T) {
	// Under both caps: everything, NULL as nil, not truncated.
	rows, cut := collect(numbered(3, "x"), 10, 1<<20)
	if len(rows) != 3 || cut != "" || *rows[2][0] != "2" || *rows[2][1] != "x" || rows[2][2] != nil {
		t.Fatalf("collect = %d rows, cut %q", len(rows), cut)
	}
	// Exactly the row cap: not truncated (it looked for one more row and found none).
	f := numbered(5, "x")
	if rows, cut := collect(f, 5, 1<<20); len(rows) != 5 || cut != "" {
		t.Errorf("exactly the cap: %d rows, cut %q", len(rows), cut)
	}
	// Over the row cap: the cap's rows, truncated, and it stops reading.
	f = numbered(1000, "x")
	if rows, cut := collect(f, 10, 1<<20); len(rows) != 10 || cut != "rows" || f.read != 11 {
		t.Errorf("over the row cap: %d rows, cut %q, read %d", len(rows), cut, f.read)
	}
	// Byte cap: a row of ["0","xxxxxxxxxx",null] is 3 + 4 + 13 + 5 = 25 bytes; 100 bytes
	// hold 4 such rows.
	f = numbered(50, "xxxxxxxxxx")
	if rows, cut := collect(f, 1000, 100); len(rows) != 4 || cut != "bytes" || f.read != 5 {
		t.Errorf("byte cap: %d rows, cut %q, read %d", len(rows), cut, f.read)
	}
	// Values are counted as JSON: a value of quotes and control characters weighs more.
	f = &fakeRows{rows: [][][]byte{{[]byte(strings.Repeat("\"\x01", 10))}, {[]byte("a")}}}
	if rows, cut := collect(f, 1000, 3+2+20+60); len(rows) != 0 || cut != "bytes" {
		t.Errorf("escaped value: %d rows, cut %q", len(rows), cut)
	}
	// The first row larger than the cap: no row, truncated.
	f = &fakeRows{rows: [][][]byte{{[]byte(strings.Repeat("y", 2000))}}}
	if rows, cut := collect(f, 1000, 1024); len(rows) != 0 || cut != "bytes" {
		t.Errorf("big first row: %d rows, cut %q", len(rows), cut)
	}
	// Empty results are an empty list, not nil (the answer shows []).
	if rows, cut := collect(&fakeRows{}, 10, 1024); rows == nil || len(rows) != 0 || cut != "" {
		t.Errorf("empty: %v %q", rows, cut)
	}
}

// A DSN that does not parse, or a database that does not answer: nothing ran, and the
// message never quotes the DSN (its password, its host).
func TestRunQueryConnectionFailures(t *testing.T) {
	spec := QuerySpec{Database: "payments", SQL: "SELECT 1", Timeout: time.Second, MaxRows: 10, MaxBytes: 1024}
	for dsn, want := range map[string]string{
		"postgres://payments_ro:s3cret@db.internal:5432/payments?sslmode=bogus": "database payments: its DSN in the server's configuration does not parse; nothing was run",
		"postgres://payments_ro:s3cret@127.0.0.1:1/payments?sslmode=disable":    "cannot connect to database payments (it does not answer); nothing was run",
	} {
		spec.DSN = dsn
		_, err := RunQuery(context.Background(), spec)
		var ae *Error
		if !errors.As(err, &ae) || ae.Code != api.CodeUnavailable || ae.Msg != want || ae.Err != nil {
			t.Errorf("%s: %#v", dsn, err)
		}
		if err != nil && (strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "payments_ro") || strings.Contains(err.Error(), "db.internal")) {
			t.Errorf("the error quotes the DSN: %v", err)
		}
	}
	spec.MaxRows = 0
	if _, err := RunQuery(context.Background(), spec); err == nil {
		t.Error("no limits: no error")
	}
}

func TestQueryErrors(t *testing.T) {
	q := QuerySpec{Database: "payments", Timeout: 2 * time.Second}
	for _, c := range []struct {
		err  *pgconn.PgError
		code string
		msg  string
	}{
		{&pgconn.PgError{Code: "57014", Message: "canceling statement due to statement timeout"}, api.CodeTimeout, "the query ran longer than its limit of 2s and was cancelled (limits.queryTimeout)"},
		{&pgconn.PgError{Code: "55P03", Message: "canceling statement due to lock timeout"}, api.CodeTimeout, "waited for a lock longer than 2s"},
		{&pgconn.PgError{Code: "25006", Message: "cannot execute INSERT in a read-only transaction"}, api.CodeForbidden, "PostgreSQL refused the statement: cannot execute INSERT in a read-only transaction [SQLSTATE 25006]"},
		{&pgconn.PgError{Code: "42501", Message: "permission denied for table orders"}, api.CodeForbidden, "permission denied"},
		{&pgconn.PgError{Code: "42601", Message: "cannot insert multiple commands into a prepared statement"}, api.CodeForbidden, "multiple commands"},
		{&pgconn.PgError{Code: "42601", Message: `syntax error at or near "SELEC"`, Position: 1}, api.CodeInvalid, `PostgreSQL: syntax error at or near "SELEC" (at character 1) [SQLSTATE 42601]`},
		{&pgconn.PgError{Code: "42703", Message: `column "x" does not exist`, Hint: "Perhaps you meant y."}, api.CodeInvalid, `column "x" does not exist; hint: Perhaps you meant y.`},
		{&pgconn.PgError{Code: "22012", Message: "division by zero"}, api.CodeInvalid, "division by zero"},
		{&pgconn.PgError{Code: "53200", Message: "out of memory"}, api.CodeActionFailed, "database payments: out of memory"},
	} {
		err := queryError(context.Background(), q, c.err)
		var ae *Error
		if !errors.As(err, &ae) || ae.Code != c.code || !strings.Contains(ae.Msg, c.msg) {
			t.Errorf("%s: %v (%v), want %s %q", c.err.Code, err, ae, c.code, c.msg)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	if err := queryError(ctx, q, context.DeadlineExceeded); err.(*Error).Code != api.CodeTimeout {
		t.Errorf("deadline: %v", err)
	}
	if err := queryError(context.Background(), q, errors.New("EOF")); err.(*Error).Code != api.CodeActionFailed || strings.Contains(err.Error(), "EOF") {
		t.Errorf("connection: %v", err)
	}
}
