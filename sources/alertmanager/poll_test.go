package alertmanager

import (
	"context"
	"errors"
	"net/http"
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

func TestPollStaleAndRecovery(t *testing.T) {
	f, c := newFakeAM(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := Poll(ctx, c, TeamFilter{Matchers: map[string]string{"team": "payments"}},
		PollOptions{Interval: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond})

	s := recv(t, ch)
	if s.Err != nil || s.Stale() || len(s.Alerts) != 4 || s.AlertsAt.IsZero() {
		t.Fatalf("first snapshot = %+v", s)
	}
	// The silence of the checkout alert is listed with who made it.
	sil, ok := s.Silences[s.Alerts[1].SilencedBy[0]]
	if !ok || sil.CreatedBy != "alice" {
		t.Fatalf("silences = %+v", s.Silences)
	}
	good := s.AlertsAt

	f.set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`"failed to get alerts: boom"`))
	})
	for s = recv(t, ch); s.Err == nil; s = recv(t, ch) {
	}
	var ae *APIError
	if !errors.As(s.Err, &ae) || ae.Msg != "failed to get alerts: boom" || ae.Code != 500 {
		t.Errorf("Err = %v", s.Err)
	}
	if !s.Stale() || len(s.Alerts) != 4 || !s.AlertsAt.Equal(good) || len(s.Silences) != 1 {
		t.Errorf("stale snapshot lost data: %+v", s)
	}
	since := s.StaleSince
	waits := []time.Duration{s.NextPoll.Sub(s.At)}
	for range 3 {
		s = recv(t, ch)
		if !s.StaleSince.Equal(since) {
			t.Errorf("StaleSince moved")
		}
		waits = append(waits, s.NextPoll.Sub(s.At))
	}
	if waits[0] != 20*time.Millisecond || waits[len(waits)-1] != 80*time.Millisecond {
		t.Errorf("waits = %v, want 20ms doubling to 80ms", waits)
	}

	f.set(nil)
	for s = recv(t, ch); s.Err != nil; s = recv(t, ch) {
	}
	if s.Stale() || !s.AlertsAt.After(good) {
		t.Errorf("recovered = %+v", s)
	}
	cancel()
	for range ch {
	}
}

func TestPollRejectsBadFilter(t *testing.T) {
	_, c := newFakeAM(t)
	ch := Poll(context.Background(), c, TeamFilter{Matchers: map[string]string{"a b": "x"}}, PollOptions{})
	if s := recv(t, ch); s.Err == nil {
		t.Fatal("want an error snapshot")
	}
	if _, ok := <-ch; ok {
		t.Fatal("channel not closed")
	}
}

func TestPollLatestWins(t *testing.T) {
	_, c := newFakeAM(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := Poll(ctx, c, TeamFilter{}, PollOptions{Interval: time.Millisecond})
	time.Sleep(100 * time.Millisecond)
	a, b := recv(t, ch), recv(t, ch)
	if a.Seq < 3 || b.Seq <= a.Seq {
		t.Errorf("seq %d then %d: want the newest snapshot each time", a.Seq, b.Seq)
	}
}
