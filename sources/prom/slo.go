package prom

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// DefaultSLOWindow is the SLO window when none is set.
const DefaultSLOWindow = 30 * 24 * time.Hour

// UnitBurnRate is the unit of a burn rate: multiples of the rate that spends exactly the
// whole error budget over the SLO window.
const UnitBurnRate Unit = "x budget rate"

// SLO is an availability objective: the share of requests answered without a 5xx over
// Window. The zero SLO means "no SLO".
type SLO struct {
	Objective float64       // e.g. 0.995 for 99.5%; must be in (0, 1)
	Window    time.Duration // e.g. 30 days; 0 = DefaultSLOWindow
	Alerts    []BurnAlert   // nil = DefaultBurnAlerts()
}

// BurnAlert is one multi-window, multi-burn-rate alert of the SRE workbook (chapter
// "Alerting on SLOs"): it fires when the burn rate over Long AND over Short are both above
// the threshold that spends BudgetSpent of the budget in Long.
type BurnAlert struct {
	Long, Short time.Duration
	BudgetSpent float64 // share of the whole budget spent over Long at the threshold
	Severity    string  // "page" or "ticket"
}

// Threshold is the burn rate at which b spends BudgetSpent over Long, for an SLO window:
// 2% of a 30-day budget in 1h is 14.4.
func (b BurnAlert) Threshold(sloWindow time.Duration) float64 {
	return b.BudgetSpent * float64(sloWindow) / float64(b.Long)
}

// DefaultBurnAlerts are the workbook's two paging alerts: 2% of the budget in 1h (checked
// over 1h and 5m) and 5% in 6h (over 6h and 30m). The workbook's ticket alert is
// BurnAlert{Long: 72h, Short: 6h, BudgetSpent: 0.10, Severity: "ticket"}.
func DefaultBurnAlerts() []BurnAlert {
	return []BurnAlert{
		{Long: time.Hour, Short: 5 * time.Minute, BudgetSpent: 0.02, Severity: "page"},
		{Long: 6 * time.Hour, Short: 30 * time.Minute, BudgetSpent: 0.05, Severity: "page"},
	}
}

func (s SLO) validate() error {
	if s.Objective == 0 && s.Window == 0 && s.Alerts == nil {
		return nil
	}
	if !(s.Objective > 0 && s.Objective < 1) {
		return fmt.Errorf("slo: objective %v must be between 0 and 1 (0.995 for 99.5%%)", s.Objective)
	}
	if s.Window < 0 {
		return fmt.Errorf("slo: negative window %s", s.Window)
	}
	for _, a := range s.Alerts {
		if a.Short <= 0 || a.Long <= a.Short {
			return fmt.Errorf("slo: burn alert windows %s/%s: want 0 < short < long", a.Long, a.Short)
		}
		if !(a.BudgetSpent > 0 && a.BudgetSpent <= 1) {
			return fmt.Errorf("slo: burn alert %s/%s: budget share %v must be in (0, 1]", a.Long, a.Short, a.BudgetSpent)
		}
	}
	return nil
}

func (s SLO) withDefaults() SLO {
	if s.Window == 0 {
		s.Window = DefaultSLOWindow
	}
	if s.Alerts == nil {
		s.Alerts = DefaultBurnAlerts()
	}
	s.Alerts = slices.Clone(s.Alerts)
	return s
}

// Budget is the error budget: the share of requests allowed to fail (1 - Objective).
func (s SLO) Budget() float64 { return 1 - s.Objective }

// BurnRate is how fast an error ratio spends the budget of objective: 1 spends it exactly
// over the SLO window; 1000 (100% errors at 99.9%) spends a 30-day budget in 43 minutes.
func BurnRate(errorRatio, objective float64) float64 { return errorRatio / (1 - objective) }

// BudgetLeft is the share of the error budget left after an error ratio over the whole SLO
// window: 1 untouched, 0 spent, negative when overspent.
func BudgetLeft(errorRatio, objective float64) float64 { return 1 - errorRatio/(1-objective) }

// TimeToExhaustion is how long budgetLeft lasts at a constant burn rate; ok is false when
// nothing is burning or the budget is already spent.
func TimeToExhaustion(budgetLeft, burnRate float64, window time.Duration) (time.Duration, bool) {
	if burnRate <= 0 || budgetLeft <= 0 || math.IsNaN(burnRate) || math.IsNaN(budgetLeft) {
		return 0, false
	}
	return time.Duration(budgetLeft * float64(window) / burnRate), true
}

