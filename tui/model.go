// Package tui is vigie's root Bubble Tea model: it owns the session (context, team, kube
// watch), routes messages to the active view, keeps the view history, and draws the
// header, the footer, the command palette, the help and the dialogs around the view.
package tui

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/sources/alertmanager"
	"github.com/vigie-dev/vigie/sources/kube"
	"github.com/vigie-dev/vigie/sources/loki"
	"github.com/vigie-dev/vigie/sources/prom"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/alerts"
	"github.com/vigie-dev/vigie/views/approvals"
	"github.com/vigie-dev/vigie/views/audit"
	"github.com/vigie-dev/vigie/views/home"
	"github.com/vigie-dev/vigie/views/jobs"
	"github.com/vigie-dev/vigie/views/logs"
	"github.com/vigie-dev/vigie/views/metrics"
	"github.com/vigie-dev/vigie/views/promql"
	"github.com/vigie-dev/vigie/views/query"
	"github.com/vigie-dev/vigie/views/workloads"
)

// Session is one context and team: what vigie shows and through which client.
type Session struct {
	Context     string
	Environment string // production, staging, dev
	Team        string
	ReadOnly    bool
	Namespaces  []string
	Selector    string
	Kube        kubernetes.Interface // nil when no client could be built (KubeErr says why)
	KubeErr     error
	Prom        promv1.API           // nil when the context has no Prometheus
	Alerts      *alertmanager.Client // nil when the context has no Alertmanager
	Loki        *loki.Client         // nil when the context has no Loki: pod logs then
	Platform    Actor                // the platform API; nil = no guarded action

	// From the team's configuration:
	Services      map[string]ServiceSettings // configured services (SLO, query overrides)
	AlertMatchers map[string]string          // labels selecting the team's alerts; nil = team=<Team>
	PromMatchers  map[string]string          // label equalities added to every PromQL selector (besides namespaces)
	LokiMatchers  map[string]string          // label equalities added to every LogQL selector (besides namespaces)
	Databases     []string                   // the team's databases on the platform API (queries)
	Jobs          []api.JobTemplate          // the team's runbook job templates on the platform API
	Production    bool                       // the team owns a production namespace (platform API: reasons required)
	Runbooks      string                     // local runbooks folder ("" = none)
	LogRing       int                        // lines kept per logs screen (0 = 100,000)
	LogStreams    int                        // concurrent pod log streams (0 = 8)
	LogSince      time.Duration              // history shown when a logs screen opens (0 = 15m)
}

// ServiceSettings are a configured service's SLO and PromQL template overrides.
type ServiceSettings struct {
	SLO     prom.SLO
	Queries map[string]string
}

// Options build a Model. The zero value of every optional field is usable.
type Options struct {
	Session Session
	// Connect builds the session of another context or team (":ctx", ":team"). It runs in
	// a command, never in Update. nil disables switching.
	Connect  func(context, team string) (Session, error)
	Contexts []string // for completion
	Teams    []string

	Keys      keymaps.Set
	Theme     string          // "auto" (or ""), or a built-in name
	UserTheme *themes.Palette // a theme file's palette; wins over Theme
	Start     views.Route     // first screen; zero = deployments

	Now        func() time.Time
	Log        *slog.Logger
	Watch      kube.WatchOptions
	PromPoll   prom.PollOptions
	AlertsPoll alertmanager.PollOptions
	// Source starts the workloads feed of a session; nil = kube.Watch over the session's
	// scope with its client. Tests and recorded bundles give their own.
	Source func(ctx context.Context, s Session) (<-chan kube.Snapshot, error)
	// NoTick stops the one-second clock (screen tests render a fixed instant).
	NoTick bool
}

// Model is the root model.
type Model struct {
	opts    Options
	session Session

	keys    *keymaps.Set
	styles  *themes.Styles
	palette themes.Palette
	dark    bool
	profile colorprofile.Profile

	env     views.Env
	view    views.View
	history []views.View

	// the kube watch of the session
	gen     uint64
	cancel  context.CancelFunc
	watchCh <-chan kube.Snapshot
	last    *kube.Snapshot

	// the monitoring pollers of the session
	promGen, amGen       uint64
	promCancel, amCancel context.CancelFunc
	promCh               <-chan prom.Snapshot
	amCh                 <-chan alertmanager.Snapshot
	promServices         []string
	lastProm             *prom.Snapshot
	lastAlerts           *alertmanager.Snapshot

	width, height int

	flash      views.Flash
	flashID    int
	prompt     palette
	showHelp   bool
	helpTop    int
	dialog     *dialog
	switching  string // the context/team being connected, "" when none
	quitting   bool
	action     *actionDialog // the guarded action being confirmed
	actionGen  uint64
	tasks      []taskInfo // actions in flight
	helpWidget help.Model
}

