package loki

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-dev/vigie/sources"
)

// MaxPageLimit is the largest page QueryRangeAll asks for: Loki's default
// max_entries_limit_per_query.
const MaxPageLimit = 5000

// QueryRangeAll runs a log query over the window page by page, past the server's limit,
// and calls fn with each page's new records, in the request's direction order (backward:
// newest first, also from one call to the next). req.Limit is the page size (0 = 100). It
// stops after max records (0 = no limit), when the window is exhausted, when a page brings
// nothing new, or at the first error (fn's error is returned as is).
//
// Paging moves the window: backward, end becomes the oldest timestamp seen plus 1ns (end
// is exclusive); forward, start becomes the newest timestamp seen (start is inclusive). The
// entries at that boundary timestamp come back in the next page; those already delivered
// (same timestamp, line and stream) are dropped, the others are new. So no entry is lost or
// delivered twice even when several share the boundary timestamp. Loki itself keeps one
// entry per (stream, timestamp, line), so these three identify an entry. When a full page
// holds only entries already seen (more entries share one timestamp than a page holds),
// the page size doubles, up to MaxPageLimit, until the page reaches past them.
func (c *Client) QueryRangeAll(ctx context.Context, req QueryRangeRequest, max int, fn func([]sources.LogRecord) error) error {
	return c.pageAll(ctx, req, max, func(es []keyed) error { return fn(records(es)) })
}

// pageAll is QueryRangeAll with the entries' identities, for the tail's catch-up.
func (c *Client) pageAll(ctx context.Context, req QueryRangeRequest, max int, fn func([]keyed) error) error {
	base := req.Limit
	if base == 0 {
		base = 100
	}
	if base < 0 || base > MaxPageLimit {
		return fmt.Errorf("loki query_range: page limit %d outside 1..%d", base, MaxPageLimit)
	}
	limit := base
	var (
		boundary     time.Time
		haveBoundary bool
		seen         = map[string]struct{}{}
		delivered    int
	)
	for {
		req.Limit = limit
		res, err := c.QueryRange(ctx, req)
		if err != nil {
			return err
		}
		if res.Type != ResultStreams {
			return fmt.Errorf("loki query_range: the answer is a %s: paging needs a log query", res.Type)
		}
		page := flatten(res.Streams, req.Direction)
		var fresh []keyed
		for _, e := range page {
			if haveBoundary {
				d := e.At.Compare(boundary)
				if req.Direction == Forward {
					d = -d
				}
				if d > 0 { // beyond the boundary: delivered by an earlier page
					continue
				}
				if d == 0 {
					if _, ok := seen[e.key]; ok {
						continue
					}
				}
			}
			fresh = append(fresh, e)
		}
		full := len(page) >= limit
		if len(fresh) == 0 {
			if !full {
				return nil
			}
			if limit >= MaxPageLimit {
				return fmt.Errorf("loki query_range: more than %d entries share the timestamp %s; cannot page past them", MaxPageLimit, boundary.UTC().Format(time.RFC3339Nano))
			}
			limit = min(limit*2, MaxPageLimit)
			continue
		}
		last := page[len(page)-1].At
		if !haveBoundary || !last.Equal(boundary) {
			clear(seen)
			limit = base
		}
		for _, e := range page {
			if e.At.Equal(last) {
				seen[e.key] = struct{}{}
			}
		}
		boundary, haveBoundary = last, true
		if max > 0 && delivered+len(fresh) > max {
			fresh = fresh[:max-delivered]
		}
		if err := fn(fresh); err != nil {
			return err
		}
		delivered += len(fresh)
		if (max > 0 && delivered >= max) || !full {
			return nil
		}
		if req.Direction == Forward {
			req.Start = boundary
		} else {
			req.End = boundary.Add(time.Nanosecond)
		}
	}
}

// keyed is an entry with its stream and identity (timestamp, stream, line).
type keyed struct {
	Entry
	labels map[string]string
	key    string
}

// flatten merges the streams' entries in direction order (stable for equal timestamps).
func flatten(streams []Stream, dir Direction) []keyed {
	n := 0
	for _, s := range streams {
		n += len(s.Entries)
	}
	out := make([]keyed, 0, n)
	for _, s := range streams {
		sk := labelsKey(s.Labels)
		for _, e := range s.Entries {
			out = append(out, keyed{Entry: e, labels: s.Labels, key: entryKey(e.At, e.Line, sk)})
		}
	}
	slices.SortStableFunc(out, func(a, b keyed) int {
		if dir == Forward {
			return a.At.Compare(b.At)
		}
		return b.At.Compare(a.At)
	})
	return out
}

func entryKey(at time.Time, line, streamKey string) string {
	return strconv.FormatInt(at.UnixNano(), 10) + "\x00" + streamKey + "\x00" + line
}

// labelsKey is the canonical text of a label set ({a="1", b="2"}, sorted, escaped).
func labelsKey(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(Quote(l[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// records converts entries to LogRecords. Records of one stream share its label map
// (read-only); an entry with metadata gets its own map with the metadata added.
func records(es []keyed) []sources.LogRecord {
	out := make([]sources.LogRecord, len(es))
	for i, e := range es {
		labels := e.labels
		if len(e.Metadata) > 0 {
			labels = maps.Clone(labels)
			maps.Copy(labels, e.Metadata)
		}
		out[i] = sources.LogRecord{At: e.At, Line: e.Line, Labels: labels, Pod: e.labels["pod"], Container: e.labels["container"]}
	}
	return out
}
