package promql

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/prometheus/common/model"

	"github.com/vigie-dev/vigie/internal/screentest"
	"github.com/vigie-dev/vigie/sources/prom"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/chart"
)

func TestCompleteMetricName(t *testing.T) {
	h := newHarness(t, views.Route{})
	if !h.v.Capturing() {
		t.Fatal("the query input has the keyboard when the console opens")
	}
	h.typeIn("rate(http_req")
	h.compItems = []string{"http_requests_total", "http_request_duration_seconds_bucket", "not_http"}
	h.Press("tab")
	if want := []string{"||http_req"}; !slices.Equal(h.compls, want) {
		t.Fatalf("tab asks for metric names: %v, want %v", h.compls, want)
	}
	s := screen(h.v, 80, 24)
	if !strings.Contains(s, "http_request_duration_seconds_bucket  http_requests_total (2)") || strings.Contains(s, "not_http") {
		t.Fatalf("the choices are drawn on the line under the input:\n%s", s)
	}
	h.Press("tab")
	if got := h.v.input.Value(); got != "rate(http_request_duration_seconds_bucket" {
		t.Fatalf("a second tab inserts the first choice: %q", got)
	}
	h.Press("tab")
	if got := h.v.input.Value(); got != "rate(http_requests_total" {
		t.Fatalf("tab again cycles: %q", got)
	}
	if s := screen(h.v, 80, 24); !strings.Contains(s, "(2/2)") {
		t.Fatalf("the choice inserted is counted:\n%s", s)
	}
	h.typeIn("[5m])")
	if got := h.v.input.Value(); got != "rate(http_requests_total[5m])" || h.v.comp != nil {
		t.Fatalf("typing goes on after the choice and closes the choices: %q", got)
	}
	if len(h.compls) != 1 {
		t.Fatalf("cycling asks the server nothing more: %v", h.compls)
	}
}

func TestCompleteLabelNameAndValue(t *testing.T) {
	h := newHarness(t, views.Route{})
	h.typeIn("up{")
	h.compItems = []string{"job", "instance", "__name__"}
	h.Press("tab", "tab")
	if want := []string{"up|__label__|"}; !slices.Equal(h.compls, want) {
		t.Fatalf("tab in braces asks for the metric's label names: %v", h.compls)
	}
	if got := h.v.input.Value(); got != "up{instance" {
		t.Fatalf("the label name is inserted: %q", got)
	}

	h = newHarness(t, views.Route{})
	h.typeIn(`up{job="pay`)
	h.compItems = []string{`pay"ments\eu`, "payroll"}
	h.Press("tab")
	if want := []string{"up|job|pay"}; !slices.Equal(h.compls, want) {
		t.Fatalf("tab in a value asks for the label's values: %v", h.compls)
	}
	if s := screen(h.v, 80, 24); !strings.Contains(s, `"pay\"ments\\eu"`) {
		t.Fatalf("values are listed as they will be written:\n%s", s)
	}
	h.Press("tab")
	if got := h.v.input.Value(); got != `up{job="pay\"ments\\eu"` {
		t.Fatalf("the value goes inside the quotes, escaped: %q", got)
	}
	h.typeIn("}")
	if got := h.v.input.Value(); got != `up{job="pay\"ments\\eu"}` {
		t.Fatalf("the cursor is after the closing quote: %q", got)
	}

	// Unquoted, and in the middle of a closed string: the whole literal is replaced.
	h = newHarness(t, views.Route{})
	h.typeIn(`up{job="pay"}`)
	h.Press("left", "left", "left")
	h.compItems = []string{"payments"}
	h.Press("tab", "tab")
	if got := h.v.input.Value(); got != `up{job="payments"}` || h.compls[0] != "up|job|pa" {
		t.Fatalf("completion in a closed string replaces it: %q (asked %v)", got, h.compls)
	}
}