// New builds the root model.
func New(o Options) *Model {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Start.Screen == "" {
		o.Start.Screen = views.ScreenHome
	}
	m := &Model{opts: o, session: o.Session, dark: true, profile: colorprofile.TrueColor}
	keys := o.Keys
	m.keys = &keys
	m.styles = &themes.Styles{}
	m.applyTheme()
	m.env = views.Env{Styles: m.styles, Keys: m.keys, Now: o.Now}
	dataFuncs(&m.env, o.Session)
	m.prompt = newPalette()
	m.helpWidget = help.New()
	m.view = m.open(o.Start)
	return m
}

// applyTheme rebuilds the styles in place (views hold the pointer) from the configured
// theme, the detected background and the colour profile.
func (m *Model) applyTheme() {
	var p themes.Palette
	if m.opts.UserTheme != nil {
		p = *m.opts.UserTheme
	} else {
		var err error
		if p, err = themes.Pick(m.opts.Theme, m.dark); err != nil {
			p = themes.Dark()
		}
	}
	m.palette = themes.ForProfile(p, m.profile)
	*m.styles = themes.NewStyles(m.palette)
	m.helpWidget.Styles = m.styles.Help()
}

func (m *Model) open(r views.Route) views.View {
	var v views.View
	switch r.Screen {
	case views.ScreenLogs:
		v = logs.New(m.env, r, logs.Options{Selector: m.selectorOf(r), Since: m.session.LogSince})
	case views.ScreenHome:
		v = home.New(m.env, r)
	case views.ScreenMetrics:
		v = metrics.New(m.env, r)
	case views.ScreenAlerts:
		v = alerts.New(m.env, r)
	case views.ScreenPromQL:
		v = promql.New(m.env, r)
	case views.ScreenAudit:
		v = audit.New(m.env, r)
	case views.ScreenApprovals:
		v = approvals.New(m.env, r)
	case views.ScreenJobs:
		v = jobs.New(m.env, r)
	case views.ScreenQuery:
		v = query.New(m.env, r, m.session.Team)
	default:
		var ok bool
		if v, ok = workloads.New(m.env, r, nil); !ok {
			v, _ = workloads.New(m.env, views.Route{Screen: views.ScreenDeployments}, nil)
		}
	}
	return m.feed(v)
}

// feed gives a view the newest data of every source, so it draws at once.
func (m *Model) feed(v views.View) views.View {
	if m.last != nil {
		v, _ = v.Update(views.KubeSnapshot{Gen: m.gen, Snap: *m.last})
	}
	if m.lastProm != nil {
		v, _ = v.Update(views.PromSnapshot{Gen: m.promGen, Snap: *m.lastProm})
	}
	if m.lastAlerts != nil {
		v, _ = v.Update(views.AlertsSnapshot{Gen: m.amGen, Snap: *m.lastAlerts})
	}
	return v
}

// Init starts the watch, asks the terminal for its background and starts the clock.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor, m.startWatch(), m.startAlertsPoll(), enter(m.view)}
	if !m.opts.NoTick {
		cmds = append(cmds, tick())
	}
	return tea.Batch(cmds...)
}

type tickMsg time.Time

func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// Messages of the watch.
type (
	watchStarted struct {
		gen uint64
		ch  <-chan kube.Snapshot
		err error
	}
	watchEnded  struct{ gen uint64 }
	switchedMsg struct {
		session Session
		err     error
		what    string
	}
	flashExpired struct{ id int }
)

