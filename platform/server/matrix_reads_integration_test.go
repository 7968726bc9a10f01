//go:build integration

package server

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/vigie-dev/vigie/platform/api"
)

// readRows is the matrix of the reads. The first four endpoints are PUBLIC, on purpose:
// probes and scrapers call them without a token, so they answer 200 to anyone and ignore
// any token, even a bad one; they tell nothing about teams, users or targets. Every other
// read needs a valid token; read-only sessions may read. Reads are not audited, but their
// refusals are (401 and 403: who tried to read what). check, when set, checks a 200
// answer for that identity.
var readRows = []struct {
	want  statuses
	path  string
	check func(t *testing.T, id identity, body []byte)
}{
	//        none bad  exp  othr mbr  onc  lead adm  r-o
	{statuses{200, 200, 200, 200, 200, 200, 200, 200, 200}, "/healthz", wantText(`"status":"ok"`)},
	{statuses{200, 200, 200, 200, 200, 200, 200, 200, 200}, "/readyz", wantText(`"status":"ok"`)},
	{statuses{200, 200, 200, 200, 200, 200, 200, 200, 200}, "/metrics", wantText("vigie_platform_http_requests_total")},
	{statuses{200, 200, 200, 200, 200, 200, 200, 200, 200}, "/v1/openapi.yaml", wantText("openapi: 3.0")},
	{statuses{401, 401, 401, 200, 200, 200, 200, 200, 200}, "/v1/me", checkMe},
	{statuses{401, 401, 401, 200, 200, 200, 200, 200, 200}, "/v1/teams", checkTeams},
	{statuses{401, 401, 401, 200, 200, 200, 200, 200, 200}, "/v1/audit", checkAudit},
	{statuses{401, 401, 401, 403, 200, 200, 200, 200, 200}, "/v1/audit?team=payments", checkAudit},
	{statuses{401, 401, 401, 403, 200, 200, 200, 200, 200}, "/v1/deployments/payments/ledger/revisions", checkRevisions},
	{statuses{401, 401, 401, 200, 200, 200, 200, 200, 200}, "/v1/jobs", checkJobs},
	{statuses{401, 401, 401, 403, 200, 200, 200, 200, 200}, "/v1/jobs?team=payments", checkJobs},
	{statuses{401, 401, 401, 403, 404, 404, 404, 404, 404}, "/v1/jobs/payments/matrix-check-none", nil},
}

func wantText(s string) func(*testing.T, identity, []byte) {
	return func(t *testing.T, _ identity, body []byte) {
		t.Helper()
		if !strings.Contains(string(body), s) {
			t.Errorf("the answer lacks %q: %.200s", s, body)
		}
	}
}

// teamOf is the only team of an identity of the matrix.
func teamOf(id identity) string {
	if id.user == "bob" {
		return "search"
	}
	return "payments"
}

func otherTeam(id identity) string {
	if teamOf(id) == "search" {
		return "payments"
	}
	return "search"
}

func checkMe(t *testing.T, id identity, body []byte) {
	var me api.Me
	if err := json.Unmarshal(body, &me); err != nil {
		t.Fatal(err)
	}
	if me.User != id.user || me.ReadOnly != (id.who == "readonly") || len(me.Teams) != 1 || me.Teams[0].Team != teamOf(id) || me.TokenID == "" {
		t.Errorf("me = %+v", me)
	}
}

// checkTeams: the caller's team only; another team's scope never appears.
func checkTeams(t *testing.T, id identity, body []byte) {
	var out api.TeamsResponse
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Teams) != 1 || out.Teams[0].Name != teamOf(id) || !slices.Equal(out.Teams[0].Databases, []string{teamOf(id)}) {
		t.Errorf("teams = %+v", out.Teams)
	}
	if strings.Contains(string(body), otherTeam(id)) {
		t.Errorf("team %s's scope shows to %s: %s", otherTeam(id), id.label, body)
	}
	if strings.Contains(strings.ToLower(string(body)), "dsn") {
		t.Errorf("a DSN (or its setting) shows in the teams: %s", body)
	}
}

