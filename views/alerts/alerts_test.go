package alerts

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/screentest"
	"github.com/vigie-dev/vigie/sources/alertmanager"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
)

func visibleIDs(v *View) []string {
	var ids []string
	for i := range v.list.Len() {
		ids = append(ids, v.list.VisibleRow(i).ID)
	}
	return ids
}

func mustContain(t *testing.T, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Fatalf("screen lacks %q:\n%s", w, s)
		}
	}
}

func TestWaitsForTheFirstSnapshot(t *testing.T) {
	h := newHarness(t, themes.Dark())
	mustContain(t, screen(h.v, 80, 24), "waiting for Alertmanager…")
	h.feed(alertmanager.Snapshot{AlertsAt: testNow})
	s := screen(h.v, 80, 24)
	mustContain(t, s, "nothing is firing for the team", "0 firing")
	if strings.Contains(s, "waiting") {
		t.Fatalf("a snapshot arrived:\n%s", s)
	}
}

func TestCriticalFirstThenOldestFirst(t *testing.T) {
	h := newHarness(t, themes.Dark())
	h.feed(fixture())
	got := strings.Join(visibleIDs(h.v), " ")
	// critical: ledger (3h) before checkout (42m); warning: crash loop (2h) before latency (35m); then info.
	if want := "fp2 fp1 fp3 fp4 fp5"; got != want {
		t.Fatalf("order = %s, want %s", got, want)
	}
	// Groups stay together even when a younger alert of a worse group exists.
	s := fixture()
	young := s.Alerts[1]
	young.Fingerprint, young.StartsAt, young.Labels = "fp6", ago(time.Minute), map[string]string{"alertname": "HighErrorRatio", "severity": "critical", "service": "search"}
	s.Alerts = append(s.Alerts, young)
	h.feed(s)
	if got := strings.Join(visibleIDs(h.v), " "); got != "fp2 fp1 fp6 fp3 fp4 fp5" {
		t.Fatalf("order = %s: the HighErrorRatio group must stay together", got)
	}
}

func TestStatesAndWhoSilenced(t *testing.T) {
	h := newHarness(t, themes.Dark())
	h.feed(fixture())
	s := screen(h.v, 120, 40)
	mustContain(t, s, "3 firing · 1 silenced · 1 inhibited", "silenced by alice", "inhibited", "active",
		"critical", "warning", "info", "fraud-worker", "5xx ratio of checkout")
	// An unknown silence still says silenced.
	snap := fixture()
	snap.Silences = nil
	h.feed(snap)
	mustContain(t, screen(h.v, 120, 40), "silenced ")
}

func TestStaleMarkerHasAgeAndError(t *testing.T) {
	h := newHarness(t, themes.Dark())
	h.feed(stale())
	want := "STALE ⚠ last data 42s ago: alertmanager get alerts: 503 Service Unavailable"
	mustContain(t, screen(h.v, 160, 10), want)
	// Narrow: the marker gets a line of its own rather than being cut away.
	s := screen(h.v, 80, 24)
	mustContain(t, s, want, "HighErrorRatio")
	if n := strings.Count(s, "\n") + 1; n > 24 || !strings.HasPrefix(strings.Split(s, "\n")[1], "STALE") {
		t.Fatalf("the screen must stay within 24 lines, the marker on the second (%d lines):\n%s", n, s)
	}
	// Failing from the start: no data yet, the error says why.
	h2 := newHarness(t, themes.Dark())
	h2.feed(alertmanager.Snapshot{Err: errors.New("alertmanager get alerts: dial tcp 127.0.0.1:9093: connection refused"), StaleSince: ago(10 * time.Second)})
	mustContain(t, screen(h2.v, 120, 10), "STALE ⚠ no data yet", "no data from Alertmanager yet: alertmanager get alerts: dial tcp")
	// Recovered: no marker.
	h.feed(fixture())
	if strings.Contains(screen(h.v, 160, 10), "STALE") {
		t.Fatal("the marker must go when polls succeed again")
	}
}

