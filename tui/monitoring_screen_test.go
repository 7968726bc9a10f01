package tui

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vigie-dev/vigie/sources/alertmanager"
	"github.com/vigie-dev/vigie/sources/prom"
	"github.com/vigie-dev/vigie/views"
)

// fakeRange is a ledger whose release 40 minutes ago made it fail a third of its requests.
func fakeRange(_ context.Context, svc string, start, end time.Time, step time.Duration) (prom.SignalsSeries, error) {
	ss := prom.SignalsSeries{Service: svc, Start: start, End: end, Step: step, Series: map[prom.Signal]prom.Series{}}
	release := testNow.Add(-40 * time.Minute)
	for _, sig := range []prom.Signal{prom.Rate, prom.ErrorRatio, prom.LatencyP50, prom.LatencyP95, prom.LatencyP99, prom.CPU, prom.Memory} {
		var pts []prom.Point
		for at := start; !at.After(end); at = at.Add(step) {
			x := float64(at.Sub(start)) / float64(end.Sub(start))
			bad := at.After(release)
			v := map[prom.Signal]float64{prom.Rate: 40 + 5*math.Sin(x*12), prom.ErrorRatio: 0.002, prom.LatencyP50: 0.02,
				prom.LatencyP95: 0.08, prom.LatencyP99: 0.15, prom.CPU: 0.3, prom.Memory: 0.55}[sig]
			if bad && sig == prom.ErrorRatio {
				v = 0.35
			}
			if bad && sig == prom.LatencyP99 {
				v = 0.9
			}
			pts = append(pts, prom.Point{T: at, V: v})
		}
		ss.Series[sig] = prom.Series{Signal: sig, Points: pts}
	}
	return ss, nil
}

func alertsFixture() alertmanager.Snapshot {
	return alertmanager.Snapshot{At: testNow, AlertsAt: testNow, Alerts: []alertmanager.Alert{
		{Fingerprint: "a1", Name: "HighErrorRatio", Severity: "page", State: alertmanager.StateActive,
			Labels:  map[string]string{"alertname": "HighErrorRatio", "service": "ledger", "namespace": "payments", "team": "payments", "severity": "page"},
			Summary: "ledger is failing requests", StartsAt: testNow.Add(-38 * time.Minute),
			RunbookURL: "https://runbooks.local/payments/high-error-ratio.md"},
		{Fingerprint: "a2", Name: "HighLatencyP99", Severity: "warning", State: alertmanager.StateInhibited,
			Labels:  map[string]string{"alertname": "HighLatencyP99", "service": "ledger", "namespace": "payments", "team": "payments", "severity": "warning"},
			Summary: "ledger is slow", StartsAt: testNow.Add(-37 * time.Minute)},
	}}
}

func TestMonitoringScreens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		m := newTestModel(views.Route{Screen: views.ScreenMetrics, Name: "ledger"}, "dev")
		m.env.PromRange = fakeRange
		m.view = m.open(m.opts.Start) // the start view was built with the env before
		feed := withFeed(m)
		tm := startTerm(t, m, size[0], size[1], colorprofile.ANSI256)
		snap := fixture()
		snap.ReplicaSets = []*appsv1.ReplicaSet{{ObjectMeta: metav1.ObjectMeta{Name: "ledger-5b889f8658", Namespace: "payments",
			CreationTimestamp: metav1.NewTime(testNow.Add(-40 * time.Minute)),
			Annotations:       map[string]string{"deployment.kubernetes.io/revision": "2"},
			OwnerReferences:   []metav1.OwnerReference{{Kind: "Deployment", Name: "ledger"}}}}}
		feedTo(t, feed, snap)
		// Init started (here: tried to start) the alerts poll, its generation 1.
		tm.send(views.AlertsSnapshot{Gen: 1, Snap: alertsFixture()})
		tm.waitFor(wait, "metrics · ledger", "requests", "▲rev 2")
		golden(t, "metrics-"+sizeName(size), tm.settle())
		tm.send(press(":"))
		for _, r := range "alerts" {
			tm.send(press(string(r)))
		}
		tm.send(press("enter"))
		tm.waitFor(wait, "HighErrorRatio", "inhibited")
		golden(t, "alerts-"+sizeName(size), tm.settle())
	}
}
