package alerts

import (
	"context"
	"errors"
	"flag"
	"net/url"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/screentest"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/sources/alertmanager"
	"github.com/vigie-dev/vigie/sources/prom"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
)

var update = flag.Bool("update", false, "rewrite the golden screens in testdata/")

// testNow is the fixed clock of the tests.
var testNow = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

func ago(d time.Duration) time.Time { return testNow.Add(-d) }

// The injected text: an OSC title change, a clear screen and a C1 CSI byte.
const evil = "pwn\x1b]0;pwned\x07ed\x1b[2J now\u009b31m"

const expr = `sum by (service) (rate(http_requests_total{code=~"5..",service="checkout"}[5m])) / sum by (service) (rate(http_requests_total{service="checkout"}[5m])) > 0.05`

func generatorURL(e string) string {
	return "http://prometheus.local/graph?g0.expr=" + url.QueryEscape(e) + "&g0.tab=1"
}

func alert(fp, name, sev, svc string, since time.Duration, state alertmanager.State, labels, ann map[string]string) alertmanager.Alert {
	l := map[string]string{"alertname": name, "team": "payments", "namespace": "payments"}
	if sev != "" {
		l["severity"] = sev
	}
	if svc != "" {
		l["service"] = svc
	}
	for k, v := range labels {
		l[k] = v
	}
	if ann == nil {
		ann = map[string]string{}
	}
	return alertmanager.Alert{
		Fingerprint: fp, Name: name, Labels: l, Annotations: ann,
		Summary: ann["summary"], Description: ann["description"], RunbookURL: ann["runbook_url"],
		Severity: sev, State: state, StartsAt: ago(since), UpdatedAt: ago(time.Minute),
		EndsAt: testNow.Add(4 * time.Minute), Receivers: []string{"payments-pager"},
	}
}

// fixture is the payments team's alerts as the local platform fires them, at testNow.
func fixture() alertmanager.Snapshot {
	errRatio := alert("fp1", "HighErrorRatio", "critical", "checkout", 42*time.Minute, alertmanager.StateActive, nil, map[string]string{
		"summary":     "5xx ratio of checkout is 12.4% (objective 0.1%)",
		"description": "The checkout service answers 12.4% of its requests with a 5xx status.\nThe error budget of the month burns 124x faster than it may.",
		"runbook_url": "https://runbooks.local/payments/high-error-ratio.md",
		"dashboard":   "https://grafana.local/d/checkout",
	})
	errRatio.GeneratorURL = generatorURL(expr)
	errLedger := alert("fp2", "HighErrorRatio", "critical", "ledger", 3*time.Hour, alertmanager.StateSilenced, nil, map[string]string{
		"summary":     "5xx ratio of ledger is 2.1% (objective 0.1%)",
		"runbook_url": "https://runbooks.local/payments/high-error-ratio.md",
	})
	errLedger.SilencedBy = []string{"s1"}
	crash := alert("fp3", "PodCrashLooping", "warning", "", 2*time.Hour, alertmanager.StateActive,
		map[string]string{"app": "fraud-worker", "pod": "fraud-worker-796b7978bb-4c6c2", "container": "app"},
		map[string]string{"summary": "fraud-worker-796b7978bb-4c6c2 restarted 7 times in 2h"})
	latency := alert("fp4", "HighLatencyP99", "warning", "checkout", 35*time.Minute, alertmanager.StateInhibited, nil,
		map[string]string{"summary": "p99 latency of checkout is 1.8s (objective 300ms)"})
	latency.InhibitedBy = []string{"fp1"}
	cert := alert("fp5", "CertificateExpiringSoon", "info", "ledger", 50*time.Hour, alertmanager.StateActive, nil,
		map[string]string{"summary": "TLS certificate of ledger.payments expires in 9 days"})
	alerts := []alertmanager.Alert{errRatio, errLedger, crash, latency, cert}
	alertmanager.SortAlerts(alerts)
	return alertmanager.Snapshot{
		Seq: 7, At: ago(5 * time.Second), Alerts: alerts, AlertsAt: ago(5 * time.Second),
		Silences: map[string]alertmanager.Silence{"s1": {
			ID: "s1", CreatedBy: "alice", Comment: "ledger migration, errors expected until 05:00",
			State: "active", StartsAt: ago(3 * time.Hour), EndsAt: testNow.Add(2 * time.Hour),
		}},
	}
}

