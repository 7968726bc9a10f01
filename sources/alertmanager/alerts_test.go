package alertmanager

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// alertsJSON is a /api/v2/alerts answer recorded from the local platform's Alertmanager
// 0.25 (generator URLs shortened), plus a silenced alert.
const alertsJSON = `[
{"annotations":{"description":"Container of fraud-worker-796b7978bb-l489r (fraud-worker) in payments is waiting in CrashLoopBackOff.","runbook_url":"https://runbooks.local/payments/pod-crash-looping.md","summary":"fraud-worker-796b7978bb-l489r is crash-looping"},"endsAt":"2026-11-26T02:41:45.210Z","fingerprint":"1a4dbc7b31e8676e","receivers":[{"name":"payments-pager"}],"startsAt":"2026-11-26T02:39:49.210Z","status":{"inhibitedBy":[],"silencedBy":[],"state":"active"},"updatedAt":"2026-11-26T02:41:37.216Z","generatorURL":"http://127.0.0.1:36957/graph?g0.expr=x","labels":{"alertname":"PodCrashLooping","namespace":"payments","pod":"fraud-worker-796b7978bb-l489r","reason":"CrashLoopBackOff","service":"fraud-worker","severity":"warning","team":"payments"}},
{"annotations":{"description":"p99 latency of ledger in payments is 2.462s (threshold 500ms).","runbook_url":"https://runbooks.local/payments/high-latency.md","summary":"ledger is slow"},"endsAt":"2026-11-26T02:41:45.210Z","fingerprint":"68846f660a9cf931","receivers":[{"name":"payments-pager"}],"startsAt":"2026-11-26T02:39:51.210Z","status":{"inhibitedBy":["e83ea33b949dba0f"],"silencedBy":[],"state":"suppressed"},"updatedAt":"2026-11-26T02:41:37.215Z","generatorURL":"http://127.0.0.1:36957/graph?g0.expr=y","labels":{"alertname":"HighLatencyP99","namespace":"payments","service":"ledger","severity":"warning","team":"payments"}},
{"annotations":{"description":"ledger in payments answers 33.61% of its requests with a 5xx (threshold 5%).","runbook_url":"https://runbooks.local/payments/high-error-ratio.md","summary":"ledger is failing requests"},"endsAt":"2026-11-26T02:41:45.210Z","fingerprint":"e83ea33b949dba0f","receivers":[{"name":"payments-pager"}],"startsAt":"2026-11-26T02:39:51.210Z","status":{"inhibitedBy":[],"silencedBy":[],"state":"active"},"updatedAt":"2026-11-26T02:41:37.213Z","generatorURL":"http://127.0.0.1:36957/graph?g0.expr=z","labels":{"alertname":"HighErrorRatio","namespace":"payments","service":"ledger","severity":"page","team":"payments"}},
{"annotations":{"summary":"checkout is slow"},"endsAt":"2026-11-26T02:41:45.210Z","fingerprint":"0000000000000001","receivers":[{"name":"payments-pager"}],"startsAt":"2026-11-26T02:30:00.000Z","status":{"inhibitedBy":[],"silencedBy":["4f1b6b7e-3c52-4a47-9d0e-6f3e2a1c9b10"],"state":"suppressed"},"updatedAt":"2026-11-26T02:41:37.213Z","labels":{"alertname":"HighLatencyP99","namespace":"payments","service":"checkout","severity":"warning","team":"payments"}}
]`

const silencesJSON = `[
{"id":"4f1b6b7e-3c52-4a47-9d0e-6f3e2a1c9b10","status":{"state":"active"},"updatedAt":"2026-11-26T02:30:00.000Z","comment":"known slow, fix in 1.4.3","createdBy":"alice","endsAt":"2026-11-26T06:30:00.000Z","matchers":[{"isEqual":true,"isRegex":false,"name":"team","value":"payments"},{"isRegex":true,"name":"service","value":"check.*"},{"isEqual":false,"isRegex":false,"name":"env","value":"dev"}],"startsAt":"2026-11-26T02:30:00.000Z"},
{"id":"11111111-2222-3333-4444-555555555555","status":{"state":"expired"},"updatedAt":"2026-11-25T02:30:00.000Z","comment":"old","createdBy":"bob","endsAt":"2026-11-25T03:30:00.000Z","matchers":[{"isRegex":false,"name":"team","value":"payments"}],"startsAt":"2026-11-25T02:30:00.000Z"}
]`

