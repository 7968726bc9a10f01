package stack

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/vigie-dev/vigie/test/stack/internal/envfile"
	"github.com/vigie-dev/vigie/test/stack/internal/proc"
)

// apiServerName is the kube-apiserver's name in pids.json.
const apiServerName = "kube-apiserver"

// APIServerStop stops the recorded kube-apiserver of a running stack (SIGTERM, SIGKILL after
// 10 s), with the checks `down` makes: only a process whose /proc/PID/exe and start time
// match the record is signalled. The rest of the stack keeps running; `apiserver start`
// brings it back. Stopping a stopped apiserver is not an error.
func APIServerStop(out io.Writer) error {
	t0 := time.Now()
	_, st, err := loadState()
	if err != nil {
		return err
	}
	p, err := recordedAPIServer(st)
	if err != nil {
		return err
	}
	if !proc.Alive(p) {
		fmt.Fprintf(out, "stack: %s (pid %d) is not running\n", p.Name, p.PID)
		return nil
	}
	if _, err := proc.Stop(p, 0, 10*time.Second); err != nil {
		return err
	}
	fmt.Fprintf(out, "stack: stopped %s (pid %d) in %.1fs\n", p.Name, p.PID, time.Since(t0).Seconds())
	return nil
}

// APIServerStart starts the recorded kube-apiserver again with exactly the binary,
// arguments (so the port, certificates and tokens), working dir and log file recorded by
// `up`, records the new process in pids.json in place of the old one, and waits for /readyz
// with the admin token. An apiserver that still runs is only awaited.
func APIServerStart(ctx context.Context, out io.Writer) error {
	t0 := time.Now()
	d, st, err := loadState()
	if err != nil {
		return err
	}
	p, err := recordedAPIServer(st)
	if err != nil {
		return err
	}
	ready, err := apiServerReadiness(d)
	if err != nil {
		return err
	}
	if proc.Alive(p) {
		if err := pollWith(ctx, "kube-apiserver ready", 60*time.Second, ready); err != nil {
			return err
		}
		fmt.Fprintf(out, "stack: %s (pid %d) is already running\n", p.Name, p.PID)
		return nil
	}
	if etcd, ok := st.Find("etcd"); !ok || !proc.Alive(etcd) {
		return fmt.Errorf("etcd is not running: the kube-apiserver cannot start without it (restart the stack: down, then up)")
	}
	spec, err := p.Spec()
	if err != nil {
		return err
	}
	r, err := startRecorded(ctx, d, spec, "kube-apiserver ready", 60*time.Second, ready)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "stack: started %s (pid %d), ready in %.1fs\n", r.Name, r.PID, time.Since(t0).Seconds())
	return nil
}

func recordedAPIServer(st State) (proc.Proc, error) {
	p, ok := st.Find(apiServerName)
	if !ok {
		return p, errors.New("no kube-apiserver recorded: is the stack up? (go run ./cmd/stack up)")
	}
	return p, nil
}

// apiServerReadiness returns a check of /readyz with the admin token, from the URL, CA and
// token in the env file.
func apiServerReadiness(d Dirs) (func(context.Context) error, error) {
	f, err := os.Open(d.EnvFile())
	if err != nil {
		return nil, fmt.Errorf("no env file: is the stack up? %w", err)
	}
	vars, err := envfile.Decode(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	get := func(k string) (string, error) {
		v, ok := envfile.Lookup(vars, k)
		if !ok || v == "" {
			return "", fmt.Errorf("%s: no %s", d.EnvFile(), k)
		}
		return v, nil
	}
	url, err := get("VIGIE_STACK_KUBE_URL")
	if err != nil {
		return nil, err
	}
	token, err := get("VIGIE_STACK_ADMIN_TOKEN")
	if err != nil {
		return nil, err
	}
	caFile, err := get("VIGIE_STACK_KUBE_CA")
	if err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("%s: no PEM certificate", caFile)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return func(ctx context.Context) error { return httpOK(ctx, client, url+"/readyz", token) }, nil
}

// startRecorded starts spec, records it in pids.json in place of the process of the same
// name at once (like `up` does, so that `down` stops it even if the wait fails), and waits
// until ready answers (what names the wait in errors).
func startRecorded(ctx context.Context, d Dirs, spec proc.Spec, what string, timeout time.Duration, ready func(context.Context) error) (*proc.Running, error) {
	reg, err := proc.OpenRegistry(d.PidsFile())
	if err != nil {
		return nil, err
	}
	r, err := proc.Start(spec)
	if err != nil {
		return nil, err
	}
	if err := reg.Replace(r.Proc); err != nil {
		return nil, err
	}
	err = pollWith(ctx, what, timeout, func(ctx context.Context) error {
		if done, err := r.Exited(); done {
			return permanent{fmt.Errorf("%s exited (%v); last lines of %s:\n%s", r.Name, err, r.Log, proc.Tail(r.Log, 15))}
		}
		return ready(ctx)
	})
	return r, err
}
