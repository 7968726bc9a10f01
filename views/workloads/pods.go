package workloads

import (
	"fmt"
	"strconv"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/table"
)

// Columns of the pods table.
const (
	podName = iota
	podNamespace
	podReady
	podStatus
	podRestarts
	podLastTerm
	podNode
	podAge
)

func podColumns() []table.Column {
	return []table.Column{
		podName:      {Title: "Name", Min: 16, Max: 63, Flex: true},
		podNamespace: {Title: "Namespace", Min: 9, Max: 20, Priority: 3, HideSame: true},
		podReady:     {Title: "Ready", Min: 5, Right: true},
		podStatus:    {Title: "Status", Min: 9, Max: 32},
		podRestarts:  {Title: "Restarts", Min: 8, Max: 16, Right: true, Desc: true},
		podLastTerm:  {Title: "Last exit", Min: 10, Max: 24, Flex: true, Priority: 2},
		podNode:      {Title: "Node", Min: 6, Max: 24, Flex: true, Priority: 1},
		podAge:       {Title: "Age", Min: 3, Right: true, Priority: 4},
	}
}

type podsView struct {
	env   views.Env
	route views.Route
	feed
	list table.List
	byID map[string]*corev1.Pod
	memo map[*corev1.Pod]*podMemo

	lastOwner *appsv1.Deployment // the owner the rows were filtered by
}

// podMemo is a pod's status and row as last built (the memo is keyed by the pod object:
// the kube source hands the same object until it changes): a clock tick rebuilds only the
// rows whose age text moved (with 10,000 pods, rebuilding every row each second cost
// ~13 ms of CPU per second).
type podMemo struct {
	id           string
	info         PodInfo
	row          table.Row
	built, stale time.Time // the row's ages hold in [built, stale)
}

func newPods(env views.Env, r views.Route) *podsView {
	v := &podsView{env: env, route: r, list: table.NewList(podColumns(), podName)}
	if r.Filter != "" {
		v.list.SetFilter(r.Filter)
	}
	return v
}

func (v *podsView) Route() views.Route { return v.route }
func (v *podsView) Capturing() bool    { return v.list.Editing() }

func (v *podsView) Title() string {
	if v.route.Name != "" {
		return "pods · deploy/" + termtext.Line(v.route.Name)
	}
	return "pods"
}

func (v *podsView) Help() keymaps.Screen { return v.env.Keys.WorkloadsHelp() }

func (v *podsView) Escape() (views.View, bool) { return v, v.list.ClearFilter() }

// owner returns the deployment the view is restricted to, if any and still there.
func (v *podsView) owner() *appsv1.Deployment {
	if v.route.Kind != "Deployment" {
		return nil
	}
	for _, d := range v.snap.Deployments {
		if d.Namespace == v.route.Namespace && d.Name == v.route.Name {
			return d
		}
	}
	return nil
}

func (v *podsView) wants(p *corev1.Pod, owner *appsv1.Deployment, info PodInfo) bool {
	switch {
	case v.route.Kind != "Deployment":
		return true
	case owner != nil:
		return PodMatches(owner, p)
	default: // the deployment is gone: keep what it owned
		return p.Namespace == v.route.Namespace && info.Deployment == v.route.Name
	}
}

func (v *podsView) rows() {
	now := v.env.Now()
	owner := v.owner()
	// Fast path (a clock tick, or a snapshot where no pod changed): every pod is one the
	// memo knows, and no row's age text moved.
	if owner == v.lastOwner && len(v.snap.Pods) == len(v.memo) {
		same := true
		for _, p := range v.snap.Pods {
			if m := v.memo[p]; m == nil || now.Before(m.built) || !now.Before(m.stale) {
				same = false
				break
			}
		}
		if same {
			return
		}
	}
	v.byID = make(map[string]*corev1.Pod, len(v.snap.Pods))
	memo := make(map[*corev1.Pod]*podMemo, len(v.snap.Pods))
	rows := make([]table.Row, 0, len(v.snap.Pods))
	for _, p := range v.snap.Pods {
		m := v.memo[p]
		if m == nil {
			m = &podMemo{id: p.Namespace + "/" + p.Name, info: PodStatus(p)}
		}
		memo[p] = m
		if !v.wants(p, owner, m.info) {
			continue
		}
		v.byID[m.id] = p
		if m.row.ID == "" || now.Before(m.built) || !now.Before(m.stale) {
			m.row, m.built = podRow(m.id, p, m.info, now), now
			m.stale = minTime(ageMoves(m.info.Created, now), ageMoves(m.info.LastRestart, now))
		}
		rows = append(rows, m.row)
	}
	v.memo, v.lastOwner = memo, owner
	v.list.SetRows(rows)
}

