package prom

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

func recv(t *testing.T, ch <-chan Snapshot) Snapshot {
	t.Helper()
	select {
	case s, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no snapshot in 5s")
	}
	return Snapshot{}
}

func TestPollKeepsLastGoodDataWhenPrometheusFails(t *testing.T) {
	f, api := newFakeProm(t, bySignal(map[Signal]string{Rate: "10", ErrorRatio: "0.01"}))
	checkout := paymentsService(t, ServiceOptions{})
	ledger := paymentsService(t, ServiceOptions{Name: "ledger"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := PollOptions{Interval: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond, Timeout: time.Second}
	ch := Poll(ctx, api, []Service{checkout, ledger}, opts)

	s := recv(t, ch)
	if s.Err != nil || s.Stale() || len(s.Services) != 2 || s.Services["ledger"].Get(Rate).Value != 10 {
		t.Fatalf("first snapshot = %+v", s)
	}
	good := s.Services["checkout"].At

	const msg = `invalid parameter "query": 1:5: parse error: unexpected`
	f.set(func(string, url.Values) (int, string) { return 400, apiError("bad_data", msg) })
	var failed Snapshot
	for failed = recv(t, ch); failed.Err == nil; failed = recv(t, ch) {
	}
	if !failed.Stale() || failed.StaleSince.IsZero() {
		t.Errorf("failed snapshot not stale: %+v", failed)
	}
	if got := failed.Services["checkout"]; got.Get(Rate).Value != 10 || !got.At.Equal(good) {
		t.Errorf("last good data lost: %+v", got)
	}
	var qe *QueryError
	if !errors.As(failed.Err, &qe) || qe.Msg != msg || qe.Pos == nil || qe.Pos.Column != 5 {
		t.Errorf("Err = %v, want the server's words and position", failed.Err)
	}
	if !strings.Contains(failed.Err.Error(), msg) {
		t.Errorf("Err text = %s", failed.Err)
	}

	// Backoff: the wait doubles up to MaxBackoff, and StaleSince stays at the first failure.
	var waits []time.Duration
	since := failed.StaleSince
	waits = append(waits, failed.NextPoll.Sub(failed.At))
	for range 3 {
		s := recv(t, ch)
		if !s.StaleSince.Equal(since) {
			t.Errorf("StaleSince moved: %s -> %s", since, s.StaleSince)
		}
		waits = append(waits, s.NextPoll.Sub(s.At))
	}
	if waits[len(waits)-1] != 80*time.Millisecond || waits[0] > waits[1] {
		t.Errorf("waits = %v, want doubling up to 80ms", waits)
	}

	f.set(bySignal(map[Signal]string{Rate: "12"}))
	for s = recv(t, ch); s.Err != nil; s = recv(t, ch) {
	}
	if s.Stale() || s.Services["checkout"].Get(Rate).Value != 12 || s.NextPoll.Sub(s.At) != 20*time.Millisecond {
		t.Errorf("recovered snapshot = %+v", s)
	}
	cancel()
	for range ch { // drains, then closed
	}
}

func TestPollIsLatestWinsAndSingleFlight(t *testing.T) {
	inFlight, maxInFlightSeen := 0, 0
	f, api := newFakeProm(t, nil)
	var mu = &f.mu
	f.set(func(p string, form url.Values) (int, string) {
		mu.Lock()
		inFlight++
		maxInFlightSeen = max(maxInFlightSeen, inFlight)
		mu.Unlock()
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		inFlight--
		mu.Unlock()
		return bySignal(map[Signal]string{Rate: "1"})(p, form)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := Poll(ctx, api, []Service{paymentsService(t, ServiceOptions{})}, PollOptions{Interval: time.Millisecond})
	time.Sleep(200 * time.Millisecond) // nobody reads: polls go on, the channel keeps the newest
	s := recv(t, ch)
	if s.Seq < 3 {
		t.Errorf("seq = %d after 200ms unread, want the latest snapshot", s.Seq)
	}
	next := recv(t, ch)
	if next.Seq <= s.Seq {
		t.Errorf("seq went from %d to %d", s.Seq, next.Seq)
	}
	mu.Lock()
	defer mu.Unlock()
	if maxInFlightSeen > maxInFlight {
		t.Errorf("%d queries in flight, want at most %d (one poll at a time)", maxInFlightSeen, maxInFlight)
	}
}

func TestPollRejectsBadServices(t *testing.T) {
	_, api := newFakeProm(t, bySignal(nil))
	svc := paymentsService(t, ServiceOptions{})
	for _, svcs := range [][]Service{{svc, svc}, {{}}} {
		ch := Poll(context.Background(), api, svcs, PollOptions{})
		s := recv(t, ch)
		if s.Err == nil {
			t.Errorf("%v: want an error snapshot", svcs)
		}
		if _, ok := <-ch; ok {
			t.Error("channel not closed after the error")
		}
	}
}

func TestPollEvaluatesSLO(t *testing.T) {
	f, api := newFakeProm(t, bySignal(map[Signal]string{Rate: "10", ErrorRatio: "0.02"}))
	svc := paymentsService(t, ServiceOptions{SLO: SLO{Objective: 0.999}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := Poll(ctx, api, []Service{svc}, PollOptions{Interval: 10 * time.Millisecond, SLOInterval: time.Hour})
	s := recv(t, ch)
	st := s.Services["checkout"].SLO
	if st == nil || !st.BudgetLeft.OK || !near(st.BudgetLeft.Value, -19) {
		t.Fatalf("SLO = %+v", st)
	}
	if sev, ok := st.Firing(); !ok || sev != "page" {
		t.Errorf("burn 20 > 14.4: want a page, got %q %v", sev, ok)
	}
	n30d := func() int {
		n := 0
		for _, q := range f.seen() {
			if strings.Contains(q, "[30d]") {
				n++
			}
		}
		return n
	}
	recv(t, ch)
	s = recv(t, ch)
	if n := n30d(); n != 1 {
		t.Errorf("30d query sent %d times within SLOInterval, want once", n)
	}
	if s.Services["checkout"].SLO == nil {
		t.Error("SLO status not carried over between evaluations")
	}
}

func TestBackoff(t *testing.T) {
	o := PollOptions{Interval: time.Second, MaxBackoff: 10 * time.Second}.withDefaults()
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		got = append(got, o.backoff(n))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("backoff = %v, want %v", got, want)
		}
	}
	if d := (PollOptions{}).withDefaults(); d.Interval != 10*time.Second || d.MaxBackoff != 2*time.Minute || d.Timeout != 10*time.Second {
		t.Errorf("defaults = %+v", d)
	}
}

func TestSummariseKeepsOneErrorPerServerMessage(t *testing.T) {
	refused := func(what string) error {
		return fmt.Errorf("%s: %w", what, &QueryError{Msg: `Post "http://p/api/v1/query": connection refused`})
	}
	parse := fmt.Errorf("ledger cpu: %w", &QueryError{Type: "bad_data", Msg: "1:5: parse error: x"})
	err := summarise([]error{
		errors.Join(refused("checkout rate"), refused("checkout cpu")),
		errors.Join(refused("ledger rate"), parse),
	})
	if got := err.Error(); got != "checkout rate: Post \"http://p/api/v1/query\": connection refused\nledger cpu: bad_data: 1:5: parse error: x" {
		t.Fatalf("summarise = %q", got)
	}
	if summarise(nil) != nil {
		t.Fatal("no errors: want nil")
	}
}
