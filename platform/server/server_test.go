package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-dev/vigie/platform/api"
)

// Every registered route is described in openapi.yaml, and everything openapi.yaml
// describes is registered.
func TestRoutesMatchOpenAPI(t *testing.T) {
	var doc struct {
		OpenAPI string                          `yaml:"openapi"`
		Paths   map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0") {
		t.Errorf("openapi %q, want 3.0.x", doc.OpenAPI)
	}
	routes := newEnv(t).srv.Routes()
	for _, r := range routes {
		method, path, _ := strings.Cut(r, " ")
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %s is not in openapi.yaml", r)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if r := strings.ToUpper(method) + " " + path; !slices.Contains(routes, r) {
				t.Errorf("openapi.yaml describes %s, which the server does not register", r)
			}
		}
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	e := newEnv(t)
	if r := e.do("GET", "/healthz", "", nil); r.status != 200 || !strings.Contains(string(r.body), `"ok"`) {
		t.Errorf("healthz: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/readyz", "", nil); r.status != 200 {
		t.Errorf("readyz: %d %s", r.status, r.body)
	}
	e.do("POST", "/v1/actions", "lena", restartReq("payments", "checkout", reason))
	e.do("POST", "/v1/actions", "alice", restartReq("payments", "checkout", reason))
	r := e.do("GET", "/metrics", "", nil)
	for _, want := range []string{
		`vigie_platform_http_requests_total{route="/healthz",method="GET",code="200"} 1`,
		`vigie_platform_http_requests_total{route="/v1/actions",method="POST",code="403"} 1`,
		`vigie_platform_http_request_duration_seconds_bucket{route="/v1/actions",method="POST",le="+Inf"} 2`,
		`vigie_platform_actions_total{kind="restart",outcome="succeeded"} 1`,
		`vigie_platform_actions_total{kind="restart",outcome="denied"} 1`,
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("metrics lack %s:\n%s", want, r.body)
		}
	}
	if r := e.do("GET", "/v1/openapi.yaml", "", nil); r.status != 200 || !strings.HasPrefix(string(r.body), "openapi: 3.0") {
		t.Errorf("openapi: %d", r.status)
	}
	if r := e.do("GET", "/v1/nothing", "", nil); r.status != 404 || r.errorBody(t).Code != "not_found" {
		t.Errorf("unknown path: %d %s", r.status, r.body)
	}
	_ = e.store.Close()
	if r := e.do("GET", "/readyz", "", nil); r.status != 503 || !strings.Contains(string(r.body), "unavailable") {
		t.Errorf("readyz with a closed store: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/v1/me", "alice", nil); r.status != 503 {
		t.Errorf("me with a closed store: %d %s", r.status, r.body)
	}
}

func TestMeAndTeams(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/v1/me", "alice", nil)
	var me api.Me
	if err := json.Unmarshal(r.body, &me); err != nil || r.status != 200 {
		t.Fatalf("me: %d %s", r.status, r.body)
	}
	if me.User != "alice" || len(me.Teams) != 1 || me.Teams[0] != (api.Membership{Team: "payments", Role: "member"}) || me.ReadOnly || me.ExpiresAt == nil || me.TokenID == "" {
		t.Errorf("me = %+v", me)
	}
	r = e.do("GET", "/v1/me", "readonly", nil)
	var ro api.Me
	if err := json.Unmarshal(r.body, &ro); err != nil || !ro.ReadOnly || ro.ExpiresAt != nil {
		t.Errorf("read-only me = %s", r.body)
	}

	r = e.do("GET", "/v1/teams", "alice", nil)
	var teams api.TeamsResponse
	if err := json.Unmarshal(r.body, &teams); err != nil || r.status != 200 {
		t.Fatalf("teams: %d %s", r.status, r.body)
	}
	want := api.Team{Name: "payments", Role: "member", Selector: "team=payments", Services: []string{"checkout"},
		Namespaces:    []api.Namespace{{Name: "payments", Environment: "production"}, {Name: "payments-staging", Environment: "staging"}},
		AlertMatchers: map[string]string{"team": "payments"}}
	if len(teams.Teams) != 1 || !equalJSON(teams.Teams[0], want) {
		t.Errorf("teams = %+v", teams)
	}
	for _, who := range []string{"", "bad", "expired", "revoked"} {
		r := e.do("GET", "/v1/teams", who, nil)
		if r.status != 401 || r.errorBody(t).Code != api.CodeUnauthenticated || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("teams as %q: %d %s", who, r.status, r.body)
		}
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestRequestIDs(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest("GET", e.ts.URL+"/v1/me", nil)
	req.Header.Set("X-Request-ID", "trace-42.a_b")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-ID"); got != "trace-42.a_b" {
		t.Errorf("request id %q", got)
	}
	req.Header.Set("X-Request-ID", "spaces and <html>")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-ID"); !strings.HasPrefix(got, "req_") {
		t.Errorf("a bad request id was kept: %q", got)
	}
	if !strings.Contains(e.logs.String(), `"request_id":"trace-42.a_b"`) {
		t.Errorf("logs lack the request id:\n%s", e.logs)
	}
}

// Logs are JSON lines with request ids, and never hold a token.
func TestLogsHoldNoSecrets(t *testing.T) {
	e := newEnv(t)
	for who := range e.tokens {
		e.do("GET", "/v1/me", who, nil)
		e.do("POST", "/v1/actions", who, restartReq("payments-staging", "checkout", ""))
	}
	logs := e.logs.String()
	for who, tok := range e.tokens {
		if strings.Contains(logs, tok) || strings.Contains(logs, tok[len(tok)-20:]) {
			t.Errorf("the logs contain %s's token", who)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		if m["msg"] == "request" && m["request_id"] == nil {
			t.Errorf("request line without request_id: %s", line)
		}
	}
	for _, r := range e.records() {
		b, _ := json.Marshal(r)
		for _, tok := range e.tokens {
			if strings.Contains(string(b), tok[4:]) {
				t.Errorf("audit record %d holds a token", r.Seq)
			}
		}
	}
}

// Shutdown waits for a running action, which completes and is answered.
func TestGracefulShutdown(t *testing.T) {
	e := newEnv(t)
	started := make(chan struct{})
	e.kube.PrependReactor("get", "deployments", slowGet(started, 300*time.Millisecond))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, l, nil) }()
	e.ts.URL = "http://" + l.Addr().String()
	answered := make(chan response, 1)
	go func() { answered <- e.do("POST", "/v1/actions", "lena", restartReq("payments", "checkout", reason)) }()
	<-started
	cancel()
	r := <-answered
	if r.status != 200 {
		t.Fatalf("the running action got %d %s", r.status, r.body)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := net.DialTimeout("tcp", l.Addr().String(), time.Second); err == nil {
		t.Error("still listening after shutdown")
	}
}

func TestOptionsValidate(t *testing.T) {
	e := newEnv(t)
	for _, o := range []Options{
		{Store: e.store, Kube: e.kube},
		{Config: e.srv.cfg, Kube: e.kube},
		{Config: e.srv.cfg, Store: e.store},
		{Config: e.srv.cfg, Store: e.store, Kube: e.kube, ActionTimeout: -1},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}
