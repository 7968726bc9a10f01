package tui

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vigie-dev/vigie/sources"
	"github.com/vigie-dev/vigie/sources/kube"
	"github.com/vigie-dev/vigie/sources/loki"
	"github.com/vigie-dev/vigie/sources/prom"
	"github.com/vigie-dev/vigie/views"
)

// logSource returns the log feed of a session: Loki when the context has one (history
// and a live tail, scoped to the team's namespaces), else Kubernetes pod logs. The
// previous instance of a crashed container only exists in Kubernetes.
func logSource(s Session) func(context.Context, views.LogQuery) (<-chan sources.LogBatch, error) {
	kubeLogs := kubeLogSource(s)
	if s.Loki == nil {
		return kubeLogs
	}
	lc, namespaces := s.Loki, s.Namespaces
	return func(ctx context.Context, q views.LogQuery) (<-chan sources.LogBatch, error) {
		if q.Previous && kubeLogs != nil {
			return kubeLogs(ctx, q)
		}
		if !slices.Contains(namespaces, q.Namespace) {
			return nil, fmt.Errorf("logs: namespace %q is not the team's", q.Namespace)
		}
		ms, err := lokiMatchers(q, s.LokiMatchers)
		if err != nil {
			return nil, err
		}
		if q.Container != "" {
			ms = append(ms, loki.OneOf("container", q.Container))
		}
		sel, err := lokiQuery(ms, q)
		if err != nil {
			return nil, err
		}
		if !q.To.IsZero() {
			return lokiWindow(ctx, lc, sel, q.From, q.To), nil
		}
		since := q.Since
		if since <= 0 {
			since = 15 * time.Minute
		}
		return lc.Tail(ctx, loki.TailRequest{Query: sel, Start: time.Now().Add(-since), Limit: 5000}), nil
	}
}

