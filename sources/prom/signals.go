package prom

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"text/template"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// DefaultWindow is the rate window of the golden signals.
const DefaultWindow = 5 * time.Minute

// ServiceOptions describe one service of a team. Name is required; the other fields have
// safe zero values.
type ServiceOptions struct {
	Name  string // value of the service label
	Label string // the label naming the service; "" = "service"
	Scope Scope  // the team's matchers; every query carries them
	// Window is the rate window of instant queries; 0 = DefaultWindow. Range queries use
	// max(Window, step) so that no sample falls between two steps.
	Window time.Duration
	// Overrides replace the default templates, by signal name (see DefaultTemplates for
	// the keys; "latency" covers the three quantiles). Templates are text/template
	// executed with TemplateData and must use the team scope.
	Overrides map[string]string
	SLO       SLO // zero Objective = no SLO
}

func (o ServiceOptions) validate() error {
	if o.Name == "" {
		return fmt.Errorf("prom service: no name")
	}
	if o.Label != "" && !ValidLabelName(o.Label) {
		return fmt.Errorf("prom service %s: invalid service label %q", o.Name, o.Label)
	}
	if o.Window < 0 {
		return fmt.Errorf("prom service %s: negative window %s", o.Name, o.Window)
	}
	return o.SLO.validate()
}

// Service is a validated ServiceOptions with its templates compiled. Build it with
// NewService; it is immutable and safe for concurrent use.
type Service struct {
	name     string
	matchers string // team scope + service label, rendered
	window   time.Duration
	tmpl     map[Signal]*template.Template
	slo      SLO
}

// NewService validates o, renders its matchers and compiles its templates.
func NewService(o ServiceOptions) (Service, error) {
	if err := o.validate(); err != nil {
		return Service{}, err
	}
	label := o.Label
	if label == "" {
		label = "service"
	}
	matchers, err := o.Scope.Selector(Matcher{Name: label, Op: "=", Value: o.Name})
	if err != nil {
		return Service{}, fmt.Errorf("prom service %s: %w", o.Name, err)
	}
	tmpl, err := compileTemplates(o.Overrides)
	if err != nil {
		return Service{}, fmt.Errorf("prom service %s: %w", o.Name, err)
	}
	s := Service{name: o.Name, matchers: matchers, window: o.Window, tmpl: tmpl, slo: o.SLO}
	if s.window == 0 {
		s.window = DefaultWindow
	}
	if s.slo.Objective != 0 {
		s.slo = s.slo.withDefaults()
	}
	return s, nil
}

// Name is the service's name.
func (s Service) Name() string { return s.name }

// Matchers is the inside of the service's selector: team scope and service label.
func (s Service) Matchers() string { return s.matchers }

// SLO is the service's objective (zero Objective when none).
func (s Service) SLO() SLO { return s.slo }

// Query renders the PromQL of sig over window (0 = the service's window); "" for an
// unknown signal or a Service not built by NewService.
func (s Service) Query(sig Signal, window time.Duration) string {
	q, _ := s.query(sig, window)
	return q
}

func (s Service) query(sig Signal, window time.Duration) (string, error) {
	if s.tmpl == nil {
		return "", fmt.Errorf("prom: Service %q was not built with NewService", s.name)
	}
	t, ok := s.tmpl[sig]
	if !ok {
		return "", fmt.Errorf("prom: unknown signal %q", sig)
	}
	if window <= 0 {
		window = s.window
	}
	return execute(t, TemplateData{
		Matchers: s.matchers, Selector: "{" + s.matchers + "}", Window: FormatDuration(window), Quantile: sig.quantile(),
	})
}

// Reading is one value of a signal. OK is false when Prometheus has no data (no series,
// or NaN/Inf such as 0/0 when there is no traffic): show "no data", never 0.
type Reading struct {
	Value float64
	OK    bool
	Unit  Unit
}

func reading(sig Signal, v float64) Reading {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return Reading{Unit: sig.Unit()}
	}
	return Reading{Value: v, OK: true, Unit: sig.Unit()}
}

// Signals are the golden signals of one service at one instant. Values is read-only.
type Signals struct {
	Service  string
	At       time.Time          // evaluation time
	Values   map[Signal]Reading // every signal of AllSignals
	SLO      *SLOStatus         // set by Poll when the service has an SLO; nil otherwise
	Warnings []string           // as Prometheus worded them
}

// Get returns the reading of sig (a not-OK reading when absent).
func (s Signals) Get(sig Signal) Reading {
	if r, ok := s.Values[sig]; ok {
		return r
	}
	return Reading{Unit: sig.Unit()}
}

// maxInFlight bounds the queries one call sends at once.
const maxInFlight = 4

// SignalsAt queries every golden signal of svc at instant at. When some queries fail the
// error joins their errors (each wrapping a *QueryError) and the result holds the others.
func SignalsAt(ctx context.Context, api promv1.API, svc Service, at time.Time) (Signals, error) {
	out := Signals{Service: svc.name, At: at, Values: make(map[Signal]Reading, len(AllSignals()))}
	var mu sync.Mutex
	var errs []error
	forEach(AllSignals(), func(sig Signal) {
		r, warns, err := instantSignal(ctx, api, svc, sig, at)
		mu.Lock()
		defer mu.Unlock()
		out.Values[sig] = r
		out.Warnings = append(out.Warnings, warns...)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", svc.name, sig, err))
		}
	})
	return out, errors.Join(sortErrs(errs)...)
}

// forEach runs f on each item, at most maxInFlight at once, and waits.
func forEach[T any](items []T, f func(T)) {
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	for _, it := range items {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f(it)
		})
	}
	wg.Wait()
}

