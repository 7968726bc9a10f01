package stackenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	e, err := Parse("env", "# comment\nA=1\nexport B=\"two\"\n\nC=x=y\n")
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"A": "1", "B": "two", "C": "x=y", "D": ""} {
		if got := e.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if _, err := e.Require("D"); err == nil || !strings.Contains(err.Error(), "D is not set") {
		t.Errorf("Require(D) = %v", err)
	}
	if _, err := Parse("env", "A=1\nnot a pair\n"); err == nil || !strings.Contains(err.Error(), "env:2") {
		t.Errorf("bad line: got %v, want an error at env:2", err)
	}
}

type fatalRecorder struct{ msg string }

func (f *fatalRecorder) Helper()                           {}
func (f *fatalRecorder) Fatalf(format string, args ...any) { f.msg = fmt.Sprintf(format, args...) }

func TestMustLoadFailsNamingTheStartCommand(t *testing.T) {
	t.Setenv("VIGIE_STACK_DIR", t.TempDir())
	var r fatalRecorder
	MustLoad(&r)
	if !strings.Contains(r.msg, StartCommand) || !strings.Contains(r.msg, "not up") {
		t.Fatalf("message %q should say the platform is not up and name %q", r.msg, StartCommand)
	}
}

func TestLoadReadsStackDir(t *testing.T) {
	d := t.TempDir()
	t.Setenv("VIGIE_STACK_DIR", d)
	if err := os.WriteFile(filepath.Join(d, "env"), []byte("VIGIE_STACK_PROM_URL=http://127.0.0.1:9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if e.Get("VIGIE_STACK_PROM_URL") != "http://127.0.0.1:9" {
		t.Fatalf("got %q", e.Get("VIGIE_STACK_PROM_URL"))
	}
}
