//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vigie-dev/vigie/internal/stackenv"
)

// Every socket the local platform listens on is bound to 127.0.0.1: nothing of the stack
// is reachable from another host.
func TestStackListensOnLoopbackOnly(t *testing.T) {
	env := stackenv.MustLoad(t)
	data, err := os.ReadFile(filepath.Join(env.MustGet(t, "VIGIE_STACK_DIR"), "pids.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Processes []struct {
			Name string `json:"name"`
			PID  int    `json:"pid"`
		} `json:"processes"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatalf("pids.json: %v", err)
	}
	ours := map[int]string{}
	for _, p := range rec.Processes {
		ours[p.PID] = p.Name
	}
	out, err := exec.Command("ss", "-Hltnup").Output()
	if err != nil {
		t.Fatalf("ss -Hltnup: %v", err)
	}
	pidRE := regexp.MustCompile(`pid=(\d+)`)
	seen := map[string]int{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		local := f[4]
		for _, m := range pidRE.FindAllStringSubmatch(line, -1) {
			pid, _ := strconv.Atoi(m[1])
			name, ok := ours[pid]
			if !ok {
				continue
			}
			seen[name]++
			if !strings.HasPrefix(local, "127.0.0.1:") {
				t.Errorf("%s (pid %d) listens on %s, want 127.0.0.1 only", name, pid, local)
			}
		}
	}
	for _, name := range []string{"etcd", "kube-apiserver", "kwok", "prometheus", "alertmanager"} {
		if seen[name] == 0 {
			t.Errorf("found no listening socket of %s (pids %v); is the stack up?", name, ours)
		}
	}
}