// ageMoves is a time before which Age(t, ·) surely shows what it shows at now: kubectl's
// human durations count seconds under 10 minutes, minutes under 8 hours, hours under 8
// days, then days (each step here is at most the real one, so an age is never late).
func ageMoves(t, now time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	d := now.Sub(t)
	step := 24 * time.Hour
	switch {
	case d < 10*time.Minute:
		step = time.Second
	case d < 8*time.Hour:
		step = time.Minute
	case d < 8*24*time.Hour:
		step = time.Hour
	}
	if d < 0 {
		return now.Add(time.Second)
	}
	return t.Add((d/step + 1) * step)
}

// minTime is the earlier of two times, a zero time counting as never.
func minTime(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		if b.IsZero() {
			return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

func podRow(id string, p *corev1.Pod, info PodInfo, now time.Time) table.Row {
	ready := table.Num(fmt.Sprintf("%d/%d", info.Ready, info.Total), float64(info.Ready)-float64(info.Total))
	if info.Ready < info.Total && info.Tone != table.ToneMuted {
		ready.Tone = table.ToneWarning
	}
	restarts := table.Num(strconv.Itoa(int(info.Restarts)), float64(info.Restarts))
	if !info.LastRestart.IsZero() {
		restarts.Text = fmt.Sprintf("%d (%s ago)", info.Restarts, Age(info.LastRestart, now))
	}
	if info.Restarts > 0 {
		restarts.Tone = table.ToneWarning
	}
	last := table.Text(orDash(info.LastTermination))
	if info.LastTermination != "" {
		last.Tone = table.ToneWarning
	}
	node := info.Node
	if node == "" {
		node = "-"
	}
	return table.Row{
		ID:     id,
		Name:   p.Name,
		Labels: p.Labels,
		Cells: []table.Cell{
			podName:      table.Text(termtext.Line(p.Name)),
			podNamespace: table.Text(termtext.Line(p.Namespace)),
			podReady:     ready,
			podStatus:    {Text: info.Status, Tone: info.Tone},
			podRestarts:  restarts,
			podLastTerm:  last,
			podNode:      table.Text(node),
			podAge:       ageCell(info.Created, now),
		},
	}
}

func (v *podsView) Update(msg tea.Msg) (views.View, tea.Cmd) {
	return v, v.updateList(&v.list, v.env.Keys.Table, msg, v.rows, v.key)
}

func (v *podsView) key(msg tea.KeyPressMsg) tea.Cmd {
	k := v.env.Keys.Workloads
	r, ok := v.list.Selected()
	if !ok {
		return nil
	}
	p := v.byID[r.ID]
	if p == nil {
		return nil
	}
	to := func(screen string) tea.Cmd {
		route := views.Route{Screen: screen, Kind: "Pod", Namespace: p.Namespace, Name: p.Name}
		return func() tea.Msg { return views.Navigate{Route: route} }
	}
	switch {
	case key.Matches(msg, k.Open), key.Matches(msg, k.Describe):
		return to(views.ScreenDescribe)
	case key.Matches(msg, k.YAML):
		return to(views.ScreenYAML)
	case key.Matches(msg, k.Events):
		return to(views.ScreenEvents)
	case key.Matches(msg, k.Logs):
		return to(views.ScreenLogs)
	case key.Matches(msg, k.Delete):
		req := views.ActionRequested{Kind: "delete-pod", Namespace: p.Namespace, Name: p.Name, ResourceVersion: p.ResourceVersion}
		return func() tea.Msg { return req }
	}
	return nil
}

func (v *podsView) Render(width, height int) string {
	what, empty := "pods", "no pods in the team's scope"
	if v.route.Name != "" {
		what, empty = "pods of deploy/"+termtext.Line(v.route.Name), "no pods for this deployment"
		if v.has && v.owner() == nil {
			what += " (deployment gone)"
		}
	}
	return v.renderList(v.env, &v.list, "pods", what, empty, width, height)
}
