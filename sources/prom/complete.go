package prom

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// DefaultCompletionRange is how far back completion looks when no range is given.
const DefaultCompletionRange = time.Hour

// CompleteQuery is what a completion request is about. Only series of the team's scope
// (and of Metric, when set) are considered, between Start and End.
type CompleteQuery struct {
	Scope  Scope
	Metric string // restrict to this metric; "" for all of the scope's series
	// Prefix keeps only the names/values starting with it (case-sensitive).
	Prefix     string
	Start, End time.Time // zero End = now; zero Start = End - DefaultCompletionRange
	// Limit caps the results (after the prefix filter, which runs here: the server's
	// limit would cut before it); 0 = 1000.
	Limit int
}

func (q CompleteQuery) resolve(now func() time.Time) (CompleteQuery, string, error) {
	if q.End.IsZero() {
		q.End = now()
	}
	if q.Start.IsZero() {
		q.Start = q.End.Add(-DefaultCompletionRange)
	}
	if q.Start.After(q.End) {
		return q, "", fmt.Errorf("prom completion: start %s after end %s", q.Start, q.End)
	}
	if q.Limit <= 0 {
		q.Limit = 1000
	}
	sel, err := q.Scope.seriesSelector(q.Metric)
	return q, sel, err
}

func finish[T ~string](vals []T, q CompleteQuery) []string {
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if strings.HasPrefix(string(v), q.Prefix) {
			out = append(out, string(v))
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out
}

// MetricNames lists the metric names of the scope's series (the values of __name__).
func MetricNames(ctx context.Context, api promv1.API, q CompleteQuery) ([]string, error) {
	q.Metric = ""
	return LabelValues(ctx, api, q, model.MetricNameLabel)
}

// LabelNames lists the label names of the scope's series (of q.Metric when set).
func LabelNames(ctx context.Context, api promv1.API, q CompleteQuery) ([]string, error) {
	q, sel, err := q.resolve(time.Now)
	if err != nil {
		return nil, err
	}
	names, _, _, err := api.LabelNames(ctx, []string{sel}, q.Start, q.End)
	if err != nil {
		return nil, fmt.Errorf("prometheus label names of %s: %w", sel, wrapErr(sel, err))
	}
	return finish(names, q), nil
}

// LabelValues lists the values of label on the scope's series (of q.Metric when set).
func LabelValues(ctx context.Context, api promv1.API, q CompleteQuery, label string) ([]string, error) {
	if label != model.MetricNameLabel && !ValidLabelName(label) {
		return nil, fmt.Errorf("prom completion: invalid label name %q", label)
	}
	q, sel, err := q.resolve(time.Now)
	if err != nil {
		return nil, err
	}
	vals, _, _, err := api.LabelValues(ctx, label, []string{sel}, q.Start, q.End)
	if err != nil {
		return nil, fmt.Errorf("prometheus values of %s on %s: %w", label, sel, wrapErr(sel, err))
	}
	return finish(vals, q), nil
}

// SeriesOf lists the label sets of the scope's series of q.Metric (for a table of what a
// metric has before querying it). Limit applies.
func SeriesOf(ctx context.Context, api promv1.API, q CompleteQuery) ([]map[string]string, error) {
	q, sel, err := q.resolve(time.Now)
	if err != nil {
		return nil, err
	}
	sets, _, _, err := api.Series(ctx, []string{sel}, q.Start, q.End, promv1.WithLimit(uint64(q.Limit)))
	if err != nil {
		return nil, fmt.Errorf("prometheus series of %s: %w", sel, wrapErr(sel, err))
	}
	out := make([]map[string]string, 0, min(len(sets), q.Limit))
	for _, ls := range sets {
		if len(out) == q.Limit {
			break
		}
		m := make(map[string]string, len(ls))
		for k, v := range ls {
			m[string(k)] = string(v)
		}
		out = append(out, m)
	}
	return out, nil
}
