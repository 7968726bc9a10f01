package kube

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}
users:
- name: alice
  user: {token: alice-token}
- name: bob
  user: {token: bob-token}
contexts:
- name: local-payments
  context: {cluster: local, user: alice}
- name: local-search
  context: {cluster: local, user: bob}
current-context: local-payments
`

func TestRESTConfigPicksTheContext(t *testing.T) {
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(p, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := RESTConfig(Options{Kubeconfig: p})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BearerToken != "alice-token" || cfg.Timeout != 15*time.Second {
		t.Fatalf("current context: token %q timeout %s", cfg.BearerToken, cfg.Timeout)
	}
	cfg, err = RESTConfig(Options{Kubeconfig: p, Context: "local-search", Timeout: time.Second, UserAgent: "vigie/test"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BearerToken != "bob-token" || cfg.Timeout != time.Second || cfg.UserAgent != "vigie/test" {
		t.Fatalf("local-search: %+v", cfg)
	}
	if _, err := RESTConfig(Options{Kubeconfig: p, Context: "prod"}); err == nil || !strings.Contains(err.Error(), `"prod"`) {
		t.Fatalf("unknown context: %v", err)
	}
	if _, err := RESTConfig(Options{Kubeconfig: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Fatal("missing kubeconfig accepted")
	}
}
