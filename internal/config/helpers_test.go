package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// envOf returns an Env function over m.
func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// writeConfig writes content to dir/config.yaml and returns its path.
func writeConfig(t *testing.T, dir, content string) string {
	t.Helper()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// dedent removes the common leading tabs of a raw string literal so YAML can be written
// indented in tests, and drops the first newline.
func dedent(s string) string {
	s = strings.TrimPrefix(s, "\n")
	lines := strings.Split(s, "\n")
	prefix := ""
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		p := l[:len(l)-len(strings.TrimLeft(l, "\t"))]
		if prefix == "" || len(p) < len(prefix) {
			prefix = p
		}
	}
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			l = ""
		}
		lines[i] = strings.TrimPrefix(l, prefix)
	}
	return strings.Join(lines, "\n")
}

// problemsOf returns the Errors in err, failing the test when err is something else.
func problemsOf(t *testing.T, err error) Errors {
	t.Helper()
	var ps Errors
	if !errors.As(err, &ps) {
		t.Fatalf("want config.Errors, got %T: %v", err, err)
	}
	return ps
}

// load loads content as the config file with env and flags.
func load(t *testing.T, content string, env map[string]string, flags Overrides) (*Resolved, error) {
	t.Helper()
	dir := t.TempDir()
	path := writeConfig(t, dir, dedent(content))
	if env == nil {
		env = map[string]string{}
	}
	if _, ok := env["HOME"]; !ok {
		env["HOME"] = dir
	}
	return Load(LoadOptions{Path: path, Env: envOf(env), Flags: flags})
}
