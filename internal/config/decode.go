package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-dev/vigie/internal/textdist"
)

// decoder walks a yaml.Node tree against the schema, collecting every problem with its
// position instead of stopping at the first. It never puts a secret value in a message.
type decoder struct {
	file     string
	problems []Problem
	pos      map[string]*yaml.Node // node of each decoded field, by path, for later problems
}

type pair struct{ key, value *yaml.Node }

func (d *decoder) add(n *yaml.Node, path, format string, args ...any) {
	p := Problem{File: d.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Col = n.Line, n.Column
	}
	d.problems = append(d.problems, p)
}

// deref follows aliases to the anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names the kind of a node for "expected X, got Y" messages, without its value.
func describe(n *yaml.Node) string {
	n = deref(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!null":
		return "null"
	case "!!bool":
		return "a boolean"
	case "!!int", "!!float":
		return "a number"
	}
	return "a string"
}

// joinPath appends a key to a field path. Keys other than letters, digits, '-' and '_'
// are quoted (contexts["a.b"]): a dot would make the path ambiguous, and %q escapes
// control characters. Key action names are the exception: they are dotted by design and
// nothing is nested under them, so keys.table.filter is not ambiguous.
func joinPath(path, key string) string {
	if path == "keys" && actionPathRE.MatchString(key) {
		return path + "." + key
	}
	simple := key != ""
	for _, r := range key {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			simple = false
			break
		}
	}
	if !simple {
		return path + fmt.Sprintf("[%q]", key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// mapping returns n as a mapping node; a null value is "not set" (nil, no problem).
func (d *decoder) mapping(n *yaml.Node, path string) *yaml.Node {
	m := deref(n)
	if isNull(m) {
		return nil
	}
	if m.Kind != yaml.MappingNode {
		d.add(n, path, "expected a mapping, got %s", describe(m))
		return nil
	}
	return m
}

// pairs returns the key/value pairs of mapping m, reporting duplicate and non-string keys
// and expanding YAML merge keys (<<: *anchor), whose pairs never override explicit ones.
func (d *decoder) pairs(m *yaml.Node, path string) []pair {
	var out, merged []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := deref(m.Content[i]), m.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, d.mergePairs(v, path, 0)...)
			continue
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!null" {
			d.add(m.Content[i], path, "keys must be strings, got %s", describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.add(m.Content[i], joinPath(path, k.Value), "duplicate key %q (first defined at line %d, column %d)", k.Value, first.Line, first.Column)
			continue
		}
		seen[k.Value] = m.Content[i]
		out = append(out, pair{m.Content[i], v})
	}
	for _, p := range merged {
		if _, ok := seen[p.key.Value]; !ok {
			seen[p.key.Value] = p.key
			out = append(out, p)
		}
	}
	return out
}

func (d *decoder) mergePairs(v *yaml.Node, path string, depth int) []pair {
	n := deref(v)
	switch {
	case depth > 10:
		d.add(v, path, "merge keys nested too deeply")
	case n.Kind == yaml.MappingNode:
		return d.pairs(n, path)
	case n.Kind == yaml.SequenceNode && depth == 0:
		var out []pair
		seen := map[string]bool{}
		for _, item := range n.Content {
			for _, p := range d.mergePairs(item, path, depth+1) {
				if !seen[p.key.Value] { // earlier mappings win, as in YAML's merge spec
					seen[p.key.Value] = true
					out = append(out, p)
				}
			}
		}
		return out
	default:
		d.add(v, path, "merge key (<<) needs a mapping or a list of mappings, got %s", describe(n))
	}
	return nil
}

// object decodes a mapping with a fixed set of keys: unknown keys are problems listing
// the valid ones. each is called for every known key that has a value.
func (d *decoder) object(n *yaml.Node, path string, keys []string, each func(key string, k, v *yaml.Node, path string)) {
	m := d.mapping(n, path)
	if m == nil {
		return
	}
	for _, p := range d.pairs(m, path) {
		key := p.key.Value
		if !slices.Contains(keys, key) {
			d.add(p.key, joinPath(path, key), "unknown key%s (valid keys: %s)", suggest(key, keys), strings.Join(keys, ", "))
			continue
		}
		child := joinPath(path, key)
		d.pos[child] = p.value
		each(key, p.key, p.value, child)
	}
}

// suggest returns `; did you mean "readOnly"?` for a key close to a valid one.
func suggest(key string, valid []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(s))
	}
	best, bestDist := "", 3
	for _, v := range valid {
		dist := textdist.Levenshtein(norm(key), norm(v))
		if dist < bestDist {
			best, bestDist = v, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// scalar returns the text of a scalar value; null means "not set" (ok false, no problem).
func (d *decoder) scalar(n *yaml.Node, path, expected string) (string, bool) {
	s := deref(n)
	if isNull(s) {
		return "", false
	}
	if s.Kind != yaml.ScalarNode {
		d.add(n, path, "expected %s, got %s", expected, describe(s))
		return "", false
	}
	return s.Value, true
}

// str decodes a string. Numbers and booleans are taken as their text.
func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	v, ok := d.scalar(n, path, "a string")
	if ok && v == "" {
		d.add(n, path, "must not be empty (remove the key to leave it unset)")
		return "", false
	}
	return v, ok
}

// secret decodes a secret string; messages never include the value.
func (d *decoder) secret(n *yaml.Node, path string) (Secret, bool) {
	v, ok := d.str(n, path)
	return Secret(v), ok
}

func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	v, ok := d.scalar(n, path, "true or false")
	if !ok {
		return false, false
	}
	if deref(n).ShortTag() != "!!bool" {
		d.add(n, path, "invalid value %q (expected true or false)", v)
		return false, false
	}
	return strings.EqualFold(v, "true"), true
}

func (d *decoder) duration(n *yaml.Node, path string) (time.Duration, bool) {
	v, ok := d.scalar(n, path, "a duration")
	if !ok {
		return 0, false
	}
	t, err := time.ParseDuration(v)
	switch {
	case err != nil:
		d.add(n, path, "invalid duration %q (expected a Go duration such as 10s, 1m30s or 500ms)", v)
		return 0, false
	case t <= 0:
		d.add(n, path, "invalid duration %q (expected a duration greater than 0, such as 10s)", v)
		return 0, false
	}
	return t, true
}

// integer decodes a whole number from lo to hi.
func (d *decoder) integer(n *yaml.Node, path string, lo, hi int) (int, bool) {
	v, ok := d.scalar(n, path, "a whole number")
	if !ok {
		return 0, false
	}
	expected := fmt.Sprintf("(expected a whole number from %d to %d)", lo, hi)
	i, err := strconv.ParseInt(v, 0, 64)
	switch {
	case deref(n).ShortTag() != "!!int" || err != nil:
		d.add(n, path, "invalid value %q %s", v, expected)
		return 0, false
	case i < int64(lo) || i > int64(hi):
		d.add(n, path, "%s is out of range %s", v, expected)
		return 0, false
	}
	return int(i), true
}

// stringList decodes a list of non-empty strings (a single string is not a list).
func (d *decoder) stringList(n *yaml.Node, path string) ([]string, bool) {
	s := deref(n)
	if isNull(s) {
		return nil, false
	}
	if s.Kind != yaml.SequenceNode {
		d.add(n, path, "expected a list of strings, got %s", describe(s))
		return nil, false
	}
	out := make([]string, 0, len(s.Content))
	for i, item := range s.Content {
		if v, ok := d.str(item, fmt.Sprintf("%s[%d]", path, i)); ok {
			out = append(out, v)
		}
	}
	return out, true
}