func TestFilterByNameAndLabels(t *testing.T) {
	h := newHarness(t, themes.Dark())
	h.feed(fixture())
	h.Press("/")
	if !h.v.Capturing() {
		t.Fatal("the filter prompt has the keyboard")
	}
	h.Type("crash")
	h.Press("enter")
	if got := strings.Join(visibleIDs(h.v), " "); got != "fp3" {
		t.Fatalf("fuzzy filter kept %s", got)
	}
	mustContain(t, screen(h.v, 120, 10), "/crash", "[1 of 5]")
	if _, ok := h.v.Escape(); !ok || h.v.list.Len() != 5 {
		t.Fatal("escape clears the filter")
	}
	h.Press("/")
	h.Type("-l severity=critical")
	h.Press("enter")
	if got := strings.Join(visibleIDs(h.v), " "); got != "fp2 fp1" {
		t.Fatalf("label filter kept %s", got)
	}
	if _, ok := h.v.Escape(); !ok {
		t.Fatal("escape clears the filter")
	}
	if _, ok := h.v.Escape(); ok {
		t.Fatal("nothing left to undo: the root goes back")
	}
	// A route's filter applies from the start.
	v := New(h.v.env, views.Route{Screen: views.ScreenAlerts, Filter: "-l service=ledger"})
	v.Update(views.AlertsSnapshot{Snap: fixture()})
	if got := strings.Join(visibleIDs(v), " "); got != "fp2 fp5" {
		t.Fatalf("route filter kept %s", got)
	}
}

func TestRouteNameShowsOneService(t *testing.T) {
	h := newHarness(t, themes.Dark())
	v := New(h.v.env, views.Route{Screen: views.ScreenAlerts, Name: "checkout"})
	v.Update(views.AlertsSnapshot{Snap: fixture()})
	if got := strings.Join(visibleIDs(v), " "); got != "fp1 fp4" {
		t.Fatalf("alerts of checkout = %s", got)
	}
	if v.Title() != "alerts · checkout" {
		t.Fatalf("title = %q", v.Title())
	}
}

// openCheckout opens the detail of the checkout HighErrorRatio alert (the second row).
func openCheckout(t *testing.T, h *harness) {
	t.Helper()
	h.feed(fixture())
	h.Press("down", "enter")
	if h.v.detail == nil || h.v.detail.alert.Fingerprint != "fp1" {
		t.Fatal("enter opens the detail of the selected alert")
	}
}

func TestEnterOpensTheDetailWithHistory(t *testing.T) {
	h := newHarness(t, themes.Dark())
	openCheckout(t, h)
	if want := "HighErrorRatio 2026-11-19T03:00:00Z..2026-11-26T03:00:00Z"; len(h.histReqs) != 1 || h.histReqs[0] != want {
		t.Fatalf("history requests = %q, want %q", h.histReqs, want)
	}
	if h.v.Title() != "alerts · HighErrorRatio" {
		t.Fatalf("title = %q", h.v.Title())
	}
	s := screen(h.v, 120, 80)
	mustContain(t, s,
		"State        active: notifications are sent",
		"Started      2026-11-26 02:18:00 UTC (42m ago)",
		"Service      checkout  (namespace payments)",
		"Summary      5xx ratio of checkout is 12.4% (objective 0.1%)",
		"Runbook      https://runbooks.local/payments/high-error-ratio.md",
		`Expression   sum by (service) (rate(http_requests_total{code=~"5..",service="checkout"}[5m]))`,
		"  The checkout service answers 12.4% of its requests with a 5xx status.",
		"  The error budget of the month burns 124x faster than it may.",
		"  dashboard=https://grafana.local/d/checkout",
		"fired 4 times in the last 7 days (3 times for checkout, once for other services)",
		"2026-11-26 02:19 – ongoing",
		"2026-11-26 00:00 – ongoing              3h  ledger",
		"2026-11-25 01:00 – 01:50               50m",
		"2026-11-23 01:00 – 01:18               18m",
	)
	// The labels that matter first, then the others sorted.
	order := []string{"severity=critical", "service=checkout", "namespace=payments", "alertname=HighErrorRatio", "team=payments"}
	last := -1
	for _, l := range order {
		i := strings.Index(s, "  "+l)
		if i < last {
			t.Fatalf("label %s out of order:\n%s", l, s)
		}
		last = i
	}
	// Newest firing first.
	if strings.Index(s, "02:19 – ongoing") > strings.Index(s, "2026-11-25 01:00") {
		t.Fatal("history is newest first")
	}
}

