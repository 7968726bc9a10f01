package themes

import (
	"fmt"
	"image/color"
	"strings"

	"charm.land/lipgloss/v2"
)

// Palette is a theme: one colour per semantic token. A nil colour is "unset" (invalid in a
// palette handed to [NewStyles] unless Monochrome); lipgloss.NoColor{} is "the terminal's
// default colour". Palettes are plain values: copy and change them freely.
type Palette struct {
	// Name is the theme's name ("dark", or a user theme's file name).
	Name string
	// Dark is true when the palette is designed for a dark terminal background.
	Dark bool
	// Monochrome palettes use text attributes only (bold, reverse, underline, faint); their
	// colour tokens are ignored by NewStyles. See [Mono].
	Monochrome bool

	Primary color.Color // accents: titles, the active tab, key names in help
	Muted   color.Color // secondary text: ages, labels, help descriptions
	Text    color.Color // body text
	Danger  color.Color // firing critical alerts, failed pods, errors
	Warning color.Color // warnings, pending, degraded
	OK      color.Color // healthy, resolved, ready
	Info    color.Color // informational severity and flash messages

	SelectedBg color.Color // the cursor row
	SelectedFg color.Color

	Border color.Color // dialog and pane borders

	HeaderBg color.Color // top bar and status bar
	HeaderFg color.Color

	ProductionBg color.Color // the unmistakable production-environment banner
	ProductionFg color.Color

	ReadOnly  color.Color // the read-only mode indicator
	Stale     color.Color // data kept on screen after its source failed
	Highlight color.Color // search matches
}

// token is one palette field addressed by its YAML name.
type token struct {
	name string
	doc  string
	ptr  func(*Palette) *color.Color
}

// tokens lists every colour token in a stable order. It is a function, not a table in a
// package variable, so nothing can change it at run time.
func tokens() []token {
	return []token{
		{"primary", "accents, titles, help keys", func(p *Palette) *color.Color { return &p.Primary }},
		{"muted", "secondary text", func(p *Palette) *color.Color { return &p.Muted }},
		{"text", "body text", func(p *Palette) *color.Color { return &p.Text }},
		{"danger", "critical, failed, errors", func(p *Palette) *color.Color { return &p.Danger }},
		{"warning", "warnings, pending", func(p *Palette) *color.Color { return &p.Warning }},
		{"ok", "healthy, resolved", func(p *Palette) *color.Color { return &p.OK }},
		{"info", "informational", func(p *Palette) *color.Color { return &p.Info }},
		{"selected-bg", "cursor row background", func(p *Palette) *color.Color { return &p.SelectedBg }},
		{"selected-fg", "cursor row text", func(p *Palette) *color.Color { return &p.SelectedFg }},
		{"border", "dialog and pane borders", func(p *Palette) *color.Color { return &p.Border }},
		{"header-bg", "top and status bar background", func(p *Palette) *color.Color { return &p.HeaderBg }},
		{"header-fg", "top and status bar text", func(p *Palette) *color.Color { return &p.HeaderFg }},
		{"production-bg", "production banner background", func(p *Palette) *color.Color { return &p.ProductionBg }},
		{"production-fg", "production banner text", func(p *Palette) *color.Color { return &p.ProductionFg }},
		{"read-only", "read-only indicator", func(p *Palette) *color.Color { return &p.ReadOnly }},
		{"stale", "stale data marker", func(p *Palette) *color.Color { return &p.Stale }},
		{"highlight", "search matches", func(p *Palette) *color.Color { return &p.Highlight }},
	}
}

// Tokens returns the YAML names of the colour tokens, in palette order.
func Tokens() []string {
	ts := tokens()
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.name
	}
	return names
}

// Color returns the colour of the token with the given YAML name ("selected-bg").
func (p Palette) Color(tokenName string) (color.Color, bool) {
	for _, t := range tokens() {
		if t.name == tokenName {
			return *t.ptr(&p), true
		}
	}
	return nil, false
}

// Validate reports the tokens left unset (nil). Monochrome palettes need no colours.
func (p Palette) Validate() error {
	if p.Monochrome {
		return nil
	}
	var missing []string
	for _, t := range tokens() {
		if *t.ptr(&p) == nil {
			missing = append(missing, t.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("theme %q: tokens not set: %s", p.Name, strings.Join(missing, ", "))
	}
	return nil
}

// isDefault reports whether c means "no colour": unset or the terminal default.
func isDefault(c color.Color) bool {
	if c == nil {
		return true
	}
	_, ok := c.(lipgloss.NoColor)
	return ok
}

// parseColor reads a colour value as written in a theme file: "#rrggbb", an ANSI colour
// number 0-255, or "" for the terminal default.
func parseColor(s string) (color.Color, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return lipgloss.NoColor{}, nil
	case strings.HasPrefix(s, "#"):
		if len(s) != 7 || strings.Trim(s[1:], "0123456789abcdefABCDEF") != "" {
			return nil, fmt.Errorf("bad colour %q: want #rrggbb", s)
		}
		return lipgloss.Color(s), nil
	default:
		n := 0
		for _, r := range s {
			if r < '0' || r > '9' {
				return nil, fmt.Errorf("bad colour %q: want \"#rrggbb\", an ANSI colour number 0-255, or \"\" for the terminal default", s)
			}
			n = n*10 + int(r-'0')
			if n > 255 {
				break
			}
		}
		if n > 255 {
			return nil, fmt.Errorf("bad colour %q: ANSI colour numbers go from 0 to 255", s)
		}
		return lipgloss.Color(fmt.Sprint(n)), nil
	}
}

// UnknownThemeError is returned by Builtin and Pick for a name they do not know.
type UnknownThemeError struct {
	Name  string
	Valid []string
}

func (e *UnknownThemeError) Error() string {
	return fmt.Sprintf("unknown theme %q (valid: %s)", e.Name, strings.Join(e.Valid, ", "))
}
