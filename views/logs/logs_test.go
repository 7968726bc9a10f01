package logs

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/screentest"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/sources"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/table"
)

var t0 = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

func recs(from, n int, line func(i int) string) []sources.LogRecord {
	out := make([]sources.LogRecord, n)
	for i := range n {
		out[i] = sources.LogRecord{At: t0.Add(time.Duration(from+i) * time.Second), Line: line(from + i), Pod: "checkout-1", Container: "app"}
	}
	return out
}

func newView(t *testing.T, ring int) *View {
	t.Helper()
	st := themes.NewStyles(themes.Dark())
	keys := keymaps.Default()
	env := views.Env{Styles: &st, Keys: &keys, Now: func() time.Time { return t0 }, RingSize: ring}
	v := New(env, views.Route{Screen: views.ScreenLogs, Kind: "Deployment", Namespace: "payments", Name: "checkout"}, Options{})
	v.gen = 1
	return v
}

func feed(v *View, b sources.LogBatch) { v.Update(feedBatch{gen: v.gen, batch: b}) }

func press(s string) tea.KeyPressMsg { return screentest.Key(s) }

func typeIn(v *View, s string) {
	for _, r := range s {
		v.Update(press(string(r)))
	}
}

func screen(v *View, w, h int) string { return ansi.Strip(v.Render(w, h)) }

func TestRingKeepsTheNewestAndCountsWhatFellOut(t *testing.T) {
	v := newView(t, 100)
	feed(v, sources.LogBatch{Live: true, Records: recs(0, 250, func(i int) string { return fmt.Sprintf("line %d", i) })})
	if v.ring.n != 100 || v.ring.received != 250 || v.ring.evicted() != 150 {
		t.Fatalf("ring n=%d received=%d evicted=%d", v.ring.n, v.ring.received, v.ring.evicted())
	}
	if r, _ := v.ring.get(249); r.Line != "line 249" {
		t.Fatalf("newest = %q", r.Line)
	}
	if _, ok := v.ring.get(149); ok {
		t.Fatal("an evicted record must be gone")
	}
	feed(v, sources.LogBatch{Live: true, Dropped: 7})
	s := screen(v, 200, 10)
	for _, want := range []string{"250 received", "100 shown", "dropped: 150 ring, 7 server", "line 249"} {
		if !strings.Contains(s, want) {
			t.Fatalf("status lacks %q:\n%s", want, s)
		}
	}
}

func TestFollowPauseAndSearchKeepsContext(t *testing.T) {
	v := newView(t, 0)
	feed(v, sources.LogBatch{Live: true, Records: recs(0, 100, func(i int) string {
		if i == 40 || i == 70 {
			return fmt.Sprintf("level=error msg=\"payment failed\" n=%d", i)
		}
		return fmt.Sprintf("level=info msg=ok n=%d", i)
	})})
	if !strings.Contains(screen(v, 120, 12), "n=99") {
		t.Fatal("following shows the newest line")
	}
	v.Update(press("/"))
	typeIn(v, "failed")
	v.Update(press("enter"))
	s := screen(v, 120, 12)
	if !strings.Contains(s, "n=70") || !strings.Contains(s, "n=69") || !strings.Contains(s, "n=71") {
		t.Fatalf("search jumps to the newest match and keeps the lines around it:\n%s", s)
	}
	if strings.Contains(s, "following") {
		t.Fatal("a search pauses following")
	}
	v.Update(press("N"))
	if s := screen(v, 120, 12); !strings.Contains(s, "n=40") || !strings.Contains(s, "n=41") {
		t.Fatalf("N goes to the previous match:\n%s", s)
	}
	// New lines arrive while paused: the cursor stays.
	feed(v, sources.LogBatch{Live: true, Records: recs(100, 50, func(i int) string { return fmt.Sprintf("level=info n=%d", i) })})
	if s := screen(v, 120, 12); !strings.Contains(s, "n=40") || strings.Contains(s, "n=149") {
		t.Fatalf("paused: new lines do not move the screen:\n%s", s)
	}
	v.Update(press("n"))
	if s := screen(v, 120, 12); !strings.Contains(s, "n=70") {
		t.Fatalf("n goes to the next match:\n%s", s)
	}
	v.Update(press("f"))
	if s := screen(v, 120, 12); !strings.Contains(s, "n=149") || !strings.Contains(s, "following") {
		t.Fatalf("f follows again:\n%s", s)
	}
}

