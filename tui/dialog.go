package tui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/themes"
)

// dialog is a modal message: a title and a body; esc or enter closes it.
type dialog struct {
	title string
	body  string
}

func errorDialog(title, body string) *dialog {
	return &dialog{title: title, body: termtext.Sanitize(body, true)}
}

// key reports whether the key closes the dialog.
func (d *dialog) key(msg tea.KeyPressMsg) bool {
	switch msg.String() {
	case "esc", "enter", "q", "space":
		return true
	}
	return false
}

func (d *dialog) render(s *themes.Styles, w, h int) string {
	box := s.DialogDanger
	inner := max(1, min(w-box.GetHorizontalFrameSize(), 90))
	var lines []string
	for _, l := range strings.Split(d.body, "\n") {
		lines = append(lines, strings.Split(ansi.Wrap(l, inner, " /"), "\n")...)
	}
	room := max(1, h-box.GetVerticalFrameSize()-3)
	if len(lines) > room {
		lines = append(lines[:room-1], "… (full text in the log file)")
	}
	content := s.DialogTitle.Render(d.title) + "\n\n" + strings.Join(lines, "\n") + "\n" + s.Muted.Render("esc or enter to close")
	out := box.Render(content)
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, out)
}
