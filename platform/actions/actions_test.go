package actions

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/vigie-dev/vigie/platform/actions/actionstest"
	"github.com/vigie-dev/vigie/platform/api"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func runner(t *testing.T, k *actionstest.Kube) *Runner {
	t.Helper()
	r, err := New(Options{Client: k, Timeout: 5 * time.Second, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var team = map[string]string{"team": "payments", "app": "checkout"}

func TestScale(t *testing.T) {
	k := actionstest.New(actionstest.Deployment("payments", "checkout", 3, team))
	r := runner(t, k)
	target := api.Target{Namespace: "payments", Name: "checkout"}

	res, err := r.Run(context.Background(), Request{Kind: api.ActionScale, Target: target, Replicas: 5, DryRun: true, Selector: "team=payments"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Message != "would scale deployment payments/checkout from 3 to 5 replicas" || res.Changes[0] != (api.Change{Field: "spec.replicas", From: "3", To: "5"}) {
		t.Errorf("dry run: %+v", res)
	}
	if k.Updates.Load() != 0 || *k.Get("payments", "checkout").Spec.Replicas != 3 {
		t.Fatal("the dry run changed the deployment")
	}

	res, err = r.Run(context.Background(), Request{Kind: api.ActionScale, Target: target, Replicas: 5, Expect: "10", Selector: "team=payments"})
	if err != nil {
		t.Fatal(err)
	}
	if d := k.Get("payments", "checkout"); *d.Spec.Replicas != 5 || d.ResourceVersion != "11" || res.ResourceVersion != "11" {
		t.Errorf("after scale: replicas %d rv %s; result %+v", *d.Spec.Replicas, d.ResourceVersion, res)
	}
	res, err = r.Run(context.Background(), Request{Kind: api.ActionScale, Target: target, Replicas: 5})
	if err != nil || !strings.Contains(res.Message, "already has 5 replicas") || k.Updates.Load() != 1 {
		t.Errorf("no-op scale: %+v %v", res, err)
	}
}

func TestRestart(t *testing.T) {
	k := actionstest.New(actionstest.Deployment("payments", "checkout", 3, team))
	r := runner(t, k)
	res, err := r.Run(context.Background(), Request{Kind: api.ActionRestart, Target: api.Target{Namespace: "payments", Name: "checkout"}})
	if err != nil {
		t.Fatal(err)
	}
	at := k.Get("payments", "checkout").Spec.Template.Annotations[RestartedAtAnnotation]
	if at != "2026-03-01T12:00:00Z" || res.Changes[0].To != at || res.Changes[0].From != "" || !strings.HasPrefix(res.Message, "restarted deployment payments/checkout") {
		t.Errorf("restartedAt %q, result %+v", at, res)
	}
}

func TestRefusals(t *testing.T) {
	paused := actionstest.Deployment("payments", "paused", 1, team)
	paused.Spec.Paused = true
	k := actionstest.New(actionstest.Deployment("payments", "checkout", 3, team),
		actionstest.Deployment("payments", "foreign", 3, map[string]string{"team": "search"}), paused)
	r := runner(t, k)
	for _, c := range []struct {
		name string
		req  Request
		code string
		msg  string
	}{
		{"stale resourceVersion", Request{Kind: api.ActionScale, Target: api.Target{Namespace: "payments", Name: "checkout"}, Replicas: 4, Expect: "9"},
			api.CodeConflict, "changed since you saw it (resourceVersion 9, now 10)"},
		{"missing", Request{Kind: api.ActionRestart, Target: api.Target{Namespace: "payments", Name: "nope"}}, api.CodeNotFound, "deployment payments/nope does not exist"},
		{"not the team's labels", Request{Kind: api.ActionRestart, Target: api.Target{Namespace: "payments", Name: "foreign"}, Selector: "team=payments"},
			api.CodeForbidden, "does not carry the owning team's labels (team=payments)"},
		{"paused", Request{Kind: api.ActionRestart, Target: api.Target{Namespace: "payments", Name: "paused"}}, api.CodeConflict, "is paused"},
		{"unknown kind", Request{Kind: "delete", Target: api.Target{Namespace: "payments", Name: "checkout"}}, api.CodeInvalid, "unknown action"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := r.Run(context.Background(), c.req)
			var ae *Error
			if !errors.As(err, &ae) || ae.Code != c.code || !strings.Contains(ae.Msg, c.msg) {
				t.Fatalf("got %v (%T), want %s %q", err, err, c.code, c.msg)
			}
		})
	}
	if k.Updates.Load() != 0 {
		t.Errorf("%d updates on refusals", k.Updates.Load())
	}
}

// Without a precondition, a concurrent writer's change is retried on the fresh object;
// with one, the conflict is the answer.
func TestConflictBetweenGetAndUpdate(t *testing.T) {
	k := actionstest.New(actionstest.Deployment("payments", "checkout", 3, team))
	bumps := 0
	k.PrependReactor("update", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		if bumps < 1 {
			bumps++
			k.Bump("payments", "checkout") // another writer, between our Get and Update
		}
		return false, nil, nil
	})
	r := runner(t, k)
	if _, err := r.Run(context.Background(), Request{Kind: api.ActionScale, Target: api.Target{Namespace: "payments", Name: "checkout"}, Replicas: 4}); err != nil {
		t.Fatalf("retry on conflict: %v", err)
	}
	bumps = 0
	_, err := r.Run(context.Background(), Request{Kind: api.ActionScale, Target: api.Target{Namespace: "payments", Name: "checkout"}, Replicas: 5, Expect: k.Get("payments", "checkout").ResourceVersion})
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != api.CodeConflict || !strings.Contains(ae.Msg, "changed while the action ran") {
		t.Fatalf("got %v, want a conflict", err)
	}
}

func TestDeadline(t *testing.T) {
	k := actionstest.New(actionstest.Deployment("payments", "checkout", 3, team))
	k.PrependReactor("get", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		time.Sleep(200 * time.Millisecond)
		return true, nil, context.DeadlineExceeded
	})
	r, _ := New(Options{Client: k, Timeout: 50 * time.Millisecond})
	_, err := r.Run(context.Background(), Request{Kind: api.ActionRestart, Target: api.Target{Namespace: "payments", Name: "checkout"}})
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != api.CodeTimeout {
		t.Fatalf("got %v, want a timeout", err)
	}
}

func TestOptions(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Error("no client accepted")
	}
	if _, err := New(Options{Client: actionstest.New(), Timeout: -1}); err == nil {
		t.Error("negative timeout accepted")
	}
	if r, _ := New(Options{Client: actionstest.New()}); r.Timeout() != DefaultTimeout {
		t.Error("default timeout")
	}
}
