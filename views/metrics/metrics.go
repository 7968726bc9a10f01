// Package metrics is the metrics screen of one service: its golden signals (requests,
// errors, latency, saturation) charted over a time range with the service's rollouts
// marked on the time axis, a cursor to read exact values, and the expression an alert
// fired on when the screen was opened from an alert.
package metrics

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/prometheus/common/model"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/sources/kube"
	"github.com/vigie-dev/vigie/sources/prom"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/chart"
	"github.com/vigie-dev/vigie/views/table"
	"github.com/vigie-dev/vigie/views/timewin"
	"github.com/vigie-dev/vigie/views/workloads"
)

// refreshEvery is how many one-second ticks pass between refetches of a live range.
const refreshEvery = 30

// View is the metrics screen.
type View struct {
	env   views.Env
	route views.Route

	preset     int       // index into Presets when live
	live       bool      // the range ends now
	from, to   time.Time // the fixed window when !live
	cursorStep int       // cursor position in steps from the end; -1 = no cursor
	data       *prom.SignalsSeries
	expr       model.Value
	err        string
	loading    bool
	fetchedAt  time.Time
	ticks      int
	plotW      int
	gen        uint64
	cancel     context.CancelFunc
	kube       *kube.Snapshot
	slo        *prom.SLOStatus // the service's SLO from the poll, when it has one
	prompt     textinput.Model
	editing    bool
	promptErr  string
}

// New opens the metrics of the service named by r.Name, over r.From..r.To when set.
func New(env views.Env, r views.Route) *View {
	in := textinput.New()
	in.Prompt = "window: "
	in.Placeholder = "2026-11-24 22:10..23:40, 22:10..23:40, or 90m / 6h / 2d"
	in.CharLimit = 64
	v := &View{env: env, route: r, preset: 1, live: true, cursorStep: -1, prompt: in, plotW: 100}
	if !r.From.IsZero() {
		v.live, v.from, v.to = false, r.From, r.To
		if v.to.IsZero() || v.to.After(env.Now()) {
			v.to = env.Now()
		}
	}
	return v
}

func (v *View) Route() views.Route         { return v.route }
func (v *View) Capturing() bool            { return v.editing }
func (v *View) Help() keymaps.Screen       { return v.env.Keys.MetricsHelp() }
func (v *View) Title() string              { return "metrics · " + termtext.Line(v.route.Name) }
func (v *View) Escape() (views.View, bool) { return v, v.dropCursor() }

func (v *View) dropCursor() bool {
	if v.cursorStep < 0 {
		return false
	}
	v.cursorStep = -1
	return true
}

// window is the range drawn now.
func (v *View) window() (time.Time, time.Time) {
	if v.live {
		now := v.env.Now()
		return now.Add(-timewin.Presets()[v.preset]), now
	}
	return v.from, v.to
}

// Enter fetches the range.
func (v *View) Enter() tea.Cmd { return v.fetch() }

// Leave cancels a fetch in flight.
func (v *View) Leave() {
	if v.cancel != nil {
		v.cancel()
		v.cancel = nil
	}
}

type fetched struct {
	gen  uint64
	data prom.SignalsSeries
	expr model.Value
	err  error
	at   time.Time
}

func (v *View) fetch() tea.Cmd {
	v.Leave()
	v.gen++
	if v.env.PromRange == nil {
		v.err = "no Prometheus configured for this context"
		return nil
	}
	from, to := v.window()
	step := prom.Step(max(20, v.plotW*2), from, to)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	v.cancel, v.loading = cancel, true
	gen, svc, q, rng, query, now := v.gen, v.route.Name, v.route.Query, v.env.PromRange, v.env.PromQuery, v.env.Now()
	return func() tea.Msg {
		defer cancel()
		data, err := rng(ctx, svc, from, to, step)
		var expr model.Value
		if err == nil && q != "" && query != nil {
			expr, err = query(ctx, q, from, to, step)
			if err != nil {
				err = fmt.Errorf("alert expression: %w", err)
			}
		}
		return fetched{gen: gen, data: data, expr: expr, err: err, at: now}
	}
}

