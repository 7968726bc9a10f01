package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/vigie-dev/vigie/platform/api"
)

// Read-only queries on a team's database. RunQuery connects with the team's DSN (a
// SELECT-only role), opens a READ ONLY transaction with a statement timeout, runs ONE
// statement through the extended protocol (whose Parse refuses more than one), reads at
// most MaxRows rows and MaxBytes bytes of values, and always ends with ROLLBACK and
// closes the connection. Values come back in PostgreSQL's text form.
//
// What keeps a query from writing is PostgreSQL: the role may only SELECT, and the
// transaction is READ ONLY (taken with a snapshot first, so that SET transaction_read_only
// = off is refused too). The text checks (CheckSQL) come before and refuse more, but
// RunQuery does not rely on them.

// QueryConnectBudget is how long RunQuery may spend, besides the statement timeout,
// connecting, setting up and rolling back.
const QueryConnectBudget = 10 * time.Second

// QuerySpec is one query to run: the server has authorised and checked it.
type QuerySpec struct {
	Database string // its name in the configuration, for messages
	DSN      string // of a SELECT-only role; never in an error or a log
	SQL      string
	Timeout  time.Duration // the statement timeout
	MaxRows  int
	MaxBytes int    // of the answer's values, as JSON
	AppName  string // application_name of the session (pg_stat_activity shows it)
}

// QueryOutput is what a query returned.
type QueryOutput struct {
	Columns   []api.Column
	Rows      [][]*string
	Truncated bool
	CutBy     string // "rows" or "bytes" when Truncated
	Duration  time.Duration
}

// rowSource is what collect reads rows from (a *pgconn.ResultReader).
type rowSource interface {
	FieldDescriptions() []pgconn.FieldDescription
	NextRow() bool
	Values() [][]byte
}

// collect reads rows until the source ends or a cap is reached: maxRows rows, or
// maxBytes bytes of the rows' JSON (each value's JSON string or null, plus separators).
// A row that would go over the byte cap is not kept. It reports whether it stopped at a
// cap ("rows" or "bytes"); the source may then have more.
func collect(src rowSource, maxRows, maxBytes int) (rows [][]*string, cutBy string) {
	size := 0
	rows = [][]*string{}
	for src.NextRow() {
		if len(rows) >= maxRows {
			return rows, "rows"
		}
		vals := src.Values()
		row := make([]*string, len(vals))
		rowSize := 3 // [ ] ,
		for i, v := range vals {
			if v == nil {
				rowSize += len("null,")
				continue
			}
			s := string(v)
			row[i] = &s
			rowSize += jsonLen(s) + 1
		}
		if size+rowSize > maxBytes {
			return rows, "bytes"
		}
		size += rowSize
		rows = append(rows, row)
	}
	return rows, ""
}

// jsonLen is the length of s as a JSON string, as the server encodes it.
func jsonLen(s string) int {
	b, _ := json.Marshal(s)
	return len(b)
}

