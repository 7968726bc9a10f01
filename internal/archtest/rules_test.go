package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const m = Module + "/"

// TestRulesCatchForbiddenImports checks the checker itself on graphs that break each rule.
func TestRulesCatchForbiddenImports(t *testing.T) {
	cases := []struct {
		name string
		pkg  Package
		want string // substring of the single expected violation; "" for none
	}{
		{"source imports bubbletea", Package{ImportPath: m + "sources/kube", Deps: []string{"charm.land/bubbletea/v2"}}, "never import UI"},
		{"platform imports lipgloss", Package{ImportPath: m + "platform/audit", Deps: []string{"charm.land/lipgloss/v2"}}, "never import UI"},
		{"platform imports a view", Package{ImportPath: m + "platform/actions", Deps: []string{m + "views/logs"}}, "never import UI"},
		{"view imports tui", Package{ImportPath: m + "views/logs", Deps: []string{m + "tui"}}, "only cmd/ imports tui/"},
		{"source imports cmd", Package{ImportPath: m + "sources/prom", Deps: []string{m + "cmd/vigie"}}, "nothing imports cmd/"},
		{"source imports server", Package{ImportPath: m + "sources/platform", Deps: []string{m + "platform/policy"}}, "platform/api types only"},
		{"platform imports source", Package{ImportPath: m + "platform/actions", Deps: []string{m + "sources/kube"}}, "never imports sources/"},
		{"internal imports views", Package{ImportPath: m + "internal/text", Deps: []string{m + "views"}}, "below everything"},
		{"cmd imports tui", Package{ImportPath: m + "cmd/vigie", Deps: []string{m + "tui", "charm.land/bubbletea/v2"}}, ""},
		{"source imports api types", Package{ImportPath: m + "sources/platform", Deps: []string{m + "platform/api", "k8s.io/client-go/rest"}}, ""},
		{"view imports sources", Package{ImportPath: m + "views/pods", Deps: []string{m + "sources/kube", m + "views", m + "themes"}}, ""},
		{"prefix is not a parent", Package{ImportPath: m + "sourcesx", Deps: []string{"charm.land/bubbletea/v2"}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Violations([]Package{c.pkg})
			if c.want == "" {
				if len(got) != 0 {
					t.Fatalf("want no violation, got %q", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], c.want) {
				t.Fatalf("want one violation containing %q, got %q", c.want, got)
			}
		})
	}
}

// TestModuleImportDirection runs `go list -deps` over the whole module and fails on any
// import that breaks DESIGN.md's direction.
func TestModuleImportDirection(t *testing.T) {
	cmd := exec.Command("go", "list", "-e", "-deps", "-test", "-json=ImportPath,Deps,Standard", Module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p Package
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		// Test variants are listed as "pkg [pkg.test]"; check them under their own path.
		p.ImportPath, _, _ = strings.Cut(p.ImportPath, " ")
		// The generated main of a test binary ("pkg.test") is that package's own test.
		p.ImportPath = strings.TrimSuffix(p.ImportPath, ".test")
		for i, d := range p.Deps {
			p.Deps[i], _, _ = strings.Cut(d, " ")
		}
		pkgs = append(pkgs, p)
	}
	if !slices.ContainsFunc(pkgs, func(p Package) bool { return p.ImportPath == Module+"/internal/archtest" }) {
		t.Fatalf("go list did not list this package; is the module path %s?", Module)
	}
	for _, v := range Violations(pkgs) {
		t.Error(v)
	}
}
