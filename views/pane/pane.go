// Package pane is the scrolled detail pane of a screen: a header line, then logical
// lines (a muted key column or an indent before a text wrapped to the width, drawn in a
// tone; section titles; lines styled already), scrolled by the table's navigation keys
// and the mouse wheel.
package pane

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views/table"
)

// Line is one logical line of the pane: a muted key column (or an indent) and a text
// wrapped at render time, a section title, or a styled line already cut to the width.
type Line struct {
	Indent int    // width of the key column, or of the indent
	Key    string // the field's name, drawn muted in the key column
	Text   string
	Tone   table.Tone
	Title  bool // a section title
	Styled bool // Text is styled and cut to the width already (padded when drawn)
}

// Indented is a text indented by two cells.
func Indented(text string, tone table.Tone) Line { return Line{Indent: 2, Text: text, Tone: tone} }

// Title is a section title.
func Title(text string) Line { return Line{Text: text, Title: true} }

// Pane is the scroll position of a pane and the height it was last drawn at.
type Pane struct {
	top, height int
}

// Scroll moves the pane n lines down (up when n < 0); Render clamps it to the text.
func (p *Pane) Scroll(n int) { p.top = max(0, p.top+n) }

// Reset goes back to the first line.
func (p *Pane) Reset() { p.top = 0 }

// Wheel scrolls the pane three lines a notch.
func (p *Pane) Wheel(msg tea.MouseWheelMsg) {
	switch msg.Button {
	case tea.MouseWheelUp:
		p.Scroll(-3)
	case tea.MouseWheelDown:
		p.Scroll(3)
	}
}

// ScrollKey scrolls the pane with the table's navigation keys; it reports whether it did.
func (p *Pane) ScrollKey(msg tea.KeyPressMsg, t keymaps.TableKeyMap) bool {
	page := max(1, p.height)
	switch {
	case key.Matches(msg, t.Up):
		p.Scroll(-1)
	case key.Matches(msg, t.Down):
		p.Scroll(1)
	case key.Matches(msg, t.Top):
		p.top = 0
	case key.Matches(msg, t.Bottom):
		p.top = 1 << 30 // clamped at render
	case key.Matches(msg, t.PageUp):
		p.Scroll(-page)
	case key.Matches(msg, t.PageDown):
		p.Scroll(page)
	case key.Matches(msg, t.HalfPageUp):
		p.Scroll(-page / 2)
	case key.Matches(msg, t.HalfPageDown):
		p.Scroll(page / 2)
	default:
		return false
	}
	return true
}

// Render draws the pane in width×height: head (styled already) cut to the width, then
// the lines wrapped to the width, from the scroll position, which it keeps within the
// text.
func (p *Pane) Render(st *themes.Styles, head string, lines []Line, width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	rows := layout(lines, width)
	p.height = max(0, height-1)
	p.top = max(0, min(p.top, len(rows)-max(1, p.height)))
	var b strings.Builder
	b.WriteString(table.Fit(head, width))
	end := min(len(rows), p.top+p.height)
	for _, r := range rows[p.top:end] {
		b.WriteByte('\n')
		b.WriteString(r.draw(st, width))
	}
	return b.String()
}

// row is one screen line of the pane, styled only when drawn.
type row struct {
	key  string // the key column, padded (muted)
	text string
	tone table.Tone
	kind byte // 0 text, 't' section title, 's' already styled
}

func (r row) draw(st *themes.Styles, width int) string {
	switch r.kind {
	case 's':
		return r.text + strings.Repeat(" ", max(0, width-ansi.StringWidth(r.text)))
	case 't':
		return st.Primary.Render(table.Fit(r.text, width))
	}
	kw := ansi.StringWidth(r.key)
	k := r.key
	if strings.TrimSpace(k) != "" {
		k = st.Muted.Render(k)
	}
	text := table.Fit(r.text, width-kw)
	if r.tone != table.ToneNone {
		text = table.ToneStyle(st, r.tone).Render(text)
	}
	return k + text
}

// layout wraps the logical lines to width.
func layout(lines []Line, width int) []row {
	var out []row
	for _, l := range lines {
		switch {
		case l.Styled:
			out = append(out, row{text: l.Text, kind: 's'})
			continue
		case l.Title:
			out = append(out, row{text: l.Text, kind: 't'})
			continue
		}
		kw := l.Indent
		if width-kw < 12 { // too narrow for a key column: the key on a line of its own
			if l.Key != "" {
				out = append(out, row{key: table.Fit(l.Key, width)})
			}
			kw = 0
		}
		parts := Wrap(l.Text, width-kw)
		if len(parts) == 0 {
			parts = []string{""}
		}
		for i, p := range parts {
			k := strings.Repeat(" ", kw)
			if i == 0 && kw > 0 {
				k = pad(l.Key, kw)
			}
			out = append(out, row{key: k, text: p, tone: l.Tone})
		}
	}
	return out
}

// Wrap breaks plain text into lines of at most width cells, at spaces when it can.
func Wrap(s string, width int) []string {
	if width <= 0 {
		return nil
	}
	if ansi.StringWidth(s) <= width {
		return []string{s}
	}
	return strings.Split(ansi.Wrap(s, width, ""), "\n")
}

// pad pads plain text with spaces to w cells (never cuts it).
func pad(s string, w int) string {
	return s + strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
}