func TestFilterIncludeExcludeIsSeparateFromSearch(t *testing.T) {
	v := newView(t, 0)
	feed(v, sources.LogBatch{Live: true, Records: recs(0, 30, func(i int) string {
		if i%10 == 0 {
			return fmt.Sprintf("GET /healthz %d", i)
		}
		return fmt.Sprintf("POST /pay %d", i)
	})})
	v.Update(press("&"))
	typeIn(v, "!healthz")
	v.Update(press("enter"))
	s := screen(v, 120, 40)
	if strings.Contains(s, "healthz 10") || !strings.Contains(s, "27 shown") {
		t.Fatalf("&!healthz drops the health checks:\n%s", s)
	}
	feed(v, sources.LogBatch{Live: true, Records: recs(30, 2, func(i int) string { return fmt.Sprintf("GET /healthz %d", i) })})
	if s := screen(v, 120, 40); strings.Contains(s, "healthz 30") {
		t.Fatal("the filter applies to lines arriving later")
	}
	v.Update(press("&"))
	v.Update(tea.KeyPressMsg{Code: tea.KeyBackspace})
	for range 20 {
		v.Update(tea.KeyPressMsg{Code: tea.KeyBackspace})
	}
	typeIn(v, "HEALTHZ")
	v.Update(press("enter"))
	if s := screen(v, 120, 40); !strings.Contains(s, "0 shown") {
		t.Fatalf("a pattern with capitals is case-sensitive:\n%s", s)
	}
	v.Escape()
	if s := screen(v, 120, 40); !strings.Contains(s, "32 shown") {
		t.Fatalf("esc clears the filter:\n%s", s)
	}
}

func TestLevels(t *testing.T) {
	cases := map[string]Level{
		`{"ts":"x","level":"error","msg":"boom"}`: LevelError,
		`{"lvl": "WARN", "msg":"slow"}`:           LevelWarn,
		`ts=1 level=debug msg=x`:                  LevelDebug,
		`ERROR connection refused`:                LevelError,
		`[warn] disk 91%`:                         LevelWarn,
		`E1126 02:13:27.123456 1 reflector.go:1]`: LevelError,
		`I1126 02:13:27.123456 1 main.go:1]`:      LevelInfo,
		`Everything is fine`:                      LevelUnknown,
		`{"message":"no level"}`:                  LevelUnknown,
		`error_rate=0.2 detail=x`:                 LevelUnknown,
	}
	for line, want := range cases {
		if got := DetectLevel(line); got != want {
			t.Errorf("DetectLevel(%q) = %d, want %d", line, got, want)
		}
	}
	if LevelError.Tone() != table.ToneDanger || LevelWarn.Tone() != table.ToneWarning {
		t.Error("errors are drawn as danger, warnings as warning")
	}
}

func TestZoomPrettyPrintsJSONAndLogfmt(t *testing.T) {
	zl, ok := Zoom(`{"level":"error","msg":"charge failed","err":"card declined\nat pay.go:12","http":{"method":"POST","path":"/pay"}}`, 0)
	if !ok {
		t.Fatal("a JSON line zooms")
	}
	var lines []string
	for _, z := range zl {
		lines = append(lines, fmt.Sprintf("%d %s=%s", z.Indent, z.Key, z.Value))
	}
	want := []string{"0 level=error", "0 msg=charge failed", "0 err=card declined", "0 =at pay.go:12", "0 http=", "1 method=POST", "1 path=/pay"}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Fatalf("zoom = %q\nwant  %q", lines, want)
	}
	if zl[0].Tone != table.ToneDanger || zl[2].Tone != table.ToneDanger {
		t.Error("the level and the error are drawn as danger")
	}
	folded, _ := Zoom(`{"a":{"b":{"c":1}}}`, 2)
	if folded[len(folded)-1].Value != "{…} (folded)" {
		t.Errorf("depth beyond the fold is folded: %+v", folded)
	}
	lf, ok := Zoom(`ts=2026 level=warn msg="slow query" ms=1200`, 0)
	if !ok || len(lf) != 4 || lf[2].Value != "slow query" || lf[1].Tone != table.ToneWarning {
		t.Fatalf("logfmt zoom = %+v", lf)
	}
	if _, ok := Zoom("plain text line", 0); ok {
		t.Fatal("plain text does not zoom")
	}
	esc, ok := Zoom(`{"msg":"\u001b]0;pwned\u0007 \u009b2J"}`, 0)
	if !ok || strings.ContainsAny(esc[0].Value, "\x1b\x07\u009b") {
		t.Fatalf("zoomed values are neutralised: %q", esc[0].Value)
	}
}

func TestPreviousAndStaleFeedsAreDropped(t *testing.T) {
	v := newView(t, 0)
	v.Update(feedBatch{gen: v.gen + 1, batch: sources.LogBatch{Records: recs(0, 3, func(int) string { return "from another feed" })}})
	if v.ring.received != 0 {
		t.Fatal("a batch of another generation must be dropped")
	}
	_, cmd := v.Update(press("P"))
	if cmd == nil {
		t.Fatal("P opens the previous container's logs")
	}
	nav, ok := cmd().(views.Navigate)
	if !ok || !nav.Route.Previous || nav.Route.Name != "checkout" {
		t.Fatalf("P navigates to %+v", nav)
	}
}

