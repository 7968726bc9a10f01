package lokifake

import (
	"cmp"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"
)

// logQueryNotInstant is Loki's answer to a log query sent to /query.
const logQueryNotInstant = "log queries are not supported as an instant query type, please change your query to a range query type"

type streamJSON struct {
	Stream map[string]string `json:"stream"`
	Values [][2]string       `json:"values"`
}

type seriesJSON struct {
	Metric map[string]string `json:"metric"`
	Values []pointJSON       `json:"values"`
}

type sampleJSON struct {
	Metric map[string]string `json:"metric"`
	Value  pointJSON         `json:"value"`
}

// pointJSON is a Prometheus-style [<seconds as a number>, "<value>"].
type pointJSON struct {
	t time.Time
	v float64
}

func (p pointJSON) MarshalJSON() ([]byte, error) {
	sec := strconv.FormatFloat(float64(p.t.UnixMilli())/1000, 'f', -1, 64)
	return []byte("[" + sec + "," + strconv.Quote(formatValue(p.v)) + "]"), nil
}

func formatValue(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func nsString(t time.Time) string { return strconv.FormatInt(t.UnixNano(), 10) }

func (s *Server) handleQueryRange(w http.ResponseWriter, r *http.Request) {
	limit, err := parseLimit(r, s.opts.MaxEntriesLimit)
	if err != nil {
		writeError(w, err)
		return
	}
	start, end, err := window(r, s.opts.Now(), time.Hour)
	if err != nil {
		writeError(w, err)
		return
	}
	if end.Before(start) {
		writeError(w, badf("end timestamp must not be before or equal to start time"))
		return
	}
	forward, err := parseDirection(r)
	if err != nil {
		writeError(w, err)
		return
	}
	q, err := ParseQuery(r.FormValue("query"))
	if err != nil {
		writeError(w, err)
		return
	}
	es, _, err := s.entries(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if q.Scalar != nil {
		writeError(w, &UnsupportedError{What: "a number as a range query"})
		return
	}
	if q.IsLog() {
		s.writeData(w, queryData{ResultType: "streams", Result: logResult(q, es, start, end, limit, forward)}, true)
		return
	}
	step := time.Duration(max(math.Floor(end.Sub(start).Seconds()/250), 1)) * time.Second
	if v := r.FormValue("step"); v != "" {
		if step, err = parseDuration("step", v); err != nil {
			writeError(w, err)
			return
		}
	}
	if step <= 0 {
		writeError(w, badf("zero or negative query resolution step widths are not accepted. Try a positive integer"))
		return
	}
	if end.Sub(start)/step > 11000 {
		writeError(w, badf("exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter"))
		return
	}
	var steps []time.Time
	for t := start; !t.After(end); t = t.Add(step) {
		steps = append(steps, t)
	}
	series := evalMetric(q, es, steps)
	out := make([]seriesJSON, 0, len(series))
	for _, sr := range series {
		js := seriesJSON{Metric: sr.labels}
		for i, v := range sr.values {
			if !math.IsNaN(v) {
				js.Values = append(js.Values, pointJSON{steps[i], v})
			}
		}
		out = append(out, js)
	}
	s.writeData(w, queryData{ResultType: "matrix", Result: out}, true)
}

func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request) {
	at, err := ParseTimestamp(r.FormValue("time"), s.opts.Now())
	if err != nil {
		writeError(w, err)
		return
	}
	if _, err := parseLimit(r, s.opts.MaxEntriesLimit); err != nil {
		writeError(w, err)
		return
	}
	if _, err := parseDirection(r); err != nil {
		writeError(w, err)
		return
	}
	q, err := ParseQuery(r.FormValue("query"))
	if err != nil {
		writeError(w, err)
		return
	}
	switch {
	case q.Scalar != nil:
		s.writeData(w, queryData{ResultType: "scalar", Result: pointJSON{at, *q.Scalar}}, true)
		return
	case q.IsLog():
		writeError(w, badf("%s", logQueryNotInstant))
		return
	}
	es, _, err := s.entries(r)
	if err != nil {
		writeError(w, err)
		return
	}
	out := []sampleJSON{}
	for _, sr := range evalMetric(q, es, []time.Time{at}) {
		if !math.IsNaN(sr.values[0]) {
			out = append(out, sampleJSON{Metric: sr.labels, Value: pointJSON{at, sr.values[0]}})
		}
	}
	s.writeData(w, queryData{ResultType: "vector", Result: out}, true)
}

type indexed struct {
	Entry
	seq int // arrival order, to break ties
}

// logResult selects the entries of q with start <= At < end, keeps the limit first in
// the direction's order (newest first for backward), and groups them by stream.
func logResult(q *Query, es []Entry, start, end time.Time, limit int, forward bool) []streamJSON {
	return groupStreams(selectLog(q, es, start, end, limit, forward))
}

// selectLog returns the limit first entries of q in [start, end) in the direction's order;
// equal timestamps keep their arrival order (reversed for backward).
func selectLog(q *Query, es []Entry, start, end time.Time, limit int, forward bool) []Entry {
	var sel []indexed
	match := map[string]bool{}
	for i, e := range es {
		if e.At.Before(start) || !e.At.Before(end) || !streamMatches(q, e, match) || !q.KeepLine(e.Line) {
			continue
		}
		sel = append(sel, indexed{e, i})
	}
	slices.SortFunc(sel, func(a, b indexed) int {
		c := cmp.Or(a.At.Compare(b.At), cmp.Compare(a.seq, b.seq))
		if forward {
			return c
		}
		return -c
	})
	out := make([]Entry, 0, min(len(sel), limit))
	for _, e := range sel[:min(len(sel), limit)] {
		out = append(out, e.Entry)
	}
	return out
}

// groupStreams groups entries by stream, keeping their order within each; streams are
// sorted by their labels.
func groupStreams(sel []Entry) []streamJSON {
	byKey := map[string]*streamJSON{}
	for _, e := range sel {
		k := e.streamKey()
		st := byKey[k]
		if st == nil {
			st = &streamJSON{Stream: e.Labels}
			byKey[k] = st
		}
		st.Values = append(st.Values, [2]string{nsString(e.At), e.Line})
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]streamJSON, 0, len(keys))
	for _, k := range keys {
		out = append(out, *byKey[k])
	}
	return out
}

