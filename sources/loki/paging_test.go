package loki

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/sources"
	"github.com/vigie-dev/vigie/test/lokifake"
)

// seedGroups appends n entries over 3 streams where each group of `group` consecutive
// entries shares one timestamp, so pages of 10 end in the middle of a group.
func seedGroups(e *env, n, group int) map[string]bool {
	want := map[string]bool{}
	for i := range n {
		pod := fmt.Sprint("pod-", i%3)
		line := fmt.Sprintf("line %03d", i)
		e.src.Append(map[string]string{"app": "api", "pod": pod, "container": "app"}, t0.Add(time.Duration(i/group)*time.Second), line)
		want[pod+" "+line] = true
	}
	return want
}

func collect(t *testing.T, e *env, req QueryRangeRequest, max int) []sources.LogRecord {
	t.Helper()
	var got []sources.LogRecord
	err := e.c.QueryRangeAll(context.Background(), req, max, func(rs []sources.LogRecord) error {
		if len(rs) == 0 {
			t.Error("fn called with no records")
		}
		got = append(got, rs...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// checkAll asserts got holds every wanted entry exactly once, in the direction's order.
func checkAll(t *testing.T, got []sources.LogRecord, want map[string]bool, dir Direction) {
	t.Helper()
	seen := map[string]bool{}
	for i, r := range got {
		k := r.Pod + " " + r.Line
		if seen[k] {
			t.Errorf("duplicate %s", k)
		}
		seen[k] = true
		if !want[k] {
			t.Errorf("unexpected %s", k)
		}
		if r.Container != "app" || r.Labels["app"] != "api" {
			t.Errorf("record %+v: labels not carried", r)
		}
		if i > 0 {
			c := r.At.Compare(got[i-1].At)
			if (dir == Backward && c > 0) || (dir == Forward && c < 0) {
				t.Errorf("record %d (%s) out of %s order", i, r.At, dir)
			}
		}
	}
	if len(got) != len(want) || len(seen) != len(want) {
		t.Errorf("got %d records (%d distinct), want %d", len(got), len(seen), len(want))
	}
}

func TestQueryRangeAllPagesWithoutLossOrDuplicates(t *testing.T) {
	for _, dir := range []Direction{Backward, Forward} {
		for _, group := range []int{1, 4, 7} {
			t.Run(fmt.Sprintf("%s/%d-per-timestamp", dir, group), func(t *testing.T) {
				e := newEnv(t, lokifake.Options{}, Options{}, false)
				want := seedGroups(e, 95, group)
				got := collect(t, e, QueryRangeRequest{Query: `{app="api"}`, Start: t0, End: t0.Add(time.Hour), Limit: 10, Direction: dir}, 0)
				checkAll(t, got, want, dir)
				_, paths := e.rec.all()
				if len(paths) > 15 {
					t.Errorf("%d requests for 95 entries in pages of 10", len(paths))
				}
			})
		}
	}
}

func TestQueryRangeAllMoreEntriesAtOneTimestampThanAPage(t *testing.T) {
	e := newEnv(t, lokifake.Options{}, Options{}, false)
	want := seedGroups(e, 60, 25) // 25 entries at t0, 25 at t0+1s, 10 at t0+2s
	for _, dir := range []Direction{Backward, Forward} {
		got := collect(t, e, QueryRangeRequest{Query: `{app="api"}`, Start: t0, End: t0.Add(time.Minute), Limit: 10, Direction: dir}, 0)
		checkAll(t, got, want, dir)
	}
	// Pages of 1: every page ends on a shared timestamp.
	got := collect(t, e, QueryRangeRequest{Query: `{app="api"}`, Start: t0, End: t0.Add(time.Minute), Limit: 1}, 0)
	checkAll(t, got, want, Backward)
}

func TestQueryRangeAllMaxAndWindow(t *testing.T) {
	e := newEnv(t, lokifake.Options{}, Options{}, false)
	seedGroups(e, 95, 4)
	got := collect(t, e, QueryRangeRequest{Query: `{app="api"}`, Start: t0, End: t0.Add(time.Hour), Limit: 10}, 37)
	if len(got) != 37 || got[0].Line != "line 094" && got[0].Line != "line 093" && got[0].Line != "line 092" {
		t.Fatalf("max 37 backward: %d records, first %q", len(got), got[0].Line)
	}
	// The 37 newest: every entry of the 9 newest groups (36) and one of group 14 (t0+14s).
	if !got[36].At.Equal(t0.Add(14 * time.Second)) {
		t.Errorf("37th record at %s", got[36].At)
	}
	// Start inclusive, end exclusive: [4s, 8s) holds groups 4..7 = 16 entries.
	got = collect(t, e, QueryRangeRequest{Query: `{app="api"}`, Start: t0.Add(4 * time.Second), End: t0.Add(8 * time.Second), Limit: 3, Direction: Forward}, 0)
	if len(got) != 16 || !got[0].At.Equal(t0.Add(4*time.Second)) || !got[15].At.Equal(t0.Add(7*time.Second)) {
		t.Errorf("window [4s, 8s): %d records from %s to %s", len(got), got[0].At, got[len(got)-1].At)
	}
	// A line filter pushed into LogQL pages the same way.
	lf, _ := LineFilter(Contains, "line 01")
	got = collect(t, e, QueryRangeRequest{Query: `{app="api"} ` + lf, Start: t0, Limit: 3}, 0)
	if len(got) != 10 {
		t.Errorf("filtered: %d records, want 10 (line 010..019)", len(got))
	}
}

func TestQueryRangeAllErrors(t *testing.T) {
	e := newEnv(t, lokifake.Options{}, Options{}, false)
	seedGroups(e, 30, 1)
	ctx := context.Background()
	stop := errors.New("enough")
	calls := 0
	err := e.c.QueryRangeAll(ctx, QueryRangeRequest{Query: `{app="api"}`, Start: t0, Limit: 10}, 0, func([]sources.LogRecord) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("fn's error: %v after %d calls", err, calls)
	}
	err = e.c.QueryRangeAll(ctx, QueryRangeRequest{Query: `count_over_time({app="api"}[1m])`, Start: t0}, 0, func([]sources.LogRecord) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "paging needs a log query") {
		t.Errorf("metric query: %v", err)
	}
	e.fake.TimeoutNext()
	err = e.c.QueryRangeAll(ctx, QueryRangeRequest{Query: `{app="api"}`, Start: t0}, 0, func([]sources.LogRecord) error { return nil })
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 504 {
		t.Errorf("timeout: %v", err)
	}
	err = e.c.QueryRangeAll(ctx, QueryRangeRequest{Query: `{app="api"}`, Limit: 6000}, 0, nil)
	if err == nil || !strings.Contains(err.Error(), "page limit") {
		t.Errorf("limit 6000: %v", err)
	}
	// Every entry at one timestamp, more than the largest page: an error, not a silent cut.
	e2 := newEnv(t, lokifake.Options{MaxEntriesLimit: 20000}, Options{}, false)
	seedGroups(e2, MaxPageLimit+10, MaxPageLimit+10)
	err = e2.c.QueryRangeAll(ctx, QueryRangeRequest{Query: `{app="api"}`, Start: t0, Limit: 100}, 0, func([]sources.LogRecord) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "share the timestamp") {
		t.Errorf("%d entries at one timestamp: %v", MaxPageLimit+10, err)
	}
}