// Update handles the data and the keys.
func (v *View) Update(msg tea.Msg) (views.View, tea.Cmd) {
	switch msg := msg.(type) {
	case fetched:
		if msg.gen != v.gen {
			return v, nil
		}
		v.loading = false
		if msg.err != nil {
			v.err = msg.err.Error() // the last good charts stay, marked
			return v, nil
		}
		v.err, v.fetchedAt = "", msg.at
		d := msg.data
		v.data, v.expr = &d, msg.expr
	case views.KubeSnapshot:
		s := msg.Snap
		v.kube = &s
	case views.PromSnapshot:
		if sig, ok := msg.Snap.Services[v.route.Name]; ok && sig.SLO != nil {
			st := *sig.SLO
			v.slo = &st
		}
	case views.Tick:
		v.ticks++
		if v.live && v.ticks%refreshEvery == 0 && !v.loading {
			return v, v.fetch()
		}
	case tea.PasteMsg:
		if v.editing {
			var cmd tea.Cmd
			v.prompt, cmd = v.prompt.Update(msg)
			return v, cmd
		}
	case tea.KeyPressMsg:
		if v.editing {
			return v, v.promptKey(msg)
		}
		return v, v.key(msg)
	}
	return v, nil
}

func (v *View) key(msg tea.KeyPressMsg) tea.Cmd {
	k := v.env.Keys.Metrics
	switch {
	case key.Matches(msg, k.Shorter):
		return v.zoom(-1)
	case key.Matches(msg, k.Longer):
		return v.zoom(1)
	case key.Matches(msg, k.Live):
		v.live, v.cursorStep = true, -1
		return v.fetch()
	case key.Matches(msg, k.Window):
		v.editing, v.promptErr = true, ""
		v.prompt.SetValue("")
		return v.prompt.Focus()
	case key.Matches(msg, k.Left):
		v.moveCursor(1)
	case key.Matches(msg, k.Right):
		v.moveCursor(-1)
	case key.Matches(msg, k.Logs):
		d := v.deployment()
		if d == nil {
			return views.FlashCmd(views.FlashWarning, "no deployment of "+termtext.Line(v.route.Name)+" in the team's scope")
		}
		from, _ := v.window()
		r := views.Route{Screen: views.ScreenLogs, Kind: "Deployment", Namespace: d.Namespace, Name: d.Name, From: from}
		return func() tea.Msg { return views.Navigate{Route: r} }
	}
	return nil
}

// zoom moves to the next shorter (-1) or longer (+1) range: a preset when live, else the
// window halved or doubled around its middle.
func (v *View) zoom(dir int) tea.Cmd {
	var changed bool
	v.preset, v.from, v.to, changed = timewin.Zoom(v.live, v.preset, v.from, v.to, dir, v.env.Now())
	if !changed {
		return nil
	}
	v.cursorStep = -1
	return v.fetch()
}

func (v *View) moveCursor(steps int) {
	if v.data == nil {
		return
	}
	n := int(v.data.End.Sub(v.data.Start) / max(v.data.Step, time.Second))
	if v.cursorStep < 0 {
		v.cursorStep = 0
		return
	}
	v.cursorStep = max(0, min(n, v.cursorStep+steps))
}

func (v *View) promptKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		v.editing = false
		v.prompt.Blur()
		return nil
	case "enter":
		loc := v.env.Loc
		if loc == nil {
			loc = time.Local
		}
		from, to, live, err := timewin.ParseWindow(v.prompt.Value(), v.env.Now(), loc)
		if err != nil {
			v.promptErr = err.Error()
			return nil
		}
		v.editing = false
		v.prompt.Blur()
		v.live, v.from, v.to, v.cursorStep = false, from, to, -1
		if live { // a span ending now: the nearest preset, or the fixed span
			v.live = slices.Contains(timewin.Presets(), to.Sub(from))
			if v.live {
				v.preset = slices.Index(timewin.Presets(), to.Sub(from))
			}
		}
		return v.fetch()
	}
	var cmd tea.Cmd
	v.prompt, cmd = v.prompt.Update(msg)
	return cmd
}

