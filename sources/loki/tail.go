package loki

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/vigie-dev/vigie/sources"
)

// TailRequest is a live tail. Zero values leave Loki's defaults.
type TailRequest struct {
	Query string
	// Start is where the first frames back-fill from; zero: now - 1h (the server's default).
	Start time.Time
	// DelayFor (seconds, 0..5) lets the server wait for late entries.
	DelayFor int
	// Limit caps the back-fill; 0 = 100.
	Limit int
}

// StreamClosedError is a tail stream the server ended with a close frame; Reason is the
// server's text (Loki closes with 1011 and the error on a failure after the upgrade).
type StreamClosedError struct {
	Code   int
	Reason string
}

func (e *StreamClosedError) Error() string {
	reason := e.Reason
	if reason == "" {
		reason = "no reason given"
	}
	return fmt.Sprintf("loki tail: the server closed the stream: %s (close code %d)", reason, e.Code)
}

// maxTailFrame bounds one tail message.
const maxTailFrame = 64 << 20

// Tail follows req.Query over /loki/api/v1/tail (ws:// or wss://, with the client's
// headers, auth and TLS). Each server message becomes one LogBatch (records oldest first,
// Dropped = len(dropped_entries), Live). When the connection fails or the server closes it,
// a batch with Err says why (a close frame's reason included) and Tail reconnects with
// exponential backoff and jitter (Options.ReconnectMin..ReconnectMax). Before reconnecting
// it fetches what was written during the outage with query_range (forward from the last
// timestamp delivered), then tails from that timestamp; entries already delivered (same
// timestamp, line and stream) are dropped, so nothing is delivered twice and the outage
// leaves no gap (except entries that reach Loki with a timestamp older than the newest one
// delivered, which no Loki tail can replay). The catch-up also finds, in Loki's store, lines
// the tail had reported dropped at or after that timestamp. After a failure, a batch
// without Err (Notice "reconnected to Loki") signals recovery, empty when nothing new
// arrived. An invalid request gives one batch with Err
// and a closed channel; otherwise the channel is closed when ctx ends. The label maps of
// records are shared and must not be modified.
func (c *Client) Tail(ctx context.Context, req TailRequest) <-chan sources.LogBatch {
	out := make(chan sources.LogBatch, 16)
	go func() {
		defer close(out)
		t := &tailer{c: c, req: req, out: out, seen: map[string]struct{}{}}
		if err := req.validate(); err != nil {
			t.send(ctx, sources.LogBatch{Err: err, Live: true})
			return
		}
		t.run(ctx)
	}()
	return out
}

func (r TailRequest) validate() error {
	switch {
	case strings.TrimSpace(r.Query) == "":
		return errors.New("loki tail: empty query")
	case r.DelayFor < 0 || r.DelayFor > 5:
		return fmt.Errorf("loki tail: delay_for %d outside 0..5 seconds", r.DelayFor)
	case r.Limit < 0 || r.Limit > MaxPageLimit:
		return fmt.Errorf("loki tail: limit %d outside 0..%d", r.Limit, MaxPageLimit)
	}
	return nil
}

type tailer struct {
	c   *Client
	req TailRequest
	out chan<- sources.LogBatch

	// What was delivered: the newest timestamp and the entries at it.
	last     time.Time
	haveLast bool
	seen     map[string]struct{}
	failing  bool // the last batch sent carried Err
}

func (t *tailer) send(ctx context.Context, b sources.LogBatch) bool {
	if t.failing && b.Err == nil {
		b.Notice = "reconnected to Loki"
	}
	select {
	case t.out <- b:
		t.failing = b.Err != nil
		return true
	case <-ctx.Done():
		return false
	}
}

// admit reports whether e is new, and records it as delivered.
func (t *tailer) admit(e keyed) bool {
	if t.haveLast {
		switch e.At.Compare(t.last) {
		case 0:
			if _, ok := t.seen[e.key]; ok {
				return false
			}
		case -1: // late live entry: new, but the resume point stays
			return true
		}
	}
	if !t.haveLast || e.At.After(t.last) {
		t.last, t.haveLast = e.At, true
		clear(t.seen)
	}
	t.seen[e.key] = struct{}{}
	return true
}

