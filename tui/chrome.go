package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/workloads"
)

// header draws the top bar: who and where (context, environment, team), the mode, and the
// state of each source. A production context turns the whole bar into the production
// colours, so it cannot be missed.
func (m *Model) header(w int) string {
	s := m.styles
	sess := m.session
	bar := s.Header
	prod := strings.EqualFold(sess.Environment, "production")
	if prod {
		bar = s.Production
	}
	env := strings.ToUpper(orNone(sess.Environment))
	if prod {
		env = "▲ PRODUCTION"
	}
	mode := "LIVE"
	if sess.ReadOnly {
		mode = "READ-ONLY"
	}
	left := fmt.Sprintf("vigie  ctx %s  %s  team %s  %s",
		termtext.Line(orNone(sess.Context)), env, termtext.Line(orNone(sess.Team)), mode)
	right := "kube " + m.kubeState()
	now := m.opts.Now()
	if m.session.Prom != nil || m.session.Alerts != nil {
		var pStale, aStale = stale(m.lastProm != nil, func() time.Time { return m.lastProm.StaleSince }),
			stale(m.lastAlerts != nil, func() time.Time { return m.lastAlerts.StaleSince })
		right += "  prom " + sourceState(m.session.Prom != nil, m.lastProm != nil, pStale, now) +
			"  am " + sourceState(m.session.Alerts != nil, m.lastAlerts != nil, aStale, now)
	}
	if m.switching != "" {
		right = "connecting to " + termtext.Line(m.switching) + "…  " + right
	}
	inner := max(0, w-bar.GetHorizontalFrameSize())
	if ansi.StringWidth(left)+ansi.StringWidth(right)+2 > inner {
		right = compactStates(right)
	}
	line := left
	if gapW := inner - ansi.StringWidth(left) - ansi.StringWidth(right); gapW >= 2 {
		line = left + strings.Repeat(" ", gapW) + right
	} else {
		line = ansi.Truncate(left+"  "+right, inner, "…")
	}
	return bar.Width(w).MaxWidth(w).Render(line)
}

// kubeState is the connection state of the kube source, with its age when stale.
func (m *Model) kubeState() string {
	switch {
	case m.last != nil:
	case m.session.Kube == nil:
		return "✕ no client"
	default:
		return "◌ connecting"
	}
	var stale, forbidden int
	var since string
	for _, p := range m.last.Problems {
		if p.Forbidden {
			forbidden++
			continue
		}
		if stale == 0 {
			since = workloads.Age(p.Since, m.opts.Now())
		}
		stale++
	}
	switch {
	case stale > 0:
		return "⚠ STALE " + since
	case !m.last.Synced:
		return "◌ loading"
	case forbidden > 0:
		return "● live (some forbidden)"
	}
	return "● live"
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// crumbs draws the view history as a breadcrumb, newest last, cut from the left.
func (m *Model) crumbs(w int) string {
	parts := make([]string, 0, len(m.history)+1)
	for _, v := range m.history {
		parts = append(parts, v.Title())
	}
	cur := m.styles.Primary.Render(m.view.Title())
	text := strings.Join(parts, " › ")
	if text != "" {
		text = m.styles.Muted.Render(text+" › ") + cur
	} else {
		text = cur
	}
	if ansi.StringWidth(text) > w {
		text = ansi.TruncateLeft(text, ansi.StringWidth(text)-w+1, "…")
	}
	return text
}

// footer draws the flash message when there is one, else the short help of the view.
func (m *Model) footer(w int) string {
	s := m.styles
	if t := m.tasksLine(); t != "" && m.flash.Text == "" {
		return s.FlashWarning.Render(ansi.Truncate(termtext.Line(t), w, "…"))
	}
	if m.flash.Text != "" {
		st := s.FlashInfo
		switch m.flash.Level {
		case views.FlashWarning:
			st = s.FlashWarning
		case views.FlashError:
			st = s.FlashError
		}
		return st.Render(ansi.Truncate(termtext.Line(m.flash.Text), w, "…"))
	}
	var short []key.Binding
	switch {
	case m.dialog != nil:
		short = []key.Binding{key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc/enter", "close"))}
	case m.showHelp:
		short = []key.Binding{key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc/?", "close help"))}
	case m.prompt.open:
		short = []key.Binding{
			key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "complete")),
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "run")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		}
	default:
		short = m.view.Help().ShortHelp()
	}
	m.helpWidget.SetWidth(w)
	return m.helpWidget.ShortHelpView(short)
}

