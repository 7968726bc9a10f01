//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/vigie-dev/vigie/internal/stackenv"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/sources/kube"
)

// serveProc is one `vigie serve` process on a database that outlives it.
type serveProc struct {
	t        *testing.T
	bin, url string
	args     []string
	cmd      *exec.Cmd
}

func (s *serveProc) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, s.args...)
	var log bytes.Buffer
	s.cmd.Stdout, s.cmd.Stderr = &log, &log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(s.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(end) {
			s.t.Fatalf("vigie serve not ready:\n%s", log.String())
		}
	}
}

// kill ends the server with SIGKILL: no graceful shutdown, no flush.
func (s *serveProc) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
}

type answer struct {
	status   int
	replayed bool
	out      api.Outcome
	err      error
}

func (s *serveProc) act(token, key, name string) answer {
	body, _ := json.Marshal(api.ActionRequest{Kind: api.ActionRestart, Target: api.Target{Namespace: "payments", Name: name},
		Reason: "durability test " + key, IdempotencyKey: key})
	req, _ := http.NewRequest(http.MethodPost, s.url+"/v1/actions", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, replayed: resp.Header.Get("Idempotent-Replayed") == "true"}
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &a.out)
	return a
}

// outcomes returns the audit's outcome records of the targets named with prefix, by
// action id: the actions that ran. (The records with status interrupted, written at the
// restart for the actions the kill left without an outcome, record no run.)
func (s *serveProc) outcomes(token, prefix string) map[string]int {
	out := map[string]int{}
	before := int64(0)
	for {
		u := s.url + "/v1/audit?team=payments&limit=200"
		if before > 0 {
			u += fmt.Sprintf("&before=%d", before)
		}
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			s.t.Fatal(err)
		}
		var page api.AuditResponse
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			s.t.Fatalf("audit: %d %v", resp.StatusCode, err)
		}
		for _, r := range page.Records {
			if r.Type == api.AuditOutcome && r.Status != "interrupted" && r.Target != nil && strings.HasPrefix(r.Target.Name, prefix) && !r.DryRun {
				out[r.ActionID]++
			}
		}
		if page.Next == 0 {
			return out
		}
		before = page.Next
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// The server is killed with SIGKILL while 50 actions run. After a restart on the same
// database: every action that was answered with success has its audit pair, retrying any
// of the 50 with its idempotency key never runs an action twice, and the audit chain
// verifies.
func TestServerSurvivesKill9DuringActions(t *testing.T) {
	env := stackenv.MustLoad(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "vigie")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg, db := env.MustGet(t, "VIGIE_STACK_PLATFORM_CONFIG"), "sqlite:"+filepath.Join(dir, "platform.db")
	out, err := exec.Command(bin, "serve", "token", "create", "--config", cfg, "--db", db, "--user", "alice", "--expires", "1h").Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	token := strings.TrimSpace(string(out))
	port := freePort(t)
	s := &serveProc{t: t, bin: bin, url: fmt.Sprintf("http://127.0.0.1:%d", port), args: []string{"serve", "--config", cfg, "--db", db,
		"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--kubeconfig", filepath.Join(env.MustGet(t, "VIGIE_STACK_DIR"), "pki", "admin.kubeconfig"),
		"--kube-context", "local-admin"}}
	s.start()
	t.Cleanup(func() { s.kill() })

	const n = 50
	names := durableDeployments(t, env, n) // one each: concurrent restarts of one Deployment would conflict
	answers := make([]answer, n)
	var wg sync.WaitGroup
	done := make(chan struct{}, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = s.act(token, fmt.Sprintf("k%02d", i), names[i])
			done <- struct{}{}
		}()
	}
	for range 10 { // let some finish, then pull the plug while the others run
		<-done
	}
	s.kill()
	wg.Wait()
	var ok []int
	for i, a := range answers {
		if a.err == nil && a.status == http.StatusOK {
			ok = append(ok, i)
		}
	}
	if len(ok) < 5 {
		var codes []string
		for _, a := range answers {
			codes = append(codes, fmt.Sprintf("%d/%v/%s", a.status, a.err != nil, a.out.Message))
		}
		t.Fatalf("only %d actions succeeded before the kill: %v", len(ok), codes)
	}
	t.Logf("%d of %d actions answered success before the kill", len(ok), n)

	s.start()
	before := s.outcomes(token, "durable-")
	for _, i := range ok {
		if before[answers[i].out.ID] != 1 {
			t.Fatalf("action %s answered success before the kill but has %d outcome records", answers[i].out.ID, before[answers[i].out.ID])
		}
	}
	newRuns := 0
	retries := map[string]int{}
	defer func() { t.Logf("retries after the restart: %v", retries) }()
	for i := range n {
		t0 := time.Now()
		a := s.act(token, fmt.Sprintf("k%02d", i), names[i])
		retries[fmt.Sprintf("%d replayed=%v (%s)", a.status, a.replayed, time.Since(t0).Round(time.Second))]++
		switch {
		case a.status == http.StatusOK && a.replayed:
			if answers[i].status == http.StatusOK && a.out.ID != answers[i].out.ID {
				t.Fatalf("key k%02d replayed another outcome: %s, first %s", i, a.out.ID, answers[i].out.ID)
			}
		case a.status == http.StatusOK:
			if answers[i].err == nil && answers[i].status == http.StatusOK {
				t.Fatalf("key k%02d ran again after a success", i)
			}
			if before[a.out.ID] != 0 {
				t.Fatalf("key k%02d reused an action id", i)
			}
			newRuns++
		case a.status == http.StatusConflict && a.replayed: // answered at the restart: 409 interrupted
		default:
			t.Errorf("key k%02d: %d (replayed %v, %v) after the restart, want its first answer, a first run, or 409 interrupted", i, a.status, a.replayed, a.err)
		}
	}
	after := s.outcomes(token, "durable-")
	total := func(m map[string]int) (n int) {
		for id, c := range m {
			if c != 1 {
				t.Errorf("action %s has %d outcome records", id, c)
			}
			n += c
		}
		return n
	}
	if got, want := total(after), total(before)+newRuns; got != want {
		t.Fatalf("outcome records after the retries: %d, want %d (%d before + %d first runs): an action ran twice", got, want, total(before), newRuns)
	}
	verify := exec.Command(bin, "serve", "audit", "verify", "--config", cfg, "--db", db)
	if out, err := verify.CombinedOutput(); err != nil {
		t.Fatalf("audit verify after the kill: %v\n%s", err, out)
	}
}

// durableDeployments creates n Deployments of the payments team with no replica (the
// restarts only change their templates), deleted after the test.
func durableDeployments(t *testing.T, env *stackenv.Env, n int) []string {
	t.Helper()
	cfg, err := kube.RESTConfig(kube.Options{Kubeconfig: env.MustGet(t, "KUBECONFIG"), Context: "local-admin"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	run := time.Now().UnixNano() % 100000
	names := make([]string, n)
	zero := int32(0)
	for i := range n {
		names[i] = fmt.Sprintf("durable-%d-%02d", run, i)
		labels := map[string]string{"app": names[i], "team": "payments"}
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: names[i], Namespace: "payments", Labels: labels},
			Spec: appsv1.DeploymentSpec{Replicas: &zero, Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.local/durable:1"}}}}},
		}
		if _, err := cs.AppsV1().Deployments("payments").Create(context.Background(), d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, name := range names {
			_ = cs.AppsV1().Deployments("payments").Delete(context.Background(), name, metav1.DeleteOptions{})
		}
	})
	return names
}