// startWatch cancels the current watch and starts one over the session's scope.
func (m *Model) startWatch() tea.Cmd {
	if m.cancel != nil {
		m.cancel()
	}
	m.gen++
	m.last = nil
	m.watchCh = nil
	gen, s := m.gen, m.session
	source := m.opts.Source
	if source == nil {
		if s.Kube == nil {
			err := s.KubeErr
			if err == nil {
				err = fmt.Errorf("no Kubernetes client")
			}
			return func() tea.Msg { return watchStarted{gen: gen, err: err} }
		}
		opts := m.opts.Watch
		source = func(ctx context.Context, s Session) (<-chan kube.Snapshot, error) {
			return kube.Watch(ctx, s.Kube, kube.Scope{Namespaces: s.Namespaces, Selector: s.Selector}, opts)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	return func() tea.Msg {
		ch, err := source(ctx, s)
		return watchStarted{gen: gen, ch: ch, err: err}
	}
}

func next(gen uint64, ch <-chan kube.Snapshot) tea.Cmd {
	return func() tea.Msg {
		s, ok := <-ch
		if !ok {
			return watchEnded{gen: gen}
		}
		return views.KubeSnapshot{Gen: gen, Snap: s}
	}
}

// Close stops the watch and the pollers.
func (m *Model) Close() {
	if m.cancel != nil {
		m.cancel()
	}
	m.stopMonitoring()
}

// Update routes a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = max(0, msg.Width), max(0, msg.Height)
		return m, nil
	case tea.BackgroundColorMsg:
		m.dark = msg.IsDark()
		m.applyTheme()
		return m, nil
	case tea.ColorProfileMsg:
		m.profile = msg.Profile
		m.applyTheme()
		return m, nil
	case tickMsg:
		v, cmd := m.view.Update(views.Tick{At: time.Time(msg)})
		m.view = v
		return m, tea.Batch(cmd, tick())
	case watchStarted:
		if msg.gen != m.gen {
			return m, nil
		}
		if msg.err != nil {
			m.opts.Log.Error("kube watch", "err", msg.err)
			m.dialog = errorDialog("Cannot watch the cluster", msg.err.Error())
			return m, nil
		}
		m.watchCh = msg.ch
		return m, next(msg.gen, msg.ch)
	case watchEnded:
		return m, nil
	case views.KubeSnapshot:
		if msg.Gen != m.gen {
			return m, nil // a watch we replaced
		}
		m.logProblems(msg.Snap)
		snap := msg.Snap
		m.last = &snap
		v, cmd := m.view.Update(msg)
		m.view = v
		return m, tea.Batch(cmd, m.rearm(), m.servicesChanged())
	case views.Navigate:
		return m, m.push(m.open(msg.Route))
	case views.Flash:
		return m, m.setFlash(msg)
	case flashExpired:
		if msg.id == m.flashID {
			m.flash = views.Flash{}
		}
		return m, nil
	case switchedMsg:
		return m, m.switched(msg)
	case views.ActionRequested:
		return m, m.openAction(msg)
	case dryRunMsg:
		return m, m.gotDryRun(msg)
	case actedMsg:
		return m, m.acted(msg)
	case revisionsMsg:
		return m, m.gotRevisions(msg)
	case tea.MouseWheelMsg:
		if m.dialog == nil && !m.showHelp {
			v, cmd := m.view.Update(msg)
			m.view = v
			return m, cmd
		}
		return m, nil
	case tea.PasteMsg:
		if m.prompt.open {
			return m, m.prompt.update(msg)
		}
		if m.view.Capturing() {
			v, cmd := m.view.Update(msg)
			m.view = v
			return m, cmd
		}
		return m, nil
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	if cmd, ok := m.monitoringUpdate(msg); ok {
		return m, cmd
	}
	v, cmd := m.view.Update(msg)
	m.view = v
	return m, cmd
}

// rearm reads the next snapshot of the current watch. The channel lives in the watch
// closure: keep it on the model.
func (m *Model) rearm() tea.Cmd {
	if m.watchCh == nil {
		return nil
	}
	return next(m.gen, m.watchCh)
}

func (m *Model) logProblems(s kube.Snapshot) {
	if m.last == nil || len(m.last.Problems) != len(s.Problems) {
		for _, p := range s.Problems {
			m.opts.Log.Warn("kube source problem", "namespace", p.Namespace, "resource", p.Resource,
				"forbidden", p.Forbidden, "err", p.Err)
		}
		if len(s.Problems) == 0 && m.last != nil {
			m.opts.Log.Info("kube source live again")
		}
	}
}

// push opens v over the current view, which goes on the history.
func (m *Model) push(v views.View) tea.Cmd {
	leave(m.view)
	m.history = append(m.history, m.view)
	if len(m.history) > 50 {
		m.history = m.history[1:]
	}
	m.view = v
	return enter(v)
}

// enter and leave run a view's subscription lifecycle, when it has one.
func enter(v views.View) tea.Cmd {
	if l, ok := v.(views.Lifecycle); ok {
		return l.Enter()
	}
	return nil
}

func leave(v views.View) {
	if l, ok := v.(views.Lifecycle); ok {
		l.Leave()
	}
}

// back goes to the previous view, giving it the newest data; it reports whether there
// was one.
func (m *Model) back() (bool, tea.Cmd) {
	if len(m.history) == 0 {
		return false, nil
	}
	leave(m.view)
	m.view = m.history[len(m.history)-1]
	m.history = m.history[:len(m.history)-1]
	m.view = m.feed(m.view)
	return true, enter(m.view)
}

func (m *Model) setFlash(f views.Flash) tea.Cmd {
	m.flashID++
	m.flash = f
	id := m.flashID
	d := 4 * time.Second
	if f.Level == views.FlashError {
		d = 8 * time.Second
	}
	if f.Level == views.FlashError {
		m.opts.Log.Error("flash", "text", f.Text)
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return flashExpired{id: id} })
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	g := m.keys.Global
	switch {
	case m.dialog != nil:
		if m.dialog.key(msg) {
			m.dialog = nil
		}
		return nil
	case m.action != nil:
		return m.actionKey(msg)
	case m.prompt.open:
		return m.paletteKey(msg)
	case m.showHelp:
		m.helpKey(msg)
		return nil
	case m.view.Capturing():
		v, cmd := m.view.Update(msg)
		m.view = v
		return cmd
	}
	switch {
	case key.Matches(msg, g.Quit):
		if len(m.tasks) > 0 && !m.quitting {
			m.quitting = true // quit when they are answered; q again quits now
			return m.setFlash(views.Flash{Level: views.FlashWarning, Text: fmt.Sprintf("%d action(s) in flight: vigie quits when answered (q again quits now)", len(m.tasks))})
		}
		m.quitting = true
		leave(m.view)
		m.Close()
		return tea.Quit
	case key.Matches(msg, g.Help):
		m.showHelp, m.helpTop = true, 0
		return nil
	case key.Matches(msg, g.Palette):
		return m.prompt.start(m.completions())
	case key.Matches(msg, g.Back), msg.String() == "backspace":
		if v, done := m.view.Escape(); done {
			m.view = v
			return nil
		}
		_, cmd := m.back()
		return cmd
	case key.Matches(msg, g.Refresh):
		return tea.Batch(m.startWatch(), m.setFlash(views.Flash{Text: "reconnecting to the cluster"}))
	}
	v, cmd := m.view.Update(msg)
	m.view = v
	return cmd
}

