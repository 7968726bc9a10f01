package metrics

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
	"github.com/vigie-dev/vigie/sources/kube"
	"github.com/vigie-dev/vigie/sources/prom"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
)

var now = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

type recorder struct {
	calls []string
	fail  error
}

func (r *recorder) fetch(_ context.Context, svc string, start, end time.Time, step time.Duration) (prom.SignalsSeries, error) {
	r.calls = append(r.calls, svc+" "+end.Sub(start).String())
	if r.fail != nil {
		return prom.SignalsSeries{}, r.fail
	}
	ss := prom.SignalsSeries{Service: svc, Start: start, End: end, Step: step, Series: map[prom.Signal]prom.Series{}}
	for _, sig := range []prom.Signal{prom.Rate, prom.ErrorRatio, prom.LatencyP50, prom.LatencyP95, prom.LatencyP99, prom.CPU, prom.Memory} {
		var pts []prom.Point
		for at := start; !at.After(end); at = at.Add(step) {
			v := 0.02
			if sig == prom.ErrorRatio && at.After(now.Add(-40*time.Minute)) {
				v = 0.35 // the bad release
			}
			if sig == prom.Rate {
				v = 40
			}
			pts = append(pts, prom.Point{T: at, V: v})
		}
		ss.Series[sig] = prom.Series{Signal: sig, Points: pts}
	}
	return ss, nil
}

func newMetrics(t *testing.T, r views.Route) (*View, *recorder) {
	t.Helper()
	st := themes.NewStyles(themes.Dark())
	keys := keymaps.Default()
	rec := &recorder{}
	env := views.Env{Styles: &st, Keys: &keys, Now: func() time.Time { return now }, Loc: time.UTC, PromRange: rec.fetch}
	v := New(env, r)
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "ledger", Namespace: "payments", Labels: map[string]string{"app": "ledger"}}}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "ledger-2", Namespace: "payments",
		CreationTimestamp: metav1.NewTime(now.Add(-40 * time.Minute)),
		Annotations:       map[string]string{"deployment.kubernetes.io/revision": "2"},
		OwnerReferences:   []metav1.OwnerReference{{Kind: "Deployment", Name: "ledger"}}}}
	v.Update(views.KubeSnapshot{Snap: kube.Snapshot{Deployments: []*appsv1.Deployment{d}, ReplicaSets: []*appsv1.ReplicaSet{rs}}})
	return v, rec
}

func run(v *View, cmd tea.Cmd) {
	if cmd != nil {
		v.Update(cmd())
	}
}

func TestChartsWithDeployMarkerAndCursor(t *testing.T) {
	v, rec := newMetrics(t, views.Route{Screen: views.ScreenMetrics, Name: "ledger"})
	run(v, v.Enter())
	if len(rec.calls) != 1 || rec.calls[0] != "ledger 1h0m0s" {
		t.Fatalf("entering fetches the last hour: %v", rec.calls)
	}
	s := ansi.Strip(v.Render(120, 40))
	for _, want := range []string{"metrics · ledger", "last 1h", "requests", "errors (5xx / all)", "latency", "saturation", "▲rev 2", "p99"} {
		if !strings.Contains(s, want) {
			t.Fatalf("metrics screen lacks %q:\n%s", want, s)
		}
	}
	run(v, v.key(tea.KeyPressMsg{Code: 'h', Text: "h"}))
	run(v, v.key(tea.KeyPressMsg{Code: 'h', Text: "h"}))
	s = ansi.Strip(v.Render(120, 40))
	if !strings.Contains(s, "error ratio 35.0%") {
		t.Fatalf("the cursor reads the exact value:\n%s", s)
	}
	run(v, v.key(tea.KeyPressMsg{Code: '+', Text: "+"}))
	if last := rec.calls[len(rec.calls)-1]; last != "ledger 6h0m0s" {
		t.Fatalf("+ moves to the next longer preset, fetched %s", last)
	}
	run(v, v.key(tea.KeyPressMsg{Code: '-', Text: "-"}))
	run(v, v.key(tea.KeyPressMsg{Code: '-', Text: "-"}))
	if last := rec.calls[len(rec.calls)-1]; last != "ledger 15m0s" {
		t.Fatalf("- twice goes back to 15m, fetched %s", last)
	}
}

func TestAbsoluteWindowAndStaleData(t *testing.T) {
	v, rec := newMetrics(t, views.Route{Screen: views.ScreenMetrics, Name: "ledger"})
	run(v, v.Enter())
	run(v, v.key(tea.KeyPressMsg{Code: 't', Text: "t"}))
	if !v.Capturing() {
		t.Fatal("t opens the window prompt")
	}
	for _, r := range "01:00..02:30" {
		v.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	_, cmd := v.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	run(v, cmd)
	if last := rec.calls[len(rec.calls)-1]; last != "ledger 1h30m0s" {
		t.Fatalf("the typed window is fetched: %s", last)
	}
	if s := ansi.Strip(v.Render(120, 40)); !strings.Contains(s, "2026-11-26 01:00 .. 2026-11-26 02:30") {
		t.Fatalf("the window is shown:\n%s", s)
	}
	rec.fail = errors.New(`bad_data: 1:26: parse error: unexpected "by"`)
	run(v, v.key(tea.KeyPressMsg{Code: '0', Text: "0"}))
	s := ansi.Strip(v.Render(160, 40))
	if !strings.Contains(s, "STALE ⚠") || !strings.Contains(s, `1:26: parse error: unexpected "by"`) || !strings.Contains(s, "requests") {
		t.Fatalf("a failed fetch keeps the charts, marked stale with the server's words:\n%s", s)
	}
}

func TestRenderAnySize(t *testing.T) {
	v, _ := newMetrics(t, views.Route{Screen: views.ScreenMetrics, Name: "ledger", From: now.Add(-2 * time.Hour), To: now})
	run(v, v.Enter())
	for _, sz := range [][2]int{{0, 0}, {1, 1}, {10, 3}, {40, 8}, {80, 24}, {200, 60}} {
		for _, l := range strings.Split(v.Render(sz[0], sz[1]), "\n") {
			if ansi.StringWidth(l) > sz[0] {
				t.Fatalf("%v: line of width %d", sz, ansi.StringWidth(l))
			}
		}
	}
}

func TestSLOLineShowsBudgetAndBurns(t *testing.T) {
	v, _ := newMetrics(t, views.Route{Screen: views.ScreenMetrics, Name: "ledger"})
	run(v, v.Enter())
	st := prom.EvaluateSLO(prom.SLO{Objective: 0.995, Window: 30 * 24 * time.Hour}, map[time.Duration]prom.Reading{
		30 * 24 * time.Hour: {Value: 0.004, OK: true},
		time.Hour:           {Value: 0.35, OK: true}, 5 * time.Minute: {Value: 0.35, OK: true},
		6 * time.Hour: {Value: 0.06, OK: true}, 30 * time.Minute: {Value: 0.2, OK: true},
	}, now)
	v.Update(views.PromSnapshot{Snap: prom.Snapshot{Services: map[string]prom.Signals{"ledger": {Service: "ledger", SLO: &st}}}})
	s := ansi.Strip(v.Render(200, 40))
	for _, want := range []string{"SLO 99.5% over 30d", "budget left 20.0%", "burn 1h 70.0× / 5m 70.0× (page at 14.4×)"} {
		if !strings.Contains(s, want) {
			t.Fatalf("SLO line lacks %q:\n%s", want, s)
		}
	}
}
