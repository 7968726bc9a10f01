package stack

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-dev/vigie/test/stack/internal/proc"
)

// Loki cannot be installed here (see /work/shared/STACK.md), so the platform's "Loki" is the
// main module's wire-format test server, test/lokifake, serving the simulator's per-pod log
// files. This module does not import it: `up` builds its command in the main module's root.

// LokiPackage is the lokifake command, relative to the main module's root.
const LokiPackage = "./test/lokifake/cmd/lokifake"

// LokiBuildArgs is the `go` command line that builds lokifake into out (run in the main
// module's root; the Go build cache makes a rebuild take well under a second).
func LokiBuildArgs(out string) []string {
	return []string{"build", "-o", out, LokiPackage}
}

// LokiArgs is lokifake's command line: 127.0.0.1:port, reading the simulator's log folder,
// no tenant required.
func LokiArgs(port int, podLogDir string) []string {
	return []string{"-listen=127.0.0.1:" + strconv.Itoa(port), "-log-dir=" + podLogDir}
}

// buildLoki builds lokifake into <state>/bin/lokifake and returns its path.
func (u *upRun) buildLoki(ctx context.Context) (string, error) {
	repo, err := RepoDir(u.d.Module)
	if err != nil {
		return "", fmt.Errorf("build lokifake: %w", err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("build lokifake: the go command is not in PATH: %w", err)
	}
	bin := u.d.path("bin", "lokifake")
	cmd := exec.CommandContext(ctx, goBin, LokiBuildArgs(bin)...)
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build lokifake (go %s in %s): %w\n%s", strings.Join(LokiBuildArgs(bin), " "), repo, err,
			strings.TrimSpace(string(out)))
	}
	return bin, nil
}

// startLoki builds and starts lokifake (recorded as "loki") and waits for GET /ready.
func (u *upRun) startLoki(ctx context.Context) error {
	bin, err := u.buildLoki(ctx)
	if err != nil {
		return err
	}
	r, err := u.start(proc.Spec{Name: "loki", Path: bin, Log: u.d.Log("loki"), Dir: u.d.State,
		Args: LokiArgs(u.ports.loki, u.logDir)})
	if err != nil {
		return err
	}
	return u.waitReady(ctx, r, 30*time.Second, func(ctx context.Context) error {
		return httpOK(ctx, http.DefaultClient, u.lokiURL()+"/ready", "")
	})
}

func (u *upRun) lokiURL() string { return "http://127.0.0.1:" + strconv.Itoa(u.ports.loki) }
