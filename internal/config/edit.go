package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// SetCurrentContext rewrites current-context in the config file at path to name. Only
// that value changes: comments, order, quoting and blank lines stay as they are (the
// value is located with the YAML node tree and replaced in the text, and the result is
// checked to decode to the same configuration). A file without current-context gets
// one before its first key. name must be a context defined in the file. The file is
// replaced atomically (temporary file in the same directory, then rename) with its
// mode kept; a symbolic link is followed and the file it points to is replaced.
func SetCurrentContext(path, name string) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	data, err := readLimited(real)
	if err != nil {
		return fmt.Errorf("reading config file: %w", err)
	}
	p := parse(real, filepath.Dir(real), "", data)
	for _, pr := range p.d.problems {
		if strings.HasPrefix(pr.Msg, "invalid YAML") || strings.HasPrefix(pr.Msg, "the file holds more than one") {
			return Errors{pr}
		}
	}
	if p.cfg.Contexts[name] == nil {
		return errors.New(unknownContext(p.cfg, name, real))
	}
	if p.cfg.CurrentContext == name {
		return nil
	}
	out, err := setCurrentContext(data, name)
	if err != nil {
		return fmt.Errorf("%s: %w (edit current-context by hand)", real, err)
	}
	if err := sameExceptCurrent(data, out, name); err != nil {
		return fmt.Errorf("%s: %w (edit current-context by hand)", real, err)
	}
	if err := writeAtomic(real, out); err != nil {
		return fmt.Errorf("writing config file: %w", err)
	}
	return nil
}

// yamlScalar returns name as a YAML scalar that reads back as the string name.
func yamlScalar(name string) string {
	var v any
	if err := yaml.Unmarshal([]byte(name), &v); err == nil {
		if s, ok := v.(string); ok && s == name {
			return name
		}
	}
	return strconv.Quote(name)
}

// setCurrentContext edits the text of a document so that current-context is name.
func setCurrentContext(data []byte, name string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the file is not a YAML mapping")
	}
	root := doc.Content[0]
	if root.Style&yaml.FlowStyle != 0 {
		return nil, errors.New("cannot edit a flow-style ({...}) mapping")
	}
	eol := "\n"
	if bytes.Contains(data, []byte("\r\n")) {
		eol = "\r\n"
	}
	lines := strings.SplitAfter(string(data), "\n")
	value := yamlScalar(name)

	var key, val *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "current-context" {
			key, val = k, root.Content[i+1]
			break
		}
	}
	if key == nil { // insert before the first key, at its indentation
		first := root.Content[0]
		line := strings.Repeat(" ", first.Column-1) + "current-context: " + value + eol
		i := first.Line - 1
		lines = append(lines[:i], append([]string{line}, lines[i:]...)...)
		return []byte(strings.Join(lines, "")), nil
	}
	if val.Kind != yaml.ScalarNode || val.Style&(yaml.LiteralStyle|yaml.FoldedStyle|yaml.TaggedStyle) != 0 || val.Anchor != "" {
		return nil, errors.New("current-context has an unusual form (not a plain or quoted scalar)")
	}
	if val.Value == "" && val.ShortTag() == "!!null" && val.Style == 0 { // "current-context:" with nothing after it
		line := lines[key.Line-1]
		start := byteOffset(line, key.Column-1)
		colon := strings.Index(line[start:], ":")
		if colon < 0 {
			return nil, errors.New("cannot find the ':' after current-context")
		}
		at := start + colon + 1
		lines[key.Line-1] = line[:at] + " " + value + line[at:]
		return []byte(strings.Join(lines, "")), nil
	}
	line := lines[val.Line-1]
	start := byteOffset(line, val.Column-1)
	end, err := scalarEnd(line, start, val)
	if err != nil {
		return nil, err
	}
	lines[val.Line-1] = line[:start] + value + line[end:]
	return []byte(strings.Join(lines, "")), nil
}

// byteOffset converts a 0-based column in characters to a byte offset in line.
func byteOffset(line string, col int) int {
	off := 0
	for i := 0; i < col && off < len(line); i++ {
		_, size := utf8.DecodeRuneInString(line[off:])
		off += size
	}
	return off
}

// scalarEnd finds where the single-line scalar starting at start ends.
func scalarEnd(line string, start int, val *yaml.Node) (int, error) {
	rest := line[start:]
	switch {
	case val.Style&yaml.DoubleQuotedStyle != 0:
		for i := 1; i < len(rest); i++ {
			switch rest[i] {
			case '\\':
				i++
			case '"':
				return start + i + 1, nil
			}
		}
	case val.Style&yaml.SingleQuotedStyle != 0:
		for i := 1; i < len(rest); i++ {
			if rest[i] == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					i++
					continue
				}
				return start + i + 1, nil
			}
		}
	default:
		end := len(strings.TrimRight(rest, "\r\n"))
		if i := strings.Index(rest, " #"); i >= 0 && i < end {
			end = i
		}
		if i := strings.Index(rest, "\t#"); i >= 0 && i < end {
			end = i
		}
		end = len(strings.TrimRight(rest[:end], " \t"))
		if rest[:end] == val.Value {
			return start + end, nil
		}
	}
	return 0, errors.New("current-context spans several lines")
}

// sameExceptCurrent checks that the edited text decodes to the original document with
// only current-context changed to name.
func sameExceptCurrent(before, after []byte, name string) error {
	var a, b map[string]any
	if err := yaml.Unmarshal(before, &a); err != nil {
		return fmt.Errorf("cannot check the edit: %w", err)
	}
	if err := yaml.Unmarshal(after, &b); err != nil {
		return fmt.Errorf("the edit would break the file: %w", err)
	}
	if got, _ := b["current-context"].(string); got != name {
		return errors.New("the edit did not set current-context")
	}
	delete(a, "current-context")
	delete(b, "current-context")
	if !reflect.DeepEqual(a, b) {
		return errors.New("the edit would change more than current-context")
	}
	return nil
}

// writeAtomic replaces path with data: a temporary file in the same directory is
// written, synced, given the original mode, then renamed over path.
func writeAtomic(path string, data []byte) (err error) {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(st.Mode().Perm()); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil { // make the rename durable; best effort
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
