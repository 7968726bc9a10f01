package themes

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-dev/vigie/internal/textdist"
)

// maxThemeSize bounds a theme file: a theme is a few dozen lines.
const maxThemeSize = 64 << 10

// ParseError is a problem at a position in a theme file.
type ParseError struct {
	File   string
	Line   int // 1-based; 0 when unknown
	Column int // 1-based; 0 when unknown
	Msg    string
}

func (e *ParseError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// LoadFile reads a user theme (see the package doc for the format). The palette is named
// after the file without its extension; errors carry the path.
func LoadFile(path string) (Palette, error) {
	f, err := os.Open(path)
	if err != nil {
		return Palette{}, fmt.Errorf("theme: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxThemeSize+1))
	if err != nil {
		return Palette{}, fmt.Errorf("theme %s: %w", path, err)
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return parse(path, name, data)
}

// Parse reads a user theme from data; name names the palette and stands for the file in
// error positions.
func Parse(name string, data []byte) (Palette, error) {
	return parse(name, name, data)
}

// keyBase is the one key of a theme file that is not a colour token.
const keyBase = "base"

func validKeys() string {
	return keyBase + ", " + strings.Join(Tokens(), ", ")
}

func parse(file, name string, data []byte) (Palette, error) {
	if len(data) > maxThemeSize {
		return Palette{}, &ParseError{File: file, Msg: fmt.Sprintf("theme file larger than %d bytes", maxThemeSize)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return Palette{}, &ParseError{File: file, Msg: "empty theme (want at least \"base: dark\")"}
		}
		return Palette{}, yamlError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := extra.Line
		if err != nil {
			return Palette{}, yamlError(file, err)
		}
		return Palette{}, &ParseError{File: file, Line: line, Column: 1, Msg: "more than one YAML document"}
	}

	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return Palette{}, &ParseError{File: file, Line: root.Line, Column: root.Column,
			Msg: "a theme is a mapping of tokens to colours (valid keys: " + validKeys() + ")"}
	}

	var problems []error
	add := func(n *yaml.Node, format string, args ...any) {
		problems = append(problems, &ParseError{File: file, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)})
	}

	// First pass: the base, since overrides apply on top of it wherever it is written.
	base := Dark()
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value != keyBase {
			continue
		}
		if v.Kind != yaml.ScalarNode {
			add(v, "base must be a theme name (one of %s)", strings.Join(Names(), ", "))
			continue
		}
		b, err := Builtin(v.Value)
		if err != nil {
			add(v, "unknown base %q (one of %s)", v.Value, strings.Join(Names(), ", "))
			continue
		}
		base = b
	}

	p := base
	p.Name = name
	byName := map[string]token{}
	for _, t := range tokens() {
		byName[t.name] = t
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			add(k, "keys must be token names (valid keys: %s)", validKeys())
			continue
		}
		if seen[k.Value] {
			add(k, "%q set twice", k.Value)
			continue
		}
		seen[k.Value] = true
		if k.Value == keyBase {
			continue
		}
		t, ok := byName[k.Value]
		if !ok {
			add(k, "unknown token %q%s (valid keys: %s)", k.Value, suggestToken(k.Value), validKeys())
			continue
		}
		if base.Monochrome {
			add(k, "%q: the mono base takes no colours (use base: dark, light or high-contrast)", k.Value)
			continue
		}
		c, err := colorNode(v)
		if err != nil {
			add(v, "%s: %v", k.Value, err)
			continue
		}
		*t.ptr(&p) = c
	}
	if len(problems) > 0 {
		return Palette{}, errors.Join(problems...)
	}
	if err := p.Validate(); err != nil {
		return Palette{}, &ParseError{File: file, Msg: err.Error()}
	}
	return p, nil
}

// colorNode reads a colour from a YAML value: a quoted "#rrggbb", an integer 0-255 (bare or
// quoted), or "" for the terminal default. A bare # starts a YAML comment, which leaves the
// value null: that gets its own hint.
func colorNode(v *yaml.Node) (color.Color, error) {
	if v.Kind != yaml.ScalarNode {
		return nil, errors.New("want a colour: \"#rrggbb\", an ANSI colour number 0-255, or \"\" for the terminal default")
	}
	if v.Tag == "!!null" {
		return nil, errors.New("no colour given (hex colours must be quoted, \"#ff0000\": an unquoted # starts a YAML comment; use \"\" for the terminal default)")
	}
	return parseColor(v.Value)
}

// yamlError turns a yaml syntax error ("yaml: line 3: ...") into a positioned ParseError.
func yamlError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, text, ok := strings.Cut(rest, ": "); ok {
			if line, convErr := strconv.Atoi(num); convErr == nil {
				return &ParseError{File: file, Line: line, Msg: text}
			}
		}
	}
	return &ParseError{File: file, Msg: msg}
}

// suggestToken returns ` (did you mean "x"?)` for the closest token, or "".
func suggestToken(s string) string {
	best, bestD := "", len(s)/3+1
	for _, name := range append(Tokens(), keyBase) {
		if d := textdist.Levenshtein(strings.ToLower(s), name); d < bestD {
			best, bestD = name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}