func TestSilencedDetailSaysWhoUntilWhenAndWhy(t *testing.T) {
	h := newHarness(t, themes.Dark())
	h.feed(fixture())
	h.Press("enter")
	mustContain(t, screen(h.v, 120, 40),
		"silenced by alice until 2026-11-26 05:00:00 UTC (in 120m)",
		"“ledger migration, errors expected until 05:00”",
		"fired 4 times in the last 7 days (once for ledger, 3 times for other services)")
	// Inhibited: by which alert.
	h.Press("esc")
	h.v.Escape()
	h.Press("down", "down", "down", "enter")
	mustContain(t, screen(h.v, 120, 40), "inhibited by HighErrorRatio (checkout)")
}

func TestHistoryNeedsPrometheus(t *testing.T) {
	h := newHarness(t, themes.Dark())
	h.v.env.AlertHistory = nil
	openCheckout(t, h)
	mustContain(t, screen(h.v, 120, 60), "history needs Prometheus")
	h2 := newHarness(t, themes.Dark())
	h2.histErr = errors.New(`alert history: prometheus query_range: 422 bad_data: invalid parameter "query"`)
	openCheckout(t, h2)
	mustContain(t, screen(h2.v, 160, 60), `history: alert history: prometheus query_range: 422 bad_data: invalid parameter "query"`)
	h3 := newHarness(t, themes.Dark())
	h3.hist.Series = nil
	openCheckout(t, h3)
	mustContain(t, screen(h3.v, 120, 60), "did not fire in the last 7 days")
}

func TestRunbookRenderedInline(t *testing.T) {
	h := newHarness(t, themes.Dark())
	openCheckout(t, h)
	h.Press("b")
	if len(h.bookReqs) != 1 || h.bookReqs[0] != "https://runbooks.local/payments/high-error-ratio.md" {
		t.Fatalf("runbook requests = %q", h.bookReqs)
	}
	s := screen(h.v, 80, 24)
	mustContain(t, s, "# High error ratio", "## First steps", "• Check the last rollout", "• Roll back if the errors",
		"kubectl -n payments rollout undo deploy/checkout", "the SLO policy https://wiki.local/slo")
	if strings.Contains(s, "**5xx**") || strings.Contains(s, "- Roll back") {
		t.Fatalf("the Markdown must be rendered, not shown raw:\n%s", s)
	}
	if h.v.Title() != "alerts · HighErrorRatio · runbook" {
		t.Fatalf("title = %q", h.v.Title())
	}
	// b again: back to the details, and the runbook is not fetched twice.
	h.Press("b")
	mustContain(t, screen(h.v, 120, 40), "Summary")
	h.Press("b")
	if len(h.bookReqs) != 1 {
		t.Fatalf("the runbook was fetched %d times", len(h.bookReqs))
	}
	// Straight from the list: b opens the detail on the runbook.
	h2 := newHarness(t, themes.Dark())
	h2.feed(fixture())
	h2.Press("down", "b")
	mustContain(t, screen(h2.v, 80, 24), "# High error ratio")
	if len(h2.histReqs) != 1 {
		t.Fatal("opening the detail from b reads the history too")
	}
}

func TestRunbookWithoutColourUsesBackticks(t *testing.T) {
	h := newHarness(t, themes.Mono())
	openCheckout(t, h)
	h.Press("b")
	raw := h.v.Render(80, 24)
	mustContain(t, ansi.Strip(raw), "`vigie` then `o` on the alert")
	if sgr := colourSGR(raw); sgr != "" {
		t.Fatalf("monochrome: colour sequence %q in the runbook", sgr)
	}
}

func TestRunbookErrorsAndAbsence(t *testing.T) {
	h := newHarness(t, themes.Dark())
	h.bookErr = errNotFound()
	openCheckout(t, h)
	h.Press("b")
	mustContain(t, screen(h.v, 120, 24), "runbook: runbooks.local: GET /payments/high-error-ratio.md: 404 Not Found")
	// Retried on the next b once it failed.
	h.bookErr = nil
	h.Press("b", "b")
	mustContain(t, screen(h.v, 120, 24), "# High error ratio")

	// No runbook_url: said plainly, nothing fetched.
	h2 := newHarness(t, themes.Dark())
	h2.feed(fixture())
	h2.Press("down", "down", "b") // PodCrashLooping
	mustContain(t, screen(h2.v, 120, 24), "this alert has no runbook_url", "not actionable")
	if len(h2.bookReqs) != 0 {
		t.Fatalf("fetched %q without a URL", h2.bookReqs)
	}
	// No runbook source configured.
	h3 := newHarness(t, themes.Dark())
	h3.v.env.Runbook = nil
	openCheckout(t, h3)
	h3.Press("b")
	mustContain(t, screen(h3.v, 120, 24), "no runbook source")
}

