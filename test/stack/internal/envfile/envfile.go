// Package envfile writes and reads the platform's shell-sourceable env file: one KEY=value per
// line, values without quotes, so values must not hold spaces or shell metacharacters.
package envfile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Var is one KEY=value line.
type Var struct{ Key, Value string }

var (
	keyRE = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
	// Values are written unquoted: allow only characters a POSIX shell reads literally in an
	// assignment (no pathname expansion there, so "?" is safe; "&" would not be).
	valueRE = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./?-]*$`)
)

// Validate checks that v can be written unquoted and read back by a POSIX shell.
func (v Var) Validate() error {
	if !keyRE.MatchString(v.Key) {
		return fmt.Errorf("env: bad key %q", v.Key)
	}
	if !valueRE.MatchString(v.Value) {
		return fmt.Errorf("env: value of %s has characters that need quoting: %q", v.Key, v.Value)
	}
	return nil
}

// Encode renders vars in order, one `export KEY=value` line each (a duplicate key is an error).
func Encode(vars []Var) ([]byte, error) {
	var b bytes.Buffer
	seen := map[string]bool{}
	b.WriteString("# Written by `stack up` (vigie test/stack). Source it to export these: . ./env\n")
	for _, v := range vars {
		if err := v.Validate(); err != nil {
			return nil, err
		}
		if seen[v.Key] {
			return nil, fmt.Errorf("env: duplicate key %s", v.Key)
		}
		seen[v.Key] = true
		fmt.Fprintf(&b, "export %s=%s\n", v.Key, v.Value)
	}
	return b.Bytes(), nil
}

// Decode reads an env file written by Encode (comments and blank lines are skipped; a
// leading `export ` is accepted).
func Decode(r io.Reader) ([]Var, error) {
	var out []Var
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok || !keyRE.MatchString(k) {
			return nil, fmt.Errorf("env line %d: not KEY=value", n)
		}
		out = append(out, Var{Key: k, Value: v})
	}
	return out, sc.Err()
}

// Lookup returns the value of key in vars.
func Lookup(vars []Var, key string) (string, bool) {
	for _, v := range vars {
		if v.Key == key {
			return v.Value, true
		}
	}
	return "", false
}
