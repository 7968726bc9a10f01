//go:build integration

package kube

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/internal/stackenv"
	"github.com/vigie-dev/vigie/sources"
)

// The probe tells a payments member who they are and what they may list, namespace by
// namespace, against the real apiserver with RBAC.
func TestProbeReportsIdentityAndRBAC(t *testing.T) {
	env := stackenv.MustLoad(t)
	cs := clientFor(t, env, "local-payments")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	checks := Probe(ctx, cs, []string{"payments", "search"})
	get := func(name string) sources.Check {
		for _, c := range checks {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("no check %q in %v", name, checks)
		return sources.Check{}
	}
	if c := get("reachable"); !c.OK || !strings.HasPrefix(c.Detail, "v1.37") {
		t.Errorf("reachable: %+v", c)
	}
	if c := get("identity"); !c.OK || c.Detail != env.MustGet(t, "VIGIE_STACK_PAYMENTS_USER") {
		t.Errorf("identity: %+v", c)
	}
	if c := get("list pods in payments"); !c.OK {
		t.Errorf("payments member cannot list pods in payments: %+v", c)
	}
	if c := get("list pods in search"); c.OK || !strings.HasPrefix(c.Detail, "forbidden") {
		t.Errorf("payments member may list pods in search: %+v", c)
	}
}

func TestRESTConfigUnknownContext(t *testing.T) {
	env := stackenv.MustLoad(t)
	_, err := RESTConfig(Options{Kubeconfig: env.MustGet(t, "KUBECONFIG"), Context: "no-such-context"})
	if err == nil || !strings.Contains(err.Error(), "no-such-context") {
		t.Fatalf("got %v, want an error naming the context", err)
	}
}