// deliver sends the new entries among es (sorted oldest first) with dropped.
func (t *tailer) deliver(ctx context.Context, es []keyed, dropped int) bool {
	fresh := es[:0:0]
	for _, e := range es {
		if t.admit(e) {
			fresh = append(fresh, e)
		}
	}
	if len(fresh) == 0 && dropped == 0 {
		return true
	}
	return t.send(ctx, sources.LogBatch{Records: records(fresh), Dropped: dropped, Live: true})
}

func (t *tailer) run(ctx context.Context) {
	attempt := 0
	reconnect := false
	for {
		var err error
		if reconnect && t.haveLast {
			err = t.catchUp(ctx)
		}
		if err == nil {
			var conn *websocket.Conn
			if conn, err = t.dial(ctx); err == nil {
				if t.failing && !t.send(ctx, sources.LogBatch{Live: true}) {
					_ = conn.CloseNow()
					return
				}
				var got bool
				got, err = t.read(ctx, conn)
				_ = conn.CloseNow()
				if got {
					attempt = 0
				}
			}
		}
		if ctx.Err() != nil {
			return
		}
		if !t.send(ctx, sources.LogBatch{Err: err, Live: true}) {
			return
		}
		reconnect = true
		timer := time.NewTimer(t.c.backoffDelay(attempt))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		attempt++
	}
}

// backoffDelay is min*2^attempt capped at max, with jitter: a delay in [d/2, d].
func (c *Client) backoffDelay(attempt int) time.Duration {
	d := c.backoff[0]
	for i := 0; i < attempt && d < c.backoff[1]; i++ {
		d *= 2
	}
	d = min(d, c.backoff[1])
	return d/2 + rand.N(d/2+1)
}

// catchUp delivers, with query_range forward from the last timestamp delivered, what was
// written while the tail was down.
func (t *tailer) catchUp(ctx context.Context) error {
	req := QueryRangeRequest{Query: t.req.Query, Start: t.last, Direction: Forward, Limit: 1000}
	err := t.c.pageAll(ctx, req, 0, func(es []keyed) error {
		if !t.deliver(ctx, es, 0) {
			return ctx.Err()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("loki tail: catching up after reconnecting: %w", err)
	}
	return nil
}

func (t *tailer) dial(ctx context.Context) (*websocket.Conn, error) {
	p := url.Values{"query": {t.req.Query}}
	start := t.req.Start
	if t.haveLast {
		start = t.last
	}
	addTime(p, "start", start)
	if t.req.DelayFor > 0 {
		p.Set("delay_for", strconv.Itoa(t.req.DelayFor))
	}
	if t.req.Limit > 0 {
		p.Set("limit", strconv.Itoa(t.req.Limit))
	}
	u := t.c.endpoint("tail", p)
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	dctx, cancel := context.WithTimeout(ctx, t.c.timeout)
	defer cancel()
	conn, resp, err := websocket.Dial(dctx, u.String(), &websocket.DialOptions{HTTPClient: t.c.http, HTTPHeader: t.c.header.Clone()})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, apiError("tail", resp.StatusCode, resp.Body)
		}
		return nil, fmt.Errorf("loki tail: %w", err)
	}
	conn.SetReadLimit(maxTailFrame)
	return conn, nil
}

type tailFrame struct {
	Streams []wireStream      `json:"streams"`
	Dropped []json.RawMessage `json:"dropped_entries"`
}

// read delivers the frames of conn until it fails; got reports whether any frame came.
func (t *tailer) read(ctx context.Context, conn *websocket.Conn) (got bool, err error) {
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				return got, &StreamClosedError{Code: int(ce.Code), Reason: ce.Reason}
			}
			return got, fmt.Errorf("loki tail: connection lost: %w", err)
		}
		got = true
		var f tailFrame
		if err := json.Unmarshal(data, &f); err != nil {
			return got, fmt.Errorf("loki tail: decode message: %w", err)
		}
		streams := make([]Stream, len(f.Streams))
		for i, s := range f.Streams {
			es := make([]Entry, len(s.Values))
			for j, v := range s.Values {
				es[j] = Entry(v)
			}
			streams[i] = Stream{Labels: nonNil(s.Stream), Entries: es}
		}
		if !t.deliver(ctx, flatten(streams, Forward), len(f.Dropped)) {
			return got, ctx.Err()
		}
	}
}
