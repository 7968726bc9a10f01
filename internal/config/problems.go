package config

import (
	"sort"

	"github.com/vigie-dev/vigie/internal/problem"
)

// Problem is one thing wrong with the configuration (problem.Problem): in the file, at
// file:line:col, or in the environment or the flags (no File; Path names the variable or
// flag). Msg never contains a secret value.
type Problem = problem.Problem

// Errors is every problem found while loading the configuration. Load returns it (as an
// error) when there is at least one problem; use errors.As to get the list.
type Errors []Problem

// Error lists every problem, one per line. A single problem is printed alone.
func (e Errors) Error() string {
	if len(e) == 0 {
		return "no configuration problems"
	}
	return problem.List(e, "%d configuration problems:")
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
