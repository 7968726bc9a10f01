package lokifake

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// MatchType is a stream selector operator.
type MatchType string

// Stream selector operators.
const (
	MatchEqual     MatchType = "="
	MatchNotEqual  MatchType = "!="
	MatchRegexp    MatchType = "=~"
	MatchNotRegexp MatchType = "!~"
)

// Matcher is one label matcher of a stream selector. Regexps are anchored, as in Loki.
type Matcher struct {
	Name  string
	Type  MatchType
	Value string
	re    *regexp.Regexp
}

// Matches reports whether the label value v (empty when the label is absent) matches.
func (m Matcher) Matches(v string) bool {
	switch m.Type {
	case MatchEqual:
		return v == m.Value
	case MatchNotEqual:
		return v != m.Value
	case MatchRegexp:
		return m.re.MatchString(v)
	default:
		return !m.re.MatchString(v)
	}
}

// Filter is one line filter: |= "x", != "x", |~ "re", !~ "re".
type Filter struct {
	Op   string
	Text string
	re   *regexp.Regexp
}

// Keep reports whether line passes the filter.
func (f Filter) Keep(line string) bool {
	switch f.Op {
	case "|=":
		return strings.Contains(line, f.Text)
	case "!=":
		return !strings.Contains(line, f.Text)
	case "|~":
		return f.re.MatchString(line)
	default:
		return !f.re.MatchString(line)
	}
}

// Grouping is the "by (...)" or "without (...)" clause of sum.
type Grouping struct {
	Without bool
	Labels  []string
}

// Metric is a range aggregation (count_over_time or rate over Range), optionally summed.
type Metric struct {
	Func  string // count_over_time | rate
	Range time.Duration
	Sum   bool
	By    *Grouping // with Sum: nil = sum of everything into one series
}

// Query is a parsed query of the subset: a log query (Matchers and Filters), a metric
// query (Metric set), or a number (Scalar set).
type Query struct {
	Matchers []Matcher
	Filters  []Filter
	Metric   *Metric
	Scalar   *float64
}

// IsLog reports whether q selects log lines (as opposed to a metric or a number).
func (q *Query) IsLog() bool { return q.Metric == nil && q.Scalar == nil }

// MatchesLabels reports whether a stream with these labels is selected.
func (q *Query) MatchesLabels(labels map[string]string) bool {
	for _, m := range q.Matchers {
		if !m.Matches(labels[m.Name]) {
			return false
		}
	}
	return true
}

// KeepLine reports whether line passes every line filter.
func (q *Query) KeepLine(line string) bool {
	for _, f := range q.Filters {
		if !f.Keep(line) {
			return false
		}
	}
	return true
}

// errNoPositiveMatcher is Loki's wording for a selector that could select every stream.
const errNoPositiveMatcher = `queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will`

// UnsupportedError is a valid LogQL construct this fake does not implement.
type UnsupportedError struct{ What string }

func (e *UnsupportedError) Error() string { return "lokifake: unsupported LogQL: " + e.What }

// ParseQuery parses the LogQL subset the fake serves. Errors are *ParseError worded like
// Loki's, *UnsupportedError, or the empty-compatible matcher error.
func ParseQuery(s string) (*Query, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.unexpected(t)
	}
	if q.Scalar == nil {
		positive := false
		for _, m := range q.Matchers {
			if (m.Type == MatchEqual || m.Type == MatchRegexp) && !m.Matches("") {
				positive = true
			}
		}
		if !positive {
			return nil, &ParseError{Msg: errNoPositiveMatcher}
		}
	}
	return q, nil
}

type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() token { return p.toks[p.pos] }

// identLike turns a keyword at the current position into an IDENTIFIER: where a label
// name is expected, "rate" or "by" are label names.
func (p *parser) identLike() token {
	if t := &p.toks[p.pos]; keywords[t.kind] {
		t.kind = tokIdent
	}
	return p.peek()
}

func (p *parser) next() token {
	t := p.toks[p.pos]
	if p.pos < len(p.toks)-1 {
		p.pos++
	}
	return t
}

// unexpected words an error like goyacc does: the expected tokens are listed when there
// are at most four of them.
func (p *parser) unexpected(t token, expecting ...string) error {
	msg := "syntax error: unexpected " + t.kind
	if len(expecting) > 0 && len(expecting) <= 4 {
		msg += ", expecting " + strings.Join(expecting, " or ")
	}
	return &ParseError{Line: t.line, Col: t.col, Msg: msg}
}

func (p *parser) expect(kinds ...string) (token, error) {
	t := p.next()
	for _, k := range kinds {
		if t.kind == k {
			return t, nil
		}
	}
	return t, p.unexpected(t, kinds...)
}