// RunQuery runs q and returns its rows; errors are *Error with an api code:
// CodeForbidden when PostgreSQL refuses the statement (read-only transaction, privileges,
// more than one statement), CodeInvalid for an error in the statement, CodeTimeout when it
// ran over its timeout, CodeUnavailable when the database cannot be reached or its DSN is
// wrong (nothing ran), CodeActionFailed otherwise.
func RunQuery(ctx context.Context, q QuerySpec) (QueryOutput, error) {
	var out QueryOutput
	if q.Timeout <= 0 || q.MaxRows <= 0 || q.MaxBytes <= 0 {
		return out, &Error{Code: api.CodeInternal, Msg: "query: no limits"}
	}
	cfg, err := pgconn.ParseConfig(q.DSN)
	if err != nil { // the error could quote the DSN: never pass it on
		return out, &Error{Code: api.CodeUnavailable, Msg: fmt.Sprintf("database %s: its DSN in the server's configuration does not parse; nothing was run", q.Database)}
	}
	timeoutMs := strconv.FormatInt(q.Timeout.Milliseconds(), 10)
	for k, v := range map[string]string{
		"application_name":                    clipASCII(q.AppName, 63),
		"default_transaction_read_only":       "on",
		"statement_timeout":                   timeoutMs,
		"lock_timeout":                        timeoutMs,
		"idle_in_transaction_session_timeout": strconv.FormatInt((q.Timeout + QueryConnectBudget).Milliseconds(), 10),
		"client_encoding":                     "UTF8",
		"TimeZone":                            "UTC",
		"DateStyle":                           "ISO, MDY",
	} {
		cfg.RuntimeParams[k] = v
	}
	// A row (or any message) larger than the byte cap could only be cut: do not even
	// read it into memory.
	cfg.MaxProtocolMessageBodyLen = q.MaxBytes + 64<<10
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > QueryConnectBudget/2 {
		cfg.ConnectTimeout = QueryConnectBudget / 2
	}
	cfg.OnNotice, cfg.OnNotification = nil, nil

	ctx, cancel := context.WithTimeout(ctx, q.Timeout+QueryConnectBudget)
	defer cancel()
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return out, &Error{Code: api.CodeUnavailable, Msg: fmt.Sprintf("cannot connect to database %s (%s); nothing was run", q.Database, connectCause(err))}
	}
	defer func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer ccancel()
		_ = conn.Close(cctx)
	}()

	// READ ONLY, the statement timeout for this transaction, and a first snapshot (SELECT
	// 1): after it, PostgreSQL refuses to make the transaction read-write. Vigie's own
	// text, in the simple protocol.
	setup := "BEGIN READ ONLY; SET LOCAL statement_timeout = " + timeoutMs + "; SET LOCAL lock_timeout = " + timeoutMs + "; SELECT 1"
	if _, err := conn.Exec(ctx, setup).ReadAll(); err != nil {
		return out, &Error{Code: api.CodeUnavailable, Msg: fmt.Sprintf("database %s: cannot open a read-only transaction (%s); nothing was run", q.Database, pgMessage(err))}
	}

	start := time.Now()
	rr := conn.ExecParams(ctx, q.SQL, nil, nil, nil, nil) // extended protocol, text results
	var oids []uint32
	out.Columns, oids = columnsOf(rr.FieldDescriptions())
	out.Rows, out.CutBy = collect(rr, q.MaxRows, q.MaxBytes)
	if out.CutBy != "" {
		// Stop the statement rather than read the rest: Close would drain it.
		cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
		_ = conn.CancelRequest(cctx)
		ccancel()
	}
	_, qerr := rr.Close()
	out.Duration = time.Since(start)
	var big *pgproto3.ExceededMaxBodyLenErr
	switch {
	case out.CutBy != "" && isCanceled(qerr):
		qerr = nil // our own cancel
	case errors.As(qerr, &big):
		out.CutBy, qerr = "bytes", nil // a row larger than the cap; the connection is closed
	}
	out.Truncated = out.CutBy != ""

	if !conn.IsClosed() {
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_, rbErr := conn.Exec(rctx, "ROLLBACK").ReadAll()
		rcancel()
		if rbErr == nil && qerr == nil && len(out.Columns) > 0 {
			typeNames(conn, out.Columns, oids)
		}
	}
	if qerr != nil {
		out.Columns, out.Rows, out.Truncated, out.CutBy = nil, nil, false, ""
		return out, queryError(ctx, q, qerr)
	}
	return out, nil
}

// columnsOf names the columns, with pgx's names of their types ("oid N" for a type pgx
// does not know) until typeNames names them better; it returns their type OIDs.
func columnsOf(fds []pgconn.FieldDescription) ([]api.Column, []uint32) {
	cols, oids := make([]api.Column, len(fds)), make([]uint32, len(fds))
	m := pgtype.NewMap()
	for i, fd := range fds {
		oids[i] = fd.DataTypeOID
		cols[i] = api.Column{Name: fd.Name, Type: "oid " + strconv.FormatUint(uint64(fd.DataTypeOID), 10)}
		if t, ok := m.TypeForOID(fd.DataTypeOID); ok {
			cols[i].Type = t.Name
		}
	}
	return cols, oids
}

