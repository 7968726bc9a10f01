package stack

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vigie-dev/vigie/test/stack/internal/envfile"
	"github.com/vigie-dev/vigie/test/stack/internal/proc"
)

// aliveRecorded lists the recorded processes of the state dir that still run.
func aliveRecorded(d Dirs) []string {
	st, err := proc.Load(d.PidsFile())
	if err != nil {
		return nil
	}
	var alive []string
	for _, p := range st.Processes {
		if proc.Alive(p) {
			alive = append(alive, fmt.Sprintf("%s pid %d", p.Name, p.PID))
		}
	}
	return alive
}

// loadState finds the state dir from the environment, the working directory or this
// program's location (see ResolveRunningDirs) and reads the recorded processes.
func loadState() (Dirs, State, error) {
	cwd, _ := os.Getwd()
	exe, _ := os.Executable()
	d, err := ResolveRunningDirs(os.Getenv, cwd, exe)
	if err != nil {
		return Dirs{}, State{}, err
	}
	st, err := proc.Load(d.PidsFile())
	return d, st, err
}

// Down stops the recorded processes and removes the state dir's data (component logs are
// kept in <state>/logs). Nothing running is not an error.
func Down(out io.Writer) error {
	t0 := time.Now()
	d, st, err := loadState()
	if err != nil {
		return err
	}
	stopped, err := stopAll(out, st, true)
	for _, dir := range st.Remove {
		if rerr := os.RemoveAll(dir); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}
	if rerr := removeData(d.State); rerr != nil {
		err = errors.Join(err, rerr)
	}
	if stopped == 0 {
		fmt.Fprintf(out, "stack: nothing was running (%s)\n", d.State)
	} else {
		fmt.Fprintf(out, "stack: stopped %d processes in %.1fs; logs kept in %s\n", stopped, time.Since(t0).Seconds(), d.LogDir())
	}
	return err
}

// stopAll stops the recorded processes in reverse start order: PostgreSQL through pg_ctl
// stop -m fast, the others with SIGTERM then SIGKILL after 10 s. Only processes whose
// /proc/PID/exe and start time still match the record are signalled.
func stopAll(out io.Writer, st State, verbose bool) (int, error) {
	var errs []error
	stopped := 0
	for i := len(st.Processes) - 1; i >= 0; i-- {
		p := st.Processes[i]
		sig := syscall.SIGTERM
		if p.Name == "postgres" {
			sig = syscall.SIGINT // postmaster: fast shutdown
			if st.Postgres != nil && proc.Alive(p) {
				if err := stopPostgres(*st.Postgres); err != nil {
					fmt.Fprintf(out, "stack: %v; signalling the postmaster\n", err)
				} else if proc.WaitGone(p, 10*time.Second) {
					stopped++
					if verbose {
						fmt.Fprintf(out, "stack: stopped %s (pid %d)\n", p.Name, p.PID)
					}
					continue
				}
			}
		}
		sent, err := proc.Stop(p, sig, 10*time.Second)
		if err != nil {
			errs = append(errs, err)
		}
		if sent {
			stopped++
			if verbose {
				fmt.Fprintf(out, "stack: stopped %s (pid %d)\n", p.Name, p.PID)
			}
		}
	}
	// A postmaster that pg_ctl started but that was never recorded (up interrupted).
	if st.Postgres != nil {
		if err := stopPostgres(*st.Postgres); err != nil {
			errs = append(errs, err)
		}
	}
	return stopped, errors.Join(errs...)
}

// State is re-exported for callers of stopAll.
type State = proc.State

// removeData deletes everything in the state dir except logs/.
func removeData(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 && !LooksLikeStateDir(entries) {
		return fmt.Errorf("%s does not look like a stack state dir: not removing its content", dir)
	}
	var errs []error
	for _, e := range entries {
		if e.Name() == "logs" {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Status prints the recorded processes and the URLs; it fails when none is running (a
// partly running stack is reported as degraded but is not an error).
func Status(out io.Writer) error {
	d, st, err := loadState()
	if err != nil {
		return err
	}
	alive := 0
	for _, p := range st.Processes {
		state := "stopped"
		if proc.Alive(p) {
			state = "running"
			alive++
		}
		fmt.Fprintf(out, "%-24s pid %-7d %s\n", p.Name, p.PID, state)
	}
	if f, err := os.Open(d.EnvFile()); err == nil {
		vars, derr := envfile.Decode(f)
		f.Close()
		if derr == nil {
			fmt.Fprintln(out)
			for _, k := range []string{"VIGIE_STACK_KUBE_URL", "VIGIE_STACK_PROM_URL", "VIGIE_STACK_AM_URL", "VIGIE_STACK_LOKI_URL", "VIGIE_STACK_PLATFORM_URL", "VIGIE_STACK_PG_DSN", "KUBECONFIG", "VIGIE_CONFIG"} {
				if v, ok := envfile.Lookup(vars, k); ok {
					fmt.Fprintf(out, "%-24s %s\n", k, v)
				}
			}
			fmt.Fprintf(out, "\nsource %s\n", d.EnvFile())
		}
	}
	switch {
	case alive == 0:
		return fmt.Errorf("stack is down (%s)", d.State)
	case alive < len(st.Processes):
		var dead []string
		for _, p := range st.Processes {
			if !proc.Alive(p) {
				dead = append(dead, p.Name)
			}
		}
		fmt.Fprintf(out, "\nstack is degraded: not running: %s (see %s)\n", strings.Join(dead, ", "), d.LogDir())
	}
	return nil
}