func TestCompletionErrors(t *testing.T) {
	h := newHarness(t, views.Route{})
	h.typeIn("rate(x[5")
	h.Press("tab")
	if len(h.compls) != 0 || !strings.Contains(screen(h.v, 80, 24), "nothing to complete here") {
		t.Fatalf("no completion in a duration: %v", h.compls)
	}
	h.Press("esc")
	if !h.v.Capturing() || h.v.comp != nil {
		t.Fatal("esc closes the choices first, the input keeps the keyboard")
	}
	h.Press("backspace", "backspace", "backspace", "backspace")
	h.compErr = errors.New("prometheus values of __name__: connection refused")
	h.Press("tab")
	if s := screen(h.v, 120, 24); !strings.Contains(s, "connection refused") {
		t.Fatalf("a completion error is shown:\n%s", s)
	}
	h.compErr = nil
	h.Press("esc", "tab")
	h.compItems = nil
	if s := screen(h.v, 120, 24); !strings.Contains(s, `no metric starts with "rate"`) {
		t.Fatalf("no choice is said:\n%s", s)
	}
}

func TestCompletionOfAnOldGenerationIsDropped(t *testing.T) {
	h := newHarness(t, views.Route{})
	h.typeIn("http")
	h.compItems = []string{"http_requests_total"}
	_, cmd := h.v.Update(screentest.Key("tab"))
	h.typeIn("_x") // the query changed while the server answered
	h.Run(cmd)
	if h.v.comp != nil {
		t.Fatal("choices for a query the user left are dropped")
	}
}

func TestRunRangeQueryDrawsChart(t *testing.T) {
	h := newHarness(t, views.Route{})
	h.rangeFn = codeRates
	screen(h.v, 80, 24)
	h.typeIn(rateQuery)
	h.Press("enter")
	from := testNow.Add(-time.Hour)
	want := rangeCall{rateQuery, from, testNow, prom.Step(160, from, testNow)}
	if len(h.ranges) != 1 || h.ranges[0] != want {
		t.Fatalf("enter runs a range query over the last hour, step from the width: %+v, want %+v", h.ranges, want)
	}
	if len(h.instants) != 0 {
		t.Fatalf("a range with series needs no instant query: %v", h.instants)
	}
	s := screen(h.v, 80, 24)
	for _, w := range []string{"last 1h", "step 30s", "3 series", `{namespace="payments", service="checkout"}`, "━ code=500", "━ code=200", "━ code=404", "⣀"} {
		if !strings.Contains(s, w) {
			t.Fatalf("the chart screen lacks %q:\n%s", w, s)
		}
	}
	if strings.Contains(s, "service=checkout") {
		t.Fatalf("legend names drop the labels every series has:\n%s", s)
	}
	// The cursor reads values; the window keys run the query again.
	h.Press("esc", "h", "h")
	if s := screen(h.v, 120, 40); !strings.Contains(s, "cursor 02:59:30") || !strings.Contains(s, "code=500 9.09") {
		t.Fatalf("the cursor reads exact values:\n%s", s)
	}
	h.Press("+")
	if last := h.ranges[len(h.ranges)-1]; last.to.Sub(last.from) != 6*time.Hour || last.query != rateQuery {
		t.Fatalf("+ runs the query over the next longer range: %+v", last)
	}
	h.Press("t")
	h.typeIn("01:00..02:30")
	h.Press("enter")
	if last := h.ranges[len(h.ranges)-1]; !last.from.Equal(testNow.Add(-2*time.Hour)) || !last.to.Equal(testNow.Add(-30*time.Minute)) {
		t.Fatalf("a typed window is run: %+v", last)
	}
	if s := screen(h.v, 120, 40); !strings.Contains(s, "2026-11-26 01:00 .. 2026-11-26 02:30") {
		t.Fatalf("the window is shown:\n%s", s)
	}
}

func TestManySeriesLegend(t *testing.T) {
	h := newHarness(t, views.Route{})
	h.rangeFn = func(from, to time.Time, step time.Duration) model.Matrix { return manySeries(20, from, to, step) }
	h.query("up")
	s := screen(h.v, 120, 40)
	for _, w := range []string{"20 series", "top 12 charted", "━ pod=pod-19", "━ pod=pod-8", "+8 more", `up{job="api"}`} {
		if !strings.Contains(s, w) {
			t.Fatalf("lacks %q:\n%s", w, s)
		}
	}
	if strings.Contains(s, "━ pod=pod-7 ") {
		t.Fatalf("only the 12 highest series are charted:\n%s", s)
	}
}