// lokiWindow reads a fixed window oldest first, page after page, as batches; the
// channel closes at the end. At most a million lines (the ring keeps the newest).
func lokiWindow(ctx context.Context, lc *loki.Client, sel string, from, to time.Time) <-chan sources.LogBatch {
	out := make(chan sources.LogBatch, 2)
	go func() {
		defer close(out)
		err := lc.QueryRangeAll(ctx, loki.QueryRangeRequest{Query: sel, Start: from, End: to, Direction: loki.Forward, Limit: 5000},
			1_000_000, func(recs []sources.LogRecord) error {
				select {
				case out <- sources.LogBatch{Records: recs}:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
		if err != nil && ctx.Err() == nil {
			out <- sources.LogBatch{Err: err}
		}
	}()
	return out
}

// lokiQuery is the LogQL of a log query: the selector, then its line filters.
func lokiQuery(ms []loki.Matcher, q views.LogQuery) (string, error) {
	sel, err := loki.SelectorOf(ms...)
	if err != nil {
		return "", err
	}
	for _, f := range []struct{ op, re string }{{loki.MatchesRegexp, q.Include}, {loki.NotMatchRegexp, q.Exclude}} {
		if f.re == "" {
			continue
		}
		stage, err := loki.LineFilter(f.op, smartCase(f.re))
		if err != nil {
			return "", err
		}
		sel += " " + stage
	}
	return sel, nil
}

// smartCase matches any case when the pattern has no capital, as the screen does.
func smartCase(re string) string {
	if re == strings.ToLower(re) {
		return "(?i)" + re
	}
	return re
}

// lokiMatchers selects the lines of a log query (namespace, the team's own Loki
// matchers, then pod or app).
func lokiMatchers(q views.LogQuery, team map[string]string) ([]loki.Matcher, error) {
	ms := []loki.Matcher{loki.OneOf("namespace", q.Namespace)}
	for _, k := range slices.Sorted(maps.Keys(team)) {
		ms = append(ms, loki.OneOf(k, team[k]))
	}
	job, isJob := jobOf(q)
	switch {
	case q.Pod != "":
		ms = append(ms, loki.OneOf("pod", q.Pod))
	case isJob: // a Job's pods are named after it: NAME-xxxxx
		ms = append(ms, loki.Matcher{Name: "pod", Type: loki.MatchRegexp, Value: regexp.QuoteMeta(job) + "-.*"})
	case q.App != "":
		ms = append(ms, loki.OneOf("app", q.App))
	default:
		return nil, errors.New("logs: no pod or app to select")
	}
	return ms, nil
}

// errorLines is the line filter of the volume's error buckets.
const errorLines = `(?i)(level[=:"]+ *"?(error|fatal|critical)|^(error|panic|fatal)\b)`

// logVolume counts a query's lines per step on Loki, and those that look like errors.
func logVolume(s Session) func(context.Context, views.LogQuery, time.Time, time.Time, time.Duration) ([]views.VolumeBucket, error) {
	if s.Loki == nil {
		return nil
	}
	lc := s.Loki
	return func(ctx context.Context, q views.LogQuery, start, end time.Time, step time.Duration) ([]views.VolumeBucket, error) {
		ms, err := lokiMatchers(q, s.LokiMatchers)
		if err != nil {
			return nil, err
		}
		sel, err := lokiQuery(ms, q)
		if err != nil {
			return nil, err
		}
		errStage, err := loki.LineFilter(loki.MatchesRegexp, errorLines)
		if err != nil {
			return nil, err
		}
		w := prom.FormatDuration(step)
		n := int(end.Sub(start)/step) + 1
		// count puts each point in the step it falls in (Loki may align steps to the
		// step's multiples rather than to start).
		count := func(query string) ([]float64, error) {
			res, err := lc.QueryRange(ctx, loki.QueryRangeRequest{Query: query, Start: start, End: end, Step: step})
			if err != nil {
				return nil, err
			}
			out := make([]float64, n)
			for _, se := range res.Matrix {
				for _, p := range se.Points {
					i := int((p.At.Sub(start) + step/2) / step)
					if i >= 0 && i < n {
						out[i] += p.Value
					}
				}
			}
			return out, nil
		}
		lines, err := count("sum(count_over_time(" + sel + " [" + w + "]))")
		if err != nil {
			return nil, err
		}
		errs, err := count("sum(count_over_time(" + sel + " " + errStage + " [" + w + "]))")
		if err != nil {
			return nil, err
		}
		out := make([]views.VolumeBucket, n)
		for i := range out {
			out[i] = views.VolumeBucket{At: start.Add(time.Duration(i) * step), Lines: lines[i], Errors: errs[i]}
		}
		return out, nil
	}
}

// kubeLogSource follows pod logs through the Kubernetes API.
func kubeLogSource(s Session) func(context.Context, views.LogQuery) (<-chan sources.LogBatch, error) {
	if s.Kube == nil {
		return nil
	}
	cs, maxStreams := s.Kube, s.LogStreams
	return func(ctx context.Context, q views.LogQuery) (<-chan sources.LogBatch, error) {
		if q.Pod == "" && q.Selector == "" {
			return nil, errors.New("logs: the deployment's pod selector is unknown (is it still there?)")
		}
		r := kube.LogsRequest{Namespace: q.Namespace, Pod: q.Pod, Selector: q.Selector,
			Container: q.Container, Since: q.Since, Follow: q.Follow, Previous: q.Previous, MaxStreams: maxStreams}
		if !q.To.IsZero() { // Kubernetes keeps no window: read from From, keep up to To
			r.Since, r.Follow = time.Since(q.From), false
			ch, err := kube.Logs(ctx, cs, r)
			if err != nil {
				return nil, err
			}
			return until(ctx, ch, q.To), nil
		}
		return kube.Logs(ctx, cs, r)
	}
}

// jobNameLabel is the label the Job controller puts on a Job's pods.
const jobNameLabel = "batch.kubernetes.io/job-name"

// jobOf reports the Job whose pods a log query selects (a route of kind "job": its
// selector is jobNameLabel=NAME and its app NAME).
func jobOf(q views.LogQuery) (string, bool) {
	name, ok := strings.CutPrefix(q.Selector, jobNameLabel+"=")
	return name, ok && name != "" && name == q.App
}

// selectorOf returns the pod selector of a route: a Job's pods by their job-name label,
// a deployment's by its selector from the last snapshot.
func (m *Model) selectorOf(r views.Route) string {
	if r.Kind == "job" && r.Name != "" {
		return jobNameLabel + "=" + r.Name
	}
	if r.Kind != "Deployment" || m.last == nil {
		return ""
	}
	for _, d := range m.last.Deployments {
		if d.Namespace == r.Namespace && d.Name == r.Name && d.Spec.Selector != nil {
			if sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err == nil && !sel.Empty() {
				return sel.String()
			}
		}
	}
	return ""
}

// until passes on the records up to t.
func until(ctx context.Context, in <-chan sources.LogBatch, t time.Time) <-chan sources.LogBatch {
	out := make(chan sources.LogBatch, 2)
	go func() {
		defer close(out)
		for b := range in {
			kept := b.Records[:0:0]
			for _, r := range b.Records {
				if !r.At.After(t) {
					kept = append(kept, r)
				}
			}
			b.Records = kept
			select {
			case out <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
