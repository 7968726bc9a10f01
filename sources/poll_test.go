package sources

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBackoffDoublesUpToTheCap(t *testing.T) {
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		got = append(got, Backoff(10*time.Second, time.Minute, n))
	}
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute, time.Minute, time.Minute}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("backoff = %v, want %v", got, want)
		}
	}
}

// A failing poll marks the data stale from its first failure; a success clears it.
func TestPollLoopMarksStaleAndRecovers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	results := []error{nil, errors.New("down"), errors.New("down"), nil}
	n := 0
	out := make(chan PollResult, 1)
	clock := time.Unix(0, 0)
	go PollLoop(ctx, out, PollTiming{Interval: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond, Now: func() time.Time {
		clock = clock.Add(time.Second)
		return clock
	}}, func(context.Context) error {
		err := results[min(n, len(results)-1)]
		n++
		return err
	}, func(r PollResult) PollResult { return r })
	var got []PollResult
	for r := range out {
		got = append(got, r)
		if len(got) == 4 {
			cancel()
		}
	}
	if len(got) < 4 {
		t.Fatalf("%d snapshots", len(got))
	}
	if !got[0].StaleSince.IsZero() || got[1].StaleSince.IsZero() || got[2].StaleSince != got[1].StaleSince || !got[3].StaleSince.IsZero() {
		t.Fatalf("stale since: %v %v %v %v", got[0].StaleSince, got[1].StaleSince, got[2].StaleSince, got[3].StaleSince)
	}
	if got[2].NextPoll.Sub(got[2].At) != 40*time.Millisecond || got[2].Err == nil || got[3].Err != nil {
		t.Fatalf("the second failure waits twice the interval: %+v", got[2])
	}
}