func (p *parser) query() (*Query, error) {
	switch t := p.peek(); t.kind {
	case "{":
		return p.logQuery()
	case "count_over_time", "rate":
		return p.rangeAgg()
	case "sum":
		return p.sum()
	case tokNumber:
		p.next()
		v, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, &ParseError{Line: t.line, Col: t.col, Msg: "syntax error: invalid number " + t.text}
		}
		return &Query{Scalar: &v}, nil
	case tokIdent:
		if p.toks[p.pos+1].kind == "(" || p.toks[p.pos+1].kind == "by" || p.toks[p.pos+1].kind == "without" {
			return nil, &UnsupportedError{What: "function or aggregation " + t.text}
		}
		return nil, p.unexpected(t)
	default:
		return nil, p.unexpected(t)
	}
}

func (p *parser) logQuery() (*Query, error) {
	q := &Query{}
	if _, err := p.expect("{"); err != nil {
		return nil, err
	}
	for {
		p.identLike()
		name, err := p.expect(tokIdent, "}")
		if err != nil {
			return nil, err
		}
		if name.kind == "}" {
			if len(q.Matchers) == 0 {
				return nil, p.unexpected(name, tokIdent)
			}
			break
		}
		op, err := p.expect("=", "!=", "=~", "!~")
		if err != nil {
			return nil, err
		}
		val, err := p.expect(tokString)
		if err != nil {
			return nil, err
		}
		m := Matcher{Name: name.text, Type: MatchType(op.kind), Value: val.text}
		if m.Type == MatchRegexp || m.Type == MatchNotRegexp {
			if m.re, err = regexp.Compile("^(?:" + m.Value + ")$"); err != nil {
				return nil, &ParseError{Line: val.line, Col: val.col, Msg: err.Error()}
			}
		}
		q.Matchers = append(q.Matchers, m)
		sep, err := p.expect("}", ",")
		if err != nil {
			return nil, err
		}
		if sep.kind == "}" {
			break
		}
	}
	for {
		t := p.peek()
		switch t.kind {
		case "|=", "!=", "|~", "!~":
		case "|":
			return nil, &UnsupportedError{What: "pipeline stage after | (col " + strconv.Itoa(t.col) + ")"}
		default:
			return q, nil
		}
		p.next()
		val, err := p.expect(tokString)
		if err != nil {
			return nil, err
		}
		f := Filter{Op: t.kind, Text: val.text}
		if f.Op == "|~" || f.Op == "!~" {
			if f.re, err = regexp.Compile(f.Text); err != nil {
				return nil, &ParseError{Line: val.line, Col: val.col, Msg: err.Error()}
			}
		}
		q.Filters = append(q.Filters, f)
	}
}

func (p *parser) rangeAgg() (*Query, error) {
	fn := p.next()
	if _, err := p.expect("("); err != nil {
		return nil, err
	}
	q, err := p.logQuery()
	if err != nil {
		return nil, err
	}
	rt, err := p.expect(tokRange)
	if err != nil {
		return nil, err
	}
	d, perr := model.ParseDuration(rt.text)
	if perr != nil || d <= 0 {
		return nil, &ParseError{Line: rt.line, Col: rt.col, Msg: fmt.Sprintf("syntax error: invalid range %q", rt.text)}
	}
	if _, err := p.expect(")"); err != nil {
		return nil, err
	}
	q.Metric = &Metric{Func: fn.kind, Range: time.Duration(d)}
	return q, nil
}

func (p *parser) sum() (*Query, error) {
	p.next()
	var g *Grouping
	var err error
	if k := p.peek().kind; k == "by" || k == "without" {
		if g, err = p.grouping(); err != nil {
			return nil, err
		}
	}
	if _, err := p.expect("("); err != nil {
		return nil, err
	}
	var q *Query
	switch t := p.peek(); t.kind {
	case "count_over_time", "rate":
		q, err = p.rangeAgg()
	case "sum":
		return nil, &UnsupportedError{What: "nested sum"}
	default:
		err = p.unexpected(t, "count_over_time", "rate")
	}
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(")"); err != nil {
		return nil, err
	}
	if k := p.peek().kind; g == nil && (k == "by" || k == "without") {
		if g, err = p.grouping(); err != nil {
			return nil, err
		}
	}
	q.Metric.Sum, q.Metric.By = true, g
	return q, nil
}

func (p *parser) grouping() (*Grouping, error) {
	g := &Grouping{Without: p.next().kind == "without"}
	if _, err := p.expect("("); err != nil {
		return nil, err
	}
	for {
		p.identLike()
		t, err := p.expect(tokIdent, ")")
		if err != nil {
			return nil, err
		}
		if t.kind == ")" {
			return g, nil
		}
		g.Labels = append(g.Labels, t.text)
		sep, err := p.expect(",", ")")
		if err != nil {
			return nil, err
		}
		if sep.kind == ")" {
			return g, nil
		}
	}
}
