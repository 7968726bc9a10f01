package promql

import (
	"context"
	"flag"
	"fmt"
	"math"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/prometheus/common/model"

	"github.com/vigie-dev/vigie/internal/screentest"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/sources/prom"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
)

var update = flag.Bool("update", false, "rewrite the golden screens in testdata/")

// testNow is the fixed clock of the tests.
var testNow = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

const rateQuery = `sum by (code) (rate(http_requests_total{namespace="payments",service="checkout"}[5m]))`

// rangeCall and instantCall record what the view asked.
type rangeCall struct {
	query    string
	from, to time.Time
	step     time.Duration
}

type instantCall struct {
	query string
	at    time.Time
}

// harness is a console with fake Prometheus functions.
type harness struct {
	screentest.Driver // plays the root: Press, Run

	t        *testing.T
	v        *View
	ranges   []rangeCall
	instants []instantCall
	compls   []string // "metric|label|prefix"

	// rangeFn answers range queries (nil: no data).
	rangeFn   func(from, to time.Time, step time.Duration) model.Matrix
	rangeErr  error
	instVal   model.Value
	instErr   error
	compItems []string
	compErr   error
}

func newHarness(t *testing.T, r views.Route) *harness {
	t.Helper()
	st := themes.NewStyles(themes.Dark())
	keys := keymaps.Default()
	h := &harness{t: t}
	env := views.Env{
		Styles: &st, Keys: &keys, Now: func() time.Time { return testNow }, Loc: time.UTC,
		PromQuery: func(_ context.Context, q string, from, to time.Time, step time.Duration) (model.Value, error) {
			h.ranges = append(h.ranges, rangeCall{q, from, to, step})
			if h.rangeErr != nil {
				return nil, h.rangeErr
			}
			if h.rangeFn == nil {
				return model.Matrix{}, nil
			}
			return h.rangeFn(from, to, step), nil
		},
		PromInstant: func(_ context.Context, q string, at time.Time) (model.Value, error) {
			h.instants = append(h.instants, instantCall{q, at})
			return h.instVal, h.instErr
		},
		PromComplete: func(_ context.Context, metric, label, prefix string) ([]string, error) {
			h.compls = append(h.compls, metric+"|"+label+"|"+prefix)
			return h.compItems, h.compErr
		},
	}
	r.Screen = views.ScreenPromQL
	h.v = New(env, r)
	h.Driver = screentest.Driver{Update: h.send, Own: ownMsg}
	return h
}

// ownMsg reports the console's own results, which the root feeds back to it.
func ownMsg(msg tea.Msg) bool {
	switch msg.(type) {
	case resultMsg, completedMsg:
		return true
	}
	return false
}

// send hands msg to the console and returns its command.
func (h *harness) send(msg tea.Msg) tea.Cmd {
	_, cmd := h.v.Update(msg)
	return cmd
}

// typeIn types text into the focused input.
func (h *harness) typeIn(s string) {
	for _, r := range s {
		h.Press(string(r))
	}
}

// query replaces the input's text and runs it.
func (h *harness) query(q string) {
	h.v.input.SetValue(q)
	h.v.input.CursorEnd()
	h.Press("enter")
}

func screen(v *View, w, h int) string { return ansi.Strip(v.Render(w, h)) }

// codeRates is the range answer of rateQuery over [from, to] by step: 200s steady, 500s
// rising after the bad release 40 minutes ago, a trickle of 404s.
func codeRates(from, to time.Time, step time.Duration) model.Matrix {
	mk := func(code string, f func(at time.Time) float64) *model.SampleStream {
		ss := &model.SampleStream{Metric: model.Metric{"code": model.LabelValue(code), "namespace": "payments", "service": "checkout"}}
		for at := from; !at.After(to); at = at.Add(step) {
			ss.Values = append(ss.Values, model.SamplePair{Timestamp: model.TimeFromUnixNano(at.UnixNano()), Value: model.SampleValue(f(at))})
		}
		return ss
	}
	release := testNow.Add(-40 * time.Minute)
	return model.Matrix{
		mk("200", func(at time.Time) float64 { return 42 + 6*math.Sin(float64(at.Unix())/600) }),
		mk("404", func(time.Time) float64 { return 1.5 }),
		mk("500", func(at time.Time) float64 {
			if at.Before(release) {
				return 0.2
			}
			return 0.2 + 9*at.Sub(release).Minutes()/40
		}),
	}
}

// topPods is an instant answer: CPU seconds per pod, unsorted.
func topPods() model.Vector {
	s := func(pod string, v float64) *model.Sample {
		return &model.Sample{Metric: model.Metric{"namespace": "payments", "pod": model.LabelValue(pod)}, Value: model.SampleValue(v), Timestamp: model.TimeFromUnixNano(testNow.UnixNano())}
	}
	return model.Vector{
		s("ledger-5c8d7b9f6-x2k4p", 0.125),
		s("checkout-7d9f8c6b5-qwz8r", 1.875),
		s("fraud-worker-796b7978bb-4c6c2", 0.5),
		s("checkout-7d9f8c6b5-mn3vt", 1.25),
	}
}

// manySeries is a range answer of n series named pod-N.
func manySeries(n int, from, to time.Time, step time.Duration) model.Matrix {
	var m model.Matrix
	for i := range n {
		ss := &model.SampleStream{Metric: model.Metric{"__name__": "up", "job": "api", "pod": model.LabelValue(fmt.Sprintf("pod-%d", i))}}
		for at := from; !at.After(to); at = at.Add(step) {
			ss.Values = append(ss.Values, model.SamplePair{Timestamp: model.TimeFromUnixNano(at.UnixNano()), Value: model.SampleValue(float64(i))})
		}
		m = append(m, ss)
	}
	return m
}

func parseError() error {
	return &prom.QueryError{
		Query: `sum(rate(http_requests_total[5m])) by (job) bogus`, Type: "bad_data",
		Msg: `invalid parameter "query": 1:45: parse error: unexpected identifier "bogus"`,
		Pos: &prom.Position{Line: 1, Column: 45, Offset: 44},
	}
}
