package promql

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/views/chart"
	"github.com/vigie-dev/vigie/views/table"
)

// maxSeries is how many series a chart draws; the others are counted in the legend.
const maxSeries = 12

// result is the last answer drawn: a chart of a range query, or a table of an instant one.
type result struct {
	query    string
	from, to time.Time
	step     time.Duration
	instant  bool
	at       time.Time // when it was asked (the clock of the view)
	kind     string    // "matrix", "vector", "scalar", "string"
	total    int       // series (or rows) in the answer
	series   []chart.Series
	more     int    // series not charted
	common   string // the labels every series has, `name{k="v", ...}`; "" = none
	nodata   bool
	instTime time.Time // the instant of an instant query
}

// setResult turns an answer into the chart's series or the table's rows.
func (v *View) setResult(msg resultMsg) {
	r := &result{query: msg.query, from: msg.from, to: msg.to, step: msg.step, instant: msg.instant, at: msg.at, instTime: msg.to}
	switch val := msg.val.(type) {
	case model.Matrix:
		r.kind, r.total = "matrix", len(val)
		if !msg.instant {
			r.series, r.more, r.common = chartSeries(val)
			r.nodata = len(val) == 0
			break
		}
		v.setRows(r, matrixRows(val))
	case model.Vector:
		r.kind, r.total = "vector", len(val)
		v.setRows(r, vectorRows(val))
	case *model.Scalar:
		r.kind, r.total = "scalar", 1
		v.setRows(r, rowsOf(nil, []table.Row{{ID: "scalar", Cells: []table.Cell{table.Text("scalar"), valueCell(float64(val.Value))}}}))
	case *model.String:
		r.kind, r.total = "string", 1
		v.setRows(r, rowsOf(nil, []table.Row{{ID: "string", Cells: []table.Cell{table.Text("string"), table.Text(termtext.Line(val.Value))}}}))
	default: // nothing: an empty range
		r.kind, r.nodata = "matrix", true
	}
	if r.instant && r.total == 0 {
		r.nodata = true
	}
	if old := v.res; old == nil || old.instant != r.instant || old.query != r.query {
		v.cursorStep = -1
	}
	v.res = r
}

// rowSet is the rows of a table and the labels common to all of them.
type rowSet struct {
	common  string
	rows    []table.Row
	samples bool // rows of a range vector: a column counts their samples
}

func rowsOf(ms []model.Metric, rows []table.Row) rowSet {
	return rowSet{common: commonTitle(ms), rows: rows}
}

func (v *View) setRows(r *result, rs rowSet) {
	r.common = rs.common
	if v.res == nil || !v.res.instant || v.res.kind != r.kind {
		cols := []table.Column{
			{Title: "series", Min: 8, Flex: true},
			{Title: "value", Min: 5, Max: 24, Right: true, Desc: true},
		}
		if rs.samples {
			cols = append(cols, table.Column{Title: "samples", Min: 7, Right: true, Priority: 1})
		}
		v.list = table.NewList(cols, 1)
	}
	v.list.SetRows(rs.rows)
}

func vectorRows(vec model.Vector) rowSet {
	ms := make([]model.Metric, len(vec))
	for i, s := range vec {
		ms[i] = s.Metric
	}
	common := commonLabels(ms)
	rows := make([]table.Row, len(vec))
	for i, s := range vec {
		rows[i] = table.Row{ID: rowID(s.Metric, i), Cells: []table.Cell{table.Text(shortName(s.Metric, common)), valueCell(float64(s.Value))}}
	}
	return rowSet{common: commonTitle(ms), rows: rows}
}