func TestInstantFallbackTable(t *testing.T) {
	h := newHarness(t, views.Route{})
	h.instVal = topPods()
	h.query(`sum by (pod) (rate(container_cpu_usage_seconds_total[5m]))`)
	if len(h.ranges) != 1 || len(h.instants) != 1 || !h.instants[0].at.Equal(testNow) {
		t.Fatalf("an empty range falls back to an instant query at the window's end: %v %v", h.ranges, h.instants)
	}
	s := screen(h.v, 80, 24)
	order := []string{"pod=checkout-7d9f8c6b5-qwz8r", "pod=checkout-7d9f8c6b5-mn3vt", "pod=fraud-worker", "pod=ledger"}
	last := -1
	for _, w := range order {
		i := strings.Index(s, w)
		if i < last {
			t.Fatalf("rows are sorted by value, highest first (%s):\n%s", w, s)
		}
		last = i
	}
	for _, w := range []string{"instant at 2026-11-26 03:00:00", "4 samples", `all: {namespace="payments"}`, "VALUE↓", "1.875"} {
		if !strings.Contains(s, w) {
			t.Fatalf("the table screen lacks %q:\n%s", w, s)
		}
	}
	h.Press("esc", "j")
	if row, _ := h.v.list.Selected(); !strings.Contains(row.Cells[0].Text, "mn3vt") {
		t.Fatalf("the table's keys move the cursor: %v", row)
	}
	h.Press("/")
	if !h.v.Capturing() {
		t.Fatal("/ gives the keyboard back to the query input")
	}
}

func TestRangeRefusedFallsBackToInstant(t *testing.T) {
	h := newHarness(t, views.Route{})
	h.rangeErr = &prom.QueryError{Type: "bad_data", Msg: `invalid parameter "query": invalid expression type "string" for range query, must be Scalar or instant Vector`}
	h.instVal = &model.String{Value: "hello", Timestamp: model.TimeFromUnixNano(testNow.UnixNano())}
	h.query(`"hello"`)
	s := screen(h.v, 80, 24)
	if len(h.instants) != 1 || !strings.Contains(s, "hello") || strings.Contains(s, "invalid expression") {
		t.Fatalf("a refused range runs as an instant query:\n%s", s)
	}
}

func TestParseErrorCaret(t *testing.T) {
	h := newHarness(t, views.Route{})
	q := `sum(rate(http_requests_total[5m])) by (job) bogus`
	msg := `invalid parameter "query": 1:26: parse error: unexpected identifier "bogus"`
	h.rangeErr = &prom.QueryError{Query: q, Type: "bad_data", Msg: msg, Pos: &prom.Position{Line: 1, Column: 26, Offset: 25}}
	h.query(q)
	if len(h.instants) != 0 {
		t.Fatal("a parse error is not retried as an instant query")
	}
	lines := strings.Split(screen(h.v, 100, 24), "\n")
	caret := strings.Index(lines[1], "^")
	if caret != len(prompt)+25 || strings.TrimSpace(lines[1]) != "^" {
		t.Fatalf("the caret is under column 26 of the query (screen column %d):\n%s", caret, strings.Join(lines, "\n"))
	}
	if lines[0][caret] != q[25] {
		t.Fatalf("the caret points at %q", lines[0][caret])
	}
	if !strings.Contains(lines[2], msg) {
		t.Fatalf("the server's words are shown:\n%s", strings.Join(lines, "\n"))
	}
	// At 30 columns the caret is clamped to the width, the message wrapped.
	if err := screentest.Fits(screen(h.v, 30, 24), 30, 24, ansi.StringWidth); err != nil {
		t.Fatal(err)
	}
	h.typeIn("x")
	if strings.Contains(screen(h.v, 100, 24), "^") {
		t.Fatal("the caret goes when the query is edited")
	}
}

