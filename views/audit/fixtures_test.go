package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"strconv"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/screentest"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
)

var update = flag.Bool("update", false, "rewrite the golden screens in testdata/")

// testNow is the fixed clock of the tests.
var testNow = time.Date(2026, 11, 26, 14, 30, 0, 0, time.UTC)

func at(hms string) time.Time {
	t, err := time.ParseInLocation(time.DateTime, "2026-11-26 "+hms, time.UTC)
	if err != nil {
		panic(err)
	}
	return t
}

// The injected text: an OSC title change, a clear screen and a C1 CSI byte.
const evil = "pwn\x1b]0;pwned\x07ed\x1b[2J now\u009b31m"

func replicas(n int32) *api.Params { return &api.Params{Replicas: &n} }

func target(ns, name string) *api.Target { return &api.Target{Namespace: ns, Name: name} }

// chain numbers records (given oldest first) from seq 1 and links their hashes; it
// returns them newest first, as the server does.
func chain(recs []api.AuditRecord, firstSeq int64) []api.AuditRecord {
	prev := ""
	out := make([]api.AuditRecord, len(recs))
	for i, r := range recs {
		r.Seq = firstSeq + int64(i)
		if r.ID == "" {
			sum := sha256.Sum256([]byte("id" + strconv.FormatInt(r.Seq, 10)))
			r.ID = "aud_" + hex.EncodeToString(sum[:8])
		}
		r.PrevHash = prev
		sum := sha256.Sum256([]byte(prev + r.ID))
		r.Hash = hex.EncodeToString(sum[:])
		prev = r.Hash
		out[len(recs)-1-i] = r
	}
	return out
}

// fixture is the audit log of the payments and search teams at testNow, newest first.
func fixture() []api.AuditRecord {
	scale := func(t time.Time, typ string, dry bool) api.AuditRecord {
		r := api.AuditRecord{Time: t, Type: typ, RequestID: "req_7c1e0b9a", ActionID: "act_5d2f41aa",
			User: "alice", TokenID: "tok_alice01", Team: "payments", Role: api.RoleOncall, Kind: api.ActionScale,
			Target: target("payments", "checkout"), Params: replicas(5), DryRun: dry,
			Reason: "Black Friday traffic: scale ahead of the 15:00 campaign"}
		if dry {
			r.RequestID, r.ActionID = "req_1b77c2d0", "act_90ce3b12"
		}
		if typ == api.AuditOutcome {
			r.Status = api.StatusSucceeded
			r.Message = "deploy/checkout scaled from 3 to 5 replicas"
			if dry {
				r.Message = "dry run: deploy/checkout would scale from 3 to 5 replicas"
			}
			r.Changes = []api.Change{{Field: "spec.replicas", From: "3", To: "5"}}
		}
		return r
	}
	restart := func(t time.Time, typ string) api.AuditRecord {
		r := api.AuditRecord{Time: t, Type: typ, RequestID: "req_c4d1", ActionID: "act_77aa", User: "bob",
			TokenID: "tok_bob02", Team: "payments", Role: api.RoleOncall, Kind: api.ActionRestart,
			Target: target("payments", "fraud-worker"),
			Reason: "crash loop since 13:20 (OOMKilled), restart while we investigate"}
		if typ == api.AuditOutcome {
			r.Status, r.Code = api.StatusFailed, api.CodeTimeout
			r.Message = "the rollout did not finish within 60s: 1 of 3 new pods ready\nlast event: Back-off restarting failed container"
		}
		return r
	}
	query := func(t time.Time, typ string) api.AuditRecord {
		r := api.AuditRecord{Time: t, Type: typ, RequestID: "req_e001", ActionID: "act_e001", User: "erin",
			TokenID: "tok_erin", Team: "search", Role: api.RoleLead, Kind: api.ActionRestart,
			Target: target("search", "query-api"), Reason: "pick up the rotated TLS certificate"}
		if typ == api.AuditOutcome {
			r.Status, r.Message = api.StatusSucceeded, "deploy/query-api restarted"
			r.Changes = []api.Change{{Field: "spec.template.metadata.annotations[kubectl.kubernetes.io/restartedAt]", From: "", To: "2026-11-25T18:44:02Z"}}
		}
		return r
	}
	recs := []api.AuditRecord{
		query(testNow.Add(-19*time.Hour-46*time.Minute), api.AuditRequested),
		query(testNow.Add(-19*time.Hour-45*time.Minute), api.AuditOutcome),
		{Time: at("09:17:00"), Type: api.AuditDenied, RequestID: "req_0bad", ActionID: "act_0bad", Kind: api.ActionRestart,
			Target: target("payments", "checkout"), Team: "payments", Status: api.StatusDenied,
			Code: api.CodeUnauthenticated, Message: "unknown or revoked token"},
		{Time: at("12:03:55"), Type: api.AuditRequested, RequestID: "req_5ea7", ActionID: "act_5ea7", User: "carol",
			TokenID: "tok_carol", Team: "search", Role: api.RoleMember, Kind: api.ActionScale,
			Target: target("search", "indexer"), Params: replicas(12), Status: api.StatusPendingApproval,
			Reason: "reindex after the catalogue import", Message: "production scale above 10 replicas needs a lead's approval"},
		restart(at("13:40:12"), api.AuditRequested),
		restart(at("13:41:12"), api.AuditOutcome),
		{Time: at("13:55:30"), Type: api.AuditInvalid, RequestID: "req_f1f1", ActionID: "act_f1f1", User: "bob",
			TokenID: "tok_bob02", Team: "payments", Kind: api.ActionScale, Target: target("payments", "fraud-worker"),
			Params: replicas(0), Reason: "fix", Status: api.StatusDenied, Code: api.CodeReasonRequired,
			Message: "a production write needs a reason of at least 10 characters"},
		{Time: at("14:12:09"), Type: api.AuditDenied, RequestID: "req_d4d4", ActionID: "act_d4d4", User: "dave",
			TokenID: "tok_dave", Team: "payments", Role: api.RoleMember, Kind: api.ActionRestart,
			Target: target("payments", "ledger"), Reason: "restart to pick up the new config",
			Status: api.StatusDenied, Code: api.CodeForbidden, Message: "policy: member may not restart in production"},
		scale(at("14:28:01"), api.AuditRequested, true),
		scale(at("14:28:02"), api.AuditOutcome, true),
		scale(at("14:28:40"), api.AuditRequested, false),
		scale(at("14:28:41"), api.AuditOutcome, false),
	}
	return chain(recs, 46)
}

