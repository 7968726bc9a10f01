package kube

import (
	"io"
	"strings"
	"testing"
	"time"
)

// A followed stream that prints one line and goes quiet hands that line on at once, not
// when a next line comes (a job's pod that logs once and then waits, a quiet service).
func TestQuietStreamDeliversItsLastLine(t *testing.T) {
	f := &follower{seen: map[string]time.Time{}}
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		f.read(pr, "job-abc", "job", "job-abc/job", time.Time{})
		close(done)
	}()
	if _, err := pw.Write([]byte("2026-11-26T03:00:00.000000001Z flushing ledger cache\n")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		f.mu.Lock()
		n := len(f.pending)
		f.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the line of a quiet stream was never handed on")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := f.pending[0].Line; got != "flushing ledger cache" {
		t.Errorf("line %q", got)
	}
	// A line longer than the limit is cut, and the stream goes on.
	long := strings.Repeat("x", maxLogLine+10)
	go func() {
		pw.Write([]byte("2026-11-26T03:00:01Z " + long + "\r\n2026-11-26T03:00:02Z next\n"))
		pw.Close()
	}()
	<-done
	if len(f.pending) != 3 || len(f.pending[1].Line) > maxLogLine || f.pending[2].Line != "next" {
		t.Errorf("after a long line: %d lines, the long one %d bytes, last %q", len(f.pending), len(f.pending[1].Line), f.pending[len(f.pending)-1].Line)
	}
}
