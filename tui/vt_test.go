package tui

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/vt"

	"github.com/vigie-dev/vigie/internal/screentest"
)

var update = flag.Bool("update", false, "rewrite the golden screens in testdata/")

// term is a real Bubble Tea program drawing into a virtual terminal (x/vt), the way a
// user's terminal would receive it: through the v2 renderer's diffs.
type term struct {
	t      *testing.T
	prog   *tea.Program
	emu    *vt.SafeEmulator
	out    *countingWriter
	done   chan struct{}
	cancel context.CancelFunc

	mu     sync.Mutex
	titles []string
}

// countingWriter feeds the emulator and keeps every byte written (for the escape checks
// and the bytes-per-frame figures).
type countingWriter struct {
	mu  sync.Mutex
	emu *vt.SafeEmulator
	buf bytes.Buffer
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	// A terminal's line discipline turns LF into CR LF (ONLCR); the renderer counts on it
	// when its output is not a terminal it set up itself.
	if _, err := w.emu.Write(bytes.ReplaceAll(p, []byte("\n"), []byte("\r\n"))); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (w *countingWriter) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Len()
}

func (w *countingWriter) Bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.buf.Bytes())
}

// startTerm runs m in a w×h virtual terminal with the given colour profile.
func startTerm(t *testing.T, m tea.Model, w, h int, profile colorprofile.Profile, env ...string) *term {
	t.Helper()
	emu := vt.NewSafeEmulator(w, h)
	tm := &term{t: t, emu: emu, out: &countingWriter{emu: emu}, done: make(chan struct{})}
	emu.SetCallbacks(vt.Callbacks{Title: func(s string) {
		tm.mu.Lock()
		tm.titles = append(tm.titles, s)
		tm.mu.Unlock()
	}})
	// The emulator answers terminal queries through its input pipe; nobody reads it here.
	go func() {
		buf := make([]byte, 1024)
		for {
			if _, err := emu.Read(buf); err != nil {
				return
			}
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	tm.cancel = cancel
	opts := []tea.ProgramOption{
		tea.WithContext(ctx), tea.WithInput(nil), tea.WithOutput(tm.out),
		tea.WithWindowSize(w, h), tea.WithColorProfile(profile), tea.WithoutSignals(),
		tea.WithEnvironment(append([]string{"TERM=xterm-256color"}, env...)),
	}
	tm.prog = tea.NewProgram(m, opts...)
	go func() {
		defer close(tm.done)
		_, _ = tm.prog.Run()
	}()
	t.Cleanup(tm.stop)
	return tm
}

func (tm *term) stop() {
	tm.cancel()
	select {
	case <-tm.done:
	case <-time.After(5 * time.Second):
		tm.t.Error("the program did not stop")
	}
}

// cell returns the cell at x, y.
func (tm *term) cell(x, y int) *uv.Cell {
	tm.out.mu.Lock()
	defer tm.out.mu.Unlock()
	return tm.emu.CellAt(x, y)
}

// resize resizes the terminal.
func (tm *term) resize(w, h int) {
	tm.out.mu.Lock()
	defer tm.out.mu.Unlock()
	tm.emu.Resize(w, h)
}

// send delivers a message to the program.
func (tm *term) send(msgs ...tea.Msg) {
	for _, m := range msgs {
		tm.prog.Send(m)
	}
}

// screen returns the terminal's text, trailing spaces trimmed.
func (tm *term) screen() string {
	tm.out.mu.Lock()
	text := tm.emu.String()
	tm.out.mu.Unlock()
	return screentest.TrimLines(text)
}

// waitFor waits until every want is on screen (the renderer draws at its own pace) and
// fails with the screen when they do not appear within the deadline.
func (tm *term) waitFor(deadline time.Duration, want ...string) string {
	tm.t.Helper()
	end := time.Now().Add(deadline)
	for {
		s := tm.screen()
		missing := ""
		for _, w := range want {
			if !strings.Contains(s, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return s
		}
		if time.Now().After(end) {
			tm.t.Fatalf("%q not on screen after %v:\n%s", missing, deadline, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settle waits until the screen stops changing.
func (tm *term) settle() string {
	prev, stable := "", 0
	for range 200 {
		time.Sleep(15 * time.Millisecond)
		s := tm.screen()
		if s == prev {
			if stable++; stable >= 4 {
				return s
			}
		} else {
			prev, stable = s, 0
		}
	}
	return prev
}

// golden compares got with testdata/<name>.golden; -update rewrites it.
func golden(t *testing.T, name, got string) {
	t.Helper()
	screentest.Golden(t, "testdata", name, got, *update)
}