// generated is n records of one team, oldest first from seq 1, a minute apart.
func generated(n int) []api.AuditRecord {
	recs := make([]api.AuditRecord, n)
	for i := range recs {
		recs[i] = api.AuditRecord{Time: testNow.Add(-time.Duration(n-i) * time.Minute), Type: api.AuditOutcome,
			User: "alice", Team: "payments", Kind: api.ActionScale, Target: target("payments", "checkout"),
			Params: replicas(int32(i%7 + 1)), Status: api.StatusSucceeded, Reason: "load test step " + strconv.Itoa(i+1)}
	}
	return chain(recs, 1)
}

// server is a fake platform API: the audit log newest first, in pages of pageSize.
type server struct {
	records  []api.AuditRecord // newest first
	pageSize int
	err      error
	calls    []string // "team before" of each call
}

func (s *server) audit(_ context.Context, team string, before int64) (api.AuditResponse, error) {
	s.calls = append(s.calls, team+" "+strconv.FormatInt(before, 10))
	if s.err != nil {
		return api.AuditResponse{}, s.err
	}
	out := api.AuditResponse{Records: []api.AuditRecord{}}
	for _, r := range s.records {
		if before > 0 && r.Seq >= before {
			continue
		}
		out.Records = append(out.Records, r)
		if len(out.Records) == s.pageSize {
			out.Next = r.Seq
			break
		}
	}
	return out, nil
}

// prepend adds newer records (newest first) at the head of the log.
func (s *server) prepend(recs []api.AuditRecord) { s.records = append(recs, s.records...) }

// harness is a view over a fake server with a clock the test moves.
type harness struct {
	screentest.Driver // plays the root: Press, Run, Type

	v   *View
	srv *server
	now time.Time
}

func newHarness(t *testing.T, palette themes.Palette, records []api.AuditRecord) *harness {
	t.Helper()
	st := themes.NewStyles(palette)
	keys := keymaps.Default()
	h := &harness{srv: &server{records: records, pageSize: 50}, now: testNow}
	env := views.Env{
		Styles: &st, Keys: &keys, Now: func() time.Time { return h.now }, Loc: time.UTC,
		Audit: h.srv.audit,
	}
	h.v = New(env, views.Route{Screen: views.ScreenAudit})
	h.Driver = screentest.Driver{Update: h.send, Own: ownMsg}
	return h
}

// enter runs the screen's Enter and every load it starts.
func (h *harness) enter() { h.Run(h.v.Enter()) }

// tick moves the clock by n seconds, one tick each, running the loads they start.
func (h *harness) tick(n int) {
	for range n {
		h.now = h.now.Add(time.Second)
		_, cmd := h.v.Update(views.Tick{At: h.now})
		h.Run(cmd)
	}
}

// ownMsg reports the view's own results, which the root feeds back to it.
func ownMsg(msg tea.Msg) bool {
	_, ok := msg.(pageMsg)
	return ok
}

// send hands msg to the view and returns its command.
func (h *harness) send(msg tea.Msg) tea.Cmd {
	_, cmd := h.v.Update(msg)
	return cmd
}

func screen(v *View, w, h int) string { return ansi.Strip(v.Render(w, h)) }
