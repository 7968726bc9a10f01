package prom

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Interval is one firing of an alert series, at the resolution of the query step.
type Interval struct {
	Start time.Time // first step at which the alert was firing
	End   time.Time // last step at which it was firing (== Start for one step)
	// ActiveAt is when the alert became pending (ALERTS_FOR_STATE); it fired "for" later.
	// Zero when unknown (alerts without a "for" clause have no ALERTS_FOR_STATE).
	ActiveAt time.Time
	Ongoing  bool // still firing at the last step of the range
}

// Duration is End - Start (so 0 for a firing seen at one step only).
func (i Interval) Duration() time.Duration { return i.End.Sub(i.Start) }

// FiringIntervals merges the times at which a series was seen firing into intervals. Two
// consecutive times more than 1.5 steps apart belong to different firings (a range query
// evaluates exactly at each step; the half step absorbs rounding). last is the last step
// of the range: an interval ending there is Ongoing. ts need not be sorted.
func FiringIntervals(ts []time.Time, step time.Duration, last time.Time) []Interval {
	if len(ts) == 0 {
		return nil
	}
	ts = slices.Clone(ts)
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	gap := step + step/2
	var out []Interval
	cur := Interval{Start: ts[0], End: ts[0]}
	for _, t := range ts[1:] {
		if t.Equal(cur.End) {
			continue
		}
		if t.Sub(cur.End) > gap {
			out = append(out, cur)
			cur = Interval{Start: t, End: t}
			continue
		}
		cur.End = t
	}
	out = append(out, cur)
	if !last.IsZero() {
		l := &out[len(out)-1]
		l.Ongoing = !l.End.Before(last.Add(-step / 2))
	}
	return out
}

// AlertSeries is the history of one alert series (one label set).
type AlertSeries struct {
	Name      string            // alertname
	Labels    map[string]string // the alert's labels, without __name__ and alertstate
	Intervals []Interval        // oldest first
}

// AlertHistory is what ALERTS says about a team's alerts over a range.
type AlertHistory struct {
	Query      string // the ALERTS query, for the metrics view
	Start, End time.Time
	Step       time.Duration
	Series     []AlertSeries // by alertname, then labels
	Count      int           // firings (intervals) in all
}

// CountByAlert is the number of firings by alertname.
func (h AlertHistory) CountByAlert() map[string]int {
	out := map[string]int{}
	for _, s := range h.Series {
		out[s.Name] += len(s.Intervals)
	}
	return out
}

// HistoryQuery asks for the firings of the scope's alerts over [Start, End].
type HistoryQuery struct {
	Scope      Scope
	AlertName  string // "" for every alert of the scope
	Start, End time.Time
	// Step is the resolution; firings shorter than a step may be missed. 0 = the
	// smallest round step that stays within Prometheus's 11,000 points, at least MinStep.
	Step    time.Duration
	MinStep time.Duration // 0 = 15s
}

func (q HistoryQuery) validate() error {
	if !q.End.After(q.Start) {
		return fmt.Errorf("alert history: want start < end, got %s..%s", q.Start, q.End)
	}
	if q.Step < 0 {
		return fmt.Errorf("alert history: negative step %s", q.Step)
	}
	return nil
}

