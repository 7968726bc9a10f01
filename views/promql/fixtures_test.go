package promql

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/prometheus/common/model"

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
	return h
}

// run executes a command and feeds the console's own messages back (the root's job);
// it returns the other messages.
func (h *harness) run(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, h.run(c)...)
		}
		return out
	case resultMsg, completedMsg:
		_, next := h.v.Update(msg)
		return h.run(next)
	case nil:
		return nil
	default:
		return []tea.Msg{msg}
	}
}

// press sends keys, running what they return.
func (h *harness) press(keys ...string) {
	for _, k := range keys {
		_, cmd := h.v.Update(keyPress(k))
		h.run(cmd)
	}
}

// typeIn types text into the focused input.
func (h *harness) typeIn(s string) {
	for _, r := range s {
		h.press(string(r))
	}
}

// query replaces the input's text and runs it.
func (h *harness) query(q string) {
	h.v.input.SetValue(q)
	h.v.input.CursorEnd()
	h.press("enter")
}

func keyPress(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	}
	return tea.KeyPressMsg{Code: []rune(s)[0], Text: s}
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

// golden compares got with testdata/<name>.golden; -update rewrites it.
func golden(t *testing.T, name, got string) {
	t.Helper()
	lines := strings.Split(got, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	got = strings.Join(lines, "\n") + "\n"
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Fatalf("screen %s differs from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

func parseError() error {
	return &prom.QueryError{
		Query: `sum(rate(http_requests_total[5m])) by (job) bogus`, Type: "bad_data",
		Msg: `invalid parameter "query": 1:45: parse error: unexpected identifier "bogus"`,
		Pos: &prom.Position{Line: 1, Column: 45, Offset: 44},
	}
}
