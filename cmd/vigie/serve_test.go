package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/sources/platform"
)

const serverYAML = `teams:
  payments:
    namespaces: {payments: production}
    selector: team=payments
users:
  alice: {payments: member}
policy:
  production:
    restart: {lead: allow}
`

// lockedBuffer is an io.Writer safe for a running server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serveEnv writes a server configuration and a kubeconfig (pointing at nothing: no test
// here acts on a cluster) and returns the environment and their paths.
func serveEnv(t *testing.T) (map[string]string, string, string) {
	t.Helper()
	dir := t.TempDir()
	cfg, kc := filepath.Join(dir, "server.yaml"), filepath.Join(dir, "kubeconfig")
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://%s", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: kube-token-xyz}}]
contexts: [{name: k, context: {cluster: c, user: u}}]
current-context: k
`, closedAddr(t))
	for p, data := range map[string]string{cfg: serverYAML, kc: kubeconfig} {
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"HOME": dir, "XDG_DATA_HOME": filepath.Join(dir, "data")}
	return env, cfg, kc
}

func TestServeUsageErrors(t *testing.T) {
	env, cfg, _ := serveEnv(t)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve"}, 2, "no configuration: give --config FILE"},
		{[]string{"serve", "--config", cfg, "--tls-cert", "c.pem"}, 2, "--tls-cert and --tls-key go together"},
		{[]string{"serve", "--config", cfg, "--listen", "8443"}, 2, `--listen "8443": want HOST:PORT`},
		{[]string{"serve", "--config", cfg, "--action-timeout", "0s"}, 2, "--action-timeout"},
		{[]string{"serve", "--config", cfg, "--db", "mysql://u:hunter2@db/x"}, 2, "want sqlite:PATH or postgres://"},
		{[]string{"serve", "--config", cfg, "--nope"}, 2, "unknown flag: --nope"},
		{[]string{"serve", "--config", cfg, "--alertmanager-url", "am:9093"}, 2, `--alertmanager-url "am:9093": want http(s)://host[:port][/path]`},
		{[]string{"serve", "--config", cfg, "--alertmanager-url", "http://u:hunter2@am:9093"}, 2, "--alertmanager-url"},
		{[]string{"serve", "token", "create"}, 2, "--user is required"},
		{[]string{"serve", "token", "create", "--user", "alice", "--expires", "-1h"}, 2, "--expires"},
		{[]string{"serve", "token", "revoke"}, 2, "accepts 1 arg"},
		{[]string{"serve", "token", "bogus"}, 2, `unknown command "bogus"`},
		{[]string{"serve", "--config", filepath.Join(t.TempDir(), "missing.yaml")}, 1, "no such file"},
		{[]string{"serve", "--config", cfg, "--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key"}, 1, "TLS certificate"},
	} {
		r := vigie(t, env, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d, %q", c.args, r.code, r.stderr, c.code, c.want)
		}
		if strings.Contains(r.stderr, "hunter2") {
			t.Errorf("%v: the password is printed", c.args)
		}
	}
}