func TestParseErrorCaretInScrolledQuery(t *testing.T) {
	h := newHarness(t, views.Route{})
	q := "sum by (service) (rate(http_requests_total{namespace=\"payments\",code=~\"5..\"}[5m])) / sum by (service) (rate(http_requests_total[5m])) >> 0.05"
	off := strings.Index(q, ">>") + 1
	h.rangeErr = &prom.QueryError{Type: "bad_data", Msg: "1:" + strconv.Itoa(off+1) + ": parse error: unexpected \">\"", Pos: &prom.Position{Line: 1, Column: off + 1, Offset: off}}
	h.query(q)
	lines := strings.Split(screen(h.v, 60, 24), "\n")
	caret := strings.Index(lines[1], "^")
	if got := []rune(lines[0]); caret < 0 || caret >= len(got) || got[caret] != '>' || got[len(prompt)] != '…' {
		t.Fatalf("the caret follows the scrolled query (column %d):\n%s", caret, strings.Join(lines[:3], "\n"))
	}
	h.Press("esc") // unfocused, the query is drawn from its start: the position is off screen
	lines = strings.Split(screen(h.v, 60, 24), "\n")
	if caret := strings.Index(lines[1], "^"); caret != 59 || !strings.HasSuffix(lines[0], "…") {
		t.Fatalf("the caret is clamped to the width (column %d):\n%s", caret, strings.Join(lines[:3], "\n"))
	}
}

func TestLiveRefresh(t *testing.T) {
	h := newHarness(t, views.Route{})
	h.rangeFn = codeRates
	h.query(rateQuery)
	for range refreshEvery {
		_, cmd := h.v.Update(views.Tick{At: testNow})
		h.Run(cmd)
	}
	if len(h.ranges) != 2 {
		t.Fatalf("a live window is refreshed every %d ticks: %d runs", refreshEvery, len(h.ranges))
	}
	h.rangeErr = parseError()
	h.query("x bogus")
	for range 2 * refreshEvery {
		_, cmd := h.v.Update(views.Tick{At: testNow})
		h.Run(cmd)
	}
	if len(h.ranges) != 3 {
		t.Fatalf("a query the server refused is not run again by itself: %d runs", len(h.ranges))
	}
}

func TestStaleKeepsChart(t *testing.T) {
	h := newHarness(t, views.Route{})
	h.rangeFn = codeRates
	h.query(rateQuery)
	h.rangeErr = &prom.QueryError{Msg: `Post "http://prometheus:9090/api/v1/query_range": dial tcp: connection refused`}
	testNowLater := testNow
	h.v.env.Now = func() time.Time { return testNowLater.Add(2 * time.Minute) }
	h.Press("enter")
	s := screen(h.v, 120, 30)
	for _, w := range []string{"STALE ⚠ from 2m ago", "connection refused", "━ code=500", "3 series"} {
		if !strings.Contains(s, w) {
			t.Fatalf("a failed re-run keeps the chart, marked stale (%q):\n%s", w, s)
		}
	}
}

func TestOldGenerationResultsDropped(t *testing.T) {
	h := newHarness(t, views.Route{})
	h.rangeFn = codeRates
	h.v.input.SetValue("first")
	_, first := h.v.Update(screentest.Key("enter"))
	h.v.input.SetValue(rateQuery)
	_, second := h.v.Update(screentest.Key("enter"))
	h.Run(second)
	h.Run(first)
	if h.v.res == nil || h.v.res.query != rateQuery {
		t.Fatalf("the answer to a replaced query is dropped: %+v", h.v.res)
	}
	_, third := h.v.Update(screentest.Key("enter"))
	h.v.Leave()
	h.rangeErr = errors.New("late")
	h.Run(third)
	if h.v.err != nil || h.v.loading {
		t.Fatal("an answer arriving after Leave is dropped")
	}
}

func TestRouteQueryRunsOnEnter(t *testing.T) {
	from := testNow.Add(-3 * time.Hour)
	h := newHarness(t, views.Route{Query: rateQuery, From: from, To: testNow.Add(-time.Hour)})
	h.rangeFn = codeRates
	h.Run(h.v.Enter())
	if len(h.ranges) != 1 || h.ranges[0].query != rateQuery || !h.ranges[0].from.Equal(from) || !h.ranges[0].to.Equal(testNow.Add(-time.Hour)) {
		t.Fatalf("the route's query runs over its window at once: %+v", h.ranges)
	}
	if h.v.Title() != "promql" {
		t.Fatal(h.v.Title())
	}
	if cmd := newHarness(t, views.Route{}).v.Enter(); cmd != nil {
		t.Fatal("without a query nothing runs")
	}
}

