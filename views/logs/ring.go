// Package logs is the log screen: a ring of raw records fed in batches, styled only when
// drawn, with follow and pause, search with n/N that keeps the surrounding lines, a
// separate include/exclude filter, level colours, a zoom that pretty-prints one JSON or
// logfmt line, wrap, timestamps, a pod column, horizontal scroll, copy (OSC 52) and save.
package logs

import "github.com/vigie-dev/vigie/sources"

// ring keeps the newest records; each has a sequence number (its rank among every record
// received) so that indices stay valid while old records fall out.
type ring struct {
	buf      []sources.LogRecord
	head     int    // position of the oldest record in buf
	n        int    // records held
	received uint64 // records ever pushed; the newest has seq received-1
}

func newRing(size int) *ring {
	if size <= 0 {
		size = 100_000
	}
	return &ring{buf: make([]sources.LogRecord, size)}
}

// push appends records, overwriting the oldest when full.
func (r *ring) push(recs []sources.LogRecord) {
	size := len(r.buf)
	for _, rec := range recs {
		if r.n < size {
			r.buf[(r.head+r.n)%size] = rec
			r.n++
		} else {
			r.buf[r.head] = rec
			r.head = (r.head + 1) % size
		}
		r.received++
	}
}

// first is the sequence number of the oldest record held.
func (r *ring) first() uint64 { return r.received - uint64(r.n) }

// evicted counts the records that fell out of the ring.
func (r *ring) evicted() uint64 { return r.first() }

// get returns the record of sequence number seq, if still held.
func (r *ring) get(seq uint64) (*sources.LogRecord, bool) {
	if seq < r.first() || seq >= r.received {
		return nil, false
	}
	return &r.buf[(r.head+int(seq-r.first()))%len(r.buf)], true
}
