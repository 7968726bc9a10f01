package policy

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-dev/vigie/internal/problem"
)

// Problem is one thing wrong with the server configuration, at file:line:col.
type Problem = problem.Problem

// Errors is every problem found in the file, in file order.
type Errors []Problem

func (e Errors) Error() string { return problem.List(e, "%d problems in the server configuration:") }

// decoder walks the YAML tree, collecting every problem with its position.
type decoder struct {
	file     string
	problems []Problem
}

func (d *decoder) add(n *yaml.Node, path, format string, args ...any) {
	p := Problem{File: d.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Col = n.Line, n.Column
	}
	d.problems = append(d.problems, p)
}

func (d *decoder) errors() error {
	if len(d.problems) == 0 {
		return nil
	}
	sort.SliceStable(d.problems, func(i, j int) bool {
		a, b := d.problems[i], d.problems[j]
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
	return Errors(d.problems)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	for _, r := range key {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return path + fmt.Sprintf("[%q]", key)
		}
	}
	return path + "." + key
}

func kindOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing"
	case "!!bool":
		return "a boolean"
	case "!!int", "!!float":
		return "a number"
	}
	return "a string"
}

type pair struct{ key, value *yaml.Node }

// mapping returns the pairs of a mapping node, reporting non-mappings, non-string keys,
// aliases (not supported: they hide what a key means) and duplicate keys. null is an
// empty mapping.
func (d *decoder) mapping(n *yaml.Node, path string) []pair {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.add(n, path, "expected a mapping, got %s", kindOf(n))
		return nil
	}
	var out []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" || k.ShortTag() == "!!null" {
			d.add(k, path, "keys must be plain strings (no merge keys, aliases or nulls)")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.add(k, join(path, k.Value), "duplicate key (first at line %d, column %d)", first.Line, first.Column)
			continue
		}
		if v.Kind == yaml.AliasNode {
			d.add(v, join(path, k.Value), "aliases are not supported: write the value out")
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{k, v})
	}
	return out
}

// object decodes a mapping with a fixed set of keys: an unknown key is a problem that
// lists the valid ones.
func (d *decoder) object(n *yaml.Node, path string, keys []string, each func(key string, k, v *yaml.Node, path string)) {
	for _, p := range d.mapping(n, path) {
		known := false
		for _, k := range keys {
			known = known || k == p.key.Value
		}
		if !known {
			d.add(p.key, join(path, p.key.Value), "unknown key (valid keys: %s)", strings.Join(keys, ", "))
			continue
		}
		each(p.key.Value, p.key, p.value, join(path, p.key.Value))
	}
}

// str returns a string scalar; anything else is a problem.
func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		d.add(n, path, "expected a string, got %s", kindOf(n))
		return "", false
	}
	return n.Value, true
}

// strings decodes a list of strings.
func (d *decoder) strings(n *yaml.Node, path string) []string {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.add(n, path, "expected a list of strings, got %s", kindOf(n))
		return nil
	}
	var out []string
	for i, item := range n.Content {
		if s, ok := d.str(item, fmt.Sprintf("%s[%d]", path, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

// integer decodes an integer within [lo, hi].
func (d *decoder) integer(n *yaml.Node, path string, lo, hi int64) (int64, bool) {
	var v int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		d.add(n, path, "expected an integer, got %s", kindOf(n))
		return 0, false
	}
	if v < lo || v > hi {
		d.add(n, path, "%d is out of range [%d, %d]", v, lo, hi)
		return 0, false
	}
	return v, true
}
