// Package home is the team home, the screen vigie opens on: one row per service of the
// team with its health (the worst of its alerts, SLO and pods), traffic, errors and p99
// latency with sparklines, firing alerts, current revision and the age of its last
// rollout, and pods ready. Enter opens the service's metrics.
package home

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/sources/alertmanager"
	"github.com/vigie-dev/vigie/sources/kube"
	"github.com/vigie-dev/vigie/sources/prom"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/chart"
	"github.com/vigie-dev/vigie/views/table"
	"github.com/vigie-dev/vigie/views/workloads"
)

// history keeps this many readings per service for the sparklines.
const history = 60

// Columns of the home table.
const (
	colService = iota
	colHealth
	colRate
	colRateSpark
	colErrors
	colErrSpark
	colP99
	colP99Spark
	colAlerts
	colRev
	colRollout
	colPods
)

func columns() []table.Column {
	return []table.Column{
		colService:   {Title: "Service", Min: 10, Max: 32, Flex: true},
		colHealth:    {Title: "Health", Min: 8, Desc: true},
		colRate:      {Title: "Rate", Min: 7, Right: true, Desc: true},
		colRateSpark: {Title: "", Min: 10, Max: 10, Priority: 3},
		colErrors:    {Title: "Errors", Min: 6, Right: true, Desc: true},
		colErrSpark:  {Title: "", Min: 10, Max: 10, Priority: 4},
		colP99:       {Title: "p99", Min: 6, Right: true, Desc: true, Priority: 6},
		colP99Spark:  {Title: "", Min: 10, Max: 10, Priority: 2},
		colAlerts:    {Title: "Alerts", Min: 6, Right: true, Desc: true},
		colRev:       {Title: "Rev", Min: 3, Right: true, Priority: 5},
		colRollout:   {Title: "Rolled out", Min: 6, Right: true, Priority: 1},
		colPods:      {Title: "Pods", Min: 5, Right: true, Priority: 7},
	}
}

// View is the team home.
type View struct {
	env   views.Env
	route views.Route
	list  table.List

	kube   *kube.Snapshot
	prom   *prom.Snapshot
	alerts *alertmanager.Snapshot

	hist    map[string]map[prom.Signal][]float64 // per service, per signal, oldest first
	lastAt  map[string]time.Time                 // the Signals.At last appended per service
	gen     uint64
	cancel  context.CancelFunc
	filled  bool // the backfill ran
	entered bool // the view is the active one (the backfill runs only then)
	backErr string
}

// New returns the team home.
func New(env views.Env, r views.Route) *View {
	v := &View{env: env, route: r, list: table.NewList(columns(), colHealth),
		hist: map[string]map[prom.Signal][]float64{}, lastAt: map[string]time.Time{}}
	if r.Filter != "" {
		v.list.SetFilter(r.Filter)
	}
	return v
}

func (v *View) Route() views.Route         { return v.route }
func (v *View) Title() string              { return "home" }
func (v *View) Capturing() bool            { return v.list.Editing() }
func (v *View) Help() keymaps.Screen       { return v.env.Keys.HomeHelp() }
func (v *View) Escape() (views.View, bool) { return v, v.list.ClearFilter() }
func (v *View) Leave()                     { v.stop() }
func (v *View) stop() {
	if v.cancel != nil {
		v.cancel()
		v.cancel = nil
	}
}
func (v *View) services() []string                        { return servicesOf(v.kube, v.prom, v.alerts) }
func (v *View) spark(svc string, s prom.Signal) []float64 { return v.hist[svc][s] }

// Enter backfills the sparklines with the last half hour, once.
func (v *View) Enter() tea.Cmd {
	v.stop()
	v.entered = true
	if v.filled || v.env.PromRange == nil {
		return nil
	}
	return v.backfill()
}

type backfilled struct {
	gen    uint64
	series map[string]prom.SignalsSeries
	err    error
}

func (v *View) backfill() tea.Cmd {
	names := v.services()
	if len(names) == 0 {
		return nil // no service known yet: retried when the snapshots arrive
	}
	v.gen++
	v.filled = true
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	v.cancel = cancel
	gen, fetch, now := v.gen, v.env.PromRange, v.env.Now()
	return func() tea.Msg {
		defer cancel()
		out := map[string]prom.SignalsSeries{}
		var firstErr error
		for _, n := range names {
			ss, err := fetch(ctx, n, now.Add(-30*time.Minute), now, 30*time.Second)
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("%s: %w", n, err)
				}
				continue
			}
			out[n] = ss
		}
		return backfilled{gen: gen, series: out, err: firstErr}
	}
}

