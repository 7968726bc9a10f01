package table

import (
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/themes"
)

// List is a table with its filter prompt: the part every list screen shares. While the
// prompt is open it has the keyboard (Capturing) and the rows are filtered as the user
// types; enter keeps the filter, esc puts back the one before.
type List struct {
	Model
	input    textinput.Model
	editing  bool
	previous string
}

// NewList returns a list over a new table.
func NewList(cols []Column, sortCol int) List {
	in := textinput.New()
	in.Prompt = "/"
	in.Placeholder = "fuzzy name, or -l app=checkout"
	in.CharLimit = 256
	return List{Model: New(cols, sortCol), input: in}
}

// Capturing reports whether the filter prompt has the keyboard.
func (l List) Capturing() bool { return l.editing }

// Editing is Capturing under the name the views read better.
func (l List) Editing() bool { return l.editing }

// StartFilter opens the prompt with the current filter.
func (l *List) StartFilter() tea.Cmd {
	l.editing, l.previous = true, l.filter
	l.input.SetValue(l.filter)
	l.input.CursorEnd()
	return l.input.Focus()
}

// ClearFilter removes the filter; it reports whether there was one.
func (l *List) ClearFilter() bool {
	if l.filter == "" && l.filterErr == "" {
		return false
	}
	l.SetFilter("")
	return true
}

// HandleKey handles a key of the table or of its prompt, and reports whether it used it.
func (l *List) HandleKey(msg tea.KeyPressMsg, km keymaps.TableKeyMap) (bool, tea.Cmd) {
	if l.editing {
		switch msg.String() {
		case "enter":
			l.editing = false
			l.input.Blur()
			if l.filterErr != "" { // a half-typed selector: keep the last good filter
				l.filterErr = ""
			}
			return true, nil
		case "esc":
			l.editing = false
			l.input.Blur()
			l.SetFilter(l.previous)
			return true, nil
		}
		var cmd tea.Cmd
		l.input, cmd = l.input.Update(msg)
		l.SetFilter(l.input.Value())
		return true, cmd
	}
	switch {
	case key.Matches(msg, km.Filter):
		return true, l.StartFilter()
	case key.Matches(msg, km.Up):
		l.Move(-1)
	case key.Matches(msg, km.Down):
		l.Move(1)
	case key.Matches(msg, km.Top):
		l.Top()
	case key.Matches(msg, km.Bottom):
		l.Bottom()
	case key.Matches(msg, km.PageUp):
		l.Page(-1)
	case key.Matches(msg, km.PageDown):
		l.Page(1)
	case key.Matches(msg, km.HalfPageUp):
		l.Page(-0.5)
	case key.Matches(msg, km.HalfPageDown):
		l.Page(0.5)
	case key.Matches(msg, km.SortNext):
		l.SortNext(1)
	case key.Matches(msg, km.SortPrev):
		l.SortNext(-1)
	case key.Matches(msg, km.SortReverse):
		l.Reverse()
	default:
		return false, nil
	}
	return true, nil
}

// HandleMouse scrolls with the wheel.
func (l *List) HandleMouse(msg tea.MouseWheelMsg) {
	switch msg.Button {
	case tea.MouseWheelUp:
		l.Move(-3)
	case tea.MouseWheelDown:
		l.Move(3)
	}
}

// PromptLine renders the filter line: the prompt while editing, the active filter with
// the row count otherwise, or "" when there is neither.
func (l *List) PromptLine(s *themes.Styles, width int) string {
	switch {
	case l.editing:
		l.input.SetWidth(max(1, width-2))
		line := l.input.View()
		if l.filterErr != "" {
			line += "  " + s.FlashError.Render(l.filterErr)
		}
		return Fit(line, width)
	case l.filter != "":
		return Fit(s.Primary.Render("/"+l.filter)+s.Muted.Render("  (esc clears)"), width)
	}
	return ""
}
