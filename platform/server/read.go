package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/audit"
	"github.com/vigie-dev/vigie/platform/auth"
	"github.com/vigie-dev/vigie/platform/store"
)

func (s *Server) healthz(x *exchange) { x.reply(http.StatusOK, api.Health{Status: "ok"}) }

// readyz is ready when the store answers.
func (s *Server) readyz(x *exchange) {
	ctx, cancel := context.WithTimeout(x.r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("not ready: store unreachable", "request_id", x.id, "err", err)
		x.reply(http.StatusServiceUnavailable, api.Health{Status: "unavailable", Detail: "the store does not answer"})
		return
	}
	x.reply(http.StatusOK, api.Health{Status: "ok"})
}

func (s *Server) openapi(x *exchange) {
	x.status = http.StatusOK
	x.w.Header().Set("Content-Type", "application/yaml")
	_, _ = x.w.Write(api.OpenAPI)
}

// authenticate checks the request's token; it does not answer.
func (s *Server) authenticate(x *exchange) (auth.Principal, error) {
	p, err := s.auth.Authenticate(x.r.Context(), x.r.Header.Get("Authorization"))
	if err == nil {
		x.user = p.User
	}
	return p, err
}

// isAuthFailure tells a refused token from a store failure.
func isAuthFailure(err error) bool {
	return errors.Is(err, auth.ErrNoToken) || errors.Is(err, auth.ErrBadToken) || errors.Is(err, auth.ErrExpired) || errors.Is(err, auth.ErrRevoked)
}

// authFail answers a read whose authentication failed: 401 (audited), or 503 when the
// store failed. Writes audit their own refusals, with the request they carried.
func (s *Server) authFail(x *exchange, err error) {
	if isAuthFailure(err) {
		s.denyRead(x, "", nil, apiError(api.CodeUnauthenticated, "%v", err))
		return
	}
	s.log.Error("authentication: store failed", "request_id", x.id, "err", err)
	x.fail(http.StatusServiceUnavailable, apiError(api.CodeUnavailable, "cannot check the token now: the platform's store does not answer"))
}

func (s *Server) me(x *exchange) {
	p, err := s.authenticate(x)
	if err != nil {
		s.authFail(x, err)
		return
	}
	me := api.Me{User: p.User, Teams: s.cfg.Memberships(p.User), ReadOnly: p.ReadOnly, TokenID: p.TokenID}
	if me.Teams == nil {
		me.Teams = []api.Membership{}
	}
	if !p.ExpiresAt.IsZero() {
		t := p.ExpiresAt
		me.ExpiresAt = &t
	}
	x.reply(http.StatusOK, me)
}

// teams answers the caller's teams only: their scope, never another team's.
func (s *Server) teams(x *exchange) {
	p, err := s.authenticate(x)
	if err != nil {
		s.authFail(x, err)
		return
	}
	out := api.TeamsResponse{Teams: []api.Team{}}
	for _, m := range s.cfg.Memberships(p.User) {
		t := s.cfg.Teams[m.Team]
		team := api.Team{Name: t.Name, Role: m.Role, Selector: t.Selector, Services: t.Services, AlertMatchers: t.AlertMatchers,
			Databases: t.DatabaseNames(), PrometheusMatchers: t.PrometheusMatchers, LokiMatchers: t.LokiMatchers,
			Jobs: t.JobTemplates(), OncallSchedule: t.OncallSchedule}
		for _, ns := range t.NamespaceNames() {
			team.Namespaces = append(team.Namespaces, api.Namespace{Name: ns, Environment: t.Namespaces[ns]})
		}
		out.Teams = append(out.Teams, team)
	}
	x.reply(http.StatusOK, out)
}

// auditList answers the audit records of the caller's teams, newest first: ?team= picks
// one of them (another team's records are refused), ?before= pages, ?limit= (≤ 500).
func (s *Server) auditList(x *exchange) {
	p, err := s.authenticate(x)
	if err != nil {
		s.authFail(x, err)
		return
	}
	q := x.r.URL.Query()
	teams, _, ok := s.readTeams(x, p.User, "audit records")
	if !ok {
		return
	}
	limit, before := 50, int64(0)
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			x.fail(http.StatusBadRequest, apiError(api.CodeInvalid, "before: want a positive integer, got %q", v))
			return
		}
		before = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			x.fail(http.StatusBadRequest, apiError(api.CodeInvalid, "limit: want an integer from 1 to 500, got %q", v))
			return
		}
		limit = n
	}
	entries, err := s.store.ListAudit(x.r.Context(), store.AuditFilter{Teams: teams, Before: before, Descending: true, Limit: limit})
	if err != nil {
		s.log.Error("audit list", "request_id", x.id, "err", err)
		x.fail(http.StatusServiceUnavailable, apiError(api.CodeUnavailable, "cannot read the audit log now"))
		return
	}
	out := api.AuditResponse{Records: []api.AuditRecord{}}
	for _, e := range entries {
		r, err := audit.Decode(e)
		if err != nil {
			s.log.Error("audit decode", "request_id", x.id, "seq", e.Seq, "err", err)
			continue
		}
		out.Records = append(out.Records, r)
	}
	if len(entries) == limit {
		out.Next = entries[len(entries)-1].Seq
	}
	x.reply(http.StatusOK, out)
}

// denyRead answers a refused read (401 or 403) after writing its "denied" audit record:
// who tried to read what (the method, the path and query, the target when there is one),
// in the records of the team that owns it when it names one. The record's id is in the
// answer's details.
func (s *Server) denyRead(x *exchange, team string, target *api.Target, e api.ErrorBody) {
	status := http.StatusForbidden
	if e.Code == api.CodeUnauthenticated {
		status = http.StatusUnauthorized
	}
	rec := api.AuditRecord{Type: api.AuditDenied, Status: api.StatusDenied, RequestID: x.id, User: x.user,
		Code: e.Code, Message: clip(x.r.Method+" "+x.r.URL.RequestURI()+": "+e.Message, 1024)}
	if _, ok := s.cfg.Teams[team]; ok {
		rec.Team = team
	}
	if target != nil {
		rec.Target = &api.Target{Namespace: clip(target.Namespace, 253), Name: clip(target.Name, 253)}
	}
	written, err := s.audit.Append(context.WithoutCancel(x.r.Context()), rec)
	if err != nil {
		s.log.Error("audit refused read", "request_id", x.id, "err", err)
	} else {
		if e.Details == nil {
			e.Details = map[string]string{}
		}
		e.Details["auditId"] = written.ID
	}
	x.fail(status, e)
}

// readTeams is the teams a list read covers: the caller's, or the one ?team= names
// (picked), which is refused and audited when the caller is not its member (what names
// what was asked, for the message). ok is false when the refusal was answered.
func (s *Server) readTeams(x *exchange, user, what string) (teams []string, picked, ok bool) {
	teams = []string{}
	for _, m := range s.cfg.Memberships(user) {
		teams = append(teams, m.Team)
	}
	t := x.r.URL.Query().Get("team")
	if t == "" {
		return teams, false, true
	}
	if !slices.Contains(teams, t) {
		s.denyRead(x, t, nil, apiError(api.CodeForbidden, "%s is not a member of team %q: its %s are not yours to read", user, clip(t, 64), what))
		return nil, true, false
	}
	return []string{t}, true, true
}
