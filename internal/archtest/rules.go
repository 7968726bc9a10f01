// Package archtest enforces the import direction of DESIGN.md:
//
//	cmd -> tui -> views/* -> views, keymaps, themes, sources (types and interfaces)
//	sources/* -> client libraries, platform/api (types only)
//	platform/* -> platform/api, client-go, pgx/sqlite
//
// Nothing imports cmd or tui from below; sources and platform never import UI packages.
// The rules are data (Rules) checked against `go list -deps` output by the package's test.
package archtest

import (
	"fmt"
	"sort"
	"strings"
)

// Module is vigie's module path.
const Module = "github.com/vigie-dev/vigie"

// Package is one entry of `go list -deps -json`: its path and all packages it depends on,
// directly or not.
type Package struct {
	ImportPath string
	Deps       []string
	Standard   bool
}

// uiPrefixes are the packages that draw on a terminal. Sources and the platform never
// depend on them.
var uiPrefixes = []string{
	"charm.land/",
	"github.com/charmbracelet/",
	Module + "/tui",
	Module + "/views",
	Module + "/keymaps",
	Module + "/themes",
}

func within(path, prefix string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func withinAny(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if within(path, p) {
			return true
		}
	}
	return false
}

// Violations lists every forbidden dependency in pkgs, sorted, one line each.
func Violations(pkgs []Package) []string {
	var out []string
	add := func(from, to, why string) { out = append(out, fmt.Sprintf("%s imports %s: %s", from, to, why)) }
	cmd, tui := Module+"/cmd", Module+"/tui"
	for _, p := range pkgs {
		if !within(p.ImportPath, Module) {
			continue
		}
		for _, d := range p.Deps {
			switch {
			case within(d, cmd) && !within(p.ImportPath, cmd):
				add(p.ImportPath, d, "nothing imports cmd/")
			case within(d, tui) && !within(p.ImportPath, cmd) && !within(p.ImportPath, tui):
				add(p.ImportPath, d, "only cmd/ imports tui/")
			}
			if within(p.ImportPath, Module+"/sources") || within(p.ImportPath, Module+"/platform") {
				if withinAny(d, uiPrefixes) {
					add(p.ImportPath, d, "sources/ and platform/ never import UI packages")
				}
			}
			if within(p.ImportPath, Module+"/sources") && within(d, Module+"/platform") && !within(d, Module+"/platform/api") {
				add(p.ImportPath, d, "sources/ may use platform/api types only")
			}
			if within(p.ImportPath, Module+"/platform") && within(d, Module+"/sources") {
				add(p.ImportPath, d, "platform/ never imports sources/")
			}
			if within(p.ImportPath, Module+"/platform/api") && within(d, Module+"/platform") && !within(d, Module+"/platform/api") {
				add(p.ImportPath, d, "platform/api holds wire types only")
			}
			if within(p.ImportPath, Module+"/views") && (within(d, Module+"/platform") && !within(d, Module+"/platform/api")) {
				add(p.ImportPath, d, "views never import the server")
			}
			if within(p.ImportPath, Module+"/internal") && withinAny(d, []string{cmd, tui, Module + "/views", Module + "/sources", Module + "/platform"}) {
				add(p.ImportPath, d, "internal/ helpers sit below everything")
			}
		}
	}
	sort.Strings(out)
	return out
}
