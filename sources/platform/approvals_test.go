package platform

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/vigie-dev/vigie/platform/api"
)

func TestApprovals(t *testing.T) {
	s := &stub{t: t, status: 200, body: `{"approvals":[{"id":"act_1","status":"pending","request":{"kind":"scale","target":{"namespace":"payments","name":"checkout"},"params":{"replicas":4},"reason":"INC-1: more capacity"},
		"requester":"olivia","role":"oncall","team":"payments","environment":"production","createdAt":"2026-03-01T12:00:00Z","expiresAt":"2026-03-01T13:00:00Z","mayDecide":true}]}`}
	c := client(t, s)
	out, err := c.Approvals(context.Background(), ApprovalQuery{Team: "payments", Status: "all", Limit: 5})
	if err != nil || len(out.Approvals) != 1 {
		t.Fatalf("Approvals = %+v, %v", out, err)
	}
	a := out.Approvals[0]
	if a.ID != "act_1" || a.Status != api.ApprovalPending || !a.MayDecide || a.Requester != "olivia" || *a.Request.Params.Replicas != 4 || a.ExpiresAt.Hour() != 13 {
		t.Errorf("approval %+v", a)
	}
	if q := s.got.URL.Query(); s.got.URL.Path != "/v1/approvals" || q.Get("team") != "payments" || q.Get("status") != "all" || q.Get("limit") != "5" {
		t.Errorf("asked %s", s.got.URL)
	}
	if _, err := c.Approvals(context.Background(), ApprovalQuery{}); err != nil || s.got.URL.RawQuery != "" {
		t.Errorf("no query: %v %q", err, s.got.URL.RawQuery)
	}
}

func TestDecide(t *testing.T) {
	s := &stub{t: t, status: 200, body: `{"id":"act_1","status":"executed","request":{"kind":"scale","target":{"namespace":"payments","name":"checkout"},"params":{}},
		"requester":"olivia","team":"payments","environment":"production","createdAt":"2026-03-01T12:00:00Z","expiresAt":"2026-03-01T13:00:00Z",
		"decidedBy":"lena","decidedAt":"2026-03-01T12:05:00Z","outcome":{"id":"act_1","status":"succeeded","message":"scaled","auditId":"aud_7"},"mayDecide":false}`}
	c := client(t, s)
	a, err := c.Decide(context.Background(), "act_1", api.DecisionApprove, "capacity for the sale")
	if err != nil || a.Status != api.ApprovalExecuted || a.DecidedBy != "lena" || a.Outcome == nil || a.Outcome.AuditID != "aud_7" || a.Outcome.Status != api.StatusSucceeded {
		t.Fatalf("Decide = %+v, %v", a, err)
	}
	var sent api.DecisionRequest
	if err := json.Unmarshal(s.gotB, &sent); err != nil || s.got.Method != "POST" || s.got.URL.Path != "/v1/approvals/act_1" ||
		sent != (api.DecisionRequest{Decision: api.DecisionApprove, Reason: "capacity for the sale"}) {
		t.Errorf("sent %s %s %s", s.got.Method, s.got.URL, s.gotB)
	}
	if string(s.gotB) != `{"decision":"approve","reason":"capacity for the sale"}` {
		t.Errorf("body %s", s.gotB)
	}
	if _, err := c.Decide(context.Background(), "", api.DecisionReject, ""); err == nil {
		t.Error("no id accepted")
	}
	// An id stays one path segment.
	if _, err := c.Decide(context.Background(), "../actions", api.DecisionReject, ""); err != nil {
		t.Fatal(err)
	}
	if s.got.URL.EscapedPath() != "/v1/approvals/..%2Factions" {
		t.Errorf("escaped path %s", s.got.URL.EscapedPath())
	}
	for _, c2 := range []struct {
		status int
		body   string
		code   string
		want   string
	}{
		{410, `{"error":{"code":"expired","message":"olivia's request act_1 expired at 2026-03-01T13:00:00Z, so nothing was done: olivia can ask again"}}`,
			api.CodeExpired, "olivia's request act_1 expired at 2026-03-01T13:00:00Z, so nothing was done: olivia can ask again"},
		{409, `{"error":{"code":"conflict","message":"deployment payments/checkout changed since it was requested (resourceVersion 10, now 11): nothing was done; look at it again and ask again","details":{"auditId":"aud_9"}}}`,
			api.CodeConflict, "deployment payments/checkout changed since it was requested (resourceVersion 10, now 11): nothing was done; look at it again and ask again"},
		{403, `{"error":{"code":"forbidden","message":"olivia asked for this scale: another member of payments must approve or reject it"}}`,
			api.CodeForbidden, "not allowed: olivia asked for this scale: another member of payments must approve or reject it"},
	} {
		s.status, s.body = c2.status, c2.body
		_, err := c.Decide(context.Background(), "act_1", api.DecisionApprove, "")
		var pe *Error
		if !errors.As(err, &pe) || pe.Code != c2.code || pe.Status != c2.status || err.Error() != c2.want {
			t.Errorf("got %v (%+v), want %q", err, pe, c2.want)
		}
	}
}
