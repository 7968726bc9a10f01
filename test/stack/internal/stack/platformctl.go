package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/vigie-dev/vigie/test/stack/internal/envfile"
	"github.com/vigie-dev/vigie/test/stack/internal/proc"
)

// PlatformRestart rebuilds vigie from the working tree, rewrites the platform server's
// configuration (server.yaml) and restarts `vigie serve` with the command line `up`
// recorded (same port, store, tokens and environment), then waits for /readyz. It is what
// a change to the server or to the generated configuration needs, without a whole
// down/up that would cut the other components under running tests.
func PlatformRestart(ctx context.Context, out io.Writer) error {
	t0 := time.Now()
	d, st, err := loadState()
	if err != nil {
		return err
	}
	p, ok := st.Find("platform")
	if !ok {
		return errors.New("no platform recorded: is the stack up? (go run ./cmd/stack up)")
	}
	spec, err := p.Spec()
	if err != nil {
		return err
	}
	repo, err := RepoDir(d.Module)
	if err != nil {
		return fmt.Errorf("build vigie: %w", err)
	}
	fresh := spec.Path + ".new"
	cmd := exec.CommandContext(ctx, "go", VigieBuildArgs(fresh)...)
	cmd.Dir = repo
	if combined, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build vigie (go %s in %s): %w\n%s", strings.Join(VigieBuildArgs(fresh), " "), repo, err, strings.TrimSpace(string(combined)))
	}
	if err := os.Rename(fresh, spec.Path); err != nil {
		return err
	}
	if err := os.WriteFile(d.path("platform", "server.yaml"), []byte(PlatformServerConfig(PlatformUsers, PlatformMaxReplicas)), 0o644); err != nil {
		return err
	}
	if proc.Alive(p) {
		if _, err := proc.Stop(p, 0, 30*time.Second); err != nil {
			return err
		}
	}
	url, err := platformURLOf(d)
	if err != nil {
		return err
	}
	r, err := startRecorded(ctx, d, spec, "vigie serve ready", 30*time.Second, func(ctx context.Context) error {
		return httpOK(ctx, http.DefaultClient, url+"/readyz", "")
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "stack: restarted %s (pid %d) with a fresh build and configuration, ready in %.1fs\n", r.Name, r.PID, time.Since(t0).Seconds())
	return nil
}

// platformURLOf reads the platform's URL from the env file.
func platformURLOf(d Dirs) (string, error) {
	f, err := os.Open(d.EnvFile())
	if err != nil {
		return "", fmt.Errorf("no env file: is the stack up? %w", err)
	}
	defer f.Close()
	vars, err := envfile.Decode(f)
	if err != nil {
		return "", err
	}
	v, ok := envfile.Lookup(vars, "VIGIE_STACK_PLATFORM_URL")
	if !ok || v == "" {
		return "", fmt.Errorf("%s: no VIGIE_STACK_PLATFORM_URL", d.EnvFile())
	}
	return v, nil
}