// servicesOf lists the services known from deployments, signals and alerts.
func servicesOf(k *kube.Snapshot, p *prom.Snapshot, a *alertmanager.Snapshot) []string {
	var out []string
	add := func(n string) {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if k != nil {
		for _, d := range k.Deployments {
			add(serviceOf(d))
		}
	}
	if p != nil {
		for n := range p.Services {
			add(n)
		}
	}
	if a != nil {
		for _, al := range a.Alerts {
			add(alertService(al))
		}
	}
	slices.Sort(out)
	return out
}

func serviceOf(d *appsv1.Deployment) string {
	for _, k := range []string{"service", "app"} {
		if n := d.Labels[k]; n != "" {
			return n
		}
	}
	return d.Name
}

func alertService(a alertmanager.Alert) string {
	for _, k := range []string{"service", "app", "deployment"} {
		if n := a.Labels[k]; n != "" {
			return n
		}
	}
	return ""
}

// Update takes the snapshots and the keys.
func (v *View) Update(msg tea.Msg) (views.View, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case views.KubeSnapshot:
		s := msg.Snap
		v.kube = &s
		if v.entered && !v.filled && v.env.PromRange != nil {
			cmd = v.backfill()
		}
	case views.PromSnapshot:
		s := msg.Snap
		v.prom = &s
		v.record(s)
	case views.AlertsSnapshot:
		s := msg.Snap
		v.alerts = &s
	case backfilled:
		if msg.gen != v.gen {
			return v, nil
		}
		v.merge(msg.series)
		if msg.err != nil {
			v.backErr = msg.err.Error()
		}
	case views.Tick:
	case tea.MouseWheelMsg:
		v.list.HandleMouse(msg)
		return v, nil
	case tea.KeyPressMsg:
		if ok, c := v.list.HandleKey(msg, v.env.Keys.Table); ok {
			return v, c
		}
		return v, v.key(msg)
	default:
		return v, nil
	}
	v.rows()
	return v, cmd
}

// record appends each service's newest readings to its sparkline history.
func (v *View) record(s prom.Snapshot) {
	for n, sig := range s.Services {
		if !sig.At.After(v.lastAt[n]) {
			continue
		}
		v.lastAt[n] = sig.At
		for _, k := range []prom.Signal{prom.Rate, prom.ErrorRatio, prom.LatencyP99} {
			r := sig.Get(k)
			val := math.NaN()
			if r.OK {
				val = r.Value
			}
			v.push(n, k, val)
		}
	}
}

func (v *View) push(svc string, s prom.Signal, val float64) {
	if v.hist[svc] == nil {
		v.hist[svc] = map[prom.Signal][]float64{}
	}
	h := append(v.hist[svc][s], val)
	if len(h) > history {
		h = h[len(h)-history:]
	}
	v.hist[svc][s] = h
}

// merge puts the backfilled range in front of what the poll recorded since.
func (v *View) merge(series map[string]prom.SignalsSeries) {
	for n, ss := range series {
		for _, k := range []prom.Signal{prom.Rate, prom.ErrorRatio, prom.LatencyP99} {
			var vals []float64
			for _, p := range ss.Series[k].Points {
				vals = append(vals, p.V)
			}
			if v.hist[n] == nil {
				v.hist[n] = map[prom.Signal][]float64{}
			}
			all := append(vals, v.hist[n][k]...)
			if len(all) > history {
				all = all[len(all)-history:]
			}
			v.hist[n][k] = all
		}
	}
}

