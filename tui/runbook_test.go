package tui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunbooksFromTheLocalFolder(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "payments"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "payments", "high-error-ratio.md"), []byte("# High error ratio\n1. Roll back."), 0o644); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(filepath.Dir(root), "secret.md")
	if err := os.WriteFile(secret, []byte("do not show"), 0o644); err != nil {
		t.Fatal(err)
	}
	fetch := runbookFetcher(root)
	for _, url := range []string{"https://runbooks.local/payments/high-error-ratio.md", "payments/high-error-ratio.md", "file:///payments/high-error-ratio.md"} {
		text, err := fetch(context.Background(), url)
		if err != nil || !strings.Contains(text, "Roll back") {
			t.Errorf("%s: %q, %v", url, text, err)
		}
	}
	for _, url := range []string{"../secret.md", "file:///../secret.md", "https://x/%2e%2e/secret.md"} {
		if text, err := fetch(context.Background(), url); strings.Contains(text, "do not show") {
			t.Errorf("%s read a file outside the runbooks folder (err %v)", url, err)
		}
	}
	if _, err := runbookFetcher("")(context.Background(), "payments/high-error-ratio.md"); err == nil {
		t.Error("without a runbooks folder a path is not a runbook")
	}
}
