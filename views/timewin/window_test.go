package timewin

import (
	"testing"
	"time"
)

var now = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

func TestParseWindow(t *testing.T) {
	cases := []struct {
		in       string
		from, to string
		live     bool
	}{
		{"2026-11-24 22:10..23:40", "2026-11-24 22:10", "2026-11-24 23:40", false},
		{"2026-11-24 23:10..01:00", "2026-11-24 23:10", "2026-11-25 01:00", false},
		{"2026-11-24 22:10..2026-11-25 02:00", "2026-11-24 22:10", "2026-11-25 02:00", false},
		{"01:10..02:40", "2026-11-26 01:10", "2026-11-26 02:40", false},
		{"90m", "2026-11-26 01:30", "2026-11-26 03:00", true},
		{"2d", "2026-11-24 03:00", "2026-11-26 03:00", true},
	}
	for _, c := range cases {
		from, to, live, err := ParseWindow(c.in, now, time.UTC)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := from.Format("2006-01-02 15:04"); got != c.from || to.Format("2006-01-02 15:04") != c.to || live != c.live {
			t.Errorf("%q = %s..%s live=%v, want %s..%s live=%v", c.in, got, to.Format("2006-01-02 15:04"), live, c.from, c.to, c.live)
		}
	}
	for _, bad := range []string{"", "yesterday", "22:10..", "2026-11-24 23:40..2026-11-24 22:10", "-5m"} {
		if _, _, _, err := ParseWindow(bad, now, time.UTC); err == nil {
			t.Errorf("%q should be refused", bad)
		}
	}
}

func TestZoom(t *testing.T) {
	if p, _, _, ok := Zoom(true, 1, time.Time{}, time.Time{}, 1, now); !ok || p != 2 {
		t.Errorf("longer from 1h: preset %d", p)
	}
	if _, _, _, ok := Zoom(true, 0, time.Time{}, time.Time{}, -1, now); ok {
		t.Error("nothing shorter than the first preset")
	}
	from, to := now.Add(-5*time.Hour), now.Add(-3*time.Hour)
	_, f, e, _ := Zoom(false, 0, from, to, -1, now)
	if e.Sub(f) != time.Hour || f != now.Add(-4*time.Hour-30*time.Minute) {
		t.Errorf("zoom in halves around the middle: %v..%v", f, e)
	}
	_, f, e, _ = Zoom(false, 0, from, to, 1, now)
	if f != now.Add(-6*time.Hour) || e != now.Add(-2*time.Hour) {
		t.Errorf("zoom out doubles around the middle: %v..%v", f, e)
	}
	_, f, e, _ = Zoom(false, 0, now.Add(-time.Hour), now, 1, now)
	if !e.Equal(now) || f != now.Add(-90*time.Minute) {
		t.Errorf("zoom out never goes past now: %v..%v", f, e)
	}
}