func (v *View) key(msg tea.KeyPressMsg) tea.Cmd {
	k := v.env.Keys.Home
	r, ok := v.list.Selected()
	if !ok {
		return nil
	}
	svc := r.ID
	nav := func(route views.Route) tea.Cmd { return func() tea.Msg { return views.Navigate{Route: route} } }
	switch {
	case key.Matches(msg, k.Open):
		return nav(views.Route{Screen: views.ScreenMetrics, Name: svc})
	case key.Matches(msg, k.Alerts):
		return nav(views.Route{Screen: views.ScreenAlerts, Filter: "-l service=" + svc})
	case key.Matches(msg, k.Pods):
		if d := v.deployment(svc); d != nil {
			return nav(views.Route{Screen: views.ScreenPods, Kind: "Deployment", Namespace: d.Namespace, Name: d.Name})
		}
		return nav(views.Route{Screen: views.ScreenPods, Filter: svc})
	case key.Matches(msg, k.Logs):
		if d := v.deployment(svc); d != nil {
			return nav(views.Route{Screen: views.ScreenLogs, Kind: "Deployment", Namespace: d.Namespace, Name: d.Name})
		}
		return views.FlashCmd(views.FlashWarning, "no deployment of "+termtext.Line(svc)+" in the team's scope")
	}
	return nil
}

func (v *View) deployment(svc string) *appsv1.Deployment {
	if v.kube == nil {
		return nil
	}
	for _, d := range v.kube.Deployments {
		if serviceOf(d) == svc {
			return d
		}
	}
	return nil
}

// Rollout returns the current revision of d and when its ReplicaSet was created.
func Rollout(d *appsv1.Deployment, rss []*appsv1.ReplicaSet) (rev string, at time.Time) {
	rev = d.Annotations["deployment.kubernetes.io/revision"]
	for _, rs := range rss {
		if rs.Namespace != d.Namespace || rs.Annotations["deployment.kubernetes.io/revision"] != rev {
			continue
		}
		for _, o := range rs.OwnerReferences {
			if o.Kind == "Deployment" && o.Name == d.Name {
				return rev, rs.CreationTimestamp.Time
			}
		}
	}
	return rev, time.Time{}
}

// health is the worst of the service's alerts, SLO and pods, with the word shown.
func (v *View) health(svc string, d *appsv1.Deployment, sig *prom.Signals) (string, table.Tone, float64) {
	word, tone, rank := "ok", table.ToneOK, 0.0
	worse := func(w string, t table.Tone, r float64) {
		if r > rank {
			word, tone, rank = w, t, r
		}
	}
	if v.alerts != nil {
		for _, a := range v.alerts.Alerts {
			if alertService(a) != svc || a.State != alertmanager.StateActive {
				continue
			}
			switch alertmanager.SeverityLevel(a.Severity) {
			case alertmanager.LevelCritical:
				worse("✖ firing", table.ToneDanger, 5)
			case alertmanager.LevelWarning:
				worse("▲ warning", table.ToneWarning, 3)
			default:
				worse("● info", table.ToneInfo, 1)
			}
		}
	}
	if sig != nil && sig.SLO != nil {
		if sev, firing := sig.SLO.Firing(); firing {
			if sev == "page" || sev == "critical" {
				worse("✖ SLO burn", table.ToneDanger, 4)
			} else {
				worse("▲ SLO burn", table.ToneWarning, 3)
			}
		}
	}
	if d != nil {
		info := workloads.DeploymentStatus(d)
		switch {
		case info.Desired > 0 && info.Ready == 0:
			worse("✖ down", table.ToneDanger, 4) // no pod ready: nothing serves
		case info.Ready < info.Desired:
			worse("▲ degraded", table.ToneWarning, 2)
		}
	}
	if d == nil && sig == nil {
		word, tone = "? no data", table.ToneMuted
	}
	return word, tone, rank
}

