package loki

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/sources"
	"github.com/vigie-dev/vigie/test/lokifake"
)

var apiLabels = map[string]string{"app": "api", "pod": "api-1", "container": "app"}

// next reads one batch or fails after 10s.
func next(t *testing.T, ch <-chan sources.LogBatch) sources.LogBatch {
	t.Helper()
	select {
	case b, ok := <-ch:
		if !ok {
			t.Fatal("tail channel closed")
		}
		if !b.Live {
			t.Errorf("batch %+v: Live is false", b)
		}
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no batch within 10s")
	}
	return sources.LogBatch{}
}

func lineList(rs []sources.LogRecord) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Line)
	}
	return strings.Join(out, ",")
}

func TestTailBacklogThenLive(t *testing.T) {
	e := newEnv(t, lokifake.Options{}, Options{}, false)
	for i := range 5 {
		e.src.Append(apiLabels, t0.Add(time.Duration(5-i)*time.Second), fmt.Sprint("old ", 5-i)) // arrive newest first
	}
	e.src.Append(map[string]string{"app": "other"}, t0, "not selected")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := e.c.Tail(ctx, TailRequest{Query: `{app="api"}`, Start: t0.Add(2 * time.Second), Limit: 3})
	b := next(t, ch)
	if b.Err != nil || lineList(b.Records) != "old 3,old 4,old 5" {
		t.Fatalf("backlog %+v: want the 3 newest since start, oldest first", b)
	}
	if r := b.Records[0]; r.Pod != "api-1" || r.Container != "app" || r.Labels["app"] != "api" || !r.At.Equal(t0.Add(3*time.Second)) {
		t.Errorf("record %+v", r)
	}
	e.src.AppendEntries(
		lokifake.Entry{Labels: map[string]string{"app": "api", "pod": "api-2"}, At: t0.Add(time.Hour + time.Second), Line: "live b"},
		lokifake.Entry{Labels: apiLabels, At: t0.Add(time.Hour), Line: "live a"})
	if b = next(t, ch); b.Err != nil || lineList(b.Records) != "live a,live b" {
		t.Errorf("live %+v: want one batch, oldest first", b)
	}
}

