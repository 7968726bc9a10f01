package workloads

import (
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/table"
)

// Columns of the deployments table.
const (
	depName = iota
	depNamespace
	depReady
	depUpToDate
	depAvailable
	depRevision
	depRollout
	depImages
	depAge
)

func deploymentColumns() []table.Column {
	return []table.Column{
		depName:      {Title: "Name", Min: 12, Max: 40, Flex: true},
		depNamespace: {Title: "Namespace", Min: 9, Max: 20, Priority: 2, HideSame: true},
		depReady:     {Title: "Ready", Min: 5, Right: true},
		depUpToDate:  {Title: "Up-to-date", Min: 4, Right: true, Priority: 4},
		depAvailable: {Title: "Available", Min: 4, Right: true, Priority: 5},
		depRevision:  {Title: "Rev", Min: 3, Right: true, Priority: 6, Desc: true},
		depRollout:   {Title: "Rollout", Min: 8, Max: 40, Flex: true},
		depImages:    {Title: "Images", Min: 10, Max: 60, Flex: true, Priority: 1},
		depAge:       {Title: "Age", Min: 3, Right: true, Priority: 7},
	}
}

type deploymentsView struct {
	env   views.Env
	route views.Route
	feed
	list table.List
	byID map[string]*appsv1.Deployment
}

func newDeployments(env views.Env, r views.Route) *deploymentsView {
	v := &deploymentsView{env: env, route: r, list: table.NewList(deploymentColumns(), depName)}
	if r.Filter != "" {
		v.list.SetFilter(r.Filter)
	}
	return v
}

func (v *deploymentsView) Route() views.Route { return v.route }
func (v *deploymentsView) Title() string      { return "deployments" }
func (v *deploymentsView) Capturing() bool    { return v.list.Editing() }

func (v *deploymentsView) Help() keymaps.Screen { return v.env.Keys.WorkloadsHelp() }

func (v *deploymentsView) Escape() (views.View, bool) { return v, v.list.ClearFilter() }

func (v *deploymentsView) rows() {
	now := v.env.Now()
	v.byID = make(map[string]*appsv1.Deployment, len(v.snap.Deployments))
	rows := make([]table.Row, 0, len(v.snap.Deployments))
	for _, d := range v.snap.Deployments {
		info := DeploymentStatus(d)
		id := d.Namespace + "/" + d.Name
		v.byID[id] = d
		rev, _ := strconv.Atoi(info.Revision)
		ready := table.Num(fmt.Sprintf("%d/%d", info.Ready, info.Desired), float64(info.Ready)-float64(info.Desired))
		if info.Ready < info.Desired {
			ready.Tone = table.ToneWarning
			if info.Ready == 0 {
				ready.Tone = table.ToneDanger
			}
		}
		rows = append(rows, table.Row{
			ID:     id,
			Name:   d.Name,
			Labels: d.Labels,
			Cells: []table.Cell{
				depName:      table.Text(termtext.Line(d.Name)),
				depNamespace: table.Text(termtext.Line(d.Namespace)),
				depReady:     ready,
				depUpToDate:  table.Num(strconv.Itoa(int(info.UpToDate)), float64(info.UpToDate)),
				depAvailable: table.Num(strconv.Itoa(int(info.Available)), float64(info.Available)),
				depRevision:  table.Num(orDash(info.Revision), float64(rev)),
				depRollout:   {Text: info.Rollout, Tone: info.Tone},
				depImages:    table.Text(strings.Join(info.Images, ",")),
				depAge:       ageCell(info.Created, now),
			},
		})
	}
	v.list.SetRows(rows)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return termtext.Line(s)
}

func (v *deploymentsView) selected() (*appsv1.Deployment, bool) {
	r, ok := v.list.Selected()
	if !ok {
		return nil, false
	}
	d, ok := v.byID[r.ID]
	return d, ok
}

func (v *deploymentsView) Update(msg tea.Msg) (views.View, tea.Cmd) {
	return v, v.updateList(&v.list, v.env.Keys.Table, msg, v.rows, v.key)
}

func (v *deploymentsView) key(msg tea.KeyPressMsg) tea.Cmd {
	k := v.env.Keys.Workloads
	d, ok := v.selected()
	if !ok {
		return nil
	}
	to := func(screen string) tea.Cmd {
		r := views.Route{Screen: screen, Kind: "Deployment", Namespace: d.Namespace, Name: d.Name}
		return func() tea.Msg { return views.Navigate{Route: r} }
	}
	switch {
	case key.Matches(msg, k.Open):
		return to(views.ScreenPods)
	case key.Matches(msg, k.Describe):
		return to(views.ScreenDescribe)
	case key.Matches(msg, k.YAML):
		return to(views.ScreenYAML)
	case key.Matches(msg, k.Events):
		return to(views.ScreenEvents)
	case key.Matches(msg, k.Logs):
		return to(views.ScreenLogs)
	case key.Matches(msg, k.Scale), key.Matches(msg, k.Restart), key.Matches(msg, k.Rollback):
		kind := "restart"
		switch {
		case key.Matches(msg, k.Scale):
			kind = "scale"
		case key.Matches(msg, k.Rollback):
			kind = "rollback"
		}
		req := views.ActionRequested{Kind: kind, Namespace: d.Namespace, Name: d.Name,
			ResourceVersion: d.ResourceVersion, Replicas: DeploymentStatus(d).Desired}
		return func() tea.Msg { return req }
	}
	return nil
}

func (v *deploymentsView) Render(width, height int) string {
	return v.renderList(v.env, &v.list, "deployments", "deployments", "no deployments in the team's scope", width, height)
}