func TestEscapeInjection(t *testing.T) {
	const evil = "\x1b]0;pwned\x07"
	h := newHarness(t, views.Route{})
	h.rangeFn = func(from, to time.Time, step time.Duration) model.Matrix {
		m := codeRates(from, to, step)
		m[0].Metric["service"] = evil
		m[1].Metric["evil"+"\x1b[2J"] = "x"
		return m
	}
	h.query("x")
	h.instVal = model.Vector{{Metric: model.Metric{"pod": evil}, Value: 1}}
	h.compItems = []string{evil + "metric"}
	h.rangeFn = nil
	h.query("y")
	h.rangeErr = errors.New("server said " + evil + "\u009b31m")
	h.Press("enter", "tab")
	outs := []string{}
	h.rangeErr = nil
	for _, sz := range [][2]int{{80, 24}, {200, 60}} {
		outs = append(outs, h.v.Render(sz[0], sz[1]))
	}
	h.rangeFn = func(from, to time.Time, step time.Duration) model.Matrix {
		m := codeRates(from, to, step)
		m[0].Metric["service"] = evil
		return m
	}
	h.query("x")
	outs = append(outs, h.v.Render(200, 60))
	for _, out := range outs {
		if err := screentest.Inert(out, ansi.Strip(out), "^[]0;pwned^G"); err != nil {
			t.Fatalf("remote text reaches the terminal unsanitised or not at all: %v", err)
		}
	}
}

func TestRenderAnySize(t *testing.T) {
	chartH := newHarness(t, views.Route{})
	chartH.rangeFn = func(from, to time.Time, step time.Duration) model.Matrix { return manySeries(15, from, to, step) }
	chartH.query("up")
	chartH.v.err = errors.New("a long error message from the server that wraps over several lines of the narrow screen")
	tableH := newHarness(t, views.Route{})
	tableH.instVal = topPods()
	tableH.query("x")
	tableH.typeIn(" + on(pod)")
	tableH.compItems = []string{"a", "b"}
	tableH.Press("tab")
	// Every width at a few heights, every height at a few widths (a chart of 200×60
	// costs a few milliseconds: the whole square would take a minute under -race).
	sizes := screentest.Sizes(200, 60, false, []int{0, 1, 2, 8, 9, 15, 16, 17, 33, 80, 200}, []int{0, 1, 2, 3, 4, 5, 7, 9, 24})
	for _, v := range []*View{chartH.v, tableH.v, newHarness(t, views.Route{}).v} {
		for _, sz := range sizes {
			w, h := sz[0], sz[1]
			if err := screentest.Fits(v.Render(w, h), w, h, ansi.StringWidth); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestHelp(t *testing.T) {
	h := newHarness(t, views.Route{})
	help := h.v.Help()
	var titles []string
	for _, g := range help.Groups {
		titles = append(titles, g.Title)
	}
	if want := []string{"Query", "Time range", "Navigation", "General"}; !slices.Equal(titles, want) {
		t.Fatalf("help groups %v, want %v", titles, want)
	}
	var keys []string
	for _, b := range help.Groups[0].Bindings {
		keys = append(keys, b.Help().Key+" "+b.Help().Desc)
	}
	if want := []string{"enter run the query", "tab complete; again: next choice", "esc close choices, leave the input", "/ edit the query"}; !slices.Equal(keys, want) {
		t.Fatalf("query keys %q", keys)
	}
}

// The legend is drawn here in the chart's colours: both must stay in step.
func TestLegendColoursMatchChart(t *testing.T) {
	st := themes.NewStyles(themes.Dark())
	var series []chart.Series
	for i := range 8 {
		series = append(series, chart.Series{Name: string(rune('a' + i))})
	}
	c := chart.Chart{Series: series, From: testNow.Add(-time.Hour), To: testNow}
	out := strings.Split(c.Render(&st, 300, 6), "\n")
	legend := out[len(out)-1]
	styles := legendStyles(&st)
	for i := range series {
		mark := styles[i%len(styles)].Render("━ ") + series[i].Name
		if !strings.Contains(legend, mark) {
			t.Fatalf("series %d is not drawn in the chart's colour: %q not in %q", i, mark, legend)
		}
	}
}
