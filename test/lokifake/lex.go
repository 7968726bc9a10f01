package lokifake

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Token kinds of the LogQL subset. Punctuation and keywords are their own text (Loki's
// parser prints them that way in its errors: "expecting } or ,").
const (
	tokEOF    = "$end"
	tokIdent  = "IDENTIFIER"
	tokString = "STRING"
	tokNumber = "NUMBER"
	tokRange  = "RANGE"
)

type token struct {
	kind string // tokIdent, tokString, ..., or the punctuation/keyword itself
	text string // the source text (for STRING: the unquoted value)
	line int
	col  int
}

// ParseError is a LogQL syntax error worded like Loki's:
// "parse error at line 1, col 11: syntax error: unexpected $end, expecting } or ,";
// without a position (Line 0): "parse error : <msg>".
type ParseError struct {
	Line, Col int
	Msg       string
}

func (e *ParseError) Error() string {
	if e.Line == 0 && e.Col == 0 {
		return "parse error : " + e.Msg
	}
	return fmt.Sprintf("parse error at line %d, col %d: %s", e.Line, e.Col, e.Msg)
}

var keywords = map[string]bool{"sum": true, "by": true, "without": true, "count_over_time": true, "rate": true}

// lex splits q into tokens the way Loki's lexer does for this subset: strings are Go
// string literals ("..." with escapes, or `raw`), [5m] is one RANGE token.
func lex(q string) ([]token, error) {
	var toks []token
	line, col := 1, 1
	i := 0
	adv := func(n int) {
		for _, r := range q[i : i+n] {
			if r == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		i += n
	}
	for i < len(q) {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			adv(1)
			continue
		case c == '#': // comment to end of line
			n := strings.IndexByte(q[i:], '\n')
			if n < 0 {
				n = len(q) - i
			}
			adv(n)
			continue
		}
		t := token{line: line, col: col}
		switch {
		case isIdentStart(c):
			n := 1
			for i+n < len(q) && isIdentChar(q[i+n]) {
				n++
			}
			t.text = q[i : i+n]
			t.kind = tokIdent
			if keywords[t.text] {
				t.kind = t.text
			}
			adv(n)
		case c >= '0' && c <= '9':
			n := 1
			for i+n < len(q) && (q[i+n] >= '0' && q[i+n] <= '9' || q[i+n] == '.') {
				n++
			}
			t.kind, t.text = tokNumber, q[i:i+n]
			adv(n)
		case c == '"' || c == '`':
			n, err := scanString(q[i:])
			if err != "" {
				return nil, &ParseError{Line: line, Col: col, Msg: err}
			}
			v, uerr := strconv.Unquote(q[i : i+n])
			if uerr != nil {
				return nil, &ParseError{Line: line, Col: col, Msg: "invalid char escape"}
			}
			t.kind, t.text = tokString, v
			adv(n)
		case c == '[':
			n := strings.IndexByte(q[i:], ']')
			if n < 0 {
				return nil, &ParseError{Line: line, Col: col, Msg: "syntax error: unexpected [, missing ]"}
			}
			t.kind, t.text = tokRange, strings.TrimSpace(q[i+1:i+n])
			adv(n + 1)
		default:
			op := ""
			for _, o := range []string{"|=", "|~", "!=", "!~", "=~"} {
				if strings.HasPrefix(q[i:], o) {
					op = o
					break
				}
			}
			if op == "" && strings.IndexByte("{}(),=|", c) >= 0 {
				op = string(c)
			}
			if op == "" {
				r, _ := utf8.DecodeRuneInString(q[i:])
				return nil, &ParseError{Line: line, Col: col, Msg: fmt.Sprintf("syntax error: unexpected character: %q", r)}
			}
			t.kind, t.text = op, op
			adv(len(op))
		}
		toks = append(toks, t)
	}
	return append(toks, token{kind: tokEOF, text: "", line: line, col: col}), nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// scanString returns the length of the string literal at the start of s (quotes
// included), or text/scanner's error wording when it is not terminated.
func scanString(s string) (int, string) {
	quote := s[0]
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == quote:
			return i + 1, ""
		case c == '\\' && quote == '"':
			i++
		case c == '\n' && quote == '"':
			return 0, "literal not terminated"
		}
	}
	return 0, "literal not terminated"
}
