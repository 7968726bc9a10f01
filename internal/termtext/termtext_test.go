package termtext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"checkout-7d9f", "checkout-7d9f"},
		{"\x1b]52;c;ZXZpbA==\x07", "^[]52;c;ZXZpbA==^G"},     // OSC 52 clipboard write
		{"red \x1b[31malert\x1b[0m", "red ^[[31malert^[[0m"}, // SGR
		{"\u009b31m", "<U+009B>31m"},                         // C1 CSI, UTF-8 encoded
		{"\x9b31m", "\uFFFD31m"},                             // raw 8-bit CSI byte
		{"a\rb", "a^Mb"},                                     // carriage return overwrite
		{"tab\there", "tab    here"},
		{"del\x7f", "del^?"},
		{"bad \xff byte", "bad \uFFFD byte"},
		{"héllo 日本", "héllo 日本"},
		{"two\nlines", "two^Jlines"},
	}
	for _, c := range cases {
		if got := Line(c.in); got != c.want {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := Sanitize("two\nlines\x1b", true); got != "two\nlines^[" {
		t.Errorf("Sanitize keepNewlines = %q", got)
	}
}

func FuzzSanitizeLeavesNoControl(f *testing.F) {
	for _, s := range []string{"", "\x1b[2J", "\x9b", "\xc2\x9b", "a\tb\nc", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Line(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
				t.Fatalf("control %U survived in %q (from %q)", r, out, s)
			}
		}
		if strings.ContainsRune(Sanitize(s, true), '\x1b') {
			t.Fatalf("ESC survived")
		}
	})
}

func TestFirstLine(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"one\ntwo", 10, "one"},
		{"short", 10, "short"},
		{"abcdef", 3, "abc…"},
		{"aé", 2, "a…"}, // é is two bytes: never cut inside a character
	} {
		if got := FirstLine(c.in, c.max); got != c.want {
			t.Errorf("FirstLine(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
}