func TestEscapeClosesTheDetailFirst(t *testing.T) {
	h := newHarness(t, themes.Dark())
	openCheckout(t, h)
	h.Press("b")
	if _, ok := h.v.Escape(); !ok || h.v.detail == nil || h.v.detail.showBook {
		t.Fatal("escape goes from the runbook back to the details")
	}
	if _, ok := h.v.Escape(); !ok || h.v.detail != nil {
		t.Fatal("escape closes the details")
	}
	if _, ok := h.v.Escape(); ok {
		t.Fatal("then the root may leave the screen")
	}
	if h.v.list.Cursor() != 1 {
		t.Fatal("the list keeps its cursor")
	}
}

func TestDetailFollowsTheAlert(t *testing.T) {
	h := newHarness(t, themes.Dark())
	openCheckout(t, h)
	s := fixture()
	s.Alerts[1].Annotations = map[string]string{"summary": "5xx ratio of checkout is 30%"}
	s.Alerts[1].Summary = "5xx ratio of checkout is 30%"
	h.feed(s)
	mustContain(t, screen(h.v, 120, 40), "5xx ratio of checkout is 30%")
	s.Alerts = append(s.Alerts[:1:1], s.Alerts[2:]...)
	h.feed(s)
	mustContain(t, screen(h.v, 120, 40), "resolved: no longer in Alertmanager", "5xx ratio of checkout is 30%")
}

func navigations(t *testing.T, msgs []any) []views.Route {
	t.Helper()
	var out []views.Route
	for _, m := range msgs {
		if n, ok := m.(views.Navigate); ok {
			out = append(out, n.Route)
		}
	}
	return out
}

func TestJumpsToContext(t *testing.T) {
	h := newHarness(t, themes.Dark())
	h.feed(fixture())
	h.Press("down") // HighErrorRatio on checkout
	one := func(keys ...string) views.Route {
		t.Helper()
		var msgs []any
		for _, m := range h.Press(keys...) {
			msgs = append(msgs, m)
		}
		rs := navigations(t, msgs)
		if len(rs) != 1 {
			t.Fatalf("%v: navigations %+v (messages %+v)", keys, rs, msgs)
		}
		return rs[0]
	}
	started := ago(42 * time.Minute)
	if r := one("o"); r != (views.Route{Screen: views.ScreenPods, Filter: "-l app=checkout"}) {
		t.Fatalf("o = %+v", r)
	}
	r := one("m")
	if r.Screen != views.ScreenMetrics || r.Name != "checkout" || !r.From.Equal(started.Add(-30*time.Minute)) || !r.To.Equal(testNow) || r.Query != expr {
		t.Fatalf("m = %+v", r)
	}
	if r := one("l"); r != (views.Route{Screen: views.ScreenLogs, Kind: "Deployment", Namespace: "payments", Name: "checkout", From: started.Add(-5 * time.Minute)}) {
		t.Fatalf("l = %+v", r)
	}
	// The same keys work from the detail pane.
	h.Press("enter")
	if r := one("o"); r.Filter != "-l app=checkout" {
		t.Fatalf("o from the detail = %+v", r)
	}
	h.v.Escape()
	// An app label wins for the pods, the service label for the logs.
	h.Press("down") // PodCrashLooping: app=fraud-worker, no service label
	if r := one("o"); r.Filter != "-l app=fraud-worker" {
		t.Fatalf("o = %+v", r)
	}
	if r := one("l"); r.Name != "fraud-worker" || r.Namespace != "payments" {
		t.Fatalf("l = %+v", r)
	}
	if r := one("m"); r.Query != "" || r.Name != "fraud-worker" {
		t.Fatalf("m without a generator URL = %+v", r)
	}
}

