// Package proc starts the platform's processes detached from the caller and records them in
// pids.json, so that a later `stack down` stops exactly those processes and nothing else.
package proc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is one recorded process.
type Proc struct {
	Name string `json:"name"`
	PID  int    `json:"pid"`
	// Exe is the binary path as /proc/PID/exe showed it right after the start.
	Exe string `json:"exe"`
	// StartTicks is field 22 of /proc/PID/stat (start time in clock ticks since boot): with
	// Exe it tells the recorded process from a later one that reuses the PID.
	StartTicks uint64 `json:"startTicks"`
	Log        string `json:"log,omitempty"`
	// Path, Args, Dir and Env are the Spec the process was started from, so that it can be
	// started again exactly the same way (`stack apiserver start`); Spec rebuilds it. Records
	// written before they existed, or by Describe, lack them. Env is nil when the process
	// inherited its starter's environment (omitzero keeps an empty, non-nil Env as []).
	Path string   `json:"path,omitempty"`
	Args []string `json:"args,omitempty"`
	Dir  string   `json:"dir,omitempty"`
	Env  []string `json:"env,omitzero"`
}

// Spec returns the Spec p was started from (for a restart). It fails for a record without
// a Path (written by Describe or by an older version). Credentials are not recorded: the
// result runs as the caller.
func (p Proc) Spec() (Spec, error) {
	if p.Path == "" {
		return Spec{}, fmt.Errorf("%s: the record holds no command line (recorded by an older `stack up`, or not started by it): restart the stack", p.Name)
	}
	return Spec{Name: p.Name, Path: p.Path, Args: append([]string(nil), p.Args...), Env: p.Env, Dir: p.Dir, Log: p.Log}, nil
}

// Postgres tells `down` how to stop PostgreSQL cleanly (pg_ctl stop as the owner).
type Postgres struct {
	BinDir  string `json:"binDir"`
	DataDir string `json:"dataDir"`
	User    string `json:"user"`
}

// State is the content of pids.json.
type State struct {
	Processes []Proc    `json:"processes"`
	Postgres  *Postgres `json:"postgres,omitempty"`
	// Remove lists folders outside the state dir that `down` deletes (e.g. a PostgreSQL data
	// dir placed in /tmp because the state dir is not reachable by the postgres user).
	Remove []string `json:"remove,omitempty"`
}

// Find returns the record named name.
func (s State) Find(name string) (Proc, bool) {
	for _, p := range s.Processes {
		if p.Name == name {
			return p, true
		}
	}
	return Proc{}, false
}

// Registry records processes as they start and rewrites pids.json after each change.
type Registry struct {
	path  string
	mu    sync.Mutex
	state State
}

// NewRegistry returns a registry that writes path (pids.json).
func NewRegistry(path string) *Registry { return &Registry{path: path} }

// Add records p and saves the file.
func (r *Registry) Add(p Proc) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state.Processes = append(r.state.Processes, p)
	return r.saveLocked()
}

// SetPostgres records how to stop PostgreSQL.
func (r *Registry) SetPostgres(pg Postgres) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state.Postgres = &pg
	return r.saveLocked()
}

// AddRemove records a folder outside the state dir that `down` must delete.
func (r *Registry) AddRemove(dir string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state.Remove = append(r.state.Remove, dir)
	return r.saveLocked()
}

// OpenRegistry returns a registry holding the content of an existing pids.json (a missing
// file is an empty state), to change the records of a running stack.
func OpenRegistry(path string) (*Registry, error) {
	st, err := Load(path)
	if err != nil {
		return nil, err
	}
	return &Registry{path: path, state: st}, nil
}

// Replace swaps the record named p.Name for p, in place (stop order is the reverse of the
// record order, so the position is kept), and saves the file. It fails when no record has
// that name.
func (r *Registry) Replace(p Proc) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.state.Processes {
		if r.state.Processes[i].Name == p.Name {
			r.state.Processes[i] = p
			return r.saveLocked()
		}
	}
	return fmt.Errorf("no process named %q in %s", p.Name, r.path)
}

// State returns a copy of the recorded state.
func (r *Registry) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.state
	s.Processes = append([]Proc(nil), r.state.Processes...)
	s.Remove = append([]string(nil), r.state.Remove...)
	return s
}

