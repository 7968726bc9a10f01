package promql

import (
	"strconv"
	"strings"
)

// Kind is what the cursor of the query input is on, for completion.
type Kind uint8

// Kinds of completion.
const (
	KindNone       Kind = iota // nothing to complete here (a duration, a number, a keyword, a comment)
	KindMetric                 // a metric name, at an expression position outside braces
	KindLabelName              // a label name, in a selector's braces or a by/without/on/ignoring list
	KindLabelValue             // a label value, after a matcher's operator
)

// String names the kind for tests and messages.
func (k Kind) String() string {
	switch k {
	case KindMetric:
		return "metric"
	case KindLabelName:
		return "label"
	case KindLabelValue:
		return "value"
	}
	return "none"
}

// Context is what a completion at the cursor is about, and which bytes of the query a
// choice replaces.
type Context struct {
	Kind Kind
	// Metric is the selector's metric for label names and values ("" = unknown, or a
	// selector without one); in a by/without list it is the query's only metric, if any.
	Metric string
	Label  string // the label whose values are completed
	// Prefix is what is typed before the cursor: for a label value, unescaped and
	// without the opening quote.
	Prefix string
	// Start and End are the byte range a choice replaces: the whole word under the
	// cursor; for a label value the whole string literal, quotes included (a choice is
	// inserted quoted and escaped).
	Start, End int
}

// CursorContext finds what the cursor at byte offset pos of query q is on. It is a
// tolerant scan of a half-typed expression, not a parser: it reads PromQL's tokens and
// keeps a stack of parentheses, braces and brackets.
func CursorContext(q string, pos int) Context {
	pos = max(0, min(pos, len(q)))
	toks := lex(q)
	cur := -1
	for i, t := range toks {
		if t.start > pos {
			break
		}
		switch t.kind {
		case tIdent:
			if pos <= t.end {
				cur = i
			}
		case tString:
			if t.start == pos || pos < t.end || (!t.closed && pos == t.end) {
				cur = i
			}
		case tNumber, tComment:
			if t.start < pos && pos <= t.end {
				return Context{} // a number, a duration, or a comment
			}
		}
	}
	w := walker{toks: toks}
	for i, t := range toks {
		if (cur >= 0 && i >= cur) || (cur < 0 && t.end > pos) {
			break
		}
		w.step(i)
	}
	start, end, prefix := pos, pos, ""
	var curTok *token
	if cur >= 0 {
		curTok = &toks[cur]
		start, end = curTok.start, curTok.end
		prefix = q[start:pos]
	}
	f := w.top()
	if curTok != nil && curTok.kind == tString {
		if f == nil || f.kind != fBrace || f.state != afterOp {
			return Context{}
		}
		if !curTok.closed {
			end = pos
		}
		prefix = ""
		if pos > curTok.start {
			prefix = unescape(q[curTok.start+1:pos], q[curTok.start])
		}
		return Context{Kind: KindLabelValue, Metric: f.metric, Label: f.label, Prefix: prefix, Start: start, End: end}
	}
	switch {
	case f != nil && f.kind == fBrace:
		switch f.state {
		case expectName:
			return Context{Kind: KindLabelName, Metric: f.metric, Prefix: prefix, Start: start, End: end}
		case afterOp: // an unquoted value being typed: it gets its quotes when chosen
			return Context{Kind: KindLabelValue, Metric: f.metric, Label: f.label, Prefix: prefix, Start: start, End: end}
		}
	case f != nil && f.kind == fList:
		if p := w.prevOp(); p == "(" || p == "," {
			return Context{Kind: KindLabelName, Metric: onlyMetric(toks), Prefix: prefix, Start: start, End: end}
		}
	case f != nil && f.kind == fBracket:
	case w.metricPos():
		return Context{Kind: KindMetric, Prefix: prefix, Start: start, End: end}
	}
	return Context{}
}

// QuoteValue writes a label value as a PromQL double-quoted string: backslashes,
// quotes, newlines and every other control character escaped (Go's escapes, which
// PromQL reads).
func QuoteValue(s string) string { return strconv.Quote(s) }