func TestJumpRoutesEdgeCases(t *testing.T) {
	a := fixture().Alerts[1]
	a.Labels = map[string]string{"alertname": "X", "service": "checkout api/v2"}
	if r := workloadsRoute(a); r.Filter != "checkout api/v2" {
		t.Fatalf("an invalid label value becomes a fuzzy filter: %+v", r)
	}
	a.Labels = map[string]string{"alertname": "X", "job": "node"}
	if r := workloadsRoute(a); r.Filter != "node" {
		t.Fatalf("job only: %+v", r)
	}
	if _, err := logsRoute(a); err == nil {
		t.Fatal("no service: no logs route")
	}
	a.Labels = map[string]string{"alertname": "X", "service": "checkout"}
	if _, err := logsRoute(a); err == nil || !strings.Contains(err.Error(), "namespace") {
		t.Fatalf("no namespace: %v", err)
	}
	// Resolved long ago: the window ends 30 minutes after it.
	a.StartsAt, a.EndsAt = ago(5*time.Hour), ago(4*time.Hour)
	if r := metricsRoute(a, testNow); !r.To.Equal(ago(3*time.Hour+30*time.Minute)) || !r.From.Equal(ago(5*time.Hour+30*time.Minute)) {
		t.Fatalf("m window = %v..%v", r.From, r.To)
	}
	a.GeneratorURL = "http://prom/graph?g0.expr=" + url.QueryEscape(`up{job="a b"} == 0`) + "&g0.tab=1"
	if got := expression(a); got != `up{job="a b"} == 0` {
		t.Fatalf("expression = %q", got)
	}
	a.GeneratorURL = "::not a url"
	if got := expression(a); got != "" {
		t.Fatalf("expression of a bad URL = %q", got)
	}
}

func TestLogsWithoutNamespaceFlashes(t *testing.T) {
	h := newHarness(t, themes.Dark())
	s := fixture()
	delete(s.Alerts[0].Labels, "namespace")
	h.feed(s)
	msgs := h.Press("l")
	if len(msgs) != 1 {
		t.Fatalf("messages %+v", msgs)
	}
	if f, ok := msgs[0].(views.Flash); !ok || f.Level != views.FlashWarning || !strings.Contains(f.Text, "namespace") {
		t.Fatalf("want a warning flash, got %+v", msgs[0])
	}
}

func TestOldResultsAreDropped(t *testing.T) {
	h := newHarness(t, themes.Dark())
	h.feed(fixture())
	h.Press("down")
	_, first := h.v.Update(screentest.Key("enter")) // history of checkout, not delivered yet
	old := first()
	h.v.Escape()
	h.Press("up")
	_, second := h.v.Update(screentest.Key("enter")) // ledger now
	h.hist.Series = nil
	h.v.Update(old)
	if s := screen(h.v, 120, 60); !strings.Contains(s, "reading the firing history") {
		t.Fatalf("a result of a closed detail must be dropped:\n%s", s)
	}
	h.v.Update(second())
	mustContain(t, screen(h.v, 120, 60), "did not fire in the last 7 days")

	// The runbook too, and anything in flight when the view is left.
	_, book := h.v.Update(screentest.Key("b"))
	h.v.Leave()
	h.v.Update(book())
	mustContain(t, screen(h.v, 120, 20), "fetching the runbook…")
	h.Run(h.v.Enter())
	mustContain(t, screen(h.v, 120, 20), "# High error ratio")
	if len(h.bookReqs) != 2 {
		t.Fatalf("entering again fetches what was cut: %q", h.bookReqs)
	}
	h.v.Update(runbookMsg{gen: 1, md: "# Stale runbook"})
	if strings.Contains(screen(h.v, 120, 20), "Stale runbook") {
		t.Fatal("generation 1 is long gone")
	}
}

func TestHelpAndCapturing(t *testing.T) {
	h := newHarness(t, themes.Dark())
	if len(h.v.Help().ShortHelp()) == 0 || len(h.v.Help().FullHelp()) == 0 {
		t.Fatal("the screen has help")
	}
	h.v.env.Keys.Alerts.Silence.SetEnabled(false)
	for _, col := range h.v.Help().FullHelp() {
		for _, b := range col {
			if b.Help().Desc == "silence" {
				t.Fatal("a disabled Silence binding vanishes from the help")
			}
		}
	}
	h.feed(fixture())
	h.Press("enter", "/")
	if h.v.Capturing() {
		t.Fatal("no prompt in the detail pane")
	}
}
