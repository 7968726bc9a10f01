package pane

import (
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views/table"
)

// Polled is the state of a screen's data fetched from the platform API: whether there is
// an API at all, when data last arrived (zero: never) and the last fetch's error.
type Polled struct {
	API bool
	At  time.Time
	Err error
}

// State words p for a status line: the part that follows the screen's name ("no
// platform API", the error when nothing ever came, "loading…", or "● live (refreshed 3s
// ago)"), and, once data came and a later fetch failed, a STALE marker with the data's
// age and the error instead.
func (p Polled) State(s *themes.Styles, now time.Time) (part, stale string) {
	switch {
	case !p.API:
		return s.Warning.Render("no platform API"), ""
	case p.At.IsZero() && p.Err != nil:
		return s.Danger.Render(ErrText(p.Err)), ""
	case p.At.IsZero():
		return s.Muted.Render("loading…"), ""
	case p.Err != nil:
		return "", s.Stale.Render("STALE ⚠ last data " + duration.HumanDuration(now.Sub(p.At)) + " ago: " + ErrText(p.Err))
	}
	return s.OK.Render("● live") + " " + s.Muted.Render("(refreshed "+duration.HumanDuration(now.Sub(p.At))+" ago)"), ""
}

// StatusLine is a screen's status line and its stale marker: on one line when they fit
// in width, else the marker on a line of its own (the error matters).
func StatusLine(line, stale string, width int) string {
	switch {
	case stale == "":
		return table.Fit(line, width)
	case ansi.StringWidth(line)+1+ansi.StringWidth(stale) <= width:
		return table.Fit(line+" "+stale, width)
	}
	return table.Fit(line, width) + "\n" + table.Fit(stale, width)
}

// ErrText is an error's first line, with control sequences neutralised: what a status
// line shows of a remote error.
func ErrText(err error) string { return termtext.Line(termtext.FirstLine(err.Error(), 200)) }

// Join stacks the non-empty parts of a screen, one under the other.
func Join(parts ...string) string {
	out := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n")
}

// LineCount counts the lines of a rendered part ("" = 0).
func LineCount(s string) int {
	if s == "" {
		return 0
	}
	return strings.Count(s, "\n") + 1
}

// FirstLines keeps the first n lines of s.
func FirstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// KeyWidth is the key column of a detail pane (audit records, job runs).
const KeyWidth = 12

// KV is a detail pane's field: its name in the key column, then its text.
func KV(k, text string, tone table.Tone) Line {
	return Line{Indent: KeyWidth, Key: k, Text: text, Tone: tone}
}

// Field is KV for a value from a server: sanitised, "-" (muted) when empty.
func Field(k, value string) Line {
	if value == "" {
		return KV(k, "-", table.ToneMuted)
	}
	return KV(k, termtext.Line(value), table.ToneNone)
}
