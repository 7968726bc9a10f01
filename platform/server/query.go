package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vigie-dev/vigie/platform/actions"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/audit"
	"github.com/vigie-dev/vigie/platform/policy"
)

// Read-only queries (POST /v1/queries), through the same pipeline as actions:
// authenticate → authorise (the team owning the database, the caller's role, the policy
// of the team's most sensitive environment class for query-saved or query-sql) →
// validate (and check the SQL text) → audit "requested" with the SQL text, durably → run
// with the team's SELECT-only role in a READ ONLY transaction, with the statement
// timeout and the row and byte caps → audit the outcome (row count, truncated, duration;
// never the rows) → answer the rows. Refusals are audited too. The database's DSN is
// read only to connect: it is never answered, logged or audited.

const maxQueryBody = 64 << 10

// queryRunner runs a checked query (actions.RunQuery; tests replace it).
type queryRunner func(context.Context, actions.QuerySpec) (actions.QueryOutput, error)

func (s *Server) runQuery(ctx context.Context, q actions.QuerySpec) (actions.QueryOutput, error) {
	if s.queryRun != nil {
		return s.queryRun(ctx, q)
	}
	return actions.RunQuery(ctx, q)
}

// query is POST /v1/queries.
func (s *Server) query(x *exchange) {
	ctx := x.r.Context()
	var req api.QueryRequest
	decodeErr := readBody(x, maxQueryBody, &req)
	rec := api.AuditRecord{RequestID: x.id, ActionID: audit.NewID("qry_")}
	if decodeErr == nil {
		s.describeQuery(&rec, req, 1024) // bounded until the caller is known
	}
	x.extra = append(x.extra, "action_id", rec.ActionID)

	p, ok := s.authWrite(x, &rec, s.refuse)
	if !ok {
		return
	}
	if decodeErr != nil {
		s.refuse(x, rec, apiError(api.CodeInvalid, "request body: %v", decodeErr))
		return
	}
	s.describeQuery(&rec, req, actions.MaxSQLBytes)
	x.extra = append(x.extra, "query_kind", string(rec.Kind), "database", rec.Query.Database)
	if req.Database == "" {
		s.refuse(x, rec, fieldError("database", "say which database (teams.TEAM.databases in the server's configuration; GET /v1/teams lists yours)"))
		return
	}

	d, db := s.cfg.DecideQuery(policy.Subject{User: p.User, ReadOnly: p.ReadOnly}, req)
	rec.Team, rec.Role = d.Team, d.Role
	if d.Effect != policy.Allow {
		s.refuse(x, rec, api.ErrorBody{Code: d.Code, Message: d.Reason})
		return
	}
	sql, e := validateQuery(req)
	if e != nil {
		s.refuse(x, rec, *e)
		return
	}

	rec.Type = api.AuditRequested
	requested, err := s.audit.Append(ctx, rec)
	if err != nil {
		s.log.Error("audit requested", "request_id", x.id, "err", err)
		x.fail(http.StatusServiceUnavailable, apiError(api.CodeUnavailable, "cannot write the audit record, so nothing was run; retry later"))
		return
	}

	var res actions.QueryOutput
	dsn, runErr := db.DSN()
	if runErr != nil {
		s.log.Error("query: the database's DSN", "request_id", x.id, "team", d.Team, "database", db.Name, "err", runErr)
		runErr = &actions.Error{Code: api.CodeUnavailable, Msg: fmt.Sprintf("database %s is not configured on the server (%s is empty or not set); nothing was run", db.Name, db.Source())}
	} else {
		lim := s.cfg.Limits.Query
		res, runErr = s.runQuery(ctx, actions.QuerySpec{Database: db.Name, DSN: dsn, SQL: sql, Timeout: lim.Timeout,
			MaxRows: lim.Rows, MaxBytes: lim.Bytes, AppName: "vigie " + p.User + " " + rec.ActionID})
	}

	out := rec
	out.Type, out.ID = api.AuditOutcome, ""
	q := *rec.Query
	out.Query = &q
	var ae *actions.Error
	switch {
	case runErr == nil:
		n := len(res.Rows)
		q.Rows, q.Truncated, q.DurationMs = &n, res.Truncated, res.Duration.Milliseconds()
		out.Status, out.Message = api.StatusSucceeded, queryMessage(res, s.cfg.Limits.Query)
	case errors.As(runErr, &ae):
		out.Status, out.Code, out.Message = api.StatusFailed, ae.Code, ae.Msg
	default:
		out.Status, out.Code, out.Message = api.StatusFailed, api.CodeInternal, "the query failed"
		s.log.Error("query", "request_id", x.id, "err", runErr)
	}
	outcome, err := s.audit.Append(context.WithoutCancel(ctx), out)
	auditID := outcome.ID
	if err != nil {
		s.log.Error("audit outcome: the query ran but its outcome is not recorded", "request_id", x.id, "action_id", rec.ActionID, "err", err)
		auditID = requested.ID
	}
	s.metrics.actions.Inc(string(rec.Kind), out.Status)
	if runErr != nil {
		x.fail(httpStatus(out.Code), api.ErrorBody{Code: out.Code, Message: out.Message,
			Details: map[string]string{"actionId": rec.ActionID, "auditId": auditID, "kind": string(rec.Kind)}})
		return
	}
	x.extra = append(x.extra, "rows", len(res.Rows), "truncated", res.Truncated)
	cols := res.Columns
	if cols == nil {
		cols = []api.Column{}
	}
	answer := api.QueryResult{ID: rec.ActionID, AuditID: auditID, Columns: cols, Rows: res.Rows, Truncated: res.Truncated,
		RowCount: len(res.Rows), DurationMs: res.Duration.Milliseconds()}
	if res.Truncated {
		answer.Message = out.Message
	}
	if answer.Rows == nil {
		answer.Rows = [][]*string{}
	}
	x.reply(http.StatusOK, answer)
}

