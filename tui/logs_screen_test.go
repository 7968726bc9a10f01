package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"

	"github.com/vigie-dev/vigie/sources"
	"github.com/vigie-dev/vigie/views"
)

// logLines is what the checkout pod says in the logs screen tests.
func logLines() []sources.LogRecord {
	lines := []string{
		`ts=2026-11-26T02:59:50Z level=info msg="request handled" route=/pay status=200 ms=12`,
		`{"ts":"2026-11-26T02:59:52Z","level":"warn","msg":"slow upstream","upstream":"ledger","ms":1250}`,
		`ERROR charge failed: card declined`,
		`{"ts":"2026-11-26T02:59:56Z","level":"error","msg":"payment failed","err":"ledger: 503","http":{"method":"POST","path":"/pay","status":502},"trace":"4bf92f3577b34da6"}`,
		"attacker says " + evil,
	}
	out := make([]sources.LogRecord, len(lines))
	for i, l := range lines {
		out[i] = sources.LogRecord{At: testNow.Add(time.Duration(i-10) * 2 * time.Second), Line: l,
			Pod: "checkout-57d49946f6-69zfr", Container: "app"}
	}
	return out
}

// logsTerm opens the logs of the first pod in a w×h terminal, fed with logLines.
func logsTerm(t *testing.T, w, h int) *term {
	t.Helper()
	m := newTestModel(views.Route{Screen: views.ScreenPods}, "dev")
	feed := withFeed(m)
	logCh := make(chan sources.LogBatch, 1)
	var asked views.LogQuery
	m.env.Logs = func(_ context.Context, q views.LogQuery) (<-chan sources.LogBatch, error) {
		asked = q
		return logCh, nil
	}
	tm := startTerm(t, m, w, h, colorprofile.ANSI256)
	feedTo(t, feed, fixture())
	tm.waitFor(wait, "checkout-57d49946f6-69zfr")
	tm.send(press("l"))
	tm.waitFor(wait, "logs · pod/checkout-57d49946f6-69zfr")
	logCh <- sources.LogBatch{Live: true, Records: logLines()}
	tm.waitFor(wait, "5 received")
	if asked.Pod != "checkout-57d49946f6-69zfr" || asked.Namespace != "payments" || !asked.Follow {
		t.Fatalf("the logs screen asked for %+v", asked)
	}
	return tm
}

func TestLogsScreens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		tm := logsTerm(t, size[0], size[1])
		s := tm.settle()
		if !strings.Contains(s, "attacker says pwn^[]0;pwned^Ged^[[2J") {
			t.Fatalf("the escape line is shown inert:\n%s", s)
		}
		golden(t, "logs-"+sizeName(size), s)
		tm.send(press("k"), press("z"))
		tm.waitFor(wait, "zoom", "payment failed", "method")
		golden(t, "logs-zoom-"+sizeName(size), tm.settle())
	}
}

func sizeName(s [2]int) string {
	return strings.Join([]string{itoa(s[0]), itoa(s[1])}, "x")
}

func itoa(n int) string {
	var b []byte
	for n > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
