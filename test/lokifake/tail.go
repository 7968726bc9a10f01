package lokifake

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// tailFrame is one text frame of /loki/api/v1/tail.
type tailFrame struct {
	Streams []streamJSON  `json:"streams"`
	Dropped []droppedJSON `json:"dropped_entries,omitempty"`
}

type droppedJSON struct {
	Labels    map[string]string `json:"labels"`
	Timestamp string            `json:"timestamp"`
}

// maxFrameEntries splits large backlogs and bursts into several frames.
const maxFrameEntries = 1000

type tailConn struct {
	c    *websocket.Conn
	done chan struct{}

	mu      sync.Mutex
	pending []Entry
	dropped []droppedJSON
	wake    chan struct{} // 1-buffered: something is pending
	closing chan string   // a close frame with this reason is requested
}

// Tails reports how many tail connections are open.
func (s *Server) Tails() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tails)
}

func (s *Server) tailConns() []*tailConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*tailConn, 0, len(s.tails))
	for tc := range s.tails {
		out = append(out, tc)
	}
	return out
}

// DropTails cuts every tail connection without a close frame (like a network failure)
// and returns when their handlers have ended.
func (s *Server) DropTails() {
	for _, tc := range s.tailConns() {
		_ = tc.c.CloseNow()
		<-tc.done
	}
}

// CloseTails closes every tail connection with a close frame (code 1011, as Loki does
// on a failure after the upgrade) carrying reason, and returns when they have ended.
func (s *Server) CloseTails(reason string) {
	for _, tc := range s.tailConns() {
		select {
		case tc.closing <- reason:
		case <-tc.done:
		}
		<-tc.done
	}
}

func (s *Server) handleTail(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	q, err := ParseQuery(r.FormValue("query"))
	if err != nil {
		writeError(w, err)
		return
	}
	if !q.IsLog() {
		writeError(w, badf("tail only supports log queries"))
		return
	}
	if d := r.FormValue("delay_for"); d != "" { // accepted; entries are not delayed
		n, err := strconv.Atoi(d)
		if err != nil {
			writeError(w, badf("strconv.Atoi: parsing %q: invalid syntax", d))
			return
		}
		if n > 5 {
			writeError(w, badf("delay_for can't be greater than 5"))
			return
		}
	}
	limit, err := parseLimit(r, s.opts.MaxEntriesLimit)
	if err != nil {
		writeError(w, err)
		return
	}
	start, err := ParseTimestamp(r.FormValue("start"), now.Add(-time.Hour))
	if err != nil {
		writeError(w, err)
		return
	}
	s.mu.Lock()
	if s.tailSlots >= s.opts.MaxTails {
		n := s.tailSlots
		s.mu.Unlock()
		writeError(w, badf("max concurrent tail requests limit exceeded, count > limit (%d > %d)", n+1, s.opts.MaxTails))
		return
	}
	s.tailSlots++ // taken before the upgrade, so the limit holds for tails being opened
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.tailSlots--
		s.mu.Unlock()
	}()
	if !headerHasToken(r.Header, "Connection", "upgrade") || !headerHasToken(r.Header, "Upgrade", "websocket") {
		writeError(w, badf("websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header"))
		return
	}
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	c.SetReadLimit(1 << 20)
	tc := &tailConn{c: c, done: make(chan struct{}), wake: make(chan struct{}, 1), closing: make(chan string)}
	s.mu.Lock()
	s.tails[tc] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.tails, tc)
		s.mu.Unlock()
		_ = c.CloseNow()
		close(tc.done)
	}()
	ctx := c.CloseRead(r.Context())
	s.serveTail(ctx, tc, r, q, start, limit)
}

func (s *Server) serveTail(ctx context.Context, tc *tailConn, r *http.Request, q *Query, start time.Time, limit int) {
	all, cursor, err := s.opts.Source.Entries(0)
	if err != nil {
		_ = tc.c.Close(websocket.StatusInternalError, truncateReason(err.Error()))
		return
	}
	tenantOK := s.tenantOK(r)
	if !tenantOK {
		all = nil
	}
	// The backlog: the newest limit entries since start, sent oldest first.
	backlog := selectLog(q, all, start, s.opts.Now().Add(time.Nanosecond), limit, false)
	slices.Reverse(backlog)
	for len(backlog) > 0 {
		n := min(len(backlog), maxFrameEntries)
		if err := writeFrame(ctx, tc.c, backlog[:n], nil); err != nil {
			return
		}
		backlog = backlog[n:]
	}

	pctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.produce(pctx, tc, q, cursor, tenantOK)
	}()
	defer wg.Wait()
	defer stop()

	ping := time.NewTicker(s.opts.TailPing)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case reason := <-tc.closing:
			_ = tc.c.Close(websocket.StatusInternalError, truncateReason(reason))
			return
		case <-ping.C:
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := tc.c.Ping(pctx)
			cancel()
			if err != nil {
				return
			}
		case <-tc.wake:
			for {
				tc.mu.Lock()
				n := min(len(tc.pending), maxFrameEntries)
				es := slices.Clone(tc.pending[:n])
				tc.pending = tc.pending[n:]
				dropped := tc.dropped
				tc.dropped = nil
				tc.mu.Unlock()
				if len(es) == 0 && len(dropped) == 0 {
					break
				}
				if err := writeFrame(ctx, tc.c, es, dropped); err != nil {
					return
				}
			}
		}
	}
}

// produce queues the source's new matching entries for the writer; beyond TailBuffer
// (or when DropNextTailEntries asks) they are dropped and reported.
func (s *Server) produce(ctx context.Context, tc *tailConn, q *Query, cursor uint64, tenantOK bool) {
	poll := time.NewTicker(s.opts.TailPoll)
	defer poll.Stop()
	match := map[string]bool{}
	for {
		var changed <-chan struct{}
		if n, ok := s.opts.Source.(Notifier); ok {
			changed = n.Changed()
		}
		es, next, err := s.opts.Source.Entries(cursor)
		if err == nil {
			cursor = next
			var queued bool
			tc.mu.Lock()
			for _, e := range es {
				if !tenantOK || !streamMatches(q, e, match) || !q.KeepLine(e.Line) {
					continue
				}
				if len(tc.pending) >= s.opts.TailBuffer || s.takeDrop() {
					tc.dropped = append(tc.dropped, droppedJSON{Labels: e.Labels, Timestamp: nsString(e.At)})
				} else {
					tc.pending = append(tc.pending, e)
				}
				queued = true
			}
			tc.mu.Unlock()
			if queued {
				select {
				case tc.wake <- struct{}{}:
				default:
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-poll.C:
		}
	}
}

func writeFrame(ctx context.Context, c *websocket.Conn, es []Entry, dropped []droppedJSON) error {
	f := tailFrame{Streams: []streamJSON{}, Dropped: dropped}
	idx := map[string]int{}
	for _, e := range es {
		k := e.streamKey()
		i, ok := idx[k]
		if !ok {
			i = len(f.Streams)
			idx[k] = i
			f.Streams = append(f.Streams, streamJSON{Stream: e.Labels})
		}
		f.Streams[i].Values = append(f.Streams[i].Values, [2]string{nsString(e.At), e.Line})
	}
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return c.Write(ctx, websocket.MessageText, data)
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// truncateReason keeps a close reason within the 123 bytes a close frame can carry.
func truncateReason(s string) string {
	if len(s) <= 123 {
		return s
	}
	s = s[:123]
	for len(s) > 0 && s[len(s)-1]&0xc0 == 0x80 { // do not cut a UTF-8 sequence
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] >= 0xc0 {
		s = s[:len(s)-1]
	}
	return s
}