// describeQuery copies what the request says into the audit record: the kind, the team
// owning the database (when one does), the reason and the query (its SQL clipped to
// maxSQL characters: an unauthenticated body must not bloat the log).
func (s *Server) describeQuery(rec *api.AuditRecord, req api.QueryRequest, maxSQL int) {
	rec.Kind = req.Kind()
	rec.Reason = clip(req.Reason, 1024)
	rec.Query = &api.QueryAudit{Database: clip(req.Database, 64), Saved: clip(req.Saved, 64), SQL: clip(req.SQL, maxSQL)}
	if d, _ := s.cfg.DecideQuery(policy.Subject{}, req); d.Team != "" {
		rec.Team = d.Team
	}
}

// validateQuery checks an authorised query and returns the SQL to run: the saved
// query's, or the request's once CheckSQL passed it.
func validateQuery(req api.QueryRequest) (string, *api.ErrorBody) {
	fail := func(field string, err error) (string, *api.ErrorBody) {
		e := fieldError(field, "%v", err)
		var ae *actions.Error
		if errors.As(err, &ae) {
			e.Code = ae.Code
		}
		return "", &e
	}
	switch {
	case utf8.RuneCountInString(req.Reason) > 1024:
		return fail("reason", fmt.Errorf("%d characters, at most 1024", utf8.RuneCountInString(req.Reason)))
	case !printable(req.Reason):
		return fail("reason", errors.New("control characters are not allowed"))
	case req.Saved != "" && req.SQL != "":
		return fail("sql", errors.New("give saved or sql, not both"))
	case req.Saved == "" && req.SQL == "":
		return fail("saved", fmt.Errorf("give a saved query (%s) or sql", strings.Join(api.SavedQueries(), ", ")))
	case req.Saved != "":
		if !slices.Contains(api.SavedQueries(), req.Saved) {
			return fail("saved", fmt.Errorf("unknown saved query %q (known: %s)", clip(req.Saved, 64), strings.Join(api.SavedQueries(), ", ")))
		}
		sql, _ := actions.SavedSQL(req.Saved)
		return sql, nil
	}
	if err := actions.CheckSQL(req.SQL); err != nil {
		return fail("sql", err)
	}
	return req.SQL, nil
}

// queryMessage says how many rows came back and, when they were cut, at which limit.
func queryMessage(res actions.QueryOutput, lim policy.QueryLimits) string {
	n := len(res.Rows)
	msg := fmt.Sprintf("%d rows in %d ms", n, res.Duration.Milliseconds())
	if n == 1 {
		msg = fmt.Sprintf("1 row in %d ms", res.Duration.Milliseconds())
	}
	switch res.CutBy {
	case "rows":
		msg += fmt.Sprintf("; truncated: the query has more rows than the limit of %d (limits.queryRows)", lim.Rows)
	case "bytes":
		msg += fmt.Sprintf("; truncated: the rows would be larger than the limit of %d bytes (limits.queryBytes)", lim.Bytes)
	}
	return msg
}

// warnDatabases logs, at start, the databases whose DSN cannot be read now (their
// queries would fail). It never logs a DSN.
func (s *Server) warnDatabases() {
	for _, tn := range s.cfg.TeamNames() {
		t := s.cfg.Teams[tn]
		for _, name := range t.DatabaseNames() {
			if _, err := t.Databases[name].DSN(); err != nil {
				s.log.Warn("database not usable: its queries will fail", "team", tn, "database", name, "err", err)
			}
		}
	}
}
