package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"go.yaml.in/yaml/v3"
)

// logs decodes the logs section over the defaults already in l.
func (p *fileParser) logs(l *LogsConfig, v *yaml.Node, path string) {
	p.object(v, path, logsKeys(), func(key string, _, v *yaml.Node, path string) {
		switch key {
		case "ringSize":
			if n, ok := p.integer(v, path, MinLogRingSize, MaxLogRingSize); ok {
				l.RingSize = n
			}
		case "maxStreams":
			if n, ok := p.integer(v, path, 1, MaxLogStreams); ok {
				l.MaxStreams = n
			}
		case "since":
			if d, ok := p.duration(v, path); ok {
				l.Since = d
			}
		}
	})
}

// checkRunbooks checks that the runbooks folder of the selected context (of every
// context with SecretFilesAll) exists and is a folder. A folder from VIGIE_RUNBOOKS is
// reported under that name.
func checkRunbooks(r *Resolved, p parsed, o overrides, mode SecretFiles) []Problem {
	var out []Problem
	reported := map[string]bool{} // a field with a problem already is not checked
	for _, pr := range p.d.problems {
		reported[pr.Path] = true
	}
	check := func(c *Context, fromEnv bool) {
		if c.Runbooks == "" {
			return
		}
		msg := checkRunbooksDir(c.Runbooks)
		switch {
		case msg == "":
		case fromEnv:
			out = append(out, Problem{Path: o.runbooks.source, Msg: msg})
		default:
			path := joinPath(joinPath("contexts", c.Name), "runbooks")
			if reported[path] {
				return
			}
			pr := Problem{File: p.d.file, Path: path, Msg: msg}
			if n := p.d.pos[path]; n != nil {
				pr.Line, pr.Col = n.Line, n.Column
			}
			out = append(out, pr)
		}
	}
	if mode == SecretFilesAll {
		for _, name := range r.File.Config.ContextNames() {
			check(r.File.Config.Contexts[name], false)
		}
	}
	if r.Context != nil {
		check(r.Context, o.runbooks.set())
	}
	return out
}

// checkRunbooksDir says what is wrong with the runbooks folder at abs, or "".
func checkRunbooksDir(abs string) string {
	const expected = "(expected an existing folder holding the runbooks)"
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("runbooks folder %s does not exist %s", abs, expected)
	case err != nil:
		return fmt.Sprintf("cannot use runbooks folder: %v", err)
	case !st.IsDir():
		return fmt.Sprintf("runbooks folder %s is a file, not a folder %s", abs, expected)
	}
	return ""
}
