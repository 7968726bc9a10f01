package prom

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

const day = 24 * time.Hour

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// The SRE workbook, "Alerting on SLOs", recommended thresholds for a 30-day window:
// 2% of the budget in 1h = burn rate 14.4 (page), 5% in 6h = 6 (page), 10% in 3d = 1 (ticket).
func TestWorkbookThresholds(t *testing.T) {
	page1, page2 := DefaultBurnAlerts()[0], DefaultBurnAlerts()[1]
	ticket := BurnAlert{Long: 72 * time.Hour, Short: 6 * time.Hour, BudgetSpent: 0.10, Severity: "ticket"}
	for _, c := range []struct {
		a    BurnAlert
		want float64
	}{{page1, 14.4}, {page2, 6}, {ticket, 1}} {
		if got := c.a.Threshold(30 * day); !near(got, c.want) {
			t.Errorf("threshold %s/%s = %v, want %v", c.a.Long, c.a.Short, got, c.want)
		}
	}
	if page1.Short != 5*time.Minute || page2.Short != 30*time.Minute {
		t.Errorf("short windows = %s, %s, want 5m, 30m (1/12 of the long window)", page1.Short, page2.Short)
	}
	// A 7-day window burns faster for the same share: 2% in 1h of 7d = 3.36.
	if got := page1.Threshold(7 * day); !near(got, 3.36) {
		t.Errorf("7d threshold = %v", got)
	}
}

// The workbook's table of burn rates for a 99.9% SLO over 30 days: error ratio 0.1% burns
// at 1 (budget gone in 30 days), 0.2% at 2 (15 days), 1% at 10 (3 days), 100% at 1000
// (43 minutes).
func TestWorkbookBurnRatesAndExhaustion(t *testing.T) {
	for _, c := range []struct {
		ratio, burn float64
		exhaust     time.Duration
	}{
		{0.001, 1, 30 * day},
		{0.002, 2, 15 * day},
		{0.01, 10, 3 * day},
		{1, 1000, 43*time.Minute + 12*time.Second},
	} {
		b := BurnRate(c.ratio, 0.999)
		if !near(b, c.burn) {
			t.Errorf("BurnRate(%v) = %v, want %v", c.ratio, b, c.burn)
		}
		got, ok := TimeToExhaustion(1, b, 30*day)
		if !ok || (got-c.exhaust).Abs() > time.Second {
			t.Errorf("TimeToExhaustion(burn %v) = %s, %v; want %s", b, got, ok, c.exhaust)
		}
	}
	if _, ok := TimeToExhaustion(1, 0, 30*day); ok {
		t.Error("no burn: want no exhaustion")
	}
	if _, ok := TimeToExhaustion(-0.2, 3, 30*day); ok {
		t.Error("budget already spent: want no exhaustion time")
	}
	// Half the budget left at burn 2: 15 days of budget / 2 = 7.5 days.
	if got, _ := TimeToExhaustion(0.5, 2, 30*day); got != 7*day+12*time.Hour {
		t.Errorf("half budget at 2x = %s", got)
	}
}

func TestBudgetLeft(t *testing.T) {
	for _, c := range []struct{ ratio, objective, want float64 }{
		{0.001, 0.995, 0.8},  // 0.1% errors of a 0.5% budget: 20% spent
		{0, 0.995, 1},        // untouched
		{0.005, 0.995, 0},    // exactly spent
		{0.01, 0.995, -1},    // overspent twice
		{0.0005, 0.999, 0.5}, // workbook: half of a 99.9% budget
	} {
		if got := BudgetLeft(c.ratio, c.objective); !near(got, c.want) {
			t.Errorf("BudgetLeft(%v, %v) = %v, want %v", c.ratio, c.objective, got, c.want)
		}
	}
}

func ratios(m map[time.Duration]float64) map[time.Duration]Reading {
	out := map[time.Duration]Reading{}
	for w, v := range m {
		out[w] = Reading{Value: v, OK: true, Unit: UnitRatio}
	}
	return out
}