// stale is the fixture after Alertmanager stopped answering 42 seconds ago.
func stale() alertmanager.Snapshot {
	s := fixture()
	s.AlertsAt = ago(42 * time.Second)
	s.StaleSince = ago(40 * time.Second)
	s.Err = &alertmanager.APIError{Op: "get alerts", Code: 503, Msg: "Service Unavailable"}
	return s
}

// history is what Prometheus says about HighErrorRatio over the last 7 days.
func history() prom.AlertHistory {
	step := time.Minute
	checkout := map[string]string{"alertname": "HighErrorRatio", "severity": "critical", "service": "checkout", "namespace": "payments", "team": "payments"}
	ledger := map[string]string{"alertname": "HighErrorRatio", "severity": "critical", "service": "ledger", "namespace": "payments", "team": "payments"}
	return prom.AlertHistory{
		Query: `ALERTS{alertname="HighErrorRatio",alertstate="firing",team="payments"}`,
		Start: testNow.Add(-historyWindow), End: testNow, Step: step,
		Series: []prom.AlertSeries{
			{Name: "HighErrorRatio", Labels: checkout, Intervals: []prom.Interval{
				{Start: ago(74 * time.Hour), End: ago(73*time.Hour + 42*time.Minute)},
				{Start: ago(26 * time.Hour), End: ago(25*time.Hour + 10*time.Minute)},
				{Start: ago(41 * time.Minute), End: testNow, Ongoing: true},
			}},
			{Name: "HighErrorRatio", Labels: ledger, Intervals: []prom.Interval{
				{Start: ago(3 * time.Hour), End: testNow, Ongoing: true},
			}},
		},
		Count: 4,
	}
}

const runbookMD = "# High error ratio\n\nThe service answers too many requests with a **5xx** status.\n\n## First steps\n\n- Check the last rollout: `vigie` then `o` on the alert.\n- Roll back if the errors started with it.\n- Page the owning team if it did not.\n\n```\nkubectl -n payments rollout undo deploy/checkout\n```\n\nSee [the SLO policy](https://wiki.local/slo) for the budget.\n"

// harness is a view with recorded fetches.
type harness struct {
	screentest.Driver // plays the root: Press, Run, Type

	v        *View
	histReqs []string
	bookReqs []string
	hist     prom.AlertHistory
	histErr  error
	book     string
	bookErr  error
}

func newHarness(t *testing.T, palette themes.Palette) *harness {
	t.Helper()
	st := themes.NewStyles(palette)
	keys := keymaps.Default()
	h := &harness{hist: history(), book: runbookMD}
	env := views.Env{
		Styles: &st, Keys: &keys, Now: func() time.Time { return testNow }, Loc: time.UTC,
		AlertHistory: func(_ context.Context, name string, start, end time.Time) (prom.AlertHistory, error) {
			h.histReqs = append(h.histReqs, name+" "+start.Format(time.RFC3339)+".."+end.Format(time.RFC3339))
			return h.hist, h.histErr
		},
		Runbook: func(_ context.Context, url string) (string, error) {
			h.bookReqs = append(h.bookReqs, url)
			return h.book, h.bookErr
		},
	}
	h.v = New(env, views.Route{Screen: views.ScreenAlerts})
	h.Driver = screentest.Driver{Update: h.send, Own: ownMsg}
	return h
}

func (h *harness) feed(s alertmanager.Snapshot) { h.v.Update(views.AlertsSnapshot{Gen: 1, Snap: s}) }

// ownMsg reports the view's own results, which the root feeds back to it.
func ownMsg(msg tea.Msg) bool {
	switch msg.(type) {
	case historyMsg, runbookMsg:
		return true
	}
	return false
}

// send hands msg to the view and returns its command.
func (h *harness) send(msg tea.Msg) tea.Cmd {
	_, cmd := h.v.Update(msg)
	return cmd
}

func screen(v *View, w, h int) string { return ansi.Strip(v.Render(w, h)) }

func errNotFound() error {
	return errors.New("runbooks.local: GET /payments/high-error-ratio.md: 404 Not Found")
}
