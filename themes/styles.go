package themes

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// Styles are the lipgloss styles of every screen element, built from a Palette by
// NewStyles. Styles set colours and attributes (and borders and padding where they are
// part of the element's look) but never widths: the layout is the views' business.
type Styles struct {
	Text    lipgloss.Style // body text
	Muted   lipgloss.Style // secondary text
	Primary lipgloss.Style // accents and titles

	Header    lipgloss.Style // top bar: context, team, mode
	StatusBar lipgloss.Style // bottom bar: connection state, tasks, short help

	TableHeader lipgloss.Style
	Cell        lipgloss.Style // an ordinary table cell
	SelectedRow lipgloss.Style // the cursor row (applied to the whole row)

	// Cells and text per severity.
	Danger  lipgloss.Style
	Warning lipgloss.Style
	OK      lipgloss.Style
	Info    lipgloss.Style

	Dialog       lipgloss.Style // bordered box of ordinary dialogs
	DialogDanger lipgloss.Style // bordered box of destructive confirmations (double border)
	DialogTitle  lipgloss.Style

	FlashInfo    lipgloss.Style // short status-bar messages
	FlashWarning lipgloss.Style
	FlashError   lipgloss.Style

	Production lipgloss.Style // the production-environment banner
	ReadOnly   lipgloss.Style // the read-only badge
	Stale      lipgloss.Style // the stale-data marker
	Highlight  lipgloss.Style // search matches

	HelpKey       lipgloss.Style
	HelpDesc      lipgloss.Style
	HelpSeparator lipgloss.Style
}

// NewStyles builds the styles of palette p. Unset and terminal-default colours set nothing;
// a bar whose background is the terminal default (selected row, header, status bar,
// production banner) is drawn in reverse video instead so that it stays visible.
// Monochrome palettes get attribute-only styles (see Mono).
func NewStyles(p Palette) Styles {
	if p.Monochrome {
		return monoStyles()
	}
	n := lipgloss.NewStyle
	fg := func(s lipgloss.Style, c color.Color) lipgloss.Style {
		if isDefault(c) {
			return s
		}
		return s.Foreground(c)
	}
	bar := func(s lipgloss.Style, bg, fgc color.Color) lipgloss.Style {
		s = fg(s, fgc)
		if isDefault(bg) {
			return s.Reverse(true)
		}
		return s.Background(bg)
	}
	border := func(s lipgloss.Style, c color.Color) lipgloss.Style {
		if isDefault(c) {
			return s
		}
		return s.BorderForeground(c)
	}

	return Styles{
		Text:    fg(n(), p.Text),
		Muted:   fg(n(), p.Muted),
		Primary: fg(n(), p.Primary).Bold(true),

		Header:    bar(n(), p.HeaderBg, p.HeaderFg).Padding(0, 1),
		StatusBar: bar(n(), p.HeaderBg, p.HeaderFg).Padding(0, 1),

		TableHeader: fg(n(), p.Primary).Bold(true),
		Cell:        fg(n(), p.Text),
		SelectedRow: bar(n(), p.SelectedBg, p.SelectedFg),

		Danger:  fg(n(), p.Danger).Bold(true),
		Warning: fg(n(), p.Warning),
		OK:      fg(n(), p.OK),
		Info:    fg(n(), p.Info),

		Dialog:       border(n().Border(lipgloss.RoundedBorder()).Padding(1, 2), p.Border),
		DialogDanger: border(n().Border(lipgloss.DoubleBorder()).Padding(1, 2), p.Danger),
		DialogTitle:  fg(n(), p.Primary).Bold(true),

		FlashInfo:    fg(n(), p.Info),
		FlashWarning: fg(n(), p.Warning),
		FlashError:   fg(n(), p.Danger).Bold(true),

		Production: bar(n(), p.ProductionBg, p.ProductionFg).Bold(true).Padding(0, 1),
		ReadOnly:   fg(n(), p.ReadOnly).Bold(true),
		Stale:      fg(n(), p.Stale),
		Highlight:  fg(n(), p.Highlight).Bold(true).Underline(true),

		HelpKey:       fg(n(), p.Primary),
		HelpDesc:      fg(n(), p.Muted),
		HelpSeparator: fg(n(), p.Border),
	}
}

// monoStyles expresses every token with attributes: reverse for selection and bars, bold
// for danger and emphasis, underline for warnings and matches, faint for secondary text.
func monoStyles() Styles {
	n := lipgloss.NewStyle
	return Styles{
		Text:    n(),
		Muted:   n().Faint(true),
		Primary: n().Bold(true),

		Header:    n().Reverse(true).Padding(0, 1),
		StatusBar: n().Reverse(true).Padding(0, 1),

		TableHeader: n().Bold(true).Underline(true),
		Cell:        n(),
		SelectedRow: n().Reverse(true),

		Danger:  n().Bold(true),
		Warning: n().Underline(true),
		OK:      n(),
		Info:    n().Faint(true),

		Dialog:       n().Border(lipgloss.RoundedBorder()).Padding(1, 2),
		DialogDanger: n().Border(lipgloss.DoubleBorder()).Padding(1, 2),
		DialogTitle:  n().Bold(true),

		FlashInfo:    n(),
		FlashWarning: n().Underline(true),
		FlashError:   n().Bold(true),

		Production: n().Reverse(true).Bold(true).Padding(0, 1),
		ReadOnly:   n().Bold(true),
		Stale:      n().Faint(true),
		Highlight:  n().Bold(true).Underline(true),

		HelpKey:       n().Bold(true),
		HelpDesc:      n(),
		HelpSeparator: n().Faint(true),
	}
}

// Help returns styles for the bubbles help component.
func (s Styles) Help() help.Styles {
	return help.Styles{
		Ellipsis:       s.HelpSeparator,
		ShortKey:       s.HelpKey,
		ShortDesc:      s.HelpDesc,
		ShortSeparator: s.HelpSeparator,
		FullKey:        s.HelpKey,
		FullDesc:       s.HelpDesc,
		FullSeparator:  s.HelpSeparator,
	}
}