// unescape reads the inside of a string literal typed so far (quote is its delimiter).
func unescape(s string, quote byte) string {
	if quote == '`' {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 == len(s) {
			break // a half-typed escape
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

type tokKind uint8

const (
	tIdent tokKind = iota
	tNumber
	tString
	tOp
	tComment
)

type token struct {
	kind       tokKind
	start, end int
	text       string
	closed     bool // a string's closing quote is there
}

// twoCharOps are the operators of two characters, read before single ones.
func twoCharOps() []string { return []string{"!=", "=~", "!~", "==", ">=", "<="} }

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

// lex splits q into tokens; an unterminated string or comment runs to the end.
func lex(q string) []token {
	var toks []token
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#':
			toks = append(toks, token{kind: tComment, start: i, end: len(q)})
			i = len(q)
		case c == '"' || c == '\'' || c == '`':
			j, closed := i+1, false
			for j < len(q) {
				if q[j] == '\\' && c != '`' {
					j += 2
					continue
				}
				if q[j] == c {
					j++
					closed = true
					break
				}
				j++
			}
			j = min(j, len(q))
			toks = append(toks, token{kind: tString, start: i, end: j, text: q[i:j], closed: closed})
			i = j
		case isIdentStart(c):
			j := i + 1
			for j < len(q) && isIdentChar(q[j]) {
				j++
			}
			toks = append(toks, token{kind: tIdent, start: i, end: j, text: q[i:j]})
			i = j
		case (c >= '0' && c <= '9') || (c == '.' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9'):
			j := i + 1
			for j < len(q) && (isIdentChar(q[j]) && q[j] != ':' || q[j] == '.') {
				j++
			}
			toks = append(toks, token{kind: tNumber, start: i, end: j, text: q[i:j]})
			i = j
		default:
			n := 1
			for _, op := range twoCharOps() {
				if strings.HasPrefix(q[i:], op) {
					n = 2
					break
				}
			}
			toks = append(toks, token{kind: tOp, start: i, end: i + n, text: q[i : i+n]})
			i += n
		}
	}
	return toks
}

type frameKind uint8

const (
	fParen   frameKind = iota // a call or a grouping
	fList                     // the label list of by, without, on, ignoring, group_left/right
	fBrace                    // a selector's matchers
	fBracket                  // a range or a subquery
)

type braceState uint8

const (
	expectName braceState = iota // after { or ,
	afterName                    // a label name: an operator comes next
	afterOp                      // an operator: a value comes next
	afterValue                   // a value: , or } comes next
)

type frame struct {
	kind   frameKind
	metric string
	label  string
	state  braceState
}

// walker follows the tokens of a query, keeping the nesting.
type walker struct {
	toks  []token
	stack []frame
	prev  int // index of the last token stepped (comments skipped); -1 = none
	seen  bool
	// listEnd: the previous token closed the label list of a binary operator's
	// modifier (`a / on(job) b`): an operand follows.
	listEnd bool
}

func (w *walker) top() *frame {
	if len(w.stack) == 0 {
		return nil
	}
	return &w.stack[len(w.stack)-1]
}

func (w *walker) prevTok() *token {
	if !w.seen {
		return nil
	}
	return &w.toks[w.prev]
}

// prevOp is the text of the previous token when it is an operator, else "".
func (w *walker) prevOp() string {
	if p := w.prevTok(); p != nil && p.kind == tOp {
		return p.text
	}
	return ""
}

func (w *walker) pop(k frameKind) {
	if f := w.top(); f != nil && f.kind == k {
		w.stack = w.stack[:len(w.stack)-1]
	}
}

func listKeyword(s string) bool {
	switch strings.ToLower(s) {
	case "by", "without", "on", "ignoring", "group_left", "group_right":
		return true
	}
	return false
}

// setKeyword reports the keywords after which an expression (a metric) may start.
func setKeyword(s string) bool {
	switch strings.ToLower(s) {
	case "and", "or", "unless", "bool":
		return true
	}
	return false
}

func keyword(s string) bool {
	switch strings.ToLower(s) {
	case "offset", "atan2", "inf", "nan":
		return true
	}
	return listKeyword(s) || setKeyword(s)
}

func (w *walker) step(i int) {
	t := w.toks[i]
	if t.kind == tComment {
		return
	}
	f := w.top()
	inBrace := f != nil && f.kind == fBrace
	w.listEnd = false
	switch t.kind {
	case tIdent:
		if inBrace && f.state == expectName {
			f.state, f.label = afterName, t.text
		} else if inBrace && f.state == afterOp {
			f.state = afterValue
		}
	case tString:
		if inBrace && f.state == afterOp {
			f.state = afterValue
		}
	case tOp:
		switch t.text {
		case "(":
			if p := w.prevTok(); p != nil && p.kind == tIdent && listKeyword(p.text) {
				w.stack = append(w.stack, frame{kind: fList, label: strings.ToLower(p.text)})
			} else {
				w.stack = append(w.stack, frame{kind: fParen})
			}
		case ")":
			if f != nil && f.kind == fList {
				// after by/without's list comes a parenthesis; after on/ignoring/group_x's
				// the other operand
				w.listEnd = f.label != "by" && f.label != "without"
				w.pop(fList)
			} else {
				w.pop(fParen)
			}
		case "{":
			metric := ""
			if p := w.prevTok(); p != nil && p.kind == tIdent && !keyword(p.text) && !inBrace {
				metric = p.text
			}
			w.stack = append(w.stack, frame{kind: fBrace, metric: metric})
		case "}":
			w.pop(fBrace)
		case "[":
			w.stack = append(w.stack, frame{kind: fBracket})
		case "]":
			w.pop(fBracket)
		case "=", "!=", "=~", "!~":
			if inBrace && f.state == afterName {
				f.state = afterOp
			}
		case ",":
			if inBrace {
				f.state = expectName
			}
		}
	}
	w.prev, w.seen = i, true
}

// metricPos reports whether an expression may start after the tokens stepped so far,
// outside braces, brackets and label lists.
func (w *walker) metricPos() bool {
	if f := w.top(); f != nil && f.kind != fParen {
		return false
	}
	p := w.prevTok()
	if p == nil {
		return true
	}
	switch p.kind {
	case tIdent:
		return setKeyword(p.text)
	case tOp:
		switch p.text {
		case "(", ",", "+", "-", "*", "/", "%", "^", "==", "!=", ">", "<", ">=", "<=":
			return true
		case ")":
			return w.listEnd
		}
	}
	return false
}

// onlyMetric is the metric of q when it names exactly one, else "".
func onlyMetric(toks []token) string {
	w := walker{toks: toks}
	found := ""
	for i, t := range toks {
		call := i+1 < len(toks) && (toks[i+1].text == "(" || toks[i+1].kind == tIdent && listKeyword(toks[i+1].text))
		if t.kind == tIdent && !keyword(t.text) && !call && w.metricPos() {
			if found != "" && found != t.text {
				return ""
			}
			found = t.text
		}
		w.step(i)
	}
	return found
}