// matrixRows are the series of a range vector (an instant query of `x[5m]`): the last
// sample of each, and how many there are.
func matrixRows(m model.Matrix) rowSet {
	ms := make([]model.Metric, len(m))
	for i, s := range m {
		ms[i] = s.Metric
	}
	common := commonLabels(ms)
	rows := make([]table.Row, len(m))
	for i, s := range m {
		last := table.Text("–")
		if n := len(s.Values); n > 0 {
			last = valueCell(float64(s.Values[n-1].Value))
		} else if n := len(s.Histograms); n > 0 {
			last = table.Text("histogram")
		}
		n := len(s.Values) + len(s.Histograms)
		rows[i] = table.Row{ID: rowID(s.Metric, i), Cells: []table.Cell{table.Text(shortName(s.Metric, common)), last, table.Num(strconv.Itoa(n), float64(n))}}
	}
	return rowSet{common: commonTitle(ms), rows: rows, samples: true}
}

func rowID(m model.Metric, i int) string { return m.String() + "#" + strconv.Itoa(i) }

// valueCell writes a sample value with ten significant digits, sorted by the number.
func valueCell(f float64) table.Cell {
	return table.Num(formatValue(f), f)
}

func formatValue(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'g', 10, 64)
}

// chartSeries picks the series to chart: the maxSeries with the highest peaks, named by
// the labels that tell them apart.
func chartSeries(m model.Matrix) (series []chart.Series, more int, common string) {
	type ranked struct {
		s    *model.SampleStream
		peak float64
		key  string
	}
	rs := make([]ranked, len(m))
	ms := make([]model.Metric, len(m))
	for i, s := range m {
		peak := math.Inf(-1)
		for _, p := range s.Values {
			if f := float64(p.Value); !math.IsNaN(f) && f > peak {
				peak = f
			}
		}
		rs[i] = ranked{s: s, peak: peak, key: s.Metric.String()}
		ms[i] = s.Metric
	}
	slices.SortStableFunc(rs, func(a, b ranked) int {
		if c := cmp.Compare(b.peak, a.peak); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	same := commonLabels(ms)
	for i, r := range rs {
		if i == maxSeries {
			more = len(rs) - maxSeries
			break
		}
		pts := make([]chart.Point, len(r.s.Values))
		for j, p := range r.s.Values {
			pts[j] = chart.Point{At: p.Timestamp.Time(), V: float64(p.Value)}
		}
		series = append(series, chart.Series{Name: shortName(r.s.Metric, same), Points: pts})
	}
	return series, more, commonTitle(ms)
}

// commonLabels are the labels with the same value in every series; with one series,
// none (its name keeps all its labels).
func commonLabels(ms []model.Metric) map[model.LabelName]bool {
	same := map[model.LabelName]bool{}
	if len(ms) < 2 {
		return same
	}
	for name, val := range ms[0] {
		all := true
		for _, m := range ms[1:] {
			if v, ok := m[name]; !ok || v != val {
				all = false
				break
			}
		}
		if all {
			same[name] = true
		}
	}
	return same
}

// commonTitle writes the labels every series shares, `name{k="v", ...}`, sanitised.
func commonTitle(ms []model.Metric) string {
	same := commonLabels(ms)
	if len(same) == 0 {
		return ""
	}
	m := ms[0]
	name := ""
	var parts []string
	for _, k := range sortedNames(m) {
		if !same[k] {
			continue
		}
		if k == model.MetricNameLabel {
			name = string(m[k])
			continue
		}
		parts = append(parts, string(k)+"="+strconv.Quote(string(m[k])))
	}
	out := name
	if len(parts) > 0 {
		out += "{" + strings.Join(parts, ", ") + "}"
	}
	return termtext.Line(out)
}

// shortName names a series by the labels not in drop: "name code=500,method=GET",
// sanitised; "value" when nothing is left (a scalar, an aggregate of everything).
func shortName(m model.Metric, drop map[model.LabelName]bool) string {
	name := ""
	var parts []string
	for _, k := range sortedNames(m) {
		if drop[k] {
			continue
		}
		if k == model.MetricNameLabel {
			name = string(m[k])
			continue
		}
		parts = append(parts, fmt.Sprintf("%s=%s", k, m[k]))
	}
	out := strings.TrimSpace(name + " " + strings.Join(parts, ","))
	if out == "" {
		return "value"
	}
	return termtext.Line(out)
}

func sortedNames(m model.Metric) []model.LabelName {
	names := make([]model.LabelName, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}
