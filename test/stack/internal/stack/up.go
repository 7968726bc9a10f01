package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/vigie-dev/vigie/test/stack/internal/envfile"
	"github.com/vigie-dev/vigie/test/stack/internal/proc"
)

// upRun is the state of one `stack up`.
type upRun struct {
	d   Dirs
	out io.Writer
	reg *proc.Registry

	ports  struct{ etcd, etcdPeer, api, kcm, sched, kwok, prom, am, pg, loki, platform int }
	tokens struct{ admin, alice, bob string }
	pgPass struct {
		vigie string
		ro    map[string]string
	}
	bins struct{ prometheus, alertmanager string }

	kubeURL, caFile string
	caPEM           []byte
	kube            kubernetes.Interface
	dyn             dynamic.Interface
	logDir, fileSD  string
	pgLog           string

	mu    sync.Mutex
	watch []*proc.Running // processes whose exit fails every wait
	bg    sync.WaitGroup  // PostgreSQL, monitoring, Loki and the platform API start in the background
}

// Up starts the whole platform (see README.md). selfExe is this program's binary, copied into
// the state dir to run the simulator.
func Up(ctx context.Context, out io.Writer, selfExe string) error {
	t0 := time.Now()
	cwd, _ := os.Getwd()
	d, err := ResolveDirs(os.Getenv, cwd)
	if err != nil {
		return err
	}
	if err := EnsurePackages(out); err != nil {
		return err
	}
	if err := d.CheckBuilt(); err != nil {
		return err
	}
	if alive := aliveRecorded(d); len(alive) > 0 {
		return fmt.Errorf("a stack recorded in %s is still running (%s): run `go run ./cmd/stack down` first",
			d.State, strings.Join(alive, ", "))
	}
	if err := resetStateDir(d.State); err != nil {
		return err
	}
	u := &upRun{d: d, out: out, reg: proc.NewRegistry(d.PidsFile())}
	u.logDir = d.path("podlogs")
	u.fileSD = d.path("sim", "targets.json")
	for _, dir := range []string{d.LogDir(), u.logDir, d.path("bin"), d.path("pki"), filepath.Dir(u.fileSD)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if u.bins.prometheus, err = exec.LookPath("prometheus"); err != nil {
		return err
	}
	if u.bins.alertmanager, err = exec.LookPath("prometheus-alertmanager"); err != nil {
		return err
	}
	ports, err := FreePorts(11)
	if err != nil {
		return err
	}
	p := &u.ports
	p.etcd, p.etcdPeer, p.api, p.kcm, p.sched, p.kwok, p.prom, p.am, p.pg = ports[0], ports[1], ports[2], ports[3], ports[4], ports[5], ports[6], ports[7], ports[8]
	p.loki, p.platform = ports[9], ports[10]
	u.tokens.admin, u.tokens.alice, u.tokens.bob = RandomHex(16), RandomHex(16), RandomHex(16)
	u.pgPass.vigie = RandomHex(12)
	u.pgPass.ro = map[string]string{"payments": RandomHex(12), "search": RandomHex(12)}

	if err := u.run(ctx, selfExe, t0); err != nil {
		fmt.Fprintf(out, "stack: up failed, stopping what was started (logs kept in %s)\n", d.LogDir())
		stopAll(out, u.reg.State(), false)
		return err
	}
	return nil
}

func (u *upRun) run(ctx context.Context, selfExe string, t0 time.Time) (err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		// On failure, let the background starts finish (and record what they started)
		// before the caller stops everything.
		cancel()
		u.bg.Wait()
	}()
	step := func(what string) { fmt.Fprintf(u.out, "stack: %-44s %5.1fs\n", what, time.Since(t0).Seconds()) }
	self := u.d.StackCtl()
	if err := copyFile(selfExe, self, 0o755); err != nil {
		return fmt.Errorf("copy simulator binary: %w", err)
	}
	// PostgreSQL, Prometheus/Alertmanager, Loki (lokifake, built from the main module) and
	// the platform API (vigie, built from the main module) start beside the Kubernetes
	// control plane; the platform API waits for the admin kubeconfig before it starts.
	pgErr, monErr, lokiErr, platErr := make(chan error, 1), make(chan error, 1), make(chan error, 1), make(chan error, 1)
	kubeconfigReady := make(chan struct{})
	u.bg.Go(func() { pgErr <- u.startPostgres(ctx) })
	u.bg.Go(func() { monErr <- u.startMonitoring(ctx) })
	u.bg.Go(func() { lokiErr <- u.startLoki(ctx) })
	u.bg.Go(func() { platErr <- u.startPlatform(ctx, kubeconfigReady) })

	if err := u.startEtcd(ctx); err != nil {
		return err
	}
	step("etcd ready")
	if err := u.startAPIServer(ctx); err != nil {
		return err
	}
	step("kube-apiserver ready")
	close(kubeconfigReady)
	rc, err := clientcmd.BuildConfigFromFlags("", u.adminKubeconfig())
	if err != nil {
		return err
	}
	rc.QPS, rc.Burst = 100, 200
	if u.kube, err = kubernetes.NewForConfig(rc); err != nil {
		return err
	}
	if u.dyn, err = dynamic.NewForConfig(rc); err != nil {
		return err
	}
	if err := u.installLogsCRD(ctx); err != nil {
		return err
	}
	if err := u.startControllers(); err != nil {
		return err
	}
	if err := u.startKwok(); err != nil {
		return err
	}
	if err := u.createNodes(ctx); err != nil {
		return err
	}
	if err := u.seedNamespaces(ctx); err != nil {
		return err
	}
	if err := u.waitNodesReady(ctx); err != nil {
		return err
	}
	step("nodes Ready, namespaces and RBAC seeded")
	if err := <-monErr; err != nil {
		return fmt.Errorf("prometheus/alertmanager: %w", err)
	}
	if err := <-lokiErr; err != nil {
		return fmt.Errorf("loki (lokifake): %w", err)
	}
	sim, err := u.start(proc.Spec{Name: "simulator", Path: self, Log: u.d.Log("simulator"), Dir: u.d.State, Args: []string{
		"simulate", "--kubeconfig=" + u.adminKubeconfig(), "--log-dir=" + u.logDir, "--file-sd=" + u.fileSD,
	}})
	if err != nil {
		return err
	}
	u.addWatch(sim)
	if err := u.seedWorkloads(ctx); err != nil {
		return err
	}
	step("deployments rolled out")
	n, err := u.waitWorkloads(ctx)
	if err != nil {
		return err
	}
	step(fmt.Sprintf("%d pods Running", n))
	if err := u.waitScraped(ctx, n); err != nil {
		return err
	}
	step("Prometheus scraping every simulated pod")
	if err := <-pgErr; err != nil {
		return fmt.Errorf("postgresql: %w", err)
	}
	step("PostgreSQL seeded")
	if err := <-platErr; err != nil {
		return fmt.Errorf("platform API (vigie serve): %w", err)
	}
	step("platform API ready")
	e := u.endpoints()
	if err := u.writeFiles(ctx, e); err != nil {
		return err
	}
	u.summary(e, time.Since(t0))
	return nil
}

