package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func TestDoctorReportsEachSource(t *testing.T) {
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"success","data":{"version":"2.42.0"}}`)
	}))
	defer prom.Close()
	am := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "alertmanager is \x1b[2Jdown", http.StatusServiceUnavailable)
	}))
	defer am.Close()

	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://%s", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: kube-token-xyz}}]
contexts: [{name: k, context: {cluster: c, user: u}}]
current-context: k
`, closedAddr(t))
	cfg := fmt.Sprintf(`current-context: dev
contexts:
  dev:
    environment: dev
    team: payments
    kube: {kubeconfig: %s}
    prometheus: {url: %s, bearerToken: prom-token-xyz}
    alertmanager: {url: %s}
teams:
  payments: {namespaces: [payments]}
`, kc, prom.URL, am.URL)
	for p, data := range map[string]string{kc: kubeconfig, filepath.Join(dir, "config.yaml"): cfg} {
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"HOME": dir}
	r := vigie(t, env, "--config", filepath.Join(dir, "config.yaml"), "doctor", "--timeout", "5s")
	r.expect(t, 1)
	for _, want := range []string{
		"context dev (dev), team payments",
		"FAIL kubernetes   reachable",
		"ok   prometheus   reachable: version 2.42.0",
		"FAIL alertmanager reachable",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "2 checks failed") {
		t.Errorf("stderr = %q, want the count of failed checks", r.stderr)
	}
	all := r.stdout + r.stderr
	for _, secret := range []string{"prom-token-xyz", "kube-token-xyz"} {
		if strings.Contains(all, secret) {
			t.Errorf("secret %q printed:\n%s", secret, all)
		}
	}
	if strings.Contains(all, "\x1b") {
		t.Errorf("a control sequence from a server reached the terminal: %q", all)
	}
}

func TestDoctorNeedsAContext(t *testing.T) {
	env, _ := setup(t, "")
	r := vigie(t, env, "doctor")
	r.expect(t, 1)
	if !strings.Contains(r.stderr, "no context selected") {
		t.Fatalf("stderr = %q", r.stderr)
	}
}
