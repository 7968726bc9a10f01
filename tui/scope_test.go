package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/sources/prom"
	"github.com/vigie-dev/vigie/views"
)

// The platform API's Prometheus matchers narrow every PromQL selector vigie writes for
// the team, besides its namespaces: two clusters' series of one namespace never mix.
func TestTeamPrometheusMatchersScopeEverySignal(t *testing.T) {
	s := Session{Team: "payments", Namespaces: []string{"payments", "payments-dev"}, PromMatchers: map[string]string{"cluster": "eu-1"}}
	svc, err := service(s, "ledger")
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []prom.Signal{prom.Rate, prom.ErrorRatio, prom.LatencyP99, prom.CPU} {
		q := svc.Query(sig, 5*time.Minute)
		if !strings.Contains(q, `cluster="eu-1"`) || !strings.Contains(q, `namespace=~"payments|payments-dev"`) {
			t.Errorf("%v: %s lacks the team's cluster and namespaces", sig, q)
		}
	}
	s.PromMatchers = nil
	svc, _ = service(s, "ledger")
	if q := svc.Query(prom.Rate, 5*time.Minute); strings.Contains(q, "cluster=") {
		t.Errorf("no matchers configured, yet %s", q)
	}
}

// The team's Loki matchers join every LogQL selector, sorted, values escaped.
func TestTeamLokiMatchersScopeLogQL(t *testing.T) {
	ms, err := lokiMatchers(views.LogQuery{Namespace: "payments", Pod: "ledger-1"}, map[string]string{"cluster": `eu"1`, "a": "b"})
	if err != nil {
		t.Fatal(err)
	}
	sel, err := lokiQuery(ms, views.LogQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{a="b", cluster="eu\"1", namespace="payments", pod="ledger-1"}`; sel != want {
		t.Errorf("selector %s, want %s", sel, want)
	}
}
