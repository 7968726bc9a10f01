//go:build integration

package main

import (
	"strings"
	"testing"

	"github.com/vigie-dev/vigie/internal/stackenv"
)

// vigie doctor against the local platform: the payments member reaches every source
// (Kubernetes, Prometheus, Alertmanager, Loki, the platform API) and may list in payments;
// asked about another team's namespace, it says forbidden, and the platform API says the
// team is not the user's.
func TestDoctorOnTheLocalPlatform(t *testing.T) {
	stack := stackenv.MustLoad(t)
	env := map[string]string{"VIGIE_CONFIG": stack.MustGet(t, "VIGIE_CONFIG"), "HOME": t.TempDir()}

	r := vigie(t, env, "doctor")
	r.expect(t, 0)
	for _, want := range []string{
		"context local-payments (dev), team payments",
		"ok   kubernetes   identity: " + stack.MustGet(t, "VIGIE_STACK_PAYMENTS_USER"),
		"ok   kubernetes   list pods in payments",
		"ok   prometheus   reachable: version",
		"ok   alertmanager reachable: version",
		"ok   loki         reachable: ",
		"ok   platform     reachable: ready",
		"ok   platform     identity: alice, token expires in ",
		"ok   platform     team payments: role ",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}

	r = vigie(t, env, "--context", "local-search", "--team", "payments", "doctor")
	r.expect(t, 1)
	if !strings.Contains(r.stdout, "FAIL kubernetes   list pods in payments: forbidden") {
		t.Errorf("bob asked about payments should be told forbidden:\n%s", r.stdout)
	}
	// The platform API does not count bob in payments either: his actions there would be
	// refused, and doctor says so before he tries.
	if !strings.Contains(r.stdout, "FAIL platform     team payments: bob is not a member of team payments on the platform (member of: search)") {
		t.Errorf("bob's platform scope for payments:\n%s", r.stdout)
	}
}
