// Package problem is what is wrong in a configuration file, at file:line:col: the shape
// shared by vigie's configuration (internal/config) and the platform server's
// (platform/policy), so that editors and grep jump to the same kind of position.
package problem

import (
	"fmt"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a configuration. Problems found in a file carry its
// path and the 1-based line and column of the offending key or value; problems found
// elsewhere (environment, flags) have no File and name the variable or flag in Path. Msg
// never contains a secret value.
type Problem struct {
	File string // "" for environment and flag problems
	Line int    // 1-based; 0 when unknown
	Col  int    // 1-based; 0 when unknown
	Path string // field path such as teams.payments.namespaces, or VIGIE_TEAM, --team
	Msg  string // what is wrong, usually with "(expected ...)"
}

// String formats the problem as "file:line:col: path: msg", dropping the parts that are
// unknown.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			b.WriteString(":" + strconv.Itoa(p.Line))
			if p.Col > 0 {
				b.WriteString(":" + strconv.Itoa(p.Col))
			}
		}
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// List is problems as one error text: a single problem alone, several under header (a
// format with one %d, the count), one per line.
func List(ps []Problem, header string) string {
	if len(ps) == 1 {
		return ps[0].String()
	}
	lines := make([]string, 0, len(ps)+1)
	lines = append(lines, fmt.Sprintf(header, len(ps)))
	for _, p := range ps {
		lines = append(lines, p.String())
	}
	return strings.Join(lines, "\n")
}
