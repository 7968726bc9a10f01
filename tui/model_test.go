package tui

import (
	"errors"
	"image/color"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	corev1 "k8s.io/api/core/v1"

	"github.com/vigie-dev/vigie/internal/screentest"
	"github.com/vigie-dev/vigie/sources/kube"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
)

// press builds the key press of s: a printable character or a named key.
func press(s string) tea.KeyPressMsg { return screentest.Key(s) }

// drive sends msgs to m and runs the commands they return, feeding their messages back
// (one level of batches), like the program loop does for synchronous commands.
func drive(t *testing.T, m *Model, msgs ...tea.Msg) {
	t.Helper()
	for _, msg := range msgs {
		_, cmd := m.Update(msg)
		run(t, m, cmd, 0)
	}
}

// run runs cmd and feeds its message back. Commands that wait (timers, watch reads) are
// dropped after a moment: the tests send the messages those would produce themselves.
func run(t *testing.T, m *Model, cmd tea.Cmd, depth int) {
	if cmd == nil || depth > 4 {
		return
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(50 * time.Millisecond):
		return
	}
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			run(t, m, c, depth+1)
		}
	case nil:
	case tea.QuitMsg:
		m.quitting = true
	default:
		if _, ok := msg.(flashExpired); ok {
			return
		}
		_, next := m.Update(msg)
		run(t, m, next, depth+1)
	}
}

// typeText sends each character of s as a key.
func typeText(s string) []tea.Msg {
	var out []tea.Msg
	for _, r := range s {
		out = append(out, press(string(r)))
	}
	return out
}

func screen(m *Model) string { return ansi.Strip(m.render()) }

func ready(t *testing.T, start views.Route) *Model {
	t.Helper()
	m := newTestModel(start, "dev")
	drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 40}, views.KubeSnapshot{Snap: fixture()})
	return m
}

func TestOpensOnHome(t *testing.T) {
	m := ready(t, views.Route{})
	if got := m.view.Route().Screen; got != views.ScreenHome {
		t.Fatalf("start screen %q, want the team home", got)
	}
	if s := screen(m); !strings.Contains(s, "services of the team [3]") || !strings.Contains(s, "fraud-worker") {
		t.Fatalf("home lists the team's services from its deployments:\n%s", s)
	}
}

func TestNavigatesFromDeploymentsToPodsAndBack(t *testing.T) {
	m := ready(t, views.Route{Screen: views.ScreenDeployments})
	drive(t, m, press("j"), press("enter")) // fraud-worker (sorted by name), then its pods
	r := m.view.Route()
	if r.Screen != views.ScreenPods || r.Name != "fraud-worker" {
		t.Fatalf("enter on fraud-worker opened %+v", r)
	}
	s := screen(m)
	if !strings.Contains(s, "CrashLoopBackOff") || strings.Contains(s, "checkout-57d49946f6") {
		t.Fatalf("pods of fraud-worker should list only its crash-looping pod:\n%s", s)
	}
	if !strings.Contains(s, "deployments › pods · deploy/fraud-worker") {
		t.Fatalf("breadcrumb missing:\n%s", s)
	}
	drive(t, m, press("d"))
	if m.view.Route().Screen != views.ScreenDescribe {
		t.Fatalf("d opened %q", m.view.Route().Screen)
	}
	if s := screen(m); !strings.Contains(s, "Restart Count:  7") || !strings.Contains(s, "Error (exit 1)") {
		t.Fatalf("describe of the crash-looping pod lacks restarts or last termination:\n%s", s)
	}
	drive(t, m, press("esc"), press("backspace"))
	if got := m.view.Route().Screen; got != views.ScreenDeployments {
		t.Fatalf("esc then backspace went back to %q, want deployments", got)
	}
	if sel := selectedName(m); sel != "fraud-worker" {
		t.Fatalf("back on deployments the cursor is on %q, want fraud-worker where it was", sel)
	}
	drive(t, m, press("esc"))
	if m.quitting || m.view.Route().Screen != views.ScreenDeployments {
		t.Fatal("esc at the first screen stays there and does not quit")
	}
}