func (r *Registry) saveLocked() error {
	data, err := json.MarshalIndent(r.state, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(r.path, append(data, '\n'), 0o644)
}

// Load reads pids.json; a missing file is an empty state.
func Load(path string) (State, error) {
	var s State
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// WriteFileAtomic writes data to a temporary file beside path and renames it over path.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Running is a process started by Start, still a child of this program.
type Running struct {
	Proc
	done chan struct{}
	err  error
}

// Exited reports whether the process has exited, and how.
func (r *Running) Exited() (bool, error) {
	select {
	case <-r.done:
		return true, r.err
	default:
		return false, nil
	}
}

// Spec describes a process to start.
type Spec struct {
	Name string
	Path string
	Args []string
	Env  []string // nil: inherit
	Dir  string
	Log  string // stdout and stderr are appended here
	// Cred runs the process as another user (nil: as this one).
	Cred *syscall.Credential
}

// Start starts spec in its own session (it survives this program), with stdin from
// /dev/null and output to spec.Log, and returns it once /proc shows the new binary.
func Start(spec Spec) (*Running, error) {
	logf, err := os.OpenFile(spec.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Env = spec.Env
	cmd.Dir = spec.Dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: spec.Cred}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.Name, err)
	}
	r := &Running{done: make(chan struct{})}
	go func() {
		r.err = cmd.Wait()
		close(r.done)
	}()
	pid := cmd.Process.Pid
	want, _ := filepath.EvalSymlinks(spec.Path)
	if want == "" {
		want = spec.Path
	}
	// Between fork and exec /proc/PID/exe still shows this program: wait for the exec.
	deadline := time.Now().Add(5 * time.Second)
	var exe string
	for {
		exe, _ = os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if exe == want || time.Now().After(deadline) {
			break
		}
		if done, _ := r.Exited(); done {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if exe == "" {
		exe = want
	}
	ticks, _ := StartTicks(pid)
	r.Proc = Proc{Name: spec.Name, PID: pid, Exe: exe, StartTicks: ticks, Log: spec.Log,
		Path: spec.Path, Args: append([]string(nil), spec.Args...), Dir: spec.Dir, Env: spec.Env}
	return r, nil
}

// Describe returns the record of an already running process (e.g. a postmaster started by
// pg_ctl).
func Describe(name string, pid int, log string) (Proc, error) {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return Proc{}, fmt.Errorf("%s (pid %d): %w", name, pid, err)
	}
	ticks, err := StartTicks(pid)
	if err != nil {
		return Proc{}, err
	}
	return Proc{Name: name, PID: pid, Exe: exe, StartTicks: ticks, Log: log}, nil
}

// StartTicks reads the start time of pid from /proc/PID/stat.
func StartTicks(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStartTicks(data)
}

// parseStartTicks returns field 22 of a /proc/PID/stat line. The command name (field 2) is in
// parentheses and may hold spaces, so fields are counted after its closing parenthesis.
func parseStartTicks(stat []byte) (uint64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	fields := strings.Fields(string(stat[i+1:]))
	// fields[0] is field 3 (state), so field 22 is fields[19].
	if len(fields) < 20 {
		return 0, errors.New("short /proc stat")
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// SameExe compares a /proc/PID/exe link with a recorded path; a binary replaced on disk
// (e.g. rebuilt while running) reads as "<path> (deleted)".
func SameExe(link, recorded string) bool {
	return link == recorded || strings.TrimSuffix(link, " (deleted)") == recorded
}

// Alive reports whether p is still the recorded process: same binary and same start time.
// Zombies count as gone (their exe link cannot be read).
func Alive(p Proc) bool {
	if p.PID <= 0 {
		return false
	}
	link, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", p.PID))
	if err != nil || !SameExe(link, p.Exe) {
		return false
	}
	if p.StartTicks != 0 {
		if t, err := StartTicks(p.PID); err != nil || t != p.StartTicks {
			return false
		}
	}
	return true
}

// Stop sends sig (SIGTERM when 0) to p if it is still the recorded process, waits up to
// grace for it to go, then sends SIGKILL. It returns whether a signal was sent.
func Stop(p Proc, sig syscall.Signal, grace time.Duration) (bool, error) {
	if !Alive(p) {
		return false, nil
	}
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	if err := syscall.Kill(p.PID, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return false, fmt.Errorf("signal %s (pid %d): %w", p.Name, p.PID, err)
	}
	if WaitGone(p, grace) {
		return true, nil
	}
	if Alive(p) {
		_ = syscall.Kill(p.PID, syscall.SIGKILL)
		if !WaitGone(p, 5*time.Second) {
			return true, fmt.Errorf("%s (pid %d) survived SIGKILL", p.Name, p.PID)
		}
	}
	return true, nil
}

// WaitGone waits up to d for p to exit.
func WaitGone(p Proc, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for Alive(p) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// Tail returns the last n lines of a log file (for error messages).
func Tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
