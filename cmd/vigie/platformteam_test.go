package main

import (
	"slices"
	"testing"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/tui"
)

// With a platform API, the server's team is the scope: its matchers replace the local
// ones (they are what its silences carry), its databases and job templates become what
// the query and jobs screens offer, and a production namespace makes reasons required.
func TestPlatformTeamIsTheScope(t *testing.T) {
	s := tui.Session{Team: "payments", AlertMatchers: map[string]string{"team": "local-guess"},
		Services: map[string]tui.ServiceSettings{"ledger": {Queries: map[string]string{"rate": "x"}}}}
	applyPlatformTeam(api.Team{Name: "payments",
		Namespaces:         []api.Namespace{{Name: "payments", Environment: api.EnvProduction}, {Name: "payments-dev", Environment: api.EnvDev}},
		Services:           []string{"ledger", "checkout"},
		AlertMatchers:      map[string]string{"team": "payments"},
		PrometheusMatchers: map[string]string{"cluster": "eu-1"},
		LokiMatchers:       map[string]string{"cluster": "eu-1"},
		Databases:          []string{"payments"},
		Jobs:               []api.JobTemplate{{Name: "flush-cache", Namespace: "payments-dev"}},
	}, &s)
	if s.AlertMatchers["team"] != "payments" || s.PromMatchers["cluster"] != "eu-1" || s.LokiMatchers["cluster"] != "eu-1" {
		t.Errorf("matchers not taken from the server: %v %v %v", s.AlertMatchers, s.PromMatchers, s.LokiMatchers)
	}
	if !slices.Equal(s.Databases, []string{"payments"}) || len(s.Jobs) != 1 || !s.Production {
		t.Errorf("databases %v jobs %v production %v", s.Databases, s.Jobs, s.Production)
	}
	if s.Services["ledger"].Queries["rate"] != "x" {
		t.Error("the local service settings were lost")
	}
	if _, ok := s.Services["checkout"]; !ok {
		t.Error("a service the server lists is missing")
	}

	// A server that says nothing of matchers leaves the local ones.
	s = tui.Session{AlertMatchers: map[string]string{"team": "mine"}}
	applyPlatformTeam(api.Team{Name: "payments", Namespaces: []api.Namespace{{Name: "p", Environment: api.EnvDev}}}, &s)
	if s.AlertMatchers["team"] != "mine" || s.Production {
		t.Errorf("local matchers %v, production %v", s.AlertMatchers, s.Production)
	}
}
