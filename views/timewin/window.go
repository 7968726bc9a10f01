// Package timewin reads the time windows users type ("2026-11-24 22:10..23:40", "90m")
// and names the relative presets the screens share.
package timewin

import (
	"fmt"
	"strings"
	"time"
)

// Presets are the relative ranges, shortest first.
func Presets() []time.Duration {
	return []time.Duration{15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}
}

// ParseWindow reads a time window typed by the user, in loc:
//
//	2026-11-24 22:10..23:40              (the end on the same day, or the next when earlier)
//	2026-11-24 22:10..2026-11-25 01:00
//	22:10..23:40                          (today)
//	90m, 6h, 2d                           (that long, ending now: live)
//
// live reports a relative window (from, to are then now-span and now).
func ParseWindow(s string, now time.Time, loc *time.Location) (from, to time.Time, live bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, time.Time{}, false, fmt.Errorf("empty window")
	}
	if !strings.Contains(s, "..") {
		span, err := parseSpan(s)
		if err != nil {
			return time.Time{}, time.Time{}, false, fmt.Errorf("window %q: want FROM..TO (2026-11-24 22:10..23:40) or a span (90m, 6h, 2d)", s)
		}
		return now.Add(-span), now, true, nil
	}
	a, b, _ := strings.Cut(s, "..")
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	today := now.In(loc)
	from, fromHasDate, err := parseInstant(a, today, loc)
	if err != nil {
		return time.Time{}, time.Time{}, false, err
	}
	to, toHasDate, err := parseInstant(b, from, loc)
	if err != nil {
		return time.Time{}, time.Time{}, false, err
	}
	if !toHasDate && !to.After(from) {
		to = to.AddDate(0, 0, 1) // 23:10..01:00 crosses midnight
	}
	_ = fromHasDate
	if !to.After(from) {
		return time.Time{}, time.Time{}, false, fmt.Errorf("window %q ends before it starts", s)
	}
	return from, to, false, nil
}

// parseInstant reads "2006-01-02 15:04" or "15:04" (on the day of day).
func parseInstant(s string, day time.Time, loc *time.Location) (time.Time, bool, error) {
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true, nil
		}
	}
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			d := day.In(loc)
			return time.Date(d.Year(), d.Month(), d.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc), false, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("time %q: want 2026-11-24 22:10 or 22:10", s)
}

// parseSpan reads a Go duration, plus days ("2d").
func parseSpan(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var d int
		if _, err := fmt.Sscanf(n, "%d", &d); err != nil || d <= 0 {
			return 0, fmt.Errorf("bad span %q", s)
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("bad span %q", s)
	}
	return d, nil
}

// Span formats a range length the way the presets are named ("15m", "6h", "7d").
func Span(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// ParseInstant reads "2026-11-24 22:10[:05]" or "22:10[:05]" (today, in loc).
func ParseInstant(s string, now time.Time, loc *time.Location) (time.Time, error) {
	t, _, err := parseInstant(strings.TrimSpace(s), now.In(loc), loc)
	return t, err
}

// Zoom moves a range to the next shorter (dir < 0) or longer (dir > 0) preset when it is
// live, else halves or doubles the fixed window around its middle (2 minutes at least,
// never past now). changed is false when a live range is already at the end of the
// presets.
func Zoom(live bool, preset int, from, to time.Time, dir int, now time.Time) (newPreset int, newFrom, newTo time.Time, changed bool) {
	if live {
		next := max(0, min(len(Presets())-1, preset+dir))
		return next, from, to, next != preset
	}
	mid, half := from.Add(to.Sub(from)/2), to.Sub(from)/2
	if dir < 0 {
		half /= 2
	} else {
		half *= 2
	}
	half = max(half, 2*time.Minute)
	from, to = mid.Add(-half), mid.Add(half)
	if to.After(now) {
		to = now
	}
	return preset, from, to, true
}
