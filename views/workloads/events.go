package workloads

import (
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/table"
)

// Columns of the events table.
const (
	evLast = iota
	evType
	evReason
	evObject
	evCount
	evMessage
)

func eventColumns() []table.Column {
	return []table.Column{
		evLast:    {Title: "Last seen", Min: 4, Right: true},
		evType:    {Title: "Type", Min: 7, Priority: 2},
		evReason:  {Title: "Reason", Min: 8, Max: 24},
		evObject:  {Title: "Object", Min: 12, Max: 48, Flex: true},
		evCount:   {Title: "Count", Min: 5, Right: true, Priority: 1, Desc: true},
		evMessage: {Title: "Message", Min: 20, Flex: true},
	}
}

type eventsView struct {
	env   views.Env
	route views.Route
	feed
	list table.List
	byID map[string]*corev1.Event
}

func newEvents(env views.Env, r views.Route) *eventsView {
	v := &eventsView{env: env, route: r, list: table.NewList(eventColumns(), evLast)}
	if r.Filter != "" {
		v.list.SetFilter(r.Filter)
	}
	return v
}

func (v *eventsView) Route() views.Route { return v.route }
func (v *eventsView) Capturing() bool    { return v.list.Editing() }

func (v *eventsView) Title() string {
	if v.route.Name != "" {
		return "events · " + strings.ToLower(v.route.Kind) + "/" + termtext.Line(v.route.Name)
	}
	return "events"
}

func (v *eventsView) Help() keymaps.Screen { return v.env.Keys.ListHelp() }

func (v *eventsView) Escape() (views.View, bool) { return v, v.list.ClearFilter() }

// EventTime is when an event last happened.
func EventTime(e *corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	case !e.FirstTimestamp.IsZero():
		return e.FirstTimestamp.Time
	}
	return e.CreationTimestamp.Time
}

func eventCount(e *corev1.Event) int32 {
	if e.Series != nil && e.Series.Count > e.Count {
		return e.Series.Count
	}
	return max(e.Count, 1)
}

// concerns reports whether event e is about the route's subject: the object itself, and
// for a deployment its ReplicaSets and pods too.
func (v *eventsView) concerns(e *corev1.Event) bool {
	r := v.route
	if r.Name == "" {
		return true
	}
	o := e.InvolvedObject
	if o.Namespace != r.Namespace {
		return false
	}
	if o.Kind == r.Kind && o.Name == r.Name {
		return true
	}
	if r.Kind != "Deployment" {
		return false
	}
	switch o.Kind {
	case "ReplicaSet":
		return strings.HasPrefix(o.Name, r.Name+"-")
	case "Pod":
		for _, p := range v.snap.Pods {
			if p.Namespace == o.Namespace && p.Name == o.Name {
				return PodStatus(p).Deployment == r.Name
			}
		}
		return strings.HasPrefix(o.Name, r.Name+"-") // a pod that is gone
	}
	return false
}

func (v *eventsView) rows() {
	now := v.env.Now()
	v.byID = map[string]*corev1.Event{}
	rows := make([]table.Row, 0, len(v.snap.Events))
	for _, e := range v.snap.Events {
		if !v.concerns(e) {
			continue
		}
		id := e.Namespace + "/" + e.Name
		v.byID[id] = e
		warn := e.Type == corev1.EventTypeWarning
		typ, reason := table.Text(termtext.Line(e.Type)), table.Text(termtext.Line(e.Reason))
		msg := table.Text(termtext.Line(e.Message))
		if warn {
			typ.Tone, reason.Tone, msg.Tone = table.ToneWarning, table.ToneWarning, table.ToneWarning
		}
		obj := termtext.Line(e.InvolvedObject.Kind + "/" + e.InvolvedObject.Name)
		rows = append(rows, table.Row{
			ID:   id,
			Name: obj + " " + e.Reason,
			Cells: []table.Cell{
				evLast:    ageCell(EventTime(e), now),
				evType:    typ,
				evReason:  reason,
				evObject:  table.Text(obj),
				evCount:   table.Num(strconv.Itoa(int(eventCount(e))), float64(eventCount(e))),
				evMessage: msg,
			},
		})
	}
	v.list.SetRows(rows)
}

func (v *eventsView) Update(msg tea.Msg) (views.View, tea.Cmd) {
	return v, v.updateList(&v.list, v.env.Keys.Table, msg, v.rows, func(msg tea.KeyPressMsg) tea.Cmd {
		if key.Matches(msg, v.env.Keys.Workloads.Open) {
			return v.open()
		}
		return nil
	})
}

// open describes the object the selected event is about.
func (v *eventsView) open() tea.Cmd {
	r, ok := v.list.Selected()
	if !ok {
		return nil
	}
	e := v.byID[r.ID]
	if e == nil || (e.InvolvedObject.Kind != "Pod" && e.InvolvedObject.Kind != "Deployment") {
		return views.FlashCmd(views.FlashInfo, "vigie describes pods and deployments only")
	}
	route := views.Route{Screen: views.ScreenDescribe, Kind: e.InvolvedObject.Kind,
		Namespace: e.InvolvedObject.Namespace, Name: e.InvolvedObject.Name}
	return func() tea.Msg { return views.Navigate{Route: route} }
}

func (v *eventsView) Render(width, height int) string {
	what := "events (newest first)"
	if v.route.Name != "" {
		what = "events of " + strings.ToLower(v.route.Kind) + "/" + termtext.Line(v.route.Name)
	}
	return v.renderList(v.env, &v.list, "events", what, "no events (Kubernetes keeps them for one hour)", width, height)
}
