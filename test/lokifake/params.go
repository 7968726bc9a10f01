package lokifake

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// badRequest is a 400 answered with its text as the plain-text body.
type badRequest string

func (b badRequest) Error() string { return string(b) }

func badf(format string, args ...any) error { return badRequest(fmt.Sprintf(format, args...)) }

// ParseTimestamp reads a timestamp query parameter as Loki does: an integer is Unix
// nanoseconds, except that 10 digits or fewer are seconds; a number with a "." is float
// seconds; anything else is RFC3339 / RFC3339Nano. "" gives def.
func ParseTimestamp(s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	if strings.Contains(s, ".") {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			sec, frac := math.Modf(f)
			return time.Unix(int64(sec), int64(math.Round(frac*1e9))), nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if len(strings.TrimPrefix(s, "-")) <= 10 {
			return time.Unix(n, 0), nil
		}
		return time.Unix(0, n), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, badf("cannot parse %q to a valid timestamp", s)
	}
	return t, nil
}

// parseDuration reads a duration parameter: a Prometheus duration ("5m", "1h30m") or float
// seconds.
func parseDuration(name, s string) (time.Duration, error) {
	if d, err := model.ParseDuration(s); err == nil {
		return time.Duration(d), nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && !math.IsInf(f, 0) {
		return time.Duration(f * float64(time.Second)), nil
	}
	return 0, badf("cannot parse %q to a valid duration", s)
}

// window reads start, end and since with def as the default length before end.
func window(r *http.Request, now time.Time, def time.Duration) (start, end time.Time, err error) {
	if end, err = ParseTimestamp(r.FormValue("end"), now); err != nil {
		return
	}
	start = end.Add(-def)
	if s := r.FormValue("since"); s != "" {
		d, derr := parseDuration("since", s)
		if derr != nil {
			return start, end, derr
		}
		start = end.Add(-d)
	}
	if start, err = ParseTimestamp(r.FormValue("start"), start); err != nil {
		return
	}
	return start, end, nil
}

func parseLimit(r *http.Request, max int) (int, error) {
	s := r.FormValue("limit")
	if s == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, badf("strconv.ParseInt: parsing %q: invalid syntax", s)
	}
	if n <= 0 {
		return 0, badf("limit must be a positive value")
	}
	if n > max {
		return 0, badf("max entries limit per query exceeded, limit > max_entries_limit_per_query (%d > %d)", n, max)
	}
	return n, nil
}

func parseDirection(r *http.Request) (forward bool, err error) {
	switch d := r.FormValue("direction"); strings.ToLower(d) {
	case "", "backward":
		return false, nil
	case "forward":
		return true, nil
	default:
		return false, badf("invalid direction '%s'", d)
	}
}
