// Package sources holds the types shared by vigie's data sources; one sub-package per
// backend (kube, prom, alertmanager, ...) does the I/O. Nothing here imports UI packages.
package sources

import (
	"fmt"
	"time"

	"github.com/vigie-dev/vigie/internal/termtext"
)

// Check is the outcome of one health probe of a source, as `vigie doctor` reports it.
type Check struct {
	Source  string        // "kubernetes", "prometheus", ...
	Name    string        // what was checked: "reachable", "list pods in payments"
	OK      bool          // false: Detail says what is wrong
	Detail  string        // version, identity, or the error as the server worded it
	Latency time.Duration // round trip of the probe, 0 when not measured
}

// String renders the check on one line; Detail came from a remote server and is drawn
// with terminal control sequences neutralised.
func (c Check) String() string {
	mark := "ok"
	if !c.OK {
		mark = "FAIL"
	}
	s := fmt.Sprintf("%-4s %-12s %s", mark, c.Source, c.Name)
	if c.Detail != "" {
		s += ": " + termtext.Line(c.Detail)
	}
	if c.Latency > 0 {
		s += fmt.Sprintf(" (%s)", c.Latency.Round(time.Millisecond))
	}
	return s
}
