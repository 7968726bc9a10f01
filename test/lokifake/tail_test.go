package lokifake

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func dialTail(t *testing.T, ctx context.Context, base string, p url.Values) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.Dial(ctx, strings.Replace(base, "http", "ws", 1)+"/loki/api/v1/tail?"+p.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

// readFrame reads one frame as plain maps and checks its documented shape.
func readFrame(t *testing.T, ctx context.Context, c *websocket.Conn) (lines []string, dropped []map[string]any) {
	t.Helper()
	typ, data, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if typ != websocket.MessageText {
		t.Errorf("frame type %v, want text", typ)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, s := range m["streams"].([]any) {
		sm := s.(map[string]any)
		if _, ok := sm["stream"].(map[string]any); !ok {
			t.Errorf("stream labels missing: %v", sm)
		}
		for _, v := range sm["values"].([]any) {
			pair := v.([]any)
			if _, ok := pair[0].(string); !ok || len(pair) != 2 {
				t.Errorf("value %v: want [\"<ns>\", line]", v)
			}
			lines = append(lines, pair[1].(string))
		}
	}
	if d, ok := m["dropped_entries"]; ok {
		for _, e := range d.([]any) {
			em := e.(map[string]any)
			if _, ok := em["labels"].(map[string]any); !ok {
				t.Errorf("dropped entry %v: labels", em)
			}
			if _, ok := em["timestamp"].(string); !ok {
				t.Errorf("dropped entry %v: timestamp is not a string", em)
			}
			dropped = append(dropped, em)
		}
		if len(dropped) == 0 {
			t.Error("dropped_entries present but empty: it must be omitted")
		}
	}
	return lines, dropped
}

func TestTailBacklogLiveDroppedClose(t *testing.T) {
	s, hs, src := fixture(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := dialTail(t, ctx, hs.URL, url.Values{"query": {`{app="api"} |= "error"`}, "start": {"1704067201"}, "limit": {"2"}})
	// Backlog: the newest 2 since start, oldest first.
	lines, _ := readFrame(t, ctx, c)
	if strings.Join(lines, "|") != `level=error msg="db timeout 6"|level=error msg="db timeout 9"` {
		t.Errorf("backlog %q", lines)
	}
	api := map[string]string{"app": "api", "team": "payments"}
	src.Append(api, t0.Add(time.Hour), "level=error live one")
	src.Append(api, t0.Add(time.Hour), "level=info filtered out")
	if lines, _ = readFrame(t, ctx, c); len(lines) != 1 || lines[0] != "level=error live one" {
		t.Errorf("live %q", lines)
	}
	s.DropNextTailEntries(2)
	src.AppendEntries(Entry{Labels: api, At: t0.Add(2 * time.Hour), Line: "error a"},
		Entry{Labels: api, At: t0.Add(2 * time.Hour), Line: "error b"},
		Entry{Labels: api, At: t0.Add(2 * time.Hour), Line: "error c"})
	lines, dropped := readFrame(t, ctx, c)
	if len(lines) != 1 || lines[0] != "error c" || len(dropped) != 2 || dropped[0]["timestamp"] != "1704074400000000000" {
		t.Errorf("after dropping 2: lines %q dropped %v", lines, dropped)
	}
	if s.Tails() != 1 {
		t.Errorf("Tails() = %d", s.Tails())
	}
	go s.CloseTails("ingester tail error: stream gone")
	_, _, err := c.Read(ctx)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusInternalError || ce.Reason != "ingester tail error: stream gone" {
		t.Errorf("close: %v", err)
	}
}

func TestTailRefusals(t *testing.T) {
	_, hs, _ := fixture(t, Options{MaxTails: 1})
	code, body, _ := get(t, hs, "/loki/api/v1/tail", url.Values{"query": {`{app="api"}`}, "delay_for": {"6"}})
	if code != 400 || strings.TrimSpace(body) != "delay_for can't be greater than 5" {
		t.Errorf("delay_for 6: %d %q", code, body)
	}
	if code, _, _ := get(t, hs, "/loki/api/v1/tail", url.Values{"query": {`{app="api"}`}}); code != 400 {
		t.Errorf("plain GET without upgrade: %d, want 400", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dialTail(t, ctx, hs.URL, url.Values{"query": {`{app="api"}`}})
	_, resp, err := websocket.Dial(ctx, strings.Replace(hs.URL, "http", "ws", 1)+"/loki/api/v1/tail?query="+url.QueryEscape(`{app="api"}`), nil)
	if err == nil || resp == nil || resp.StatusCode != 400 {
		t.Fatalf("second tail with MaxTails 1: %v", err)
	}
}

func TestTailSlowClientDrops(t *testing.T) {
	_, hs, src := fixture(t, Options{TailBuffer: 5})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := dialTail(t, ctx, hs.URL, url.Values{"query": {`{app="bulk"}`}})
	// Once a live line came through, the back-fill is over: what follows is live.
	src.Append(map[string]string{"app": "bulk"}, t0, "ready")
	if lines, _ := readFrame(t, ctx, c); len(lines) != 1 {
		t.Fatalf("first frame %q", lines)
	}
	// Lines big enough to fill the socket buffers while the client does not read.
	big := strings.Repeat("x", 64<<10)
	for i := range 200 {
		src.Append(map[string]string{"app": "bulk"}, t0.Add(time.Duration(i+1)), big)
	}
	got, dropped := 0, 0
	for got+dropped < 200 {
		c.SetReadLimit(64 << 20)
		lines, d := readFrame(t, ctx, c)
		got += len(lines)
		dropped += len(d)
	}
	if dropped == 0 || got+dropped != 200 {
		t.Errorf("received %d, dropped %d: want some dropped and 200 in all", got, dropped)
	}
}