// AlertHistoryRange reads the firings of the scope's alerts from ALERTS{alertstate="firing"}
// and their activation times from ALERTS_FOR_STATE over the range.
func AlertHistoryRange(ctx context.Context, api promv1.API, q HistoryQuery) (AlertHistory, error) {
	if err := q.validate(); err != nil {
		return AlertHistory{}, err
	}
	if q.MinStep <= 0 {
		q.MinStep = 15 * time.Second
	}
	if q.Step == 0 {
		q.Step = StepWithMin(maxPoints, q.Start, q.End, q.MinStep)
	}
	if n := q.End.Sub(q.Start) / q.Step; n > maxPoints {
		return AlertHistory{}, fmt.Errorf("alert history: %d points per series, Prometheus allows %d: use a larger step", n, maxPoints)
	}
	var extra []Matcher
	if q.AlertName != "" {
		extra = append(extra, Matcher{Name: "alertname", Op: "=", Value: q.AlertName})
	}
	forState, err := q.Scope.Selector(extra...)
	if err != nil {
		return AlertHistory{}, fmt.Errorf("alert history: %w", err)
	}
	firing, err := q.Scope.Selector(append([]Matcher{{Name: "alertstate", Op: "=", Value: "firing"}}, extra...)...)
	if err != nil {
		return AlertHistory{}, fmt.Errorf("alert history: %w", err)
	}
	alertsQ := "ALERTS{" + firing + "}"
	stateQ := "ALERTS_FOR_STATE{" + forState + "}"
	r := promv1.Range{Start: q.Start, End: q.End, Step: q.Step}
	alerts, err := rangeMatrix(ctx, api, alertsQ, r)
	if err != nil {
		return AlertHistory{}, fmt.Errorf("alert history: %w", err)
	}
	states, err := rangeMatrix(ctx, api, stateQ, r)
	if err != nil {
		return AlertHistory{}, fmt.Errorf("alert history: %w", err)
	}
	last := q.Start.Add(q.End.Sub(q.Start) / q.Step * q.Step)
	return buildHistory(alerts, states, alertsQ, r, last), nil
}

func rangeMatrix(ctx context.Context, api promv1.API, query string, r promv1.Range) (model.Matrix, error) {
	v, _, err := EvalRange(ctx, api, query, r)
	if err != nil {
		return nil, err
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, &QueryError{Query: query, Msg: fmt.Sprintf("range query returned a %s, want a matrix", v.Type())}
	}
	return m, nil
}

// alertKey identifies an alert series across ALERTS and ALERTS_FOR_STATE.
func alertKey(m model.Metric) model.Fingerprint {
	ls := model.LabelSet{}
	for k, v := range m {
		if k != model.MetricNameLabel && k != "alertstate" {
			ls[k] = v
		}
	}
	return ls.Fingerprint()
}

// buildHistory is the pure part of AlertHistoryRange: ALERTS and ALERTS_FOR_STATE
// matrices to firing intervals.
func buildHistory(alerts, states model.Matrix, query string, r promv1.Range, last time.Time) AlertHistory {
	activeAt := map[model.Fingerprint]map[model.Time]float64{}
	for _, s := range states {
		k := alertKey(s.Metric)
		if activeAt[k] == nil {
			activeAt[k] = map[model.Time]float64{}
		}
		for _, p := range s.Values {
			activeAt[k][p.Timestamp] = float64(p.Value)
		}
	}
	h := AlertHistory{Query: query, Start: r.Start, End: r.End, Step: r.Step}
	for _, s := range alerts {
		ts := make([]time.Time, 0, len(s.Values))
		for _, p := range s.Values {
			ts = append(ts, p.Timestamp.Time())
		}
		ivs := FiringIntervals(ts, r.Step, last)
		if len(ivs) == 0 {
			continue
		}
		k := alertKey(s.Metric)
		for i := range ivs {
			if v, ok := activeAt[k][model.TimeFromUnixNano(ivs[i].Start.UnixNano())]; ok && v > 0 && !math.IsInf(v, 0) {
				sec, frac := math.Modf(v)
				ivs[i].ActiveAt = time.Unix(int64(sec), int64(frac*1e9)).UTC()
			}
		}
		labels := map[string]string{}
		for k, v := range s.Metric {
			if k != model.MetricNameLabel && k != "alertstate" {
				labels[string(k)] = string(v)
			}
		}
		h.Series = append(h.Series, AlertSeries{Name: labels["alertname"], Labels: labels, Intervals: ivs})
		h.Count += len(ivs)
	}
	slices.SortFunc(h.Series, func(a, b AlertSeries) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(labelString(a.Labels), labelString(b.Labels))
	})
	return h
}

func labelString(m map[string]string) string {
	ls := model.LabelSet{}
	for k, v := range m {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	return ls.String()
}