// renderHelp draws the full help of the active view: one titled column per group, laid
// side by side as far as the width allows, then wrapped below.
func (m *Model) renderHelp(w, h int) string {
	s := m.styles
	scr := m.view.Help()
	var blocks []string
	for _, g := range scr.Groups {
		keyW := 0
		for _, b := range g.Bindings {
			keyW = max(keyW, ansi.StringWidth(b.Help().Key))
		}
		lines := []string{s.DialogTitle.Render(g.Title)}
		for _, b := range g.Bindings {
			k := b.Help().Key
			lines = append(lines, s.HelpKey.Render(k+strings.Repeat(" ", keyW-ansi.StringWidth(k)))+"  "+s.HelpDesc.Render(b.Help().Desc))
		}
		blocks = append(blocks, strings.Join(lines, "\n"))
	}
	palette := []string{
		s.DialogTitle.Render("Commands (:)"),
		s.HelpKey.Render(":home") + "    " + s.HelpDesc.Render("services"),
		s.HelpKey.Render(":alerts") + "  " + s.HelpDesc.Render("team alerts"),
		s.HelpKey.Render(":metrics") + " " + s.HelpDesc.Render("of a service"),
		s.HelpKey.Render(":promql") + "  " + s.HelpDesc.Render("query console"),
		s.HelpKey.Render(":audit") + "   " + s.HelpDesc.Render("team actions"),
		s.HelpKey.Render(":approvals") + " " + s.HelpDesc.Render("to decide"),
		s.HelpKey.Render(":deploy") + "  " + s.HelpDesc.Render("deployments"),
		s.HelpKey.Render(":pods") + "    " + s.HelpDesc.Render("pods [filter]"),
		s.HelpKey.Render(":events") + "  " + s.HelpDesc.Render("team events"),
		s.HelpKey.Render(":team") + "    " + s.HelpDesc.Render("switch team"),
		s.HelpKey.Render(":ctx") + "     " + s.HelpDesc.Render("switch context"),
		s.HelpKey.Render(":q") + "       " + s.HelpDesc.Render("quit"),
	}
	blocks = append(blocks, strings.Join(palette, "\n"))

	// Lay the blocks out in rows that fit the width.
	var rows []string
	var row []string
	rowW := 0
	for _, b := range blocks {
		bw := lipgloss.Width(b)
		if len(row) > 0 && rowW+4+bw > w {
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
			row, rowW = nil, 0
		}
		if len(row) > 0 {
			row = append(row, "    ")
			rowW += 4
		}
		row = append(row, b)
		rowW += bw
	}
	if len(row) > 0 {
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
	}
	title := s.Primary.Render("Help — "+m.view.Title()) + s.Muted.Render("   (keys can be changed in the config file: keys:)")
	all := strings.Split(title+"\n\n"+strings.Join(rows, "\n\n"), "\n")
	m.helpTop = max(0, min(m.helpTop, len(all)-h))
	return strings.Join(all[m.helpTop:min(len(all), m.helpTop+h)], "\n")
}

func (m *Model) helpKey(msg tea.KeyPressMsg) {
	t, g := m.keys.Table, m.keys.Global
	switch {
	case key.Matches(msg, g.Back, g.Help, g.Quit):
		m.showHelp = false
	case key.Matches(msg, t.Down):
		m.helpTop++
	case key.Matches(msg, t.Up):
		m.helpTop = max(0, m.helpTop-1)
	case key.Matches(msg, t.PageDown):
		m.helpTop += max(1, m.height-4)
	case key.Matches(msg, t.PageUp):
		m.helpTop = max(0, m.helpTop-max(1, m.height-4))
	}
}

func stale(has bool, since func() time.Time) time.Time {
	if !has {
		return time.Time{}
	}
	return since()
}

// compactStates shortens "kube ● live  prom ⚠ STALE 1m" to "kube●  prom⚠1m" for narrow
// terminals: the symbol and the age carry the meaning.
func compactStates(s string) string {
	r := strings.NewReplacer(" ● live (some forbidden)", "●", " ● live", "●", " ◌ connecting", "◌", " ◌ loading", "◌",
		" ⚠ STALE ", "⚠", " – off", "–", " ✕ no client", "✕")
	return r.Replace(s)
}