// BurnStatus is one BurnAlert evaluated.
type BurnStatus struct {
	Alert       BurnAlert
	Threshold   float64
	Long, Short Reading // burn rates (UnitBurnRate); not OK without traffic
	Firing      bool    // both above the threshold
}

// SLOStatus is an SLO evaluated at one instant.
type SLOStatus struct {
	SLO        SLO
	At         time.Time
	ErrorRatio Reading // over the SLO window
	BudgetLeft Reading // UnitRatio: 1 untouched, negative overspent
	Burns      []BurnStatus
}

// Firing reports whether a burn alert fires; severity is the first firing one's.
func (s SLOStatus) Firing() (severity string, firing bool) {
	for _, b := range s.Burns {
		if b.Firing {
			return b.Alert.Severity, true
		}
	}
	return "", false
}

// Windows are the windows whose error ratio an SLO needs: its own and each alert's two,
// sorted and deduplicated.
func (s SLO) Windows() []time.Duration {
	s = s.withDefaults()
	ws := []time.Duration{s.Window}
	for _, a := range s.Alerts {
		ws = append(ws, a.Long, a.Short)
	}
	slices.Sort(ws)
	return slices.Compact(ws)
}

// EvaluateSLO computes the budget left and the burn alerts of slo from error ratios by
// window (see Windows); a missing or not-OK ratio gives not-OK readings and no alert.
func EvaluateSLO(slo SLO, ratios map[time.Duration]Reading, at time.Time) SLOStatus {
	slo = slo.withDefaults()
	st := SLOStatus{SLO: slo, At: at, ErrorRatio: Reading{Unit: UnitRatio}, BudgetLeft: Reading{Unit: UnitRatio}}
	if r, ok := ratios[slo.Window]; ok && r.OK {
		st.ErrorRatio = Reading{Value: r.Value, OK: true, Unit: UnitRatio}
		st.BudgetLeft = Reading{Value: BudgetLeft(r.Value, slo.Objective), OK: true, Unit: UnitRatio}
	}
	burn := func(w time.Duration) Reading {
		r, ok := ratios[w]
		if !ok || !r.OK {
			return Reading{Unit: UnitBurnRate}
		}
		return Reading{Value: BurnRate(r.Value, slo.Objective), OK: true, Unit: UnitBurnRate}
	}
	for _, a := range slo.Alerts {
		b := BurnStatus{Alert: a, Threshold: a.Threshold(slo.Window), Long: burn(a.Long), Short: burn(a.Short)}
		b.Firing = b.Long.OK && b.Short.OK && b.Long.Value > b.Threshold && b.Short.Value > b.Threshold
		st.Burns = append(st.Burns, b)
	}
	return st
}

// SLOQueries are the error-ratio queries of svc's SLO by window (the error_ratio template
// over each window); nil when svc has no SLO.
func (s Service) SLOQueries() map[time.Duration]string {
	if s.slo.Objective == 0 {
		return nil
	}
	out := map[time.Duration]string{}
	for _, w := range s.slo.Windows() {
		out[w] = s.Query(ErrorRatio, w)
	}
	return out
}

// SLOAt evaluates svc's SLO at instant at. It is an error to call it for a service
// without an SLO.
func SLOAt(ctx context.Context, api promv1.API, svc Service, at time.Time) (SLOStatus, error) {
	qs := svc.SLOQueries()
	if qs == nil {
		return SLOStatus{}, fmt.Errorf("prom: service %s has no SLO", svc.name)
	}
	ratios := make(map[time.Duration]Reading, len(qs))
	var mu sync.Mutex
	var errs []error
	forEach(svc.slo.Windows(), func(w time.Duration) {
		v, _, err := Eval(ctx, api, qs[w], at)
		var r Reading
		if err == nil {
			f, ok, serr := single(v)
			if serr != nil {
				err = &QueryError{Query: qs[w], Msg: serr.Error()}
			} else if ok {
				r = reading(ErrorRatio, f)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		ratios[w] = r
		if err != nil {
			errs = append(errs, fmt.Errorf("%s slo error ratio over %s: %w", svc.name, FormatDuration(w), err))
		}
	})
	return EvaluateSLO(svc.slo, ratios, at), errors.Join(sortErrs(errs)...)
}
