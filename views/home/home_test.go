package home

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/sources/alertmanager"
	"github.com/vigie-dev/vigie/sources/kube"
	"github.com/vigie-dev/vigie/sources/prom"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
)

var now = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

func dep(name string, ready, desired int32, rev string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "payments", Labels: map[string]string{"app": name},
			Annotations: map[string]string{"deployment.kubernetes.io/revision": rev}},
		Spec:   appsv1.DeploymentSpec{Replicas: &desired},
		Status: appsv1.DeploymentStatus{Replicas: desired, ReadyReplicas: ready, AvailableReplicas: ready, UpdatedReplicas: desired},
	}
}

func rs(dep, rev string, age time.Duration) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: dep + "-" + rev, Namespace: "payments",
		CreationTimestamp: metav1.NewTime(now.Add(-age)),
		Annotations:       map[string]string{"deployment.kubernetes.io/revision": rev},
		OwnerReferences:   []metav1.OwnerReference{{Kind: "Deployment", Name: dep}}}}
}

func signals(svc string, rate, errRatio, p99 float64) prom.Signals {
	return prom.Signals{Service: svc, At: now, Values: map[prom.Signal]prom.Reading{
		prom.Rate: {Value: rate, OK: true}, prom.ErrorRatio: {Value: errRatio, OK: true}, prom.LatencyP99: {Value: p99, OK: true}}}
}

func newHome(t *testing.T) *View {
	t.Helper()
	st := themes.NewStyles(themes.Dark())
	keys := keymaps.Default()
	env := views.Env{Styles: &st, Keys: &keys, Now: func() time.Time { return now },
		PromRange: func(_ context.Context, svc string, start, end time.Time, step time.Duration) (prom.SignalsSeries, error) {
			var pts []prom.Point
			for i := range 10 {
				pts = append(pts, prom.Point{T: start.Add(time.Duration(i) * step), V: float64(i)})
			}
			return prom.SignalsSeries{Service: svc, Series: map[prom.Signal]prom.Series{prom.Rate: {Points: pts}}}, nil
		}}
	v := New(env, views.Route{Screen: views.ScreenHome})
	v.Update(views.KubeSnapshot{Snap: kube.Snapshot{Synced: true,
		Deployments: []*appsv1.Deployment{dep("checkout", 3, 3, "3"), dep("ledger", 2, 2, "2"), dep("fraud-worker", 0, 1, "1")},
		ReplicaSets: []*appsv1.ReplicaSet{rs("checkout", "3", 26*time.Hour), rs("ledger", "2", 40*time.Minute), rs("ledger", "1", 30*time.Hour)}}})
	v.Update(views.PromSnapshot{Snap: prom.Snapshot{At: now, Services: map[string]prom.Signals{
		"checkout": signals("checkout", 60, 0.002, 0.12), "ledger": signals("ledger", 40, 0.35, 0.9)}}})
	v.Update(views.AlertsSnapshot{Snap: alertmanager.Snapshot{At: now, Alerts: []alertmanager.Alert{
		{Name: "HighErrorRatio", Labels: map[string]string{"service": "ledger"}, Severity: "critical", State: alertmanager.StateActive},
		{Name: "HighLatencyP99", Labels: map[string]string{"service": "ledger"}, Severity: "warning", State: alertmanager.StateInhibited}}}})
	return v
}

func rowsOf(v *View, w, h int) []string {
	return strings.Split(ansi.Strip(v.Render(w, h)), "\n")
}

func TestHomeShowsTheWorstFirst(t *testing.T) {
	v := newHome(t)
	lines := rowsOf(v, 140, 10)
	if !strings.HasPrefix(lines[2], "ledger") || !strings.Contains(lines[2], "✖ firing") {
		t.Fatalf("the service with a critical alert comes first:\n%s", strings.Join(lines, "\n"))
	}
	if !strings.HasPrefix(lines[3], "fraud-worker") || !strings.Contains(lines[3], "✖ down") {
		t.Fatalf("a service with no pod ready is next:\n%s", strings.Join(lines, "\n"))
	}
	for _, want := range []string{"40.0/s", "35.0%", "900ms", "40m ago", "26h ago", "2/2", "0/1"} {
		if !strings.Contains(strings.Join(lines, "\n"), want) {
			t.Errorf("home lacks %q:\n%s", want, strings.Join(lines, "\n"))
		}
	}
	ledger := lines[2]
	if !strings.Contains(ledger, " 1 ") {
		t.Errorf("one firing alert for ledger (the inhibited one does not count): %q", ledger)
	}
}

func TestHomeFitsEightyColumnsByDroppingColumns(t *testing.T) {
	v := newHome(t)
	for _, l := range rowsOf(v, 80, 24) {
		if ansi.StringWidth(l) > 80 {
			t.Fatalf("a line is wider than 80: %q", l)
		}
	}
	if s := strings.Join(rowsOf(v, 80, 24), "\n"); !strings.Contains(s, "SERVICE") || !strings.Contains(s, "HEALTH") || !strings.Contains(s, "ERRORS") {
		t.Fatalf("at 80 columns the essentials stay:\n%s", s)
	}
}

func TestHomeSparklinesBackfillAndKeys(t *testing.T) {
	v := newHome(t)
	cmd := v.Enter()
	if cmd == nil {
		t.Fatal("entering home backfills the sparklines")
	}
	v.Update(cmd())
	if s := strings.Join(rowsOf(v, 160, 10), "\n"); !strings.Contains(s, "▁▂▃▄▅▆▇█") && !strings.Contains(s, "▁▁▂▃▄▄▅▆▇█") {
		t.Fatalf("the rate sparkline shows the backfilled ramp:\n%s", s)
	}
	v.Update(tea.KeyPressMsg{Code: 'g', Text: "g"}) // the top row: the worst service
	_, cmd = v.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	if nav, ok := cmd().(views.Navigate); !ok || nav.Route.Screen != views.ScreenMetrics || nav.Route.Name != "ledger" {
		t.Fatalf("enter opens the metrics of the selected service, got %+v", nav)
	}
	_, cmd = v.Update(tea.KeyPressMsg{Code: 'p', Text: "p"})
	if nav, ok := cmd().(views.Navigate); !ok || nav.Route.Screen != views.ScreenPods || nav.Route.Name != "ledger" || nav.Route.Kind != "Deployment" {
		t.Fatalf("p opens the service's pods, got %+v", nav)
	}
}

func TestHomeMarksStalePrometheus(t *testing.T) {
	v := newHome(t)
	v.Update(views.PromSnapshot{Snap: prom.Snapshot{At: now, Services: v.prom.Services,
		Err: errors.New("dial tcp 127.0.0.1:9090: connect: connection refused"), StaleSince: now.Add(-90 * time.Second)}})
	s := strings.Join(rowsOf(v, 200, 10), "\n")
	if !strings.Contains(s, "prometheus STALE ⚠ 90s: dial tcp") || !strings.Contains(s, "35.0%") {
		t.Fatalf("stale Prometheus: the last data stays, marked with its age and the error:\n%s", s)
	}
}
