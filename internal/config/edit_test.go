package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const twoContexts = "contexts:\n  dev:\n    environment: dev # the laptop\n\n  prod:\n    environment: production\n"

func TestSetCurrentContextPreservesTheFile(t *testing.T) {
	cases := []struct{ name, before, after string }{
		{
			"plain value with comments around",
			"# vigie config\ncurrent-context: dev   # switch with use-context\n\n" + twoContexts,
			"# vigie config\ncurrent-context: prod   # switch with use-context\n\n" + twoContexts,
		},
		{
			"double-quoted value",
			"current-context: \"dev\" # q\n" + twoContexts,
			"current-context: prod # q\n" + twoContexts,
		},
		{
			"single-quoted value",
			"current-context: 'dev'\n" + twoContexts,
			"current-context: prod\n" + twoContexts,
		},
		{
			"value on the next line",
			"current-context:\n  dev\n" + twoContexts,
			"current-context:\n  prod\n" + twoContexts,
		},
		{
			"empty value",
			"current-context: # none yet\n" + twoContexts,
			"current-context: prod # none yet\n" + twoContexts,
		},
		{
			"null value",
			"current-context: ~\n" + twoContexts,
			"current-context: prod\n" + twoContexts,
		},
		{
			"no current-context: inserted before the first key",
			"# header comment\n\n" + twoContexts,
			"# header comment\n\ncurrent-context: prod\n" + twoContexts,
		},
		{
			"current-context after the contexts",
			twoContexts + "\n# selected:\ncurrent-context: dev\n",
			twoContexts + "\n# selected:\ncurrent-context: prod\n",
		},
		{
			"CRLF line endings",
			strings.ReplaceAll("a: 1\n"+twoContexts, "\n", "\r\n"),
			strings.ReplaceAll("current-context: prod\na: 1\n"+twoContexts, "\n", "\r\n"),
		},
		{
			"non-ASCII before the value",
			"# été\ncurrent-context: dev\n" + twoContexts,
			"# été\ncurrent-context: prod\n" + twoContexts,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := setCurrentContext([]byte(c.before), "prod")
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.after {
				t.Fatalf("got:\n%s\nwant:\n%s", got, c.after)
			}
			if err := sameExceptCurrent([]byte(c.before), got, "prod"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSetCurrentContextQuotesWhenNeeded(t *testing.T) {
	got, err := setCurrentContext([]byte("current-context: a\ncontexts: {}\n"), "true")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "current-context: \"true\"\ncontexts: {}\n" {
		t.Fatalf("got %q", got)
	}
}

func TestSetCurrentContextRefusesUnusualForms(t *testing.T) {
	for _, before := range []string{
		"{current-context: dev, contexts: {dev: {environment: dev}}}\n",
		"current-context: |\n  dev\ncontexts: {}\n",
	} {
		if _, err := setCurrentContext([]byte(before), "prod"); err == nil {
			t.Errorf("edited %q", before)
		}
	}
}

func TestUseContextFileIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	before := "# my contexts\ncurrent-context: dev\n" + twoContexts
	if err := os.WriteFile(path, []byte(before), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil { // umask-proof
		t.Fatal(err)
	}
	st0, _ := os.Stat(path)

	// Unknown context: an error listing the known ones; the file is untouched.
	err := SetCurrentContext(path, "staging")
	if err == nil || !strings.Contains(err.Error(), `unknown context "staging" (known contexts: dev, prod)`) {
		t.Fatalf("got %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != before {
		t.Fatal("file changed on error")
	}

	if err := SetCurrentContext(path, "prod"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if want := strings.Replace(before, "current-context: dev", "current-context: prod", 1); string(data) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", data, want)
	}
	st1, _ := os.Stat(path)
	if st1.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", st1.Mode().Perm())
	}
	if os.SameFile(st0, st1) {
		t.Error("file was rewritten in place, not replaced by rename")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestUseContextFollowsSymlinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "dotfiles", "vigie.yaml")
	if err := os.MkdirAll(filepath.Dir(real), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte(twoContexts), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "config.yaml")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := SetCurrentContext(link, "dev"); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the symlink was replaced by a file")
	}
	if data, _ := os.ReadFile(real); !strings.HasPrefix(string(data), "current-context: dev\n") {
		t.Fatalf("target not edited:\n%s", data)
	}
}

func TestUseContextOnBrokenYAML(t *testing.T) {
	dir := t.TempDir()
	path := writeConfig(t, dir, "contexts:\n  dev: [\n")
	if err := SetCurrentContext(path, "dev"); err == nil || !strings.Contains(err.Error(), "invalid YAML") {
		t.Fatalf("got %v", err)
	}
}