// TestTailReconnectsWithoutDuplicatesOrGaps cuts the connection mid-stream, writes more
// lines during the outage than the tail's back-fill limit (some at the very timestamp of
// the last line delivered), and checks every line arrives exactly once.
func TestTailReconnectsWithoutDuplicatesOrGaps(t *testing.T) {
	e := newEnv(t, lokifake.Options{}, Options{ReconnectMin: 200 * time.Millisecond, ReconnectMax: time.Second}, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	want := map[string]bool{}
	add := func(at time.Time, line string) {
		e.src.Append(apiLabels, at, line)
		want[line] = true
	}
	add(t0, "first")
	ch := e.c.Tail(ctx, TailRequest{Query: `{app="api"}`, Start: t0, Limit: 5})
	got := map[string]int{}
	var order []sources.LogRecord
	take := func(b sources.LogBatch) {
		for _, r := range b.Records {
			got[r.Line]++
			order = append(order, r)
		}
	}
	take(next(t, ch))
	boundary := t0.Add(time.Second)
	add(boundary, "at boundary 1")
	add(boundary, "at boundary 2")
	for len(got) < 3 {
		take(next(t, ch))
	}

	e.fake.DropTails()
	add(boundary, "at boundary 3, written during the outage")
	for i := range 20 {
		add(boundary.Add(time.Duration(i+1)*time.Millisecond), fmt.Sprint("outage ", i))
	}
	b := next(t, ch)
	if b.Err == nil || !strings.Contains(b.Err.Error(), "loki tail: connection lost") || len(b.Records) != 0 {
		t.Fatalf("after the drop: %+v, want an Err batch", b)
	}
	for len(got) < len(want) {
		b = next(t, ch)
		if b.Err != nil {
			t.Fatalf("unexpected error after reconnecting: %v", b.Err)
		}
		take(b)
	}
	add(t0.Add(time.Hour), "live after recovery")
	for got["live after recovery"] == 0 {
		b = next(t, ch)
		if b.Err != nil {
			t.Fatal(b.Err)
		}
		take(b)
	}
	for line := range want {
		if got[line] != 1 {
			t.Errorf("%q delivered %d times", line, got[line])
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d distinct lines, want %d", len(got), len(want))
	}
	for i := 1; i < len(order); i++ {
		if order[i].At.Before(order[i-1].At) {
			t.Errorf("%q before %q: out of order", order[i-1].Line, order[i].Line)
		}
	}
}

func TestTailDroppedEntriesAndCloseReason(t *testing.T) {
	e := newEnv(t, lokifake.Options{}, Options{}, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.src.Append(apiLabels, t0, "hello")
	ch := e.c.Tail(ctx, TailRequest{Query: `{app="api"}`, Start: t0})
	next(t, ch)
	e.fake.DropNextTailEntries(2)
	e.src.AppendEntries(lokifake.Entry{Labels: apiLabels, At: t0.Add(time.Second), Line: "dropped 1"},
		lokifake.Entry{Labels: apiLabels, At: t0.Add(time.Second), Line: "dropped 2"},
		lokifake.Entry{Labels: apiLabels, At: t0.Add(time.Second), Line: "kept"})
	b := next(t, ch)
	if b.Err != nil || b.Dropped != 2 || lineList(b.Records) != "kept" {
		t.Fatalf("dropped batch %+v: want Dropped 2 and the kept line", b)
	}

	go e.fake.CloseTails("rpc error: code = Unavailable desc = ingester shutting down")
	b = next(t, ch)
	var ce *StreamClosedError
	if !errors.As(b.Err, &ce) || ce.Code != 1011 || ce.Reason != "rpc error: code = Unavailable desc = ingester shutting down" {
		t.Fatalf("close: %+v", b)
	}
	if want := "loki tail: the server closed the stream: rpc error: code = Unavailable desc = ingester shutting down (close code 1011)"; b.Err.Error() != want {
		t.Errorf("close error %q", b.Err)
	}
	// Reconnected: the catch-up from the last timestamp delivered finds, in the store, the
	// two lines the tail had to drop; nothing else, and no error.
	if b = next(t, ch); b.Err != nil || lineList(b.Records) != "dropped 1,dropped 2" {
		t.Errorf("recovery batch %+v", b)
	}
}

func TestTailHandshakeRefusedThenRecovers(t *testing.T) {
	e := newEnv(t, lokifake.Options{}, Options{}, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.fake.FailNext(429, "max concurrent tail requests limit exceeded, count > limit (11 > 10)")
	ch := e.c.Tail(ctx, TailRequest{Query: `{app="api"}`})
	b := next(t, ch)
	var ae *APIError
	if !errors.As(b.Err, &ae) || ae.Status != 429 || b.Err.Error() != "loki tail: 429 Too Many Requests: max concurrent tail requests limit exceeded, count > limit (11 > 10)" {
		t.Fatalf("refused handshake: %+v", b)
	}
	// Reconnected: a batch without Err says so, even with nothing new to deliver.
	if b = next(t, ch); b.Err != nil || len(b.Records) != 0 || b.Notice != "reconnected to Loki" {
		t.Errorf("after retrying: %+v", b)
	}
	e.src.Append(apiLabels, t0.Add(time.Hour), "now")
	if b = next(t, ch); lineList(b.Records) != "now" {
		t.Errorf("live after recovery: %+v", b)
	}
}

func TestTailInvalidRequest(t *testing.T) {
	e := newEnv(t, lokifake.Options{}, Options{}, false)
	for _, req := range []TailRequest{{}, {Query: `{app="a"}`, DelayFor: 6}, {Query: `{app="a"}`, Limit: -1}} {
		ch := e.c.Tail(context.Background(), req)
		if b := next(t, ch); b.Err == nil {
			t.Errorf("%+v: want an error", req)
		}
		if _, ok := <-ch; ok {
			t.Errorf("%+v: channel not closed after the error", req)
		}
	}
}

func TestTailEndsCleanly(t *testing.T) {
	e := newEnv(t, lokifake.Options{}, Options{}, false)
	e.src.Append(apiLabels, t0, "x")
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	ch := e.c.Tail(ctx, TailRequest{Query: `{app="api"}`, Start: t0})
	next(t, ch)
	cancel()
	for range ch { // drained and closed
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		e.c.http.CloseIdleConnections()
		n := runtime.NumGoroutine()
		if n <= before && e.fake.Tails() == 0 {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before; tails open %d\n%s", n, before, e.fake.Tails(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Cancelled while waiting to reconnect: the channel closes too.
	ctx, cancel = context.WithCancel(context.Background())
	e.fake.FailNext(503, "down")
	ch = e.c.Tail(ctx, TailRequest{Query: `{app="api"}`})
	next(t, ch)
	cancel()
	for range ch {
	}
}