type fakeAM struct {
	mu       sync.Mutex
	requests []*url.URL
	handler  http.HandlerFunc
}

func newFakeAM(t *testing.T) (*fakeAM, *Client) {
	t.Helper()
	f := &fakeAM{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.URL)
		h := f.handler
		f.mu.Unlock()
		if h == nil {
			h = serveRecorded
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Options{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func (f *fakeAM) set(h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handler = h
}

func (f *fakeAM) lastRequest(path string) *url.URL {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.requests) - 1; i >= 0; i-- {
		if f.requests[i].Path == path {
			return f.requests[i]
		}
	}
	return nil
}

func serveRecorded(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/api/v2/alerts":
		_, _ = w.Write([]byte(alertsJSON))
	case r.URL.Path == "/api/v2/silences":
		_, _ = w.Write([]byte(silencesJSON))
	case strings.HasPrefix(r.URL.Path, "/api/v2/silence/"):
		i := strings.Index(silencesJSON, `{"id":"`+strings.TrimPrefix(r.URL.Path, "/api/v2/silence/"))
		if i < 0 {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		end := strings.Index(silencesJSON[i:], "\n")
		_, _ = w.Write([]byte(strings.TrimSuffix(silencesJSON[i:i+end], ",")))
	default:
		http.NotFound(w, r)
	}
}

func TestAlertsDecodesStatesAndSorts(t *testing.T) {
	f, c := newFakeAM(t)
	alerts, err := c.Alerts(context.Background(), TeamFilter{Matchers: map[string]string{"team": "payments"}})
	if err != nil {
		t.Fatal(err)
	}
	req := f.lastRequest("/api/v2/alerts").Query()
	if got := req["filter"]; len(got) != 1 || got[0] != `team="payments"` {
		t.Errorf("filter = %q", got)
	}
	for _, p := range []string{"active", "silenced", "inhibited", "unprocessed"} {
		if req.Get(p) != "true" {
			t.Errorf("%s = %q, want true", p, req.Get(p))
		}
	}
	var names []string
	for _, a := range alerts {
		names = append(names, a.Name+"/"+a.Labels["service"]+"/"+string(a.State))
	}
	// page first; then warnings, the oldest first (checkout 02:30, fraud 02:39:49, ledger 02:39:51).
	want := "HighErrorRatio/ledger/active HighLatencyP99/checkout/silenced PodCrashLooping/fraud-worker/active HighLatencyP99/ledger/inhibited"
	if strings.Join(names, " ") != want {
		t.Fatalf("order:\n got %s\nwant %s", strings.Join(names, " "), want)
	}
	hi := alerts[0]
	if hi.Fingerprint != "e83ea33b949dba0f" || hi.Severity != "page" || hi.Level() != LevelCritical ||
		hi.RunbookURL != "https://runbooks.local/payments/high-error-ratio.md" || hi.Summary != "ledger is failing requests" ||
		!strings.Contains(hi.Description, "33.61%") || !strings.HasPrefix(hi.GeneratorURL, "http://127.0.0.1:36957/graph") ||
		len(hi.Receivers) != 1 || hi.Receivers[0] != "payments-pager" {
		t.Errorf("HighErrorRatio = %+v", hi)
	}
	if want := time.Date(2026, 11, 26, 2, 39, 51, 210e6, time.UTC); !hi.StartsAt.Equal(want) || hi.UpdatedAt.IsZero() || hi.EndsAt.IsZero() {
		t.Errorf("times = %s %s %s", hi.StartsAt, hi.UpdatedAt, hi.EndsAt)
	}
	if in := alerts[3]; len(in.InhibitedBy) != 1 || in.InhibitedBy[0] != hi.Fingerprint {
		t.Errorf("inhibited by = %v", in.InhibitedBy)
	}
	if s := alerts[1]; len(s.SilencedBy) != 1 || s.Description != "" {
		t.Errorf("silenced = %+v", s)
	}
	if age := hi.Age(hi.StartsAt.Add(time.Minute)); age != time.Minute {
		t.Errorf("age = %s", age)
	}
}

func TestSeverityLevels(t *testing.T) {
	for s, want := range map[string]Level{
		"critical": LevelCritical, "Page": LevelCritical, "P1": LevelCritical, "error": LevelCritical,
		"warning": LevelWarning, "WARN": LevelWarning, "info": LevelInfo, "low": LevelInfo, "": LevelNone, "meh": LevelNone,
	} {
		if got := SeverityLevel(s); got != want {
			t.Errorf("SeverityLevel(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestSortAndGroup(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 22, 0, 0, 0, time.UTC)
	mk := func(fp, name, svc, sev string, start int, st State) Alert {
		return Alert{Fingerprint: fp, Name: name, Severity: sev, State: st, StartsAt: t0.Add(time.Duration(start) * time.Minute),
			Labels: map[string]string{"alertname": name, "service": svc, "severity": sev}}
	}
	alerts := []Alert{
		mk("a", "DiskFull", "db", "info", 0, StateActive),
		mk("b", "HighLatency", "checkout", "warning", 10, StateInhibited),
		mk("c", "HighErrorRatio", "checkout", "critical", 20, StateActive),
		mk("d", "HighLatency", "ledger", "warning", 5, StateSilenced),
		mk("e", "NoSeverity", "", "", 1, StateActive),
		mk("f", "HighErrorRatio", "ledger", "critical", 15, StateActive),
	}
	SortAlerts(alerts)
	var fps string
	for _, a := range alerts {
		fps += a.Fingerprint
	}
	if fps != "fcdbae" {
		t.Fatalf("sorted = %s, want fcdbae (critical oldest first, then warnings, info, none)", fps)
	}
	groups := GroupAlerts(alerts, "service")
	var got []string
	for _, g := range groups {
		got = append(got, g.Value+":"+g.Level.String())
	}
	if strings.Join(got, " ") != "ledger:critical checkout:critical db:info :none" {
		t.Fatalf("groups = %v", got)
	}
	if g := groups[0]; len(g.Alerts) != 2 || g.Alerts[0].Fingerprint != "f" || g.Active != 1 || g.Silenced != 1 || g.By != "service" {
		t.Errorf("ledger group = %+v", g)
	}
	if g := groups[1]; g.Inhibited != 1 || g.Active != 1 {
		t.Errorf("checkout group = %+v", g)
	}
	byName := GroupAlerts(alerts, "alertname")
	if byName[0].Value != "HighErrorRatio" || len(byName[0].Alerts) != 2 || byName[1].Value != "HighLatency" {
		t.Errorf("by alertname = %+v", byName)
	}
	if GroupAlerts(nil, "service") != nil {
		t.Error("no alerts: want no groups")
	}
}

func TestSilences(t *testing.T) {
	f, c := newFakeAM(t)
	sils, err := c.Silences(context.Background(), TeamFilter{Matchers: map[string]string{"team": "payments"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.lastRequest("/api/v2/silences").Query()["filter"]; len(got) != 1 || got[0] != `team="payments"` {
		t.Errorf("filter = %q", got)
	}
	if len(sils) != 1 {
		t.Fatalf("silences = %+v, want the expired one dropped", sils)
	}
	s := sils[0]
	if s.CreatedBy != "alice" || s.Comment != "known slow, fix in 1.4.3" || s.State != "active" || s.EndsAt.Hour() != 6 {
		t.Errorf("silence = %+v", s)
	}
	if got := strings.Join(s.Matchers, " "); got != `team="payments" service=~"check.*" env!="dev"` {
		t.Errorf("matchers = %s", got)
	}
	one, err := c.Silence(context.Background(), s.ID)
	if err != nil || one.CreatedBy != "alice" {
		t.Errorf("Silence(id) = %+v, %v", one, err)
	}
	_, err = c.Silence(context.Background(), "99999999-2222-3333-4444-555555555555")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != 404 {
		t.Errorf("unknown silence: %v", err)
	}
}

func TestErrorsKeepTheServerWords(t *testing.T) {
	f, c := newFakeAM(t)
	f.set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`"bad matcher format: team"`))
	})
	_, err := c.Alerts(context.Background(), TeamFilter{})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != 400 || ae.Msg != "bad matcher format: team" || ae.Op != "get alerts" {
		t.Fatalf("err = %#v", err)
	}
	if err.Error() != "alertmanager get alerts: 400 bad matcher format: team" {
		t.Errorf("Error() = %s", err)
	}
	down, _ := New(Options{URL: "http://127.0.0.1:1"})
	_, err = down.Alerts(context.Background(), TeamFilter{})
	if !errors.As(err, &ae) || ae.Code != 0 || !strings.Contains(ae.Msg, "connection refused") {
		t.Fatalf("unreachable: %v", err)
	}
	if _, err := c.Alerts(context.Background(), TeamFilter{Matchers: map[string]string{"bad name": "x"}}); err == nil {
		t.Fatal("bad filter: want an error")
	}
}