// firstRow returns the name in the first row under the table header.
func firstRow(m *Model) string {
	lines := strings.Split(screen(m), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "NAME") && i+1 < len(lines) {
			return strings.Fields(lines[i+1])[0]
		}
	}
	return ""
}

func selectedName(m *Model) string {
	// The selected row is the one drawn in the selected style: find it in the styled output.
	for _, l := range strings.Split(m.render(), "\n") {
		if strings.Contains(l, "\x1b[7m") || strings.Contains(l, "48;") {
			f := strings.Fields(ansi.Strip(l))
			if len(f) > 0 && !strings.HasPrefix(f[0], "vigie") {
				return f[0]
			}
		}
	}
	return ""
}

func TestFilterKeepsItselfAcrossLiveUpdates(t *testing.T) {
	m := ready(t, views.Route{Screen: views.ScreenPods})
	drive(t, m, press("/"))
	drive(t, m, typeText("ledger")...)
	drive(t, m, press("enter"), press("j"))
	if s := screen(m); strings.Contains(s, "checkout-") || !strings.Contains(s, "ledger-5b889f8658-swxzd") {
		t.Fatalf("filter ledger:\n%s", s)
	}
	// A new snapshot (one ledger pod more) keeps the filter and the cursor's pod.
	snap := fixture()
	snap.Pods = append([]*corev1.Pod{pod("ledger", "5b889f8658", "aaaaa", 0, false)}, snap.Pods...)
	drive(t, m, views.KubeSnapshot{Snap: snap})
	s := screen(m)
	if !strings.Contains(s, "ledger-5b889f8658-aaaaa") || strings.Contains(s, "checkout-") {
		t.Fatalf("after a live update the filter must still apply:\n%s", s)
	}
	if sel := selectedName(m); sel != "ledger-5b889f8658-swxzd" {
		t.Fatalf("cursor moved to %q, want it to stay on ledger-5b889f8658-swxzd", sel)
	}
	drive(t, m, press("/"))
	drive(t, m, typeText("x")...)
	drive(t, m, press("esc"))
	if !strings.Contains(screen(m), "/ledger") {
		t.Fatal("esc in the prompt must restore the previous filter")
	}
	drive(t, m, press("esc")) // clears the filter, does not leave the screen
	if m.view.Route().Screen != views.ScreenPods || strings.Contains(screen(m), "/ledger") {
		t.Fatal("esc with a filter clears it and stays on the screen")
	}
	drive(t, m, press("/"))
	drive(t, m, typeText("-l app=checkout")...)
	drive(t, m, press("enter"))
	if s := screen(m); strings.Count(s, "checkout-57d49946f6-") != 3 || strings.Contains(s, "ledger-") {
		t.Fatalf("label selector filter:\n%s", s)
	}
}

func TestSortKeys(t *testing.T) {
	m := ready(t, views.Route{Screen: views.ScreenPods})
	for range 4 { // name → namespace → ready → status → restarts
		drive(t, m, press(">"))
	}
	if !strings.Contains(screen(m), "RESTARTS↓") {
		t.Fatalf("> four times sorts by restarts, descending first:\n%s", screen(m))
	}
	if first := firstRow(m); !strings.HasPrefix(first, "fraud-worker") {
		t.Fatalf("most restarts first: first row %q", first)
	}
	if sel := selectedName(m); sel != "checkout-57d49946f6-69zfr" {
		t.Fatalf("sorting keeps the cursor on its pod, now on %q", sel)
	}
	drive(t, m, press("r"))
	if !strings.Contains(screen(m), "RESTARTS↑") {
		t.Fatal("r reverses the sort")
	}
}

