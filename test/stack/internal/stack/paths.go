// Package stack starts, checks and stops the local platform (see /work/shared/STACK.md for
// the facts it relies on).
package stack

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// KubeVersion is the Kubernetes release the cache folder is keyed by (as in build.sh).
const KubeVersion = "v1.37.2"

// ModulePath is this module's path, used to find its folder.
const ModulePath = "github.com/vigie-dev/vigie/test/stack"

// FindModuleDir walks up from dir to the folder whose go.mod declares ModulePath.
func FindModuleDir(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && modulePathOf(data) == ModulePath {
			return d, nil
		}
		// From the repository root, test/stack is one step down.
		sub := filepath.Join(d, "test", "stack")
		if data, err := os.ReadFile(filepath.Join(sub, "go.mod")); err == nil && modulePathOf(data) == ModulePath {
			return sub, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod of %s above %s: run from the vigie repository", ModulePath, dir)
		}
		d = parent
	}
}

func modulePathOf(gomod []byte) string {
	for _, line := range bytes.Split(gomod, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

// MainModulePath is the main vigie module; its root is two folders above this module's
// (test/stack). `up` builds lokifake there.
const MainModulePath = "github.com/vigie-dev/vigie"

// RepoDir returns the main module's root: the parent of test/, checked by its go.mod. This
// module imports none of the main module's packages; it only runs `go build` there.
func RepoDir(moduleDir string) (string, error) {
	if moduleDir == "" {
		return "", fmt.Errorf("the vigie repository was not found (run from inside it, e.g. test/stack)")
	}
	root := filepath.Dir(filepath.Dir(moduleDir))
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("main module of %s: %w", moduleDir, err)
	}
	if got := modulePathOf(data); got != MainModulePath {
		return "", fmt.Errorf("%s declares module %q, want %s", filepath.Join(root, "go.mod"), got, MainModulePath)
	}
	return root, nil
}

// Dirs are the folders the stack uses.
type Dirs struct {
	Module string // test/stack
	State  string // $VIGIE_STACK_DIR or <module>/.run
	Cache  string // built binaries: $VIGIE_STACK_CACHE or $XDG_CACHE_HOME/vigie/stack/<ver>
}

// ResolveDirs finds the module, state and cache folders from the environment and cwd.
func ResolveDirs(getenv func(string) string, cwd string) (Dirs, error) {
	return resolveDirs(getenv, cwd, "")
}

// ResolveRunningDirs is ResolveDirs for the commands that act on a running stack (down,
// status, apiserver, load). Without $VIGIE_STACK_DIR, when exe is the copy of this program
// that `up` puts in <state>/bin ($VIGIE_STACK_CTL), the state dir is the one it lives in, so
// it works from any folder.
func ResolveRunningDirs(getenv func(string) string, cwd, exe string) (Dirs, error) {
	return resolveDirs(getenv, cwd, exe)
}

func resolveDirs(getenv func(string) string, cwd, exe string) (Dirs, error) {
	var d Dirs
	// The module folder is only needed for the default state dir: with $VIGIE_STACK_DIR
	// set, the commands work from outside the repository too.
	mod, modErr := FindModuleDir(cwd)
	d.Module = mod
	d.Cache = CacheDir(getenv)
	switch {
	case getenv("VIGIE_STACK_DIR") != "":
		d.State = getenv("VIGIE_STACK_DIR")
	case StateDirOfExe(exe) != "":
		d.State = StateDirOfExe(exe)
	case modErr != nil:
		return d, fmt.Errorf("%w (or set VIGIE_STACK_DIR to the state dir)", modErr)
	default:
		d.State = filepath.Join(mod, ".run")
	}
	var err error
	if d.State, err = filepath.Abs(d.State); err != nil {
		return d, err
	}
	return d, nil
}

// StateDirOfExe returns <state> when exe is <state>/bin/stack and <state> holds a pids.json
// (the binary `up` copies into the state dir), else "".
func StateDirOfExe(exe string) string {
	if exe == "" || filepath.Base(exe) != "stack" || filepath.Base(filepath.Dir(exe)) != "bin" {
		return ""
	}
	state := filepath.Dir(filepath.Dir(exe))
	if _, err := os.Stat(filepath.Join(state, "pids.json")); err != nil {
		return ""
	}
	return state
}

// CacheDir mirrors build.sh: ${VIGIE_STACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vigie/stack/<ver>}.
func CacheDir(getenv func(string) string) string {
	if c := getenv("VIGIE_STACK_CACHE"); c != "" {
		return c
	}
	base := getenv("XDG_CACHE_HOME")
	if base == "" {
		base = filepath.Join(getenv("HOME"), ".cache")
	}
	return filepath.Join(base, "vigie", "stack", KubeVersion)
}

// State-dir layout.
func (d Dirs) path(p ...string) string { return filepath.Join(append([]string{d.State}, p...)...) }

// PidsFile is <state>/pids.json.
func (d Dirs) PidsFile() string { return d.path("pids.json") }

// EnvFile is <state>/env.
func (d Dirs) EnvFile() string { return d.path("env") }

// StackCtl is the copy of the stack binary that `up` puts in the state dir (it runs the
// simulator, and tests run it as $VIGIE_STACK_CTL, e.g. `apiserver stop`).
func (d Dirs) StackCtl() string { return d.path("bin", "stack") }

// AdminKubeconfig is the admin (system:masters) kubeconfig.
func (d Dirs) AdminKubeconfig() string { return d.path("pki", "admin.kubeconfig") }

// LogDir holds one log file per component.
func (d Dirs) LogDir() string { return d.path("logs") }

// Log is the log file of a component.
func (d Dirs) Log(name string) string { return d.path("logs", name+".log") }

// Bin is a built binary in the cache.
func (d Dirs) Bin(name string) string { return filepath.Join(d.Cache, "bin", name) }

// KubeBinaries are the binaries build.sh makes.
var KubeBinaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}