func (v *View) rows() {
	now := v.env.Now()
	names := v.services()
	rows := make([]table.Row, 0, len(names))
	for _, n := range names {
		d := v.deployment(n)
		var sig *prom.Signals
		if v.prom != nil {
			if s, ok := v.prom.Services[n]; ok {
				sig = &s
			}
		}
		word, tone, rank := v.health(n, d, sig)
		cells := make([]table.Cell, colPods+1)
		cells[colService] = table.Text(termtext.Line(n))
		cells[colHealth] = table.Cell{Text: word, Tone: tone, Num: rank, HasNum: true}
		reading := func(s prom.Signal, u chart.Unit) table.Cell {
			if sig == nil {
				return table.Text("–")
			}
			r := sig.Get(s)
			if !r.OK {
				return table.Text("–")
			}
			return table.Num(chart.Format(r.Value, u), r.Value)
		}
		cells[colRate] = reading(prom.Rate, chart.UnitPerSec)
		cells[colErrors] = reading(prom.ErrorRatio, chart.UnitRatio)
		if cells[colErrors].HasNum && cells[colErrors].Num >= 0.05 {
			cells[colErrors].Tone = table.ToneDanger
		} else if cells[colErrors].HasNum && cells[colErrors].Num >= 0.01 {
			cells[colErrors].Tone = table.ToneWarning
		}
		cells[colP99] = reading(prom.LatencyP99, chart.UnitSeconds)
		cells[colRateSpark] = table.Cell{Text: chart.Sparkline(v.spark(n, prom.Rate), 10), Tone: table.ToneInfo}
		cells[colErrSpark] = table.Cell{Text: chart.Sparkline(v.spark(n, prom.ErrorRatio), 10), Tone: cells[colErrors].Tone}
		cells[colP99Spark] = table.Cell{Text: chart.Sparkline(v.spark(n, prom.LatencyP99), 10), Tone: table.ToneInfo}
		firing := 0
		if v.alerts != nil {
			for _, a := range v.alerts.Alerts {
				if alertService(a) == n && a.State == alertmanager.StateActive {
					firing++
				}
			}
		}
		cells[colAlerts] = table.Num(strconv.Itoa(firing), float64(firing))
		if firing > 0 {
			cells[colAlerts].Tone = table.ToneDanger
		}
		cells[colRev], cells[colRollout], cells[colPods] = table.Text("-"), table.Text("-"), table.Text("-")
		if d != nil {
			var rss []*appsv1.ReplicaSet
			if v.kube != nil {
				rss = v.kube.ReplicaSets
			}
			rev, at := Rollout(d, rss)
			r, _ := strconv.Atoi(rev)
			cells[colRev] = table.Num(orDash(rev), float64(r))
			if !at.IsZero() {
				cells[colRollout] = table.Num(workloads.Age(at, now)+" ago", float64(now.Sub(at)))
				if now.Sub(at) < 2*time.Hour {
					cells[colRollout].Tone = table.ToneWarning // a recent release: the first suspect
				}
			}
			info := workloads.DeploymentStatus(d)
			cells[colPods] = table.Num(fmt.Sprintf("%d/%d", info.Ready, info.Desired), float64(info.Ready)-float64(info.Desired))
			if info.Ready < info.Desired {
				cells[colPods].Tone = table.ToneWarning
			}
		}
		labels := map[string]string{"service": n}
		if d != nil {
			labels = d.Labels
		}
		rows = append(rows, table.Row{ID: n, Name: n, Labels: labels, Cells: cells})
	}
	v.list.SetRows(rows)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return termtext.Line(s)
}

// Render draws the status line and the table.
func (v *View) Render(width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	s := v.env.Styles
	parts := []string{s.Primary.Render("services of the team"), s.Muted.Render(fmt.Sprintf("[%d]", v.list.Total()))}
	if v.prom != nil && v.prom.Stale() {
		parts = append(parts, s.Stale.Render("prometheus STALE ⚠ "+workloads.Age(v.prom.StaleSince, v.env.Now())+": "+firstLine(v.prom.Err)))
	} else if v.env.PromRange == nil {
		parts = append(parts, s.Muted.Render("no Prometheus in this context: health from pods and alerts only"))
	}
	if v.alerts != nil && v.alerts.Stale() {
		parts = append(parts, s.Stale.Render("alertmanager STALE ⚠ "+workloads.Age(v.alerts.StaleSince, v.env.Now())+": "+firstLine(v.alerts.Err)))
	}
	if v.backErr != "" {
		parts = append(parts, s.Muted.Render("sparklines: "+termtext.Line(v.backErr)))
	}
	head := table.Fit(strings.Join(parts, " "), width)
	prompt := v.list.PromptLine(s, width)
	rest := height - 1
	if prompt != "" {
		rest--
	}
	if rest <= 0 {
		return head
	}
	empty := "no service yet: the team's deployments, metrics and alerts name them"
	body := v.list.Render(s, width, rest, empty)
	if prompt != "" {
		return head + "\n" + prompt + "\n" + body
	}
	return head + "\n" + body
}

func firstLine(err error) string {
	if err == nil {
		return ""
	}
	l, _, _ := strings.Cut(err.Error(), "\n")
	return termtext.Line(l)
}
