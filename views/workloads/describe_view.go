package workloads

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/table"
)

// describeView shows the facts about one pod or deployment, or its YAML; it follows the
// object live and says so when it is gone.
type describeView struct {
	env   views.Env
	route views.Route
	feed
	yaml   bool
	lines  []Line
	gone   bool
	top    int
	height int
}

func newDescribe(env views.Env, r views.Route) *describeView {
	return &describeView{env: env, route: r, yaml: r.Screen == views.ScreenYAML}
}

func (v *describeView) Route() views.Route {
	r := v.route
	r.Screen = views.ScreenDescribe
	if v.yaml {
		r.Screen = views.ScreenYAML
	}
	return r
}

func (v *describeView) Capturing() bool            { return false }
func (v *describeView) Escape() (views.View, bool) { return v, false }

func (v *describeView) Title() string {
	what := "describe"
	if v.yaml {
		what = "yaml"
	}
	return what + " · " + strings.ToLower(v.route.Kind) + "/" + termtext.Line(v.route.Name)
}

func (v *describeView) Help() keymaps.Screen {
	k, t := v.env.Keys.Workloads, v.env.Keys.Table
	return keymaps.Screen{
		Short: []key.Binding{k.Describe, k.YAML, k.Logs, k.Events, v.env.Keys.Global.Back, v.env.Keys.Global.Help},
		Groups: []keymaps.Group{
			{Title: keymaps.TitleActions, Bindings: []key.Binding{k.Describe, k.YAML, k.Logs, k.Events}},
			{Title: keymaps.TitleNavigation, Bindings: t.Navigation()},
			{Title: keymaps.TitleGeneral, Bindings: v.env.Keys.Global.FullHelp()[0]},
		},
	}
}

func (v *describeView) object() runtime.Object {
	r := v.route
	switch r.Kind {
	case "Pod":
		for _, p := range v.snap.Pods {
			if p.Namespace == r.Namespace && p.Name == r.Name {
				return p
			}
		}
	case "Deployment":
		for _, d := range v.snap.Deployments {
			if d.Namespace == r.Namespace && d.Name == r.Name {
				return d
			}
		}
	}
	return nil
}

func (v *describeView) build() {
	obj := v.object()
	v.gone = obj == nil
	if obj == nil {
		return // keep the last lines, marked gone
	}
	if v.yaml {
		ls, err := ObjectYAML(obj)
		if err != nil {
			v.lines = []Line{{Text: "cannot render YAML: " + termtext.Line(err.Error()), Tone: table.ToneDanger}}
			return
		}
		v.lines = make([]Line, len(ls))
		for i, l := range ls {
			v.lines[i] = Line{Text: l}
		}
		return
	}
	now := v.env.Now()
	switch o := obj.(type) {
	case *corev1.Pod:
		v.lines = DescribePod(o, v.snap.Events, now)
	case *appsv1.Deployment:
		v.lines = DescribeDeployment(o, v.snap.Events, now)
	}
}

func (v *describeView) Update(msg tea.Msg) (views.View, tea.Cmd) {
	if v.take(msg) {
		v.build()
		return v, nil
	}
	if _, ok := msg.(views.Tick); ok && v.has && !v.yaml {
		v.build()
		return v, nil
	}
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		if msg.Button == tea.MouseWheelUp {
			v.scroll(-3)
		} else if msg.Button == tea.MouseWheelDown {
			v.scroll(3)
		}
	case tea.KeyPressMsg:
		return v, v.key(msg)
	}
	return v, nil
}

func (v *describeView) key(msg tea.KeyPressMsg) tea.Cmd {
	t, k := v.env.Keys.Table, v.env.Keys.Workloads
	page := max(1, v.height)
	switch {
	case key.Matches(msg, t.Up):
		v.scroll(-1)
	case key.Matches(msg, t.Down):
		v.scroll(1)
	case key.Matches(msg, t.Top):
		v.top = 0
	case key.Matches(msg, t.Bottom):
		v.scroll(len(v.lines))
	case key.Matches(msg, t.PageUp):
		v.scroll(-page)
	case key.Matches(msg, t.PageDown):
		v.scroll(page)
	case key.Matches(msg, t.HalfPageUp):
		v.scroll(-page / 2)
	case key.Matches(msg, t.HalfPageDown):
		v.scroll(page / 2)
	case key.Matches(msg, k.YAML):
		if !v.yaml {
			v.yaml, v.top = true, 0
			v.build()
		}
	case key.Matches(msg, k.Describe):
		if v.yaml {
			v.yaml, v.top = false, 0
			v.build()
		}
	case key.Matches(msg, k.Events), key.Matches(msg, k.Logs):
		screen := views.ScreenEvents
		if key.Matches(msg, k.Logs) {
			screen = views.ScreenLogs
		}
		r := views.Route{Screen: screen, Kind: v.route.Kind, Namespace: v.route.Namespace, Name: v.route.Name}
		return func() tea.Msg { return views.Navigate{Route: r} }
	}
	return nil
}

func (v *describeView) scroll(d int) {
	v.top = max(0, min(v.top+d, len(v.lines)-max(1, v.height)))
}

func (v *describeView) Render(width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	s := v.env.Styles
	head := s.Primary.Render(v.Title())
	switch {
	case !v.has || !v.snap.Synced:
		head += s.Muted.Render("  loading…")
	case v.gone:
		head += s.Danger.Render("  gone: no longer in the cluster (last known state below)")
	}
	if p, ok := staleProblem(v.snap); ok {
		head += s.Stale.Render("  STALE ⚠ last data " + Age(p.Since, v.env.Now()) + " ago")
	}
	v.height = max(0, height-1)
	v.scroll(0)
	var b strings.Builder
	b.WriteString(table.Fit(head, width))
	if v.has && len(v.lines) == 0 && v.gone {
		b.WriteString("\n" + s.Muted.Render(table.Fit("nothing to show: this "+strings.ToLower(v.route.Kind)+" is not in the team's scope", width)))
		return b.String()
	}
	end := min(len(v.lines), v.top+v.height)
	for _, l := range v.lines[v.top:end] {
		b.WriteByte('\n')
		text := table.Fit(strings.ReplaceAll(l.Text, "\t", "    "), width)
		if l.Tone != table.ToneNone {
			text = table.ToneStyle(s, l.Tone).Render(text)
		}
		b.WriteString(text)
	}
	return b.String()
}