// View draws the screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "vigie — " + m.session.Context
	return v
}

// render draws exactly height lines of at most width cells.
func (m *Model) render() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	var top, bottom []string
	top = append(top, m.header(w))
	if h >= 6 && len(m.history) > 0 {
		top = append(top, m.crumbs(w))
	}
	if m.prompt.open {
		top = append(top, m.prompt.render(m.styles, w)...)
	}
	if h >= 4 {
		bottom = append(bottom, m.footer(w))
	}
	bodyH := h - len(top) - len(bottom)
	if bodyH < 0 {
		top = top[:max(0, len(top)+bodyH)]
		bodyH = 0
	}
	var body string
	switch {
	case bodyH == 0:
	case m.dialog != nil:
		body = m.dialog.render(m.styles, w, bodyH)
	case m.action != nil:
		body = m.action.render(m.styles, m.session, w, bodyH)
	case m.showHelp:
		body = m.renderHelp(w, bodyH)
	default:
		body = m.view.Render(w, bodyH)
	}
	lines := make([]string, 0, h)
	lines = append(lines, top...)
	lines = append(lines, fitLines(body, bodyH)...)
	lines = append(lines, bottom...)
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "")
		}
	}
	return strings.Join(lines, "\n")
}

// fitLines splits s into exactly n lines.
func fitLines(s string, n int) []string {
	if n <= 0 {
		return nil
	}
	var lines []string
	if s != "" {
		lines = strings.SplitN(s, "\n", n+1)
	}
	if len(lines) > n {
		lines = lines[:n]
	}
	for len(lines) < n {
		lines = append(lines, "")
	}
	return lines
}
