package tui

import (
	"slices"
	"strconv"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/sources/kube"
	"github.com/vigie-dev/vigie/views"
)

// BenchmarkPodsFrame measures one frame of the pods screen at 120×40 with 10,000 pods:
// what the program does for every render (goal ≤ 2 ms).
func BenchmarkPodsFrame(b *testing.B) {
	m := newTestModel(views.Route{Screen: views.ScreenPods}, "dev")
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(views.KubeSnapshot{Snap: manyPods(10000)})
	m.Update(press("G"))
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkPodsSnapshot measures taking a snapshot where all 10,000 pods are new objects
// (a relist): every row rebuilt, sorted, filtered, cursor kept.
func BenchmarkPodsSnapshot(b *testing.B) {
	m := newTestModel(views.Route{Screen: views.ScreenPods}, "dev")
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	snaps := []kube.Snapshot{manyPods(10000), manyPods(10000)}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Update(views.KubeSnapshot{Snap: snaps[i%2]})
		i++
	}
}

// BenchmarkPodsSnapshotOnePod measures the common live update: one pod of 10,000
// changed (a new object, as the informer hands it).
func BenchmarkPodsSnapshotOnePod(b *testing.B) {
	m := newTestModel(views.Route{Screen: views.ScreenPods}, "dev")
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	snap := manyPods(10000)
	m.Update(views.KubeSnapshot{Snap: snap})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		next := snap
		next.Pods = slices.Clone(snap.Pods)
		k := i % len(next.Pods)
		p := next.Pods[k].DeepCopy()
		p.ResourceVersion = strconv.Itoa(i)
		next.Pods[k] = p
		m.Update(views.KubeSnapshot{Snap: next})
		snap = next
		i++
	}
}

// BenchmarkPodsTick measures the one-second clock tick on the pods screen with 10,000
// pods aged 0 s to 2.8 h: the clock moves a second each time, so the ages under ten
// minutes (and those crossing a minute) change.
func BenchmarkPodsTick(b *testing.B) {
	now := testNow
	m := New(Options{Session: Session{Context: "local-payments", Environment: "dev", Team: "payments", Namespaces: []string{"payments"}},
		Keys: keymaps.Default(), Theme: "dark", Start: views.Route{Screen: views.ScreenPods},
		Now: func() time.Time { return now }, NoTick: true})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(views.KubeSnapshot{Snap: manyPods(10000)})
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Second)
		m.Update(views.Tick{})
	}
}

// BenchmarkScrollBytes measures the bytes the terminal receives for a one-row move of the
// cursor in the pods table at 120×40 and 256 colours (goal ≤ 400 B): "inside" moves
// within the page, "edge" scrolls the page by one row.
func BenchmarkScrollBytes(b *testing.B) {
	for _, c := range []struct {
		name string
	}{{"inside"}, {"edge"}} {
		b.Run(c.name, func(b *testing.B) {
			t := &testing.T{}
			m := newTestModel(views.Route{Screen: views.ScreenPods}, "dev")
			feed := withFeed(m)
			tm := startTerm(t, m, 120, 40, colorprofile.ANSI256)
			defer tm.stop()
			select {
			case feed <- manyPods(10000):
			case <-time.After(5 * time.Second):
				b.Fatal("no reader")
			}
			tm.settle()
			if c.name == "edge" { // cursor on the last visible row: every j scrolls the page
				for range 40 {
					tm.send(press("j"))
				}
			}
			tm.settle()
			var total, n int
			for b.Loop() {
				if c.name == "inside" && n%30 == 29 {
					tm.send(press("g")) // stay inside the page
					tm.settle()
				}
				before := tm.out.Len()
				tm.send(press("j"))
				waitWrite(tm, before)
				total += tm.out.Len() - before
				n++
			}
			b.ReportMetric(float64(total)/float64(max(n, 1)), "B/scroll")
		})
	}
}

// waitWrite waits until the renderer has written after a key, then for the frame to end.
func waitWrite(tm *term, before int) {
	end := time.Now().Add(2 * time.Second)
	for tm.out.Len() == before && time.Now().Before(end) {
		time.Sleep(time.Millisecond)
	}
	last := tm.out.Len()
	for {
		time.Sleep(20 * time.Millisecond)
		if l := tm.out.Len(); l == last {
			return
		} else {
			last = l
		}
	}
}