// deployment finds the service's deployment in the last snapshot.
func (v *View) deployment() *appsv1.Deployment {
	if v.kube == nil {
		return nil
	}
	for _, d := range v.kube.Deployments {
		for _, n := range []string{d.Labels["service"], d.Labels["app"], d.Name} {
			if n == v.route.Name {
				return d
			}
		}
	}
	return nil
}

// markers are the rollouts of the service in the window: its ReplicaSets' creations.
func (v *View) markers(from, to time.Time) []chart.Marker {
	d := v.deployment()
	if d == nil || v.kube == nil {
		return nil
	}
	var out []chart.Marker
	for _, rs := range v.kube.ReplicaSets {
		owned := slices.ContainsFunc(rs.OwnerReferences, func(o metav1.OwnerReference) bool { return o.Kind == "Deployment" && o.Name == d.Name })
		at := rs.CreationTimestamp.Time
		if rs.Namespace != d.Namespace || !owned || at.Before(from) || at.After(to) {
			continue
		}
		label := "rev " + rs.Annotations["deployment.kubernetes.io/revision"]
		if _, err := strconv.Atoi(strings.TrimPrefix(label, "rev ")); err != nil {
			label = "deploy"
		}
		out = append(out, chart.Marker{At: at, Label: termtext.Line(label)})
	}
	return out
}

// Render draws the head line, the window prompt when open, and the charts.
func (v *View) Render(width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	s := v.env.Styles
	from, to := v.window()
	loc := v.env.Loc
	if loc == nil {
		loc = time.Local
	}
	what := "last " + timewin.Span(timewin.Presets()[v.preset])
	if !v.live {
		what = from.In(loc).Format("2006-01-02 15:04") + " .. " + to.In(loc).Format("2006-01-02 15:04")
	}
	parts := []string{s.Primary.Render("metrics · " + termtext.Line(v.route.Name)), what}
	if v.data != nil {
		parts = append(parts, s.Muted.Render("step "+timewin.Span(v.data.Step)))
	}
	switch {
	case v.loading && v.data == nil:
		parts = append(parts, s.Muted.Render("loading…"))
	case v.err != "" && v.data != nil:
		parts = append(parts, s.Stale.Render("STALE ⚠ from "+workloads.Age(v.fetchedAt, v.env.Now())+" ago: "+termtext.Line(v.err)))
	case v.err != "":
		parts = append(parts, s.Danger.Render("⚠ "+termtext.Line(v.err)))
	}
	lines := []string{table.Fit(strings.Join(parts, "  "), width)}
	if v.slo != nil {
		lines = append(lines, table.Fit(sloLine(s, *v.slo), width))
	}
	if v.editing {
		v.prompt.SetWidth(max(1, width-10))
		line := v.prompt.View()
		if v.promptErr != "" {
			line += "  " + s.FlashError.Render(termtext.Line(v.promptErr))
		}
		lines = append(lines, table.Fit(line, width))
	}
	h := height - len(lines)
	if h <= 0 || v.data == nil {
		return strings.Join(lines, "\n")
	}
	charts := v.charts(from, to, loc)
	cols := 1
	if width >= 140 && h >= 24 && len(charts) > 1 {
		cols = 2
	}
	rows := (len(charts) + cols - 1) / cols
	chartH := h / rows
	if chartH < 6 { // too short for all: the first ones that fit
		rows = max(1, h/6)
		charts = charts[:min(len(charts), rows*cols)]
		chartH = h / rows
	}
	colW := width / cols
	v.plotW = colW - 8
	var grid []string
	for r := 0; r < rows; r++ {
		var cells []string
		for c := 0; c < cols; c++ {
			i := r*cols + c
			if i < len(charts) {
				cells = append(cells, padBlock(charts[i].Render(s, colW-1, chartH), colW, chartH))
			}
		}
		grid = append(grid, lipgloss.JoinHorizontal(lipgloss.Top, cells...))
	}
	return strings.Join(append(lines, grid...), "\n")
}