func (u *upRun) endpoints() Endpoints {
	pf := u.platformFiles()
	return Endpoints{
		StateDir: u.d.State, Kubeconfig: u.d.path("kubeconfig"), KubeURL: u.kubeURL, KubeCA: u.caFile,
		AdminToken: u.tokens.admin, AliceToken: u.tokens.alice, BobToken: u.tokens.bob,
		PromURL: u.promURL(), AMURL: u.amURL(), LokiURL: u.lokiURL(), PgPort: u.ports.pg,
		PaymentsROPass: u.pgPass.ro["payments"], SearchROPass: u.pgPass.ro["search"],
		SimLogDir: u.logDir, VigieConfig: u.d.path("vigie.yaml"), StackCtl: u.d.StackCtl(),
		PlatformURL: u.platformURL(), PlatformConfig: pf.config, PlatformDB: pf.db, PlatformTokenFiles: pf.tokens,
		RunbooksDir: filepath.Join(u.d.Module, "config", "runbooks"),
	}
}

func (u *upRun) writeFiles(ctx context.Context, e Endpoints) error {
	env, err := envfile.Encode(EnvVars(e))
	if err != nil {
		return err
	}
	if err := os.WriteFile(e.VigieConfig, []byte(VigieConfig(e)), 0o644); err != nil {
		return err
	}
	// The main module's loader is strict: check vigie.yaml (and its token files) with it.
	if err := checkVigieConfig(ctx, u.platformFiles().bin, e.VigieConfig); err != nil {
		return err
	}
	// The env file is written last: its presence means the stack came up.
	return proc.WriteFileAtomic(u.d.EnvFile(), env, 0o644)
}