func instantSignal(ctx context.Context, api promv1.API, svc Service, sig Signal, at time.Time) (Reading, []string, error) {
	q, err := svc.query(sig, 0)
	if err != nil {
		return Reading{Unit: sig.Unit()}, nil, err
	}
	v, warns, err := Eval(ctx, api, q, at)
	if err != nil {
		return Reading{Unit: sig.Unit()}, warns, err
	}
	f, ok, err := single(v)
	if err != nil {
		return Reading{Unit: sig.Unit()}, warns, &QueryError{Query: q, Msg: err.Error()}
	}
	if !ok {
		return Reading{Unit: sig.Unit()}, warns, nil
	}
	return reading(sig, f), warns, nil
}

// single extracts the one value of an aggregated instant result: ok is false for an
// empty vector; several series are an error (an override without aggregation).
func single(v model.Value) (float64, bool, error) {
	switch r := v.(type) {
	case model.Vector:
		switch len(r) {
		case 0:
			return 0, false, nil
		case 1:
			return float64(r[0].Value), true, nil
		}
		return 0, false, fmt.Errorf("query returned %d series, want one (aggregate with sum)", len(r))
	case *model.Scalar:
		return float64(r.Value), true, nil
	}
	return 0, false, fmt.Errorf("query returned a %s, want an instant vector", v.Type())
}

// Point is one sample of a chart series.
type Point struct {
	T time.Time
	V float64
}

// Series is one signal over a range. Steps without data (no series, NaN, Inf) have no
// point: the chart shows a gap.
type Series struct {
	Signal Signal
	Unit   Unit
	Query  string
	Points []Point
}

// SignalsSeries are the golden signals of one service over a range. Series is read-only.
type SignalsSeries struct {
	Service    string
	Start, End time.Time
	Step       time.Duration
	Series     map[Signal]Series
	Warnings   []string
}

// SignalsRange queries every golden signal of svc over [start, end] at step (choose it
// with Step). The rate window is max(the service's window, step).
func SignalsRange(ctx context.Context, api promv1.API, svc Service, start, end time.Time, step time.Duration) (SignalsSeries, error) {
	if step <= 0 || !end.After(start) {
		return SignalsSeries{}, fmt.Errorf("prom range %s..%s step %s: want start < end and a positive step", start, end, step)
	}
	if n := end.Sub(start) / step; n > maxPoints {
		return SignalsSeries{}, fmt.Errorf("prom range: %d points per series, Prometheus allows %d: use a larger step", n, maxPoints)
	}
	out := SignalsSeries{Service: svc.name, Start: start, End: end, Step: step, Series: make(map[Signal]Series, len(AllSignals()))}
	window := max(svc.window, step)
	var mu sync.Mutex
	var errs []error
	forEach(AllSignals(), func(sig Signal) {
		s, warns, err := rangeSignal(ctx, api, svc, sig, window, promv1.Range{Start: start, End: end, Step: step})
		mu.Lock()
		defer mu.Unlock()
		out.Series[sig] = s
		out.Warnings = append(out.Warnings, warns...)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", svc.name, sig, err))
		}
	})
	return out, errors.Join(sortErrs(errs)...)
}

func rangeSignal(ctx context.Context, api promv1.API, svc Service, sig Signal, window time.Duration, r promv1.Range) (Series, []string, error) {
	s := Series{Signal: sig, Unit: sig.Unit()}
	q, err := svc.query(sig, window)
	if err != nil {
		return s, nil, err
	}
	s.Query = q
	v, warns, err := EvalRange(ctx, api, q, r)
	if err != nil {
		return s, warns, err
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return s, warns, &QueryError{Query: q, Msg: fmt.Sprintf("range query returned a %s, want a matrix", v.Type())}
	}
	switch len(m) {
	case 0:
		return s, warns, nil
	case 1:
	default:
		return s, warns, &QueryError{Query: q, Msg: fmt.Sprintf("query returned %d series, want one (aggregate with sum)", len(m))}
	}
	s.Points = make([]Point, 0, len(m[0].Values))
	for _, p := range m[0].Values {
		f := float64(p.Value)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		s.Points = append(s.Points, Point{T: p.Timestamp.Time(), V: f})
	}
	return s, warns, nil
}

// maxPoints is Prometheus's limit of points per series in a range query.
const maxPoints = 11000

// DefaultMinStep is the smallest step Step chooses: below the scrape interval a chart
// only repeats samples.
const DefaultMinStep = 5 * time.Second

// niceSteps are the steps a chart may use, so that points fall on round times.
var niceSteps = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// Step chooses the step of a chart width points wide over [start, end]: the smallest
// round step that gives at most width points, and at least DefaultMinStep.
func Step(width int, start, end time.Time) time.Duration {
	return StepWithMin(width, start, end, DefaultMinStep)
}

// StepWithMin is Step with another minimum (the scrape interval of the server; <= 0 means
// one second). The result never gives more than Prometheus's 11,000 points per series.
func StepWithMin(width int, start, end time.Time, minStep time.Duration) time.Duration {
	if minStep <= 0 {
		minStep = time.Second
	}
	width = min(max(width, 1), maxPoints)
	span := end.Sub(start)
	if span <= 0 {
		return minStep
	}
	raw := max((span+time.Duration(width)-1)/time.Duration(width), minStep)
	for _, s := range niceSteps {
		if s >= raw {
			return s
		}
	}
	// Beyond a day: whole days.
	return (raw + 24*time.Hour - 1).Truncate(24 * time.Hour)
}
