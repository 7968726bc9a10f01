package sim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Stream is a CRI log stream.
type Stream string

// CRI streams.
const (
	Stdout Stream = "stdout"
	Stderr Stream = "stderr"
)

// CRILine formats one complete (tag F) line of the CRI container log format that kubelets,
// and kwok, read: "<RFC3339Nano> <stream> F <message>\n". Newlines inside msg would start
// new records, so they are replaced by spaces.
func CRILine(t time.Time, stream Stream, msg string) string {
	msg = strings.ReplaceAll(strings.ReplaceAll(msg, "\r", " "), "\n", " ")
	return t.UTC().Format(time.RFC3339Nano) + " " + string(stream) + " F " + msg + "\n"
}

// LogFiles are the paths of a pod's log files in the log dir.
func LogFiles(dir, namespace, pod string) (current, previous string) {
	base := filepath.Join(dir, namespace+"_"+pod)
	return base + ".log", base + ".previous.log"
}

// Request is one simulated request, as logged.
type Request struct {
	Route    Route
	Status   int
	Duration time.Duration
	TraceID  string
}

// Level is the log level of a request's line.
func (r Request) Level() string {
	switch {
	case r.Status >= 500:
		return "error"
	case r.Status >= 400:
		return "warn"
	}
	return "info"
}

var errorCauses = []string{
	"upstream timeout after 2s",
	"connection reset by peer",
	"pq: canceling statement due to statement timeout",
	"context deadline exceeded",
	"circuit breaker open",
}

// RequestLine renders a request as an application log line: JSON, or logfmt when logfmt is
// true. Errors carry an "error" field.
func RequestLine(t time.Time, svc string, r Request, logfmt bool, rng *rand.Rand) string {
	msg := "request handled"
	var cause string
	if r.Status >= 500 {
		msg = "request failed"
		cause = errorCauses[rng.IntN(len(errorCauses))]
	}
	ms := r.Duration.Milliseconds()
	ts := t.UTC().Format(time.RFC3339Nano)
	if logfmt {
		var b strings.Builder
		fmt.Fprintf(&b, "ts=%s level=%s msg=%q service=%s method=%s route=%s status=%d duration_ms=%d trace_id=%s",
			ts, r.Level(), msg, svc, r.Route.Method, r.Route.Path, r.Status, ms, r.TraceID)
		if cause != "" {
			fmt.Fprintf(&b, " error=%q", cause)
		}
		return b.String()
	}
	type line struct {
		TS         string `json:"ts"`
		Level      string `json:"level"`
		Msg        string `json:"msg"`
		Service    string `json:"service"`
		Method     string `json:"method"`
		Route      string `json:"route"`
		Status     int    `json:"status"`
		DurationMS int64  `json:"duration_ms"`
		TraceID    string `json:"trace_id"`
		Error      string `json:"error,omitempty"`
	}
	data, _ := json.Marshal(line{ts, r.Level(), msg, svc, r.Route.Method, r.Route.Path, r.Status, ms, r.TraceID, cause})
	return string(data)
}

// StartupLines are the lines a container writes when it starts.
func StartupLines(t time.Time, c PodConfig) []string {
	j := func(level, msg string, kv ...any) string {
		m := map[string]any{"ts": t.UTC().Format(time.RFC3339Nano), "level": level, "msg": msg}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		data, _ := json.Marshal(m)
		return string(data)
	}
	return []string{
		j("info", "starting "+c.Service, "version", Version(c.Image), "go_version", "go1.26.8"),
		j("info", "config loaded", "env", "dev", "team", c.Team),
		fmt.Sprintf("ts=%s level=info msg=\"listening\" addr=:8080", t.UTC().Format(time.RFC3339Nano)),
	}
}

// CrashLine is one line of a failed run, with its time and stream.
type CrashLine struct {
	Time   time.Time
	Stream Stream
	Line   string
}

// CrashLines are one failed run of a crash-looping container that ended at end: it starts,
// fails to load its rules, then panics (Go panic trace on stderr). Lines are step apart.
func CrashLines(end time.Time, step time.Duration, c PodConfig) []CrashLine {
	const n = 15
	at := func(i int) time.Time { return end.Add(-time.Duration(n-1-i) * step) }
	ts := func(i int) string { return at(i).UTC().Format(time.RFC3339Nano) }
	startup := StartupLines(at(0), c)
	texts := []struct {
		s    Stream
		line string
	}{
		{Stdout, startup[0]},
		{Stdout, startup[1]},
		{Stdout, fmt.Sprintf(`{"ts":%q,"level":"info","msg":"connecting to broker","addr":"kafka.%s.svc:9092"}`, ts(2), c.Namespace)},
		{Stderr, fmt.Sprintf(`{"ts":%q,"level":"error","msg":"model rules not loaded","error":"open /etc/%s/rules.yaml: no such file or directory"}`, ts(3), c.Service)},
		{Stderr, "panic: runtime error: invalid memory address or nil pointer dereference"},
		{Stderr, "[signal SIGSEGV: segmentation violation code=0x1 addr=0x28 pc=0x8c1f2a]"},
		{Stderr, ""},
		{Stderr, "goroutine 1 [running]:"},
		{Stderr, "main.(*Scorer).Score(0x0, {0xc0001a4000, 0x24})"},
		{Stderr, "\t/src/" + c.Service + "/scorer.go:112 +0x2a"},
		{Stderr, "main.(*Worker).handle(0xc000132000, {0xc0001a4000, 0x24})"},
		{Stderr, "\t/src/" + c.Service + "/worker.go:87 +0x95"},
		{Stderr, "main.main()"},
		{Stderr, "\t/src/" + c.Service + "/main.go:48 +0x1c5"},
		{Stderr, "exit status 2"},
	}
	out := make([]CrashLine, len(texts))
	for i, t := range texts {
		tm := at(i)
		if i >= 4 { // the panic is printed at once
			tm = at(4).Add(time.Duration(i-4) * time.Microsecond)
		}
		out[i] = CrashLine{Time: tm, Stream: t.s, Line: t.line}
	}
	return out
}

// TraceID returns a random 128-bit trace ID in hex.
func TraceID(rng *rand.Rand) string {
	return fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
}

// LogWriter appends CRI lines to a pod's current log file.
type LogWriter struct {
	f *os.File
}

// OpenLog opens (creating) path for appending.
func OpenLog(path string) (*LogWriter, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &LogWriter{f: f}, nil
}

// Write appends one line.
func (w *LogWriter) Write(t time.Time, stream Stream, line string) error {
	_, err := w.f.WriteString(CRILine(t, stream, line))
	return err
}

// Close closes the file.
func (w *LogWriter) Close() error { return w.f.Close() }

// WriteCrashRun writes one failed run ending at end to path (replacing it atomically).
func WriteCrashRun(path string, end time.Time, c PodConfig) error {
	var b strings.Builder
	for _, l := range CrashLines(end, 150*time.Millisecond, c) {
		b.WriteString(CRILine(l.Time, l.Stream, l.Line))
	}
	tmp := path + ".tmp" + strconv.Itoa(os.Getpid())
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
