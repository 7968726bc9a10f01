package envfile

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	vars := []Var{
		{"VIGIE_STACK_DIR", "/work/main/test/stack/.run"},
		{"VIGIE_STACK_KUBE_URL", "https://127.0.0.1:6443"},
		{"VIGIE_STACK_PG_DSN", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"},
		{"EMPTY", ""},
	}
	data, err := Encode(vars)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "\nexport VIGIE_STACK_KUBE_URL=https://127.0.0.1:6443\n") {
		t.Fatalf("unexpected encoding:\n%s", data)
	}
	got, err := Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(vars) {
		t.Fatalf("decoded %d vars, want %d", len(got), len(vars))
	}
	for i := range vars {
		if got[i] != vars[i] {
			t.Errorf("var %d = %+v, want %+v", i, got[i], vars[i])
		}
	}
	if v, ok := Lookup(got, "VIGIE_STACK_PG_DSN"); !ok || v != vars[2].Value {
		t.Errorf("Lookup = %q, %v", v, ok)
	}
}

func TestEncodeRejects(t *testing.T) {
	for _, v := range []Var{
		{"A", "has space"}, {"A", `quote"`}, {"A", "$(cmd)"}, {"A", "semi;colon"}, {"A", "a&b"}, {"A", "~root"}, {"lower", "x"}, {"A", "new\nline"},
	} {
		if _, err := Encode([]Var{v}); err == nil {
			t.Errorf("Encode(%+v): want an error", v)
		}
	}
	if _, err := Encode([]Var{{"A", "1"}, {"A", "2"}}); err == nil {
		t.Error("duplicate key: want an error")
	}
}

// The file must be sourceable by a POSIX shell and export the same values to the
// programs it starts (`source env && vigie doctor`).
func TestShellSourcesIt(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatalf("no sh: %v", err)
	}
	vars := []Var{{"X_URL", "postgres://u:p@127.0.0.1:1/db?sslmode=disable"}, {"X_PATH", "/a/b-c_d.e"}}
	data, err := Encode(vars)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sh, "-c", `. "$1" && env | grep '^X_' | sort -r | cut -d= -f2-`, "sh", p).Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := vars[0].Value + "\n" + vars[1].Value + "\n"; string(out) != want {
		t.Fatalf("shell read %q, want %q", out, want)
	}
}
