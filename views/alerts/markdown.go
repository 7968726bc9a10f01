package alerts

import (
	"fmt"
	"image/color"
	"strings"

	"charm.land/glamour/v2"
	gansi "charm.land/glamour/v2/ansi"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/themes"
)

// renderMarkdown draws a runbook for a pane width cells wide. The Markdown is sanitised
// before glamour sees it (no byte of it can reach the terminal as a control, numeric
// character references included), glamour's
// colours come from the theme (none in the monochrome theme, so NO_COLOR holds), and every
// escape sequence of the result but SGR styling is dropped (no OSC 8 hyperlinks: links are
// text). Each line is cut to width.
func renderMarkdown(s *themes.Styles, md string, width int) []string {
	if width <= 0 {
		return nil
	}
	// Numeric character references ("&#27;") would bring control characters back after
	// sanitising: they are shown as written.
	md = strings.ReplaceAll(termtext.Sanitize(md, true), "&#", "&amp;#")
	r, err := glamour.NewTermRenderer(glamour.WithStyles(markdownStyle(s)), glamour.WithWordWrap(width))
	if err == nil {
		var out string
		if out, err = r.Render(md); err == nil {
			out = strings.Trim(onlySGR(out), "\n")
			lines := strings.Split(out, "\n")
			for i, l := range lines {
				lines[i] = fitStyled(strings.TrimRight(l, " "), width)
			}
			return lines
		}
	}
	// glamour refused: show the text as it is (it is sanitised).
	lines := []string{"(cannot render Markdown: " + termtext.Line(err.Error()) + ")"}
	for l := range strings.SplitSeq(md, "\n") {
		lines = append(lines, fitStyled(l, width))
	}
	return lines
}

// fitStyled cuts a styled line to width cells (no padding).
func fitStyled(s string, width int) string {
	if ansi.StringWidth(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, "…")
}

// onlySGR removes every escape sequence of s except Select Graphic Rendition (colours
// and attributes), and every other control character but newlines.
func onlySGR(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	var state byte
	for len(s) > 0 {
		seq, _, n, newState := ansi.DecodeSequence(s, state, nil)
		state = newState
		switch {
		case n <= 0:
			return b.String()
		case seq == "\n":
			b.WriteString(seq)
		case strings.HasPrefix(seq, "\x1b[") && strings.HasSuffix(seq, "m"):
			b.WriteString(seq)
		case seq[0] == 0x1b || seq[0] < 0x20 || seq[0] == 0x7f:
			// dropped: OSC (hyperlinks), cursor moves, C0 controls
		default:
			b.WriteString(termtext.Sanitize(seq, false))
		}
		s = s[n:]
	}
	return b.String()
}

// markdownStyle is glamour's style built from the theme: headings bold in the primary
// colour, code in the warning colour, links in the info colour and underlined. A colour
// the theme leaves to the terminal (monochrome) sets nothing.
func markdownStyle(s *themes.Styles) gansi.StyleConfig {
	yes := func() *bool { t := true; return &t }
	u := func(n uint) *uint { return &n }
	primary, code, link := colorOf(s.Primary), colorOf(s.Warning), colorOf(s.Info)
	ticks := "" // code is told apart by its colour, or by backticks without colour
	if code == nil {
		ticks = "`"
	}
	heading := func(prefix string) gansi.StyleBlock {
		return gansi.StyleBlock{StylePrimitive: gansi.StylePrimitive{Prefix: prefix, Bold: yes(), Color: primary}}
	}
	return gansi.StyleConfig{
		Document:       gansi.StyleBlock{Margin: u(0)},
		BlockQuote:     gansi.StyleBlock{Indent: u(1), IndentToken: ptr("│ ")},
		List:           gansi.StyleList{LevelIndent: 2},
		Heading:        gansi.StyleBlock{StylePrimitive: gansi.StylePrimitive{BlockSuffix: "\n", Bold: yes(), Color: primary}},
		H1:             heading("# "),
		H2:             heading("## "),
		H3:             heading("### "),
		H4:             heading("#### "),
		H5:             heading("##### "),
		H6:             heading("###### "),
		Emph:           gansi.StylePrimitive{Italic: yes()},
		Strong:         gansi.StylePrimitive{Bold: yes()},
		Strikethrough:  gansi.StylePrimitive{CrossedOut: yes()},
		HorizontalRule: gansi.StylePrimitive{Format: "\n────────\n"},
		Item:           gansi.StylePrimitive{BlockPrefix: "• "},
		Enumeration:    gansi.StylePrimitive{BlockPrefix: ". "},
		Task:           gansi.StyleTask{Ticked: "[x] ", Unticked: "[ ] "},
		Link:           gansi.StylePrimitive{Color: link, Underline: yes()},
		LinkText:       gansi.StylePrimitive{Bold: yes()},
		ImageText:      gansi.StylePrimitive{Format: "image: {{.text}}"},
		Code:           gansi.StyleBlock{StylePrimitive: gansi.StylePrimitive{Color: code, Prefix: ticks, Suffix: ticks}},
		CodeBlock:      gansi.StyleCodeBlock{StyleBlock: gansi.StyleBlock{Margin: u(2), StylePrimitive: gansi.StylePrimitive{Color: code}}},
		Table:          gansi.StyleTable{CenterSeparator: ptr("┼"), ColumnSeparator: ptr("│"), RowSeparator: ptr("─")},
	}
}

func ptr[T any](v T) *T { return &v }

// colorOf returns the foreground of st as glamour writes colours ("#rrggbb"), or nil when
// st leaves it to the terminal.
func colorOf(st lipgloss.Style) *string {
	c := st.GetForeground()
	if c == nil {
		return nil
	}
	if _, ok := c.(lipgloss.NoColor); ok {
		return nil
	}
	if _, _, _, a := c.RGBA(); a == 0 {
		return nil
	}
	rgb := color.RGBAModel.Convert(c).(color.RGBA)
	return ptr(fmt.Sprintf("#%02x%02x%02x", rgb.R, rgb.G, rgb.B))
}