// padBlock makes a block exactly w×h so that columns line up.
func padBlock(s string, w, h int) string {
	ls := strings.Split(s, "\n")
	for len(ls) < h {
		ls = append(ls, "")
	}
	for i, l := range ls[:h] {
		ls[i] = table.Fit(l, w)
	}
	return strings.Join(ls[:h], "\n")
}

// charts are the golden signals, plus the alert's expression when there is one.
func (v *View) charts(from, to time.Time, loc *time.Location) []chart.Chart {
	mk := v.markers(from, to)
	var cursor time.Time
	if v.cursorStep >= 0 && v.data != nil {
		cursor = v.data.End.Add(-time.Duration(v.cursorStep) * v.data.Step)
	}
	series := func(sig prom.Signal, name string) chart.Series {
		var pts []chart.Point
		for _, p := range v.data.Series[sig].Points {
			pts = append(pts, chart.Point{At: p.T, V: p.V})
		}
		return chart.Series{Name: name, Points: pts}
	}
	base := chart.Chart{From: from, To: to, Markers: mk, Cursor: cursor, Loc: loc}
	rate, errs, lat, sat := base, base, base, base
	rate.Title, rate.Unit, rate.Series = "requests", chart.UnitPerSec, []chart.Series{series(prom.Rate, "rate")}
	errs.Title, errs.Unit, errs.Series = "errors (5xx / all)", chart.UnitRatio, []chart.Series{series(prom.ErrorRatio, "error ratio")}
	lat.Title, lat.Unit = "latency", chart.UnitSeconds
	lat.Series = []chart.Series{series(prom.LatencyP50, "p50"), series(prom.LatencyP95, "p95"), series(prom.LatencyP99, "p99")}
	sat.Title, sat.Unit = "saturation (of limits)", chart.UnitRatio
	sat.Series = []chart.Series{series(prom.CPU, "cpu"), series(prom.Memory, "memory")}
	out := []chart.Chart{rate, errs, lat, sat}
	if m, ok := v.expr.(model.Matrix); ok && len(m) > 0 {
		ex := base
		ex.Title = "alert expression: " + termtext.Line(v.route.Query)
		for i, ss := range m {
			if i >= 6 {
				break
			}
			var pts []chart.Point
			for _, p := range ss.Values {
				pts = append(pts, chart.Point{At: p.Timestamp.Time(), V: float64(p.Value)})
			}
			ex.Series = append(ex.Series, chart.Series{Name: termtext.Line(shortMetric(ss.Metric)), Points: pts})
		}
		out = append([]chart.Chart{ex}, out...)
	}
	return out
}

func shortMetric(m model.Metric) string {
	if len(m) == 0 {
		return "value"
	}
	var parts []string
	for k, val := range m {
		if k != model.MetricNameLabel {
			parts = append(parts, string(k)+"="+string(val))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// sloLine is the service's objective, its error budget left and its burn rates over the
// multi-window pairs, the firing ones in the danger colour.
func sloLine(s *themes.Styles, st prom.SLOStatus) string {
	parts := []string{s.Primary.Render(fmt.Sprintf("SLO %s over %s", chart.Format(st.SLO.Objective, chart.UnitRatio), timewin.Span(st.SLO.Window)))}
	if st.BudgetLeft.OK {
		tone := s.OK
		switch {
		case st.BudgetLeft.Value < 0:
			tone = s.Danger
		case st.BudgetLeft.Value < 0.25:
			tone = s.Warning
		}
		parts = append(parts, tone.Render("budget left "+chart.Format(st.BudgetLeft.Value, chart.UnitRatio)))
	} else {
		parts = append(parts, s.Muted.Render("budget: no data"))
	}
	for _, b := range st.Burns {
		if !b.Long.OK || !b.Short.OK {
			continue
		}
		text := fmt.Sprintf("burn %s %.1f× / %s %.1f× (page at %.1f×)", timewin.Span(b.Alert.Long), b.Long.Value,
			timewin.Span(b.Alert.Short), b.Short.Value, b.Threshold)
		if b.Firing {
			parts = append(parts, s.Danger.Render(text))
		} else {
			parts = append(parts, s.Muted.Render(text))
		}
	}
	return strings.Join(parts, "  ")
}