func TestPaletteCompletesAndRuns(t *testing.T) {
	m := ready(t, views.Route{})
	drive(t, m, press(":"))
	drive(t, m, typeText("ev")...)
	if !strings.Contains(screen(m), "events") {
		t.Fatalf("typing ev suggests events:\n%s", screen(m))
	}
	drive(t, m, press("tab"), press("enter"))
	if got := m.view.Route().Screen; got != views.ScreenEvents {
		t.Fatalf(":ev<tab><enter> opened %q", got)
	}
	if s := screen(m); !strings.Contains(s, "BackOff") || strings.Index(s, "BackOff") > strings.Index(s, "ScalingReplicaSet") {
		t.Fatalf("events newest first with the warning:\n%s", s)
	}
	drive(t, m, press(":"))
	drive(t, m, typeText("pdos")...)
	drive(t, m, press("enter"))
	if s := screen(m); !strings.Contains(s, `unknown command "pdos" (did you mean "pods"?)`) || !m.prompt.open {
		t.Fatalf("a typo keeps the palette open with a hint:\n%s", s)
	}
	drive(t, m, press("esc"))
	if m.prompt.open {
		t.Fatal("esc closes the palette")
	}
	drive(t, m, press(":"))
	drive(t, m, typeText("team s")...)
	drive(t, m, press("tab"))
	if got := m.prompt.input.Value(); got != "team search" {
		t.Fatalf("tab completed %q, want team search", got)
	}
}

func TestTeamSwitchFailureShowsDialogAndKeepsSession(t *testing.T) {
	m := ready(t, views.Route{})
	m.opts.Connect = func(ctx, team string) (Session, error) {
		return Session{}, errors.New("no team \"nope\" in the config file")
	}
	drive(t, m, press(":"))
	drive(t, m, typeText("team nope")...)
	drive(t, m, press("enter"))
	s := screen(m)
	if m.dialog == nil || !strings.Contains(s, `no team "nope"`) {
		t.Fatalf("a failed switch opens an error dialog:\n%s", s)
	}
	drive(t, m, press("j")) // keys go to the dialog, not the table
	drive(t, m, press("enter"))
	if m.dialog != nil || m.session.Team != "payments" {
		t.Fatal("enter closes the dialog and the session is unchanged")
	}
}

func TestTeamSwitchStartsANewWatchAndDropsOldSnapshots(t *testing.T) {
	m := ready(t, views.Route{Screen: views.ScreenPods})
	m.opts.Connect = func(ctx, team string) (Session, error) {
		return Session{Context: ctx, Team: team, Environment: "dev", Namespaces: []string{"search"}}, nil
	}
	old := m.gen
	drive(t, m, press(":"))
	drive(t, m, typeText("team search")...)
	drive(t, m, press("enter"))
	if m.session.Team != "search" || m.gen == old {
		t.Fatalf("after :team search, team %q gen %d (was %d)", m.session.Team, m.gen, old)
	}
	if m.dialog == nil { // this session has no client: the watch cannot start
		t.Fatal("a session without a client reports it")
	}
	drive(t, m, press("esc"))
	drive(t, m, views.KubeSnapshot{Gen: old, Snap: fixture()})
	if strings.Contains(screen(m), "checkout-") {
		t.Fatal("a snapshot of the replaced watch must be dropped")
	}
	forbidden := kube.Snapshot{Synced: true, Problems: []kube.Problem{
		{Namespace: "search", Resource: "pods", Forbidden: true, Err: "pods is forbidden"},
		{Namespace: "search", Resource: "deployments", Forbidden: true, Err: "forbidden"},
		{Namespace: "search", Resource: "events", Forbidden: true, Err: "forbidden"},
	}}
	drive(t, m, views.KubeSnapshot{Gen: m.gen, Snap: forbidden})
	if s := screen(m); !strings.Contains(s, "forbidden: you may not list pods in search") {
		t.Fatalf("the search team's pods must show as forbidden in place:\n%s", s)
	}
}

