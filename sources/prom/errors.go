package prom

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// QueryError is a query Prometheus refused or could not answer, with the server's words.
type QueryError struct {
	Query string // the PromQL sent
	// Type is Prometheus's errorType ("bad_data", "timeout", "execution", ...), or
	// "client_error"/"server_error" for a bare HTTP failure; "" when the server was not
	// reached (connection refused, deadline exceeded).
	Type string
	Msg  string    // as the server worded it (or the transport error)
	Pos  *Position // where a PromQL parse error is; nil otherwise
	Err  error     // the underlying error, for errors.Is/As
}

// Position is the place of a parse error in the query: Line and Column are 1-based as
// Prometheus prints them (Column counts bytes); Offset is the 0-based byte offset.
type Position struct {
	Line, Column, Offset int
}

func (e *QueryError) Error() string {
	if e.Type == "" {
		return e.Msg
	}
	return e.Type + ": " + e.Msg
}

func (e *QueryError) Unwrap() error { return e.Err }

// Timeout reports whether the query failed by a deadline (client side or server side).
func (e *QueryError) Timeout() bool {
	return e.Type == string(promv1.ErrTimeout) || errors.Is(e.Err, context.DeadlineExceeded)
}

// parseErrPos matches Prometheus's parse error positions: "1:26: parse error" (2.x/3.x),
// and the older "parse error at line 2, char 5" and "parse error at char 5".
var (
	parseErrPos    = regexp.MustCompile(`(\d+):(\d+):\s*parse error`)
	oldParseErrPos = regexp.MustCompile(`parse error at (?:line (\d+), )?char (\d+)`)
)

// parsePosition finds the position of a parse error in msg and maps it onto query.
func parsePosition(msg, query string) *Position {
	var line, col int
	if m := parseErrPos.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		col, _ = strconv.Atoi(m[2])
	} else if m := oldParseErrPos.FindStringSubmatch(msg); m != nil {
		line = 1
		if m[1] != "" {
			line, _ = strconv.Atoi(m[1])
		}
		col, _ = strconv.Atoi(m[2])
	} else {
		return nil
	}
	if line < 1 || col < 1 {
		return nil
	}
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(query[off:], '\n')
		if i < 0 {
			return &Position{Line: line, Column: col, Offset: -1}
		}
		off += i + 1
	}
	off += col - 1
	if off > len(query) {
		off = -1
	}
	return &Position{Line: line, Column: col, Offset: off}
}

// wrapErr turns an API error into a *QueryError.
func wrapErr(query string, err error) error {
	if err == nil {
		return nil
	}
	qe := &QueryError{Query: query, Msg: err.Error(), Err: err}
	var pe *promv1.Error
	if errors.As(err, &pe) {
		qe.Type, qe.Msg = string(pe.Type), pe.Msg
		if pe.Detail != "" && (pe.Type == promv1.ErrClient || pe.Type == promv1.ErrServer) {
			qe.Msg += ": " + strings.TrimSpace(pe.Detail) // a proxy's own words
		}
		if pe.Type == promv1.ErrBadData {
			qe.Pos = parsePosition(pe.Msg, query)
		}
	}
	return qe
}

// Eval runs an instant query (the PromQL console, or any expression vigie built). Errors
// are *QueryError.
func Eval(ctx context.Context, api promv1.API, query string, at time.Time) (model.Value, []string, error) {
	v, warns, _, err := api.Query(ctx, query, at)
	return v, warns, wrapErr(query, err)
}

// EvalRange runs a range query. Errors are *QueryError.
func EvalRange(ctx context.Context, api promv1.API, query string, r promv1.Range) (model.Value, []string, error) {
	v, warns, _, err := api.QueryRange(ctx, query, r)
	return v, warns, wrapErr(query, err)
}

// sortErrs orders errors by message so that joined errors read the same every time.
func sortErrs(errs []error) []error {
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errs
}
