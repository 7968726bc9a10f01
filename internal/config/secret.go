package config

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// redacted is what every printed or encoded form of a non-empty Secret shows.
const redacted = "<redacted>"

// Secret is a credential read from the configuration file, a secret file or the
// environment. It is the single place where redaction happens: fmt (every verb),
// encoding/json, yaml, encoding.TextMarshaler and log/slog all see "<redacted>" (or ""
// when the secret is empty). Call Reveal only where the value is sent to a server.
type Secret string

// Reveal returns the secret value. Use it only to build a request header.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s != "" }

// String returns "<redacted>", or "" when the secret is empty.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v redacted.
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.String()) }

// Format keeps every fmt verb (%s, %v, %q, %x, %#v, ...) redacted.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, s.GoString())
	case verb == 'q':
		_, _ = fmt.Fprintf(f, "%q", s.String())
	default:
		_, _ = io.WriteString(f, s.String())
	}
}

// MarshalText implements encoding.TextMarshaler with the redacted form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalJSON implements json.Marshaler with the redacted form. (An encoder that
// escapes HTML shows it as "\u003credacted\u003e".)
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(s.String())), nil }

// MarshalYAML implements yaml.Marshaler with the redacted form.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// LogValue implements slog.LogValuer with the redacted form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