func (u *upRun) summary(e Endpoints, took time.Duration) {
	fmt.Fprintf(u.out, `
vigie local platform is up (state in %s)
  kube-apiserver  %s   contexts: local-payments (alice, current), local-search (bob), local-admin
  prometheus      %s
  alertmanager    %s
  loki            %s   (lokifake, serving the pod logs)
  platform API    %s   (vigie serve; token files of %s in %s)
  postgresql      127.0.0.1:%d   (DSNs in the env file)
  pod logs        %s
  component logs  %s

  export VIGIE_CONFIG=%s
  source %s

stack up took %.1fs
`, e.StateDir, e.KubeURL, e.PromURL, e.AMURL, e.LokiURL, e.PlatformURL, platformUserNames(), filepath.Dir(e.PlatformConfig), e.PgPort, e.SimLogDir, u.d.LogDir(), e.VigieConfig, u.d.EnvFile(), took.Seconds())
}

// start starts a process and records it in pids.json at once.
func (u *upRun) start(spec proc.Spec) (*proc.Running, error) {
	r, err := proc.Start(spec)
	if err != nil {
		return nil, err
	}
	if err := u.reg.Add(r.Proc); err != nil {
		return r, err
	}
	return r, nil
}

func (u *upRun) addWatch(r *proc.Running) {
	u.mu.Lock()
	u.watch = append(u.watch, r)
	u.mu.Unlock()
}

// exited returns an error naming a watched process that exited, with the end of its log.
func (u *upRun) exited() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, r := range u.watch {
		if done, err := r.Exited(); done {
			return fmt.Errorf("%s exited (%v); last lines of %s:\n%s", r.Name, err, r.Log, proc.Tail(r.Log, 15))
		}
	}
	return nil
}

// waitReady polls check until it succeeds, r exits, or timeout passes.
func (u *upRun) waitReady(ctx context.Context, r *proc.Running, timeout time.Duration, check func(context.Context) error) error {
	err := pollWith(ctx, r.Name+" ready", timeout, func(ctx context.Context) error {
		if done, err := r.Exited(); done {
			return permanent{fmt.Errorf("%s exited (%v); last lines of %s:\n%s", r.Name, err, r.Log, proc.Tail(r.Log, 15))}
		}
		return check(ctx)
	})
	if err == nil {
		u.addWatch(r)
	}
	return err
}

// poll is pollWith that also fails as soon as a watched process exits.
func (u *upRun) poll(ctx context.Context, what string, timeout time.Duration, check func(context.Context) error) error {
	return pollWith(ctx, what, timeout, func(ctx context.Context) error {
		if err := u.exited(); err != nil {
			return permanent{err}
		}
		return check(ctx)
	})
}

type permanent struct{ error }

// pollWith calls check every 100 ms until it returns nil; on timeout the error names what
// was awaited and the last reason it was not ready.
func pollWith(ctx context.Context, what string, timeout time.Duration, check func(context.Context) error) error {
	deadline := time.Now().Add(timeout)
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := check(cctx)
		cancel()
		if err == nil {
			return nil
		}
		var p permanent
		if errors.As(err, &p) {
			return p.error
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s: %w", timeout, what, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// httpOK GETs url (with a bearer token when given) and wants a 200.
func httpOK(ctx context.Context, c *http.Client, url, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

func joinErrors(errs []error) error { return errors.Join(errs...) }

func copyFile(src, dst string, perm os.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, perm)
}

// resetStateDir empties the state dir, refusing to wipe a folder that does not look like
// one (so a mistaken VIGIE_STACK_DIR cannot delete unrelated files).
func resetStateDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 && !LooksLikeStateDir(entries) {
		return fmt.Errorf("%s is not empty and holds no pids.json or logs/: refusing to wipe it", dir)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return os.Chmod(dir, 0o755)
}

// LooksLikeStateDir tells a stack state dir (pids.json, env or logs/) from another folder.
func LooksLikeStateDir(entries []os.DirEntry) bool {
	for _, e := range entries {
		switch e.Name() {
		case "pids.json", "env", "logs":
			return true
		}
	}
	return false
}