func TestStaleDataStaysAndIsMarked(t *testing.T) {
	m := ready(t, views.Route{Screen: views.ScreenPods})
	snap := fixture()
	snap.Problems = []kube.Problem{{Namespace: "payments", Resource: "pods", Err: "dial tcp 127.0.0.1:6443: connect: connection refused",
		Since: testNow.Add(-42e9)}}
	drive(t, m, views.KubeSnapshot{Snap: snap})
	s := screen(m)
	if !strings.Contains(s, "STALE 42s") || !strings.Contains(s, "last data 42s ago") {
		t.Fatalf("stale marker with its age missing:\n%s", s)
	}
	if !strings.Contains(s, "fraud-worker-796b7978bb-4c6c2") {
		t.Fatal("stale data must stay on screen")
	}
	drive(t, m, views.KubeSnapshot{Snap: fixture()})
	if strings.Contains(screen(m), "STALE") {
		t.Fatal("a clean snapshot clears the stale marker")
	}
}

func TestHelpIsGeneratedFromTheKeymaps(t *testing.T) {
	m := ready(t, views.Route{Screen: views.ScreenPods})
	drive(t, m, press("?"))
	s := screen(m)
	for _, want := range []string{"Navigation", "describe", "sort next column", "command palette"} {
		if !strings.Contains(s, want) {
			t.Fatalf("help lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "restart") || strings.Contains(s, "rollback") {
		t.Fatalf("unavailable guarded actions must not be in the help:\n%s", s)
	}
	drive(t, m, press("?"))
	if m.showHelp {
		t.Fatal("? closes the help")
	}
}

func TestAnySizeRendersWithinTheScreen(t *testing.T) {
	m := ready(t, views.Route{Screen: views.ScreenPods})
	for _, size := range [][2]int{{1, 1}, {2, 1}, {1, 3}, {10, 2}, {20, 5}, {80, 24}, {0, 0}, {300, 3}} {
		drive(t, m, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		out := m.render()
		lines := strings.Split(out, "\n")
		if size[1] > 0 && len(lines) != size[1] {
			t.Fatalf("%dx%d: %d lines", size[0], size[1], len(lines))
		}
		for _, l := range lines {
			if w := ansi.StringWidth(l); w > size[0] {
				t.Fatalf("%dx%d: a line is %d wide", size[0], size[1], w)
			}
		}
	}
}

func TestQuit(t *testing.T) {
	m := ready(t, views.Route{})
	_, cmd := m.Update(press("q"))
	if cmd == nil {
		t.Fatal("q returns a command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("q quits")
	}
}

func TestThemeFollowsTheTerminalBackground(t *testing.T) {
	m := newTestModel(views.Route{}, "dev")
	m.opts.Theme = "auto"
	drive(t, m, tea.BackgroundColorMsg{Color: color.White})
	if !reflect.DeepEqual(m.palette, themes.Light()) {
		t.Fatal("a light terminal background picks the light theme")
	}
	drive(t, m, tea.BackgroundColorMsg{Color: color.Black})
	if !reflect.DeepEqual(m.palette, themes.Dark()) {
		t.Fatal("a dark terminal background picks the dark theme")
	}
	m.opts.Theme = "high-contrast"
	drive(t, m, tea.BackgroundColorMsg{Color: color.White})
	if !reflect.DeepEqual(m.palette, themes.HighContrast()) {
		t.Fatal("a theme named in the config wins over the detection")
	}
}

func TestPaletteOpensTheMonitoringScreens(t *testing.T) {
	m := ready(t, views.Route{})
	for _, c := range []struct{ line, screen, name, query string }{
		{"alerts", views.ScreenAlerts, "", ""},
		{"metrics ledger", views.ScreenMetrics, "ledger", ""},
		{`promql sum(rate(http_requests_total{service="ledger"}[5m]))`, views.ScreenPromQL, "", `sum(rate(http_requests_total{service="ledger"}[5m]))`},
		{"home", views.ScreenHome, "", ""},
	} {
		drive(t, m, press(":"))
		drive(t, m, typeText(c.line)...)
		drive(t, m, press("enter"))
		r := m.view.Route()
		if r.Screen != c.screen || r.Name != c.name || r.Query != c.query {
			t.Fatalf(":%s opened %+v", c.line, r)
		}
		if m.view.Capturing() { // the PromQL console opens with its input focused
			drive(t, m, press("esc"))
		}
	}
}
