package tui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/vigie-dev/vigie/views"
)

// switchTo connects to another context or team in a command; the answer is a switchedMsg.
func (m *Model) switchTo(ctxName, team string) (tea.Cmd, error) {
	if m.opts.Connect == nil {
		return nil, errNoSwitch
	}
	what := "ctx " + ctxName
	if team != "" {
		what = "team " + team
	}
	m.switching = what
	connect := m.opts.Connect
	return func() tea.Msg {
		s, err := connect(ctxName, team)
		return switchedMsg{session: s, err: err, what: what}
	}, nil
}

type switchError string

func (e switchError) Error() string { return string(e) }

const errNoSwitch = switchError("switching is not available here")

// switched installs the new session: a new watch, the history reset to the current
// screen's kind (the old views show another scope).
func (m *Model) switched(msg switchedMsg) tea.Cmd {
	m.switching = ""
	if msg.err != nil {
		m.opts.Log.Error("switch", "to", msg.what, "err", msg.err)
		m.dialog = errorDialog("Cannot switch to "+msg.what, msg.err.Error())
		return nil
	}
	if m.cancel != nil {
		m.cancel()
	}
	leave(m.view)
	m.stopMonitoring()
	m.session = msg.session
	dataFuncs(&m.env, m.session)
	m.promServices, m.lastProm = nil, nil
	m.opts.Log.Info("switched", "context", m.session.Context, "team", m.session.Team)
	screen := m.view.Route().Screen
	if screen == views.ScreenDescribe || screen == views.ScreenYAML || screen == views.ScreenLogs {
		screen = views.ScreenPods
	}
	m.history = nil
	watch := m.startWatch()
	m.view = m.open(views.Route{Screen: screen})
	return tea.Batch(watch, m.startAlertsPoll(), enter(m.view), m.setFlash(views.Flash{Text: "now on " + msg.what}))
}
