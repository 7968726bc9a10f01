package sources

import (
	"context"
	"time"
)

// PollTiming is when a poller runs: every Interval while polls succeed, backing off by
// doubling up to MaxBackoff while they fail.
type PollTiming struct {
	Interval, MaxBackoff time.Duration
	Now                  func() time.Time
}

// PollResult is what one poll round tells its snapshot: the error, when the data became
// stale (zero while polls succeed), and when the next poll runs.
type PollResult struct {
	Seq        uint64
	At         time.Time
	Err        error
	StaleSince time.Time
	NextPoll   time.Time
}

// PollLoop runs poll one at a time until ctx ends, then closes out. After each poll it
// sends snapshot(result) on out, latest wins: an unread snapshot is replaced, so a slow
// reader gets the newest. A failed poll keeps the poller's last good data (the poller's
// business), marks the data stale since the first failure, and backs off.
func PollLoop[S any](ctx context.Context, out chan S, t PollTiming, poll func(context.Context) error, snapshot func(PollResult) S) {
	defer close(out)
	var seq uint64
	var failures int
	var staleSince time.Time
	for {
		err := poll(ctx)
		if ctx.Err() != nil {
			return
		}
		now := t.Now()
		wait := t.Interval
		if err != nil {
			failures++
			if staleSince.IsZero() {
				staleSince = now
			}
			wait = Backoff(t.Interval, t.MaxBackoff, failures)
		} else {
			failures, staleSince = 0, time.Time{}
		}
		seq++
		s := snapshot(PollResult{Seq: seq, At: now, Err: err, StaleSince: staleSince, NextPoll: now.Add(wait)})
		select { // latest wins: replace an unread snapshot
		case <-out:
		default:
		}
		out <- s
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

// Backoff is the wait after failures consecutive failed polls: interval, doubled for
// each failure after the first, at most maxBackoff.
func Backoff(interval, maxBackoff time.Duration, failures int) time.Duration {
	d := interval
	for i := 1; i < failures && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}
