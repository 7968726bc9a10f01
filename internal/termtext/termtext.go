// Package termtext makes text from remote systems (log lines, pod names, annotations,
// alert text, server errors) safe to draw in a terminal: no byte of it can start an
// escape sequence, move the cursor or change the terminal's state.
package termtext

import (
	"strings"
	"unicode/utf8"
)

// Sanitize returns s with every control character made visible and inert:
// C0 controls become caret notation (ESC -> "^["), DEL becomes "^?", C1 controls
// (U+0080–U+009F, which some terminals obey like ESC sequences) become "<U+009B>"-style
// text, and invalid UTF-8 bytes become U+FFFD. Tabs become spaces so widths stay
// measurable; newlines are kept only when keepNewlines is true.
func Sanitize(s string, keepNewlines bool) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\n' && keepNewlines:
			b.WriteByte('\n')
		case r == '\t':
			b.WriteString("    ")
		case r < 0x20:
			b.WriteByte('^')
			b.WriteByte(byte(r) + '@')
		case r == 0x7f:
			b.WriteString("^?")
		case r >= 0x80 && r <= 0x9f:
			b.WriteString("<U+00")
			const hex = "0123456789ABCDEF"
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
			b.WriteByte('>')
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Line is Sanitize for one-line fields (names, labels): newlines are made visible too.
func Line(s string) string { return Sanitize(s, false) }

// isPlain reports whether s is printable ASCII only, the common case, which needs no copy.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// FirstLine is the first line of s, cut to at most max bytes on a character boundary
// (with "…" when cut): what a status line or a table cell shows of a longer text. It does
// not neutralise control sequences (Line does).
func FirstLine(s string, max int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
