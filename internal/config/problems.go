package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Problem is one thing wrong with the configuration. Problems found in the file carry
// its path and the 1-based line and column of the offending key or value; problems
// found in the environment or the flags have no File and name the variable or flag in
// Path. Msg never contains a secret value.
type Problem struct {
	File string // config file path; "" for environment and flag problems
	Line int    // 1-based; 0 when unknown
	Col  int    // 1-based; 0 when unknown
	Path string // field path such as contexts.prod.prometheus.url, or VIGIE_TEAM, --team
	Msg  string // what is wrong, usually with "(expected ...)"
}

// String formats the problem as "file:line:col: path: msg", dropping the parts that are
// unknown, so editors and grep can jump to the position.
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

// Errors is every problem found while loading the configuration. Load returns it (as an
// error) when there is at least one problem; use errors.As to get the list.
type Errors []Problem

// Error lists every problem, one per line. A single problem is printed alone.
func (e Errors) Error() string {
	switch len(e) {
	case 0:
		return "no configuration problems"
	case 1:
		return e[0].String()
	}
	lines := make([]string, 0, len(e)+1)
	lines = append(lines, fmt.Sprintf("%d configuration problems:", len(e)))
	for _, p := range e {
		lines = append(lines, p.String())
	}
	return strings.Join(lines, "\n")
}

// normalize sorts file problems by position (environment and flag problems after them,
// in the order found) and drops exact duplicates (a merged YAML anchor can report the
// same problem twice).
func normalize(ps []Problem) Errors {
	out := make(Errors, 0, len(ps))
	seen := make(map[Problem]bool, len(ps))
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.File == "") != (b.File == "") {
			return a.File != ""
		}
		if a.File == "" {
			return false
		}
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return out
}