func TestRenderAnySize(t *testing.T) {
	v := newView(t, 0)
	feed(v, sources.LogBatch{Live: true, Records: recs(0, 5, func(int) string { return strings.Repeat("é界x", 40) })})
	for _, wrap := range []bool{false, true} {
		v.wrap = wrap
		for _, sz := range [][2]int{{0, 0}, {1, 1}, {5, 2}, {40, 5}, {80, 24}} {
			out := v.Render(sz[0], sz[1])
			lines := strings.Split(out, "\n")
			if sz[1] > 0 && len(lines) > sz[1] {
				t.Fatalf("wrap=%v %v: %d lines", wrap, sz, len(lines))
			}
			for _, l := range lines {
				if w := ansi.StringWidth(l); w > max(sz[0], 0) && sz[0] > 0 {
					t.Fatalf("wrap=%v %v: line of width %d", wrap, sz, w)
				}
			}
		}
	}
}

func TestLokiFilterIsPushedDownAndVolumeShown(t *testing.T) {
	v := newView(t, 0)
	var asked []views.LogQuery
	v.env.LogsVia = "Loki"
	v.env.Logs = func(_ context.Context, q views.LogQuery) (<-chan sources.LogBatch, error) {
		asked = append(asked, q)
		return make(chan sources.LogBatch), nil
	}
	v.env.LogVolume = func(_ context.Context, q views.LogQuery, start, end time.Time, step time.Duration) ([]views.VolumeBucket, error) {
		return []views.VolumeBucket{{At: start, Lines: 10}, {At: start.Add(step), Lines: 40, Errors: 3}, {At: end, Lines: 20}}, nil
	}
	v.Render(100, 20)
	runAll(v, v.Enter())
	feed(v, sources.LogBatch{Live: true, Records: recs(0, 5, func(i int) string { return fmt.Sprintf("GET /healthz %d", i) })})
	s := screen(v, 100, 20)
	if !strings.Contains(s, "via Loki") || !strings.Contains(s, "volume ") || !strings.Contains(s, "70 lines, 3 errors") {
		t.Fatalf("the Loki status and volume line:\n%s", s)
	}
	v.Update(press("&"))
	typeIn(v, "!healthz")
	_, cmd := v.Update(press("enter"))
	runAll(v, cmd)
	if len(asked) != 2 || asked[1].Exclude != "(?i)healthz" || asked[1].App != "checkout" {
		t.Fatalf("the filter is sent to Loki with a new query: %+v", asked)
	}
	if v.ring.received != 0 {
		t.Fatal("a new query starts a new ring")
	}
}

// runAll runs a command and the commands of a batch, feeding their messages back (not
// the ones that wait on a feed).
func runAll(v *View, cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			runAll(v, c)
		}
		return
	}
	if _, ok := msg.(feedStarted); ok {
		return // reading the feed would block: the test feeds batches itself
	}
	v.Update(msg)
}

func TestWindowJumpAndVolumeBuckets(t *testing.T) {
	v := newView(t, 0)
	v.env.Loc = time.UTC
	var asked []views.LogQuery
	v.env.Logs = func(_ context.Context, q views.LogQuery) (<-chan sources.LogBatch, error) {
		asked = append(asked, q)
		return make(chan sources.LogBatch), nil
	}
	v.env.LogVolume = func(_ context.Context, q views.LogQuery, start, end time.Time, step time.Duration) ([]views.VolumeBucket, error) {
		return []views.VolumeBucket{{At: t0, Lines: 10}, {At: t0.Add(30 * time.Second), Lines: 20, Errors: 2}, {At: t0.Add(60 * time.Second), Lines: 5}}, nil
	}
	v.Render(100, 20)
	runAll(v, v.Enter())
	feed(v, sources.LogBatch{Live: true, Records: recs(0, 90, func(i int) string { return fmt.Sprintf("n=%d", i) })})
	v.Update(press("@"))
	typeIn(v, "03:00:42")
	v.Update(press("enter"))
	if r, _ := v.current(); r.Line != "n=42" {
		t.Fatalf("@03:00:42 jumps to the line of that second, on %q", r.Line)
	}
	v.Update(press("]")) // no bucket selected: ] starts from the newest
	v.Update(press("["))
	if r, _ := v.current(); r.Line != "n=30" || v.bucket != 1 {
		t.Fatalf("[ selects the middle bucket and jumps to its first line: bucket %d, on %q", v.bucket, r.Line)
	}
	v.Update(press("T"))
	typeIn(v, "02:10..02:40")
	_, cmd := v.Update(press("enter"))
	runAll(v, cmd)
	last := asked[len(asked)-1]
	if last.Follow || last.From.Format("15:04") != "02:10" || last.To.Format("15:04") != "02:40" {
		t.Fatalf("a typed window is queried as a whole, without following: %+v", last)
	}
	if s := screen(v, 100, 20); !strings.Contains(s, "window 2026-11-26 02:10..02:40") {
		t.Fatalf("the window is shown:\n%s", s)
	}
}