// typeNames gives the columns their type names as PostgreSQL's format_type shows them
// ("bigint", "timestamp with time zone"), on the query's connection after its
// transaction ended; on failure they keep the names they have.
func typeNames(conn *pgconn.PgConn, cols []api.Column, oids []uint32) {
	list := make([]string, len(oids))
	for i, o := range oids {
		list[i] = strconv.FormatUint(uint64(o), 10)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res := conn.ExecParams(ctx, "SELECT oid::text, pg_catalog.format_type(oid, NULL) FROM pg_catalog.pg_type WHERE oid = ANY($1::oid[])",
		[][]byte{[]byte("{" + strings.Join(list, ",") + "}")}, nil, nil, nil).Read()
	if res.Err != nil {
		return
	}
	names := map[string]string{}
	for _, r := range res.Rows {
		names[string(r[0])] = string(r[1])
	}
	for i := range cols {
		if n, ok := names[list[i]]; ok {
			cols[i].Type = n
		}
	}
}

func isCanceled(err error) bool {
	var pe *pgconn.PgError
	return err != nil && errors.As(err, &pe) && pe.Code == "57014"
}

// queryError words what PostgreSQL (or the connection) answered to the statement.
func queryError(ctx context.Context, q QuerySpec, err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		if ctx.Err() != nil || pgconn.Timeout(err) {
			if errors.Is(context.Cause(ctx), context.Canceled) {
				return &Error{Code: api.CodeActionFailed, Msg: fmt.Sprintf("database %s: the query was cancelled (the request went away)", q.Database)}
			}
			return &Error{Code: api.CodeTimeout, Msg: fmt.Sprintf("database %s: the query did not finish within %s", q.Database, q.Timeout+QueryConnectBudget)}
		}
		return &Error{Code: api.CodeActionFailed, Msg: fmt.Sprintf("database %s: the connection failed while the query ran", q.Database)}
	}
	msg := pgMessage(pe)
	switch {
	case pe.Code == "57014" && strings.Contains(pe.Message, "statement timeout"):
		return &Error{Code: api.CodeTimeout, Msg: fmt.Sprintf("the query ran longer than its limit of %s and was cancelled (limits.queryTimeout)", q.Timeout)}
	case pe.Code == "55P03":
		return &Error{Code: api.CodeTimeout, Msg: fmt.Sprintf("the query waited for a lock longer than %s and was cancelled: %s", q.Timeout, msg)}
	case pe.Code == "57014":
		return &Error{Code: api.CodeActionFailed, Msg: "the query was cancelled: " + msg}
	case pe.Code == "25006", pe.Code == "42501", pe.Code == "25001", pe.Code == "0A000",
		pe.Code == "42601" && strings.Contains(pe.Message, "multiple commands"),
		strings.HasPrefix(pe.Code, "28"):
		return &Error{Code: api.CodeForbidden, Msg: "PostgreSQL refused the statement: " + msg}
	case strings.HasPrefix(pe.Code, "42"), strings.HasPrefix(pe.Code, "22"), strings.HasPrefix(pe.Code, "2B"), pe.Code == "34000":
		return &Error{Code: api.CodeInvalid, Msg: "PostgreSQL: " + msg}
	}
	return &Error{Code: api.CodeActionFailed, Msg: fmt.Sprintf("database %s: %s", q.Database, msg)}
}

// pgMessage is PostgreSQL's message with its position and SQLSTATE, without the
// connection's details.
func pgMessage(err error) string {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return "the connection failed"
	}
	msg := pe.Message
	if pe.Position > 0 {
		msg += fmt.Sprintf(" (at character %d)", pe.Position)
	}
	if pe.Hint != "" {
		msg += "; hint: " + pe.Hint
	}
	return msg + " [SQLSTATE " + pe.Code + "]"
}

// connectCause says why a connection failed without the DSN's host, user or password:
// PostgreSQL's refusal, or "it does not answer".
func connectCause(err error) string {
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe):
		return pgMessage(pe)
	case pgconn.Timeout(err), errors.Is(err, context.DeadlineExceeded):
		return "it did not answer in time"
	}
	return "it does not answer"
}

func clipASCII(s string, n int) string {
	b := []byte{}
	for i := 0; i < len(s) && len(b) < n; i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			b = append(b, c)
		}
	}
	return string(b)
}