func TestEvaluateSLOMultiWindow(t *testing.T) {
	slo := SLO{Objective: 0.999}
	at := time.Date(2026, 11, 24, 23, 0, 0, 0, time.UTC)
	// A bad release: 1.5% errors in the last hour and 2% in the last 5 minutes (burn 15
	// and 20 > 14.4): the fast page fires. Over 6h the ratio is 0.4% (burn 4 < 6): the
	// slow page does not.
	st := EvaluateSLO(slo, ratios(map[time.Duration]float64{
		30 * day: 0.0004, time.Hour: 0.015, 5 * time.Minute: 0.02, 6 * time.Hour: 0.004, 30 * time.Minute: 0.01,
	}), at)
	if st.SLO.Window != 30*day || len(st.Burns) != 2 || !st.At.Equal(at) {
		t.Fatalf("status = %+v", st)
	}
	if !st.BudgetLeft.OK || !near(st.BudgetLeft.Value, 0.6) || !near(st.ErrorRatio.Value, 0.0004) {
		t.Errorf("budget left = %+v, ratio = %+v; want 0.6, 0.0004", st.BudgetLeft, st.ErrorRatio)
	}
	fast, slow := st.Burns[0], st.Burns[1]
	if !fast.Firing || !near(fast.Long.Value, 15) || !near(fast.Short.Value, 20) || !near(fast.Threshold, 14.4) {
		t.Errorf("fast burn = %+v, want firing at 15/20 over 14.4", fast)
	}
	if slow.Firing || !near(slow.Long.Value, 4) || !near(slow.Threshold, 6) {
		t.Errorf("slow burn = %+v, want not firing at 4 under 6", slow)
	}
	if sev, ok := st.Firing(); !ok || sev != "page" {
		t.Errorf("Firing() = %q, %v", sev, ok)
	}

	// The release is rolled back: the last hour is still above 14.4 but the last 5
	// minutes are clean. The short window resets the alert (the workbook's reason for it).
	st = EvaluateSLO(slo, ratios(map[time.Duration]float64{
		30 * day: 0.0004, time.Hour: 0.015, 5 * time.Minute: 0.0001, 6 * time.Hour: 0.004, 30 * time.Minute: 0.003,
	}), at)
	if _, ok := st.Firing(); ok {
		t.Errorf("after recovery: %+v, want no alert", st.Burns)
	}
}

func TestEvaluateSLONoData(t *testing.T) {
	st := EvaluateSLO(SLO{Objective: 0.995}, map[time.Duration]Reading{
		time.Hour: {Value: 0.5, OK: true}, 5 * time.Minute: {}, // no traffic in the last 5m
	}, time.Time{})
	if st.BudgetLeft.OK || st.ErrorRatio.OK {
		t.Errorf("no 30d ratio: budget = %+v", st.BudgetLeft)
	}
	if b := st.Burns[0]; b.Firing || !b.Long.OK || b.Short.OK || b.Long.Unit != UnitBurnRate {
		t.Errorf("fast burn without short data = %+v", b)
	}
}

func TestSLOWindowsAndQueries(t *testing.T) {
	slo := SLO{Objective: 0.995}
	want := []time.Duration{5 * time.Minute, 30 * time.Minute, time.Hour, 6 * time.Hour, 30 * day}
	if got := slo.Windows(); !slices.Equal(got, want) {
		t.Fatalf("Windows = %v, want %v", got, want)
	}
	svc := paymentsService(t, ServiceOptions{SLO: slo})
	qs := svc.SLOQueries()
	if len(qs) != 5 || !strings.Contains(qs[30*day], "[30d]") || !strings.Contains(qs[5*time.Minute], `code=~"5.."`) {
		t.Fatalf("SLOQueries = %v", qs)
	}
	if svc.SLO().Window != 30*day || len(svc.SLO().Alerts) != 2 {
		t.Fatalf("SLO defaults not applied: %+v", svc.SLO())
	}
	if paymentsService(t, ServiceOptions{}).SLOQueries() != nil {
		t.Fatal("no SLO: want no queries")
	}
}

func TestSLOValidation(t *testing.T) {
	for name, slo := range map[string]SLO{
		"objective 1":        {Objective: 1},
		"objective 99.5":     {Objective: 99.5},
		"negative objective": {Objective: -0.1},
		"window without obj": {Window: day},
		"negative window":    {Objective: 0.99, Window: -day},
		"short >= long":      {Objective: 0.99, Alerts: []BurnAlert{{Long: time.Hour, Short: time.Hour, BudgetSpent: 0.02}}},
		"no budget share":    {Objective: 0.99, Alerts: []BurnAlert{{Long: time.Hour, Short: time.Minute}}},
	} {
		if _, err := NewService(ServiceOptions{Name: "x", SLO: slo}); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}
