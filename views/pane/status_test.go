package pane

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// A polled screen says whether it has an API, is loading, is live, or shows stale data
// with its age and the error (sanitised); a stale marker that does not fit goes below.
func TestPolledState(t *testing.T) {
	s := styles()
	now := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	boom := errors.New("platform unreachable\x1b]0;x\x07\nsecond line")
	for _, c := range []struct {
		p           Polled
		part, stale string
	}{
		{Polled{}, "no platform API", ""},
		{Polled{API: true}, "loading…", ""},
		{Polled{API: true, Err: boom}, "platform unreachable", ""},
		{Polled{API: true, At: now.Add(-3 * time.Second)}, "● live (refreshed 3s ago)", ""},
		{Polled{API: true, At: now.Add(-2 * time.Minute), Err: boom}, "", "STALE ⚠ last data 2m ago: platform unreachable"},
	} {
		part, stale := c.p.State(s, now)
		part, stale = ansi.Strip(part), ansi.Strip(stale)
		if !strings.Contains(part, c.part) || (c.part == "" && part != "") || !strings.Contains(stale, c.stale) || (c.stale == "" && stale != "") {
			t.Errorf("%+v: %q / %q, want %q / %q", c.p, part, stale, c.part, c.stale)
		}
		if strings.ContainsAny(part+stale, "\x1b\x07") || strings.Contains(part+stale, "second line") {
			t.Errorf("the error reaches the screen raw: %q %q", part, stale)
		}
	}
	if got := StatusLine("jobs [1]", "STALE ⚠", 40); strings.Contains(got, "\n") {
		t.Errorf("fits on one line, got %q", got)
	}
	if got := StatusLine("jobs [1]", "STALE ⚠ last data 2m ago: platform unreachable", 30); strings.Count(got, "\n") != 1 {
		t.Errorf("the marker goes below when it does not fit, got %q", got)
	}
}
