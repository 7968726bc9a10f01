package themes

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
)

// Names of the built-in themes, and the name that picks Dark or Light by background.
const (
	NameDark         = "dark"
	NameLight        = "light"
	NameHighContrast = "high-contrast"
	NameMono         = "mono"
	NameAuto         = "auto"
)

// Names returns the built-in theme names.
func Names() []string {
	return []string{NameDark, NameLight, NameHighContrast, NameMono}
}

// Dark is the default palette for dark backgrounds. Its status colours reduce to bright
// red, yellow and green on a 16-colour terminal.
func Dark() Palette {
	c := lipgloss.Color
	return Palette{
		Name:         NameDark,
		Dark:         true,
		Primary:      c("#5fafff"),
		Muted:        c("#8a8a8a"),
		Text:         c("#d0d0d0"),
		Danger:       c("#ff5f5f"),
		Warning:      c("#ffff5f"),
		OK:           c("#5fd75f"),
		Info:         c("#5fd7ff"),
		SelectedBg:   c("#005f87"),
		SelectedFg:   c("#ffffff"),
		Border:       c("#6c6c6c"),
		HeaderBg:     c("#303030"),
		HeaderFg:     c("#d0d0d0"),
		ProductionBg: c("#d70000"),
		ProductionFg: c("#ffffff"),
		ReadOnly:     c("#d787ff"),
		Stale:        c("#af875f"),
		Highlight:    c("#ff87ff"),
	}
}

// Light is the palette for light backgrounds: darker status colours that keep their
// contrast on white and reduce to red, yellow and green on a 16-colour terminal.
func Light() Palette {
	c := lipgloss.Color
	return Palette{
		Name:         NameLight,
		Dark:         false,
		Primary:      c("#005fd7"),
		Muted:        c("#6c6c6c"),
		Text:         c("#262626"),
		Danger:       c("#d70000"),
		Warning:      c("#878700"),
		OK:           c("#008700"),
		Info:         c("#0087af"),
		SelectedBg:   c("#afd7ff"),
		SelectedFg:   c("#000000"),
		Border:       c("#8a8a8a"),
		HeaderBg:     c("#d0d0d0"),
		HeaderFg:     c("#1c1c1c"),
		ProductionBg: c("#d70000"),
		ProductionFg: c("#ffffff"),
		ReadOnly:     c("#8700af"),
		Stale:        c("#875f00"),
		Highlight:    c("#af00af"),
	}
}

// HighContrast uses only the 16 basic ANSI colours, so it shows exactly the terminal's own
// (often accessibility-tuned) palette, with black-on-colour bars. It assumes a dark
// background.
func HighContrast() Palette {
	return Palette{
		Name:         NameHighContrast,
		Dark:         true,
		Primary:      lipgloss.BrightCyan,
		Muted:        lipgloss.White,
		Text:         lipgloss.BrightWhite,
		Danger:       lipgloss.BrightRed,
		Warning:      lipgloss.BrightYellow,
		OK:           lipgloss.BrightGreen,
		Info:         lipgloss.BrightCyan,
		SelectedBg:   lipgloss.BrightWhite,
		SelectedFg:   lipgloss.Black,
		Border:       lipgloss.BrightWhite,
		HeaderBg:     lipgloss.White,
		HeaderFg:     lipgloss.Black,
		ProductionBg: lipgloss.BrightRed,
		ProductionFg: lipgloss.Black,
		ReadOnly:     lipgloss.BrightMagenta,
		Stale:        lipgloss.BrightYellow,
		Highlight:    lipgloss.BrightMagenta,
	}
}

// Mono uses no colour at all: every token is the terminal default and NewStyles expresses
// meaning with attributes only (selection and bars reversed, danger bold, warnings
// underlined, muted and stale text faint). It stays readable with NO_COLOR and on
// 2-colour terminals.
func Mono() Palette {
	p := Palette{Name: NameMono, Monochrome: true}
	for _, t := range tokens() {
		*t.ptr(&p) = lipgloss.NoColor{}
	}
	return p
}

// Builtin returns the built-in palette with the given name (see Names).
func Builtin(name string) (Palette, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case NameDark:
		return Dark(), nil
	case NameLight:
		return Light(), nil
	case NameHighContrast:
		return HighContrast(), nil
	case NameMono:
		return Mono(), nil
	}
	return Palette{}, &UnknownThemeError{Name: name, Valid: Names()}
}

// Pick returns the built-in palette named name; "" and "auto" pick Dark or Light from
// hasDarkBackground, the result of the TUI's background detection (assume true when the
// terminal did not answer).
func Pick(name string, hasDarkBackground bool) (Palette, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", NameAuto:
		if hasDarkBackground {
			return Dark(), nil
		}
		return Light(), nil
	}
	p, err := Builtin(name)
	if err != nil {
		return Palette{}, &UnknownThemeError{Name: name, Valid: append(Names(), NameAuto)}
	}
	return p, nil
}

// ForProfile returns p, or Mono when the terminal's colour profile shows no colour at all
// (Ascii: NO_COLOR or a 2-colour terminal; NoTTY). Colour palettes rely on backgrounds for
// the selected row and the bars, which vanish without colour; Mono keeps them visible with
// reverse video. Unknown profiles keep p.
func ForProfile(p Palette, profile colorprofile.Profile) Palette {
	if profile == colorprofile.ASCII || profile == colorprofile.NoTTY {
		return Mono()
	}
	return p
}
