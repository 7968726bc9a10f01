package platform

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/platform/api"
)

// stub answers like the platform: it checks the token and records what it was asked.
type stub struct {
	t      *testing.T
	status int
	body   string
	got    *http.Request
	gotB   []byte
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.got = r
	s.gotB, _ = io.ReadAll(r.Body)
	w.Header().Set("X-Request-ID", "req_1")
	if r.Header.Get("Authorization") != "Bearer vgt_tok" {
		w.WriteHeader(401)
		io.WriteString(w, `{"error":{"code":"unauthenticated","message":"the token is not valid"}}`)
		return
	}
	w.WriteHeader(s.status)
	io.WriteString(w, s.body)
}

func client(t *testing.T, s *stub) *Client {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	c, err := New(Options{URL: ts.URL, Token: "vgt_tok", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMeTeamsAudit(t *testing.T) {
	s := &stub{t: t, status: 200, body: `{"user":"alice","teams":[{"team":"payments","role":"member"}],"readOnly":false,"tokenId":"tok_1"}`}
	c := client(t, s)
	me, err := c.Me(context.Background())
	if err != nil || me.User != "alice" || me.Teams[0].Role != api.RoleMember || s.got.URL.Path != "/v1/me" {
		t.Fatalf("Me = %+v, %v", me, err)
	}
	s.body = `{"teams":[{"name":"payments","role":"member","namespaces":[{"name":"payments","environment":"production"}]}]}`
	teams, err := c.Teams(context.Background())
	if err != nil || len(teams) != 1 || teams[0].Namespaces[0].Environment != "production" {
		t.Fatalf("Teams = %+v, %v", teams, err)
	}
	s.body = `{"records":[{"seq":7,"id":"aud_1","time":"2026-03-01T12:00:00Z","type":"denied","prevHash":"x"}],"next":7}`
	page, err := c.Audit(context.Background(), AuditQuery{Team: "payments", Before: 9, Limit: 1})
	if err != nil || page.Records[0].Seq != 7 || page.Next != 7 {
		t.Fatalf("Audit = %+v, %v", page, err)
	}
	if q := s.got.URL.Query(); q.Get("team") != "payments" || q.Get("before") != "9" || q.Get("limit") != "1" {
		t.Errorf("query %v", q)
	}
}

func TestActAndDryRun(t *testing.T) {
	s := &stub{t: t, status: 200, body: `{"id":"act_1","status":"succeeded","message":"scaled","auditId":"aud_2"}`}
	c := client(t, s)
	n := int32(4)
	req := api.ActionRequest{Kind: api.ActionScale, Target: api.Target{Namespace: "payments", Name: "checkout"},
		Params: api.Params{Replicas: &n}, Reason: "INC-1: more capacity", IdempotencyKey: "k1"}
	out, err := c.Act(context.Background(), req)
	if err != nil || out.Status != api.StatusSucceeded || out.AuditID != "aud_2" {
		t.Fatalf("Act = %+v, %v", out, err)
	}
	var sent api.ActionRequest
	if err := json.Unmarshal(s.gotB, &sent); err != nil || *sent.Params.Replicas != 4 || sent.IdempotencyKey != "k1" ||
		s.got.Method != "POST" || s.got.Header.Get("Content-Type") != "application/json" || s.got.URL.RawQuery != "" {
		t.Errorf("sent %s %s %s", s.got.Method, s.got.URL, s.gotB)
	}
	if _, err := c.DryRun(context.Background(), req); err != nil || s.got.URL.Query().Get("dryRun") != "true" {
		t.Errorf("DryRun: %v, query %q", err, s.got.URL.RawQuery)
	}
	s.status, s.body = 202, `{"id":"act_3","status":"pending_approval","message":"needs an approval","auditId":"aud_3"}`
	if out, err := c.Act(context.Background(), req); err != nil || out.Status != api.StatusPendingApproval {
		t.Errorf("pending approval: %+v, %v", out, err)
	}
}

func TestErrorsAreWordedForAHuman(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		code   string
		want   string
	}{
		{403, `{"error":{"code":"forbidden","message":"bob is not a member of team payments, which owns namespace payments","details":{"auditId":"aud_9"}}}`,
			api.CodeForbidden, "not allowed: bob is not a member of team payments"},
		{409, `{"error":{"code":"conflict","message":"deployment payments/checkout changed since you saw it"}}`, api.CodeConflict,
			"deployment payments/checkout changed since you saw it"},
		{403, `{"error":{"code":"read_only","message":"this token is read-only"}}`, api.CodeReadOnly, "read-only session: this token is read-only"},
		{504, `{"error":{"code":"timeout","message":"deployment a/b: the cluster did not answer in time"}}`, api.CodeTimeout, "check the target's state before retrying"},
		{409, `{"error":{"code":"interrupted","message":"the server stopped while this action ran; check the target before retrying with a new key"}}`, api.CodeInterrupted, "outcome unknown: the server stopped"},
		{502, "<html>Bad \x1b[31mGateway</html>", "http_502", "the platform answered 502 Bad Gateway: <html>Bad  [31mGateway</html>"},
	} {
		s := &stub{t: t, status: c.status, body: c.body}
		_, err := client(t, s).Act(context.Background(), api.ActionRequest{Kind: "restart"})
		var pe *Error
		if !errors.As(err, &pe) || pe.Code != c.code || pe.Status != c.status || !strings.Contains(err.Error(), c.want) || pe.RequestID != "req_1" {
			t.Errorf("got %v (%+v), want %q", err, pe, c.want)
		}
	}
	s := &stub{t: t, status: 403, body: `{"error":{"code":"forbidden","message":"no","details":{"auditId":"aud_9"}}}`}
	_, err := client(t, s).Me(context.Background())
	if pe := (*Error)(nil); !errors.As(err, &pe) || pe.AuditID() != "aud_9" {
		t.Errorf("AuditID: %v", err)
	}
	// A wrong token.
	ts := httptest.NewServer(s)
	defer ts.Close()
	c, _ := New(Options{URL: ts.URL, Token: "vgt_wrong"})
	if _, err := c.Me(context.Background()); err == nil || !strings.Contains(err.Error(), "did not accept your token") {
		t.Errorf("wrong token: %v", err)
	}
}

func TestTransportErrorsHideTheURLAndToken(t *testing.T) {
	c, err := New(Options{URL: "http://127.0.0.1:1", Token: "vgt_secret", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Me(context.Background())
	if err == nil || !strings.Contains(err.Error(), "platform GET /v1/me") || strings.Contains(err.Error(), "vgt_secret") {
		t.Errorf("got %v", err)
	}
}

func TestNoRedirects(t *testing.T) {
	s := &stub{t: t, status: 302, body: ``}
	_, err := client(t, s).Me(context.Background())
	var pe *Error
	if !errors.As(err, &pe) || pe.Status != 302 {
		t.Errorf("a redirect was followed or not reported: %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{
		{Token: "vgt_x"},
		{URL: "ftp://h", Token: "vgt_x"},
		{URL: "http://platform.example.com", Token: "vgt_x"},
		{URL: "https://u:p@h", Token: "vgt_x"},
		{URL: "https://h"},
		{URL: "https://h", Token: "vgt_x", Timeout: -1},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	for _, u := range []string{"https://platform.example.com:8443/", "http://127.0.0.1:8443", "http://localhost:1", "http://[::1]:2"} {
		if _, err := New(Options{URL: u, Token: "vgt_x"}); err != nil {
			t.Errorf("New(%s): %v", u, err)
		}
	}
}

func TestRevisions(t *testing.T) {
	s := &stub{t: t, status: 200, body: `{"namespace":"payments","name":"ledger","resourceVersion":"41","current":2,"replicas":2,
		"revisions":[{"revision":2,"replicaSet":"ledger-5b8","created":"2026-03-01T12:00:00Z","images":["ledger:2.8.0"],"current":true,"replicas":2},
		{"revision":1,"replicaSet":"ledger-785","created":"2026-03-01T11:00:00Z","images":["ledger:2.7.0"],"current":false,"replicas":0,
		 "changes":[{"field":"spec.template.metadata.annotations[sim.vigie.dev/error-ratio]","from":"0.4","to":""}]}]}`}
	c := client(t, s)
	out, err := c.Revisions(context.Background(), "payments", "ledger")
	if err != nil || out.Current != 2 || out.ResourceVersion != "41" || len(out.Revisions) != 2 || out.Revisions[1].Changes[0].From != "0.4" {
		t.Fatalf("Revisions = %+v, %v", out, err)
	}
	if s.got.Method != "GET" || s.got.URL.Path != "/v1/deployments/payments/ledger/revisions" {
		t.Errorf("asked %s %s", s.got.Method, s.got.URL)
	}
	// A name cannot change the route: it stays one escaped segment.
	if _, err := c.Revisions(context.Background(), "payments", "../../me"); err != nil {
		t.Fatal(err)
	}
	if s.got.URL.EscapedPath() != "/v1/deployments/payments/..%2F..%2Fme/revisions" {
		t.Errorf("escaped path %s", s.got.URL.EscapedPath())
	}
	if _, err := c.Revisions(context.Background(), "", "ledger"); err == nil {
		t.Error("no namespace accepted")
	}
	s.status, s.body = 403, `{"error":{"code":"forbidden","message":"bob is not a member of team payments, which owns namespace payments"}}`
	if _, err := c.Revisions(context.Background(), "payments", "ledger"); err == nil || !strings.Contains(err.Error(), "not allowed: bob is not a member") {
		t.Errorf("refusal: %v", err)
	}
}

func TestActRollbackAndDeletePod(t *testing.T) {
	s := &stub{t: t, status: 200, body: `{"id":"act_1","status":"succeeded","message":"would roll back deployment payments/ledger from revision 2 to revision 1; warning: replicas are not reverted (2 now)","auditId":"aud_2","dryRun":true,
		"changes":[{"field":"spec.template.spec.containers[app].image","from":"ledger:2.8.0","to":"ledger:2.7.0"}],"warnings":["replicas are not reverted (2 now)"]}`}
	c := client(t, s)
	req := api.ActionRequest{Kind: api.ActionRollback, Target: api.Target{Namespace: "payments", Name: "ledger"},
		Params: api.Params{ToRevision: 1}, Reason: "INC-7: bad release of ledger", Expect: &api.Expect{ResourceVersion: "41", Revision: 2}}
	out, err := c.DryRun(context.Background(), req)
	if err != nil || !out.DryRun || out.Warnings[0] != "replicas are not reverted (2 now)" || out.Changes[0].To != "ledger:2.7.0" {
		t.Fatalf("DryRun = %+v, %v", out, err)
	}
	want := `{"kind":"rollback","target":{"namespace":"payments","name":"ledger"},"params":{"toRevision":1},"reason":"INC-7: bad release of ledger","expect":{"resourceVersion":"41","revision":2}}`
	if string(s.gotB) != want {
		t.Errorf("sent %s\nwant %s", s.gotB, want)
	}
	s.body = `{"id":"act_2","status":"succeeded","message":"deleted pod payments/ledger-a; replicaset ledger-5b8 (deployment ledger) creates a replacement","auditId":"aud_3"}`
	if _, err := c.Act(context.Background(), api.ActionRequest{Kind: api.ActionDeletePod, Target: api.Target{Namespace: "payments", Name: "ledger-a"}, Reason: "INC-7: stuck pod"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(s.gotB), `{"kind":"delete-pod","target":{"namespace":"payments","name":"ledger-a"},"params":{}`) {
		t.Errorf("sent %s", s.gotB)
	}
	s.status, s.body = 409, `{"error":{"code":"conflict","message":"deployment payments/ledger changed since you saw it (revision 2, now 3): look at its revisions again and retry"}}`
	if _, err := c.Act(context.Background(), req); err == nil || err.Error() != "deployment payments/ledger changed since you saw it (revision 2, now 3): look at its revisions again and retry" {
		t.Errorf("conflict: %v", err)
	}
}