// checkAudit: only records of the caller's team; payments' members see its records.
func checkAudit(t *testing.T, id identity, body []byte) {
	var out api.AuditResponse
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Records) == 0 {
		t.Fatalf("%s sees no record of team %s", id.label, teamOf(id))
	}
	for _, r := range out.Records {
		if r.Team != teamOf(id) {
			t.Errorf("%s sees a record of team %q: %+v", id.label, r.Team, r)
		}
	}
}

func checkRevisions(t *testing.T, _ identity, body []byte) {
	var out api.RevisionsResponse
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	if out.Namespace != "payments" || out.Name != "ledger" || len(out.Revisions) < 2 || out.ResourceVersion == "" {
		t.Errorf("revisions of payments/ledger: %+v", out)
	}
}

// TestAuthorizationMatrixReads: every read × every identity, on the local platform
// (revisions of the seeded payments/ledger, read only). The audit log holds records of
// both teams first: alice's refused restart in payments, and bob's in payments (a record
// of payments, which bob must not see) and in search.
func TestAuthorizationMatrixReads(t *testing.T) {
	e := matrixEnv(t, adminClient(t), "")
	why := matrixWhy()
	for _, c := range []struct{ who, ns, name string }{{"alice", "payments", "ledger"}, {"bob", "payments", "ledger"}, {"bob", "search", "search-api"}} {
		if r := e.do("POST", "/v1/actions", c.who, restartReq(c.ns, c.name, why)); r.status != 403 {
			t.Fatalf("%s's restart of %s/%s: %d %s", c.who, c.ns, c.name, r.status, r.body)
		}
	}
	var answers []response
	for _, row := range readRows {
		for i, id := range identities {
			want := row.want[i]
			t.Run("GET "+row.path+"/"+id.label, func(t *testing.T) {
				n := len(e.records())
				r := e.do("GET", row.path, id.who, nil)
				answers = append(answers, r)
				checkReadAudit(t, e, n, r, id)
				if r.status != want {
					t.Fatalf("%d %.300s, want %d", r.status, r.body, want)
				}
				if want != 200 {
					eb := r.errorBody(t)
					code := map[int]string{401: api.CodeUnauthenticated, 403: api.CodeForbidden, 404: api.CodeNotFound}[want]
					if eb.Code != code || (want == 403 && !strings.Contains(eb.Message, "bob is not a member of team")) {
						t.Errorf("refusal %s: %s", eb.Code, eb.Message)
					}
					if want == 401 && r.header.Get("WWW-Authenticate") == "" {
						t.Error("401 without WWW-Authenticate")
					}
					return
				}
				if row.check != nil {
					row.check(t, id, r.body)
				}
			})
		}
	}
	noDSNs(t, e, answers...)
	e.verify()
}

// checkReadAudit: an answered read wrote no audit record; a refused one (401, 403) wrote
// one "denied" record naming the caller (nobody when authentication failed), the path,
// and whose id is in the answer.
func checkReadAudit(t *testing.T, e *env, before int, r response, id identity) {
	t.Helper()
	recs := e.records()[before:]
	if r.status != 401 && r.status != 403 {
		if len(recs) != 0 {
			t.Errorf("a read answered %d wrote %d audit records", r.status, len(recs))
		}
		return
	}
	if len(recs) != 1 {
		t.Fatalf("a refused read wrote %d audit records, want 1", len(recs))
	}
	rec := recs[0]
	if rec.Type != api.AuditDenied || rec.User != id.user || !strings.HasPrefix(rec.Message, "GET /") || rec.ID != r.errorBody(t).Details["auditId"] {
		t.Errorf("refused read's record %+v", rec)
	}
}

// checkJobs: only runs of the caller's teams (the other team sees no payments run).
func checkJobs(t *testing.T, id identity, body []byte) {
	t.Helper()
	var out api.JobsResponse
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Runs {
		if r.Namespace != teamOf(id) {
			t.Errorf("%s sees a run of %s: %+v", id.label, r.Namespace, r)
		}
	}
}
