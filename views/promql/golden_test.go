package promql

import (
	"testing"

	"github.com/vigie-dev/vigie/internal/screentest"
	"github.com/vigie-dev/vigie/views"
)

func TestGoldenScreens(t *testing.T) {
	cases := []struct {
		name string
		w, h int
		run  func(h *harness)
	}{
		{"chart-80x24", 80, 24, chartScreen},
		{"chart-120x40", 120, 40, chartScreen},
		{"table-80x24", 80, 24, tableScreen},
		{"table-120x40", 120, 40, tableScreen},
		{"error-80x24", 80, 24, errorScreen},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, views.Route{})
			screen(h.v, c.w, c.h) // the step follows the width of the screen
			c.run(h)
			screentest.GoldenScreen(t, c.name, screen(h.v, c.w, c.h), *update)
		})
	}
}

// chartScreen: the error ratio query charted, the input left, the cursor on the chart.
func chartScreen(h *harness) {
	h.rangeFn = codeRates
	h.query(rateQuery)
	h.Press("esc", "h", "h", "h", "h", "h")
}

// tableScreen: an instant answer (the range had no series), sorted by value.
func tableScreen(h *harness) {
	h.instVal = topPods()
	h.query(`topk(5, sum by (namespace, pod) (rate(container_cpu_usage_seconds_total[5m])))`)
}

// errorScreen: a parse error after a good chart: the chart stays, stale, and the caret
// points into the query.
func errorScreen(h *harness) {
	h.rangeFn = codeRates
	h.query(rateQuery)
	h.rangeErr = parseError()
	h.query(`sum(rate(http_requests_total[5m])) by (job) bogus`)
}
