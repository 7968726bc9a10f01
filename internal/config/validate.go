package config

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

// maxNameLen is the longest context or team name.
const maxNameLen = 63

var (
	nameRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	quotedRE = regexp.MustCompile(`\s*"[^"]*"`)
)

// checkName validates a context or team name; it returns "" when the name is valid.
func checkName(name string) string {
	switch {
	case len(name) > maxNameLen:
		return fmt.Sprintf("name %q is too long: %d characters (expected at most %d)", name, len(name), maxNameLen)
	case !nameRE.MatchString(name):
		return fmt.Sprintf("invalid name %q (expected lower-case letters, digits, '.', '_' or '-', starting with a letter or digit)", name)
	}
	return ""
}

// checkNamespace validates a Kubernetes namespace name (DNS-1123 label).
func checkNamespace(ns string) string {
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return fmt.Sprintf("invalid namespace %q (expected a DNS-1123 label: at most 63 lower-case letters, digits or '-', starting and ending with a letter or digit)", ns)
	}
	return ""
}

// checkSelector validates a Kubernetes label selector with the same parser the
// Kubernetes source uses, so a selector that loads is one the API server accepts.
func checkSelector(sel string) string {
	if _, err := labels.Parse(sel); err != nil {
		return fmt.Sprintf("invalid label selector %q: %v (expected e.g. team=payments, tier in (web,api), !canary)", sel, err)
	}
	return ""
}

// safeURL prints a URL without user info, query or fragment.
func safeURL(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// parseURL validates an absolute http(s) URL. The message never echoes user info.
func parseURL(raw string) (*url.URL, string) {
	const expected = "(expected an absolute http(s) URL such as http://127.0.0.1:9090)"
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the input and its inner errors quote parts of it (a port, an
		// escape), which could be a credential: keep the words, drop the quotes.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		reason := strings.TrimSpace(quotedRE.ReplaceAllString(err.Error(), ""))
		return nil, fmt.Sprintf("invalid URL: %s %s", reason, expected)
	}
	switch {
	case u.User != nil:
		return nil, "URL must not contain credentials (use the token, bearerToken or username/password keys)"
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Sprintf("invalid URL %q: scheme must be http or https %s", safeURL(u), expected)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Sprintf("invalid URL %q: no host %s", safeURL(u), expected)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Sprintf("invalid URL %q: must not have a query or fragment %s", safeURL(u), expected)
	}
	return u, ""
}

// expandPath expands a leading ~ with home and makes a relative path absolute from base
// (the config file's directory; "" leaves relative paths as they are).
func expandPath(p, base, home string) (string, error) {
	switch {
	case p == "~" || strings.HasPrefix(p, "~/"):
		if home == "" {
			return "", errors.New("cannot expand ~: $HOME is not set (use an absolute path)")
		}
		p = filepath.Join(home, p[1:])
	case strings.HasPrefix(p, "~"):
		return "", fmt.Errorf("cannot expand %q: ~user is not supported (expected ~/..., or an absolute path)", p)
	}
	if !filepath.IsAbs(p) && base != "" {
		p = filepath.Join(base, p)
	}
	return filepath.Clean(p), nil
}
