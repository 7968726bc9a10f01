// Package stackenv reads the env file that the local platform (test/stack) writes when it
// starts, so integration tests and demos can find its servers and credentials.
//
// Integration tests call MustLoad: when the platform is not up they fail with a message
// naming the command that starts it. They never skip.
package stackenv

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// StartCommand is what a developer runs to start the local platform.
const StartCommand = "make stack-up"

// Env is the parsed env file: KEY=value lines.
type Env struct {
	Path   string
	values map[string]string
}

// Get returns the value of key, or "" when absent.
func (e *Env) Get(key string) string { return e.values[key] }

// Require returns the value of key or an error naming the key and the file.
func (e *Env) Require(key string) (string, error) {
	v, ok := e.values[key]
	if !ok || v == "" {
		return "", fmt.Errorf("%s: %s is not set (restart the platform with %q)", e.Path, key, StartCommand)
	}
	return v, nil
}

// Parse reads KEY=value lines; blank lines and lines starting with # are ignored.
func Parse(path string, data string) (*Env, error) {
	e := &Env{Path: path, values: map[string]string{}}
	sc := bufio.NewScanner(strings.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s:%d: want KEY=value, got %q", path, n, line)
		}
		e.values[k] = strings.Trim(v, `"'`)
	}
	return e, sc.Err()
}

// DefaultPath is $VIGIE_STACK_DIR/env, or test/stack/.run/env in the repository that
// contains the working directory.
func DefaultPath() (string, error) {
	if d := os.Getenv("VIGIE_STACK_DIR"); d != "" {
		return filepath.Join(d, "env"), nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "test", "stack", ".run", "env"), nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/vigie-dev/vigie\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the vigie repository above the working directory; set VIGIE_STACK_DIR")
		}
		dir = parent
	}
}

// Load reads the env file at DefaultPath.
func Load() (*Env, error) {
	p, err := DefaultPath()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("the local platform is not up (%s is missing): run %q first", p, StartCommand)
	}
	if err != nil {
		return nil, err
	}
	return Parse(p, string(b))
}

// TB is the part of testing.TB that MustLoad uses.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// MustLoad loads the env file or fails the test (never skips) naming the start command.
func MustLoad(t TB) *Env {
	t.Helper()
	e, err := Load()
	if err != nil {
		t.Fatalf("%v", err)
	}
	return e
}

// MustGet returns the value of key or fails the test.
func (e *Env) MustGet(t TB, key string) string {
	t.Helper()
	v, err := e.Require(key)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return v
}