func TestServeConfigProblemsHavePositions(t *testing.T) {
	env, _, _ := serveEnv(t)
	bad := filepath.Join(t.TempDir(), "server.yaml")
	if err := os.WriteFile(bad, []byte("teams:\n  payments:\n    namespaces: {payments: prod}\n    owner: me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := vigie(t, env, "serve", "--config", bad)
	r.expect(t, 1)
	for _, want := range []string{bad + `:3:28: teams.payments.namespaces.payments: unknown environment class "prod"`, bad + ":4:5: teams.payments.owner: unknown key"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

func TestServeTokens(t *testing.T) {
	env, cfg, _ := serveEnv(t)
	r := vigie(t, env, "serve", "token", "create", "--config", cfg, "--user", "alice", "--note", "laptop")
	r.expect(t, 0)
	secret := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(secret, "vgt_") || strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stderr, "shown once") {
		t.Fatalf("create: %q %q", r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(env["XDG_DATA_HOME"], "vigie", "platform.db")); err != nil {
		t.Errorf("the default database: %v", err)
	}
	r = vigie(t, env, "serve", "token", "create", "--config", cfg, "--user", "mallory")
	if r.code != 1 || !strings.Contains(r.stderr, `user "mallory" is not in `+cfg+` (users: alice)`) {
		t.Errorf("unknown user: %d %q", r.code, r.stderr)
	}
	r = vigie(t, env, "serve", "token", "list")
	r.expect(t, 0)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "alice") || !strings.Contains(lines[1], "active") || !strings.Contains(lines[1], "laptop") {
		t.Fatalf("list:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, secret[4:]) {
		t.Fatal("token list shows the secret")
	}
	id := strings.Fields(lines[1])[0]
	vigie(t, env, "serve", "token", "revoke", id).expect(t, 0)
	if r := vigie(t, env, "serve", "token", "list"); !strings.Contains(r.stdout, "revoked") {
		t.Errorf("after revoke:\n%s", r.stdout)
	}
	if r := vigie(t, env, "serve", "token", "revoke", "tok_nope"); r.code != 1 || !strings.Contains(r.stderr, `no token "tok_nope"`) {
		t.Errorf("revoke unknown: %d %q", r.code, r.stderr)
	}
}

// selfSigned writes a certificate and key for 127.0.0.1 and returns their paths and a
// pool trusting the certificate.
func selfSigned(t *testing.T) (string, string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vigie test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	cert, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return cert, keyFile, pool
}

// vigie serve over TLS, called with the Go client; SIGTERM (a cancelled context) stops
// it cleanly; the audit chain it wrote verifies, and a tampered one does not.
func TestServeEndToEnd(t *testing.T) {
	env, cfg, kc := serveEnv(t)
	secret := strings.TrimSpace(vigie(t, env, "serve", "token", "create", "--config", cfg, "--user", "alice").stdout)
	cert, key, pool := selfSigned(t)
	addr := closedAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"serve", "--config", cfg, "--kubeconfig", kc, "--listen", addr, "--tls-cert", cert, "--tls-key", key},
			deps{stdout: &stdout, stderr: &stderr, env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }, version: "dev"})
	}()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := hc.Get("https://" + addr + "/readyz")
		if err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the server did not get ready: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	c, err := platform.New(platform.Options{URL: "https://" + addr, Token: secret, TLS: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatal(err)
	}
	me, err := c.Me(ctx)
	if err != nil || me.User != "alice" || me.Teams[0].Team != "payments" {
		t.Fatalf("Me = %+v, %v", me, err)
	}
	_, err = c.Act(ctx, api.ActionRequest{Kind: api.ActionRestart, Target: api.Target{Namespace: "payments", Name: "checkout"}, Reason: "INC-9: stuck workers"})
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Code != api.CodeForbidden || !strings.Contains(err.Error(), "not allowed: no policy rule allows restart to members") {
		t.Fatalf("member restart: %v", err)
	}
	page, err := c.Audit(ctx, platform.AuditQuery{})
	if err != nil || len(page.Records) != 1 || page.Records[0].Type != api.AuditDenied || page.Records[0].ID != pe.AuditID() {
		t.Fatalf("Audit = %+v, %v", page, err)
	}
	cancel()
	select {
	case code := <-exited:
		if code != 0 {
			t.Fatalf("serve exited %d:\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	logs := stderr.String()
	for _, want := range []string{`"msg":"starting"`, `"msg":"serving"`, `"scheme":"https"`, `"msg":"stopped"`, `"route":"/v1/actions","status":403`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, secret) || strings.Contains(logs, "kube-token-xyz") {
		t.Error("the logs hold a secret")
	}

	r := vigie(t, env, "serve", "audit", "verify")
	if r.code != 0 || !strings.Contains(r.stdout, "audit chain intact: 1 records") {
		t.Fatalf("verify: %d %q %q", r.code, r.stdout, r.stderr)
	}
	db, err := sql.Open("sqlite", filepath.Join(env["XDG_DATA_HOME"], "vigie", "platform.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE audit_records SET body = replace(body, 'alice', 'bob')"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r = vigie(t, env, "serve", "audit", "verify")
	if r.code != 1 || !strings.Contains(r.stderr, "audit chain broken at record 1") {
		t.Fatalf("verify after tampering: %d %q", r.code, r.stderr)
	}
}