// streamMatches caches the selector's verdict per stream.
func streamMatches(q *Query, e Entry, cache map[string]bool) bool {
	k := e.streamKey()
	v, ok := cache[k]
	if !ok {
		v = q.MatchesLabels(e.Labels)
		cache[k] = v
	}
	return v
}

type evalSeries struct {
	labels map[string]string
	values []float64 // per step; NaN = no point
}

// evalMetric evaluates count_over_time or rate (over (t-range, t]) at each step, per
// stream, then sums by the grouping. Steps without any entry have no point.
func evalMetric(q *Query, es []Entry, steps []time.Time) []evalSeries {
	m := q.Metric
	times := map[string][]time.Time{}
	labels := map[string]map[string]string{}
	match := map[string]bool{}
	for _, e := range es {
		if !streamMatches(q, e, match) || !q.KeepLine(e.Line) {
			continue
		}
		k := e.streamKey()
		times[k] = append(times[k], e.At)
		labels[k] = e.Labels
	}
	groups := map[string]*evalSeries{}
	for k, ts := range times {
		slices.SortFunc(ts, time.Time.Compare)
		out := labels[k]
		if m.Sum {
			out = groupLabels(out, m.By)
		}
		gk := labelsKey(out)
		g := groups[gk]
		if g == nil {
			g = &evalSeries{labels: out, values: make([]float64, len(steps))}
			for i := range g.values {
				g.values[i] = math.NaN()
			}
			groups[gk] = g
		}
		for i, t := range steps {
			lo := sort.Search(len(ts), func(j int) bool { return ts[j].After(t.Add(-m.Range)) })
			hi := sort.Search(len(ts), func(j int) bool { return ts[j].After(t) })
			if hi == lo {
				continue
			}
			v := float64(hi - lo)
			if m.Func == "rate" {
				v /= m.Range.Seconds()
			}
			if math.IsNaN(g.values[i]) {
				g.values[i] = 0
			}
			g.values[i] += v
		}
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]evalSeries, 0, len(keys))
	for _, k := range keys {
		if slices.ContainsFunc(groups[k].values, func(v float64) bool { return !math.IsNaN(v) }) {
			out = append(out, *groups[k])
		}
	}
	return out
}

func groupLabels(l map[string]string, g *Grouping) map[string]string {
	out := map[string]string{}
	if g == nil {
		return out
	}
	for k, v := range l {
		if slices.Contains(g.Labels, k) != g.Without {
			out[k] = v
		}
	}
	return out
}