// KwokStageFiles are the stock kwok stages build.sh copies into <cache>/kwok-stage.
var KwokStageFiles = []string{"node-initialize.yaml", "node-heartbeat-with-lease.yaml", "pod-ready.yaml", "pod-complete.yaml", "pod-delete.yaml"}

// CheckBuilt reports the missing built binaries and stage files.
func (d Dirs) CheckBuilt() error {
	var missing []string
	for _, b := range KubeBinaries {
		if st, err := os.Stat(d.Bin(b)); err != nil || st.Mode()&0o111 == 0 {
			missing = append(missing, d.Bin(b))
		}
	}
	for _, f := range KwokStageFiles {
		if _, err := os.Stat(filepath.Join(d.Cache, "kwok-stage", f)); err != nil {
			missing = append(missing, filepath.Join(d.Cache, "kwok-stage", f))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s: run test/stack/build.sh first", strings.Join(missing, ", "))
	}
	return nil
}

// FreePorts returns n distinct free TCP ports on 127.0.0.1. All listeners stay open until
// every port is chosen, so no port is returned twice; they are closed before returning.
func FreePorts(n int) ([]int, error) {
	lns := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a free port: %w", err)
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// PostgresBinDir finds the newest /usr/lib/postgresql/<major>/bin holding a server.
func PostgresBinDir(root string) (string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return "", err
	}
	var majors []int
	for _, e := range entries {
		if v, err := strconv.Atoi(e.Name()); err == nil {
			if _, err := os.Stat(filepath.Join(root, e.Name(), "bin", "postgres")); err == nil {
				majors = append(majors, v)
			}
		}
	}
	if len(majors) == 0 {
		return "", errors.New("no PostgreSQL server under " + root)
	}
	sort.Ints(majors)
	return filepath.Join(root, strconv.Itoa(majors[len(majors)-1]), "bin"), nil
}
