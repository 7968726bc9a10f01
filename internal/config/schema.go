package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The valid keys of each mapping, in the order they are documented and printed.
func topKeys() []string {
	return []string{"current-context", "log-file", "theme", "keys", "logs", "contexts", "teams"}
}
func contextKeys() []string {
	return []string{"environment", "team", "readOnly", "runbooks", "kube", "prometheus", "alertmanager", "loki", "platform"}
}
func kubeKeys() []string     { return []string{"kubeconfig", "context"} }
func endpointKeys() []string { return []string{"url", "bearerToken", "bearerTokenFile", "timeout"} }
func lokiKeys() []string {
	return []string{"url", "tenant", "username", "password", "passwordFile", "bearerToken", "bearerTokenFile", "timeout"}
}
func platformKeys() []string { return []string{"url", "token", "tokenFile"} }
func teamKeys() []string     { return []string{"namespaces", "selector", "alertMatchers", "services"} }
func serviceKeys() []string  { return []string{"slo", "queries"} }
func sloKeys() []string      { return []string{"objective", "window"} }
func logsKeys() []string     { return []string{"ringSize", "maxStreams", "since"} }

// parsed is a decoded file: the configuration, the problems found, and the node of each
// field so that later checks (secret files, overrides) can point at a position.
type parsed struct {
	cfg *Config
	d   *decoder
}

// fileParser carries what path expansion needs.
type fileParser struct {
	*decoder
	dir  string // directory of the file, for relative paths
	home string // for ~
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parse decodes and validates a configuration file. It always returns a Config (empty
// on syntax errors) and keeps going after a problem so that all of them are reported.
func parse(file, dir, home string, data []byte) parsed {
	p := fileParser{decoder: &decoder{file: file, pos: map[string]*yaml.Node{}}, dir: dir, home: home}
	cfg := emptyConfig()
	out := parsed{cfg: cfg, d: p.decoder}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			p.syntax(err)
		}
		return out
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.add(&extra, "", "the file holds more than one YAML document (expected a single document)")
	} else if !errors.Is(err, io.EOF) {
		p.syntax(err)
	}
	root := &doc
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return out
		}
		root = doc.Content[0]
	}
	var contexts, teams *yaml.Node
	var ccNode *yaml.Node
	p.object(root, "", topKeys(), func(key string, k, v *yaml.Node, path string) {
		switch key {
		case "current-context":
			if s, ok := p.str(v, path); ok {
				cfg.CurrentContext, ccNode = s, v
			}
		case "log-file":
			cfg.LogFile, _ = p.filePath(v, path)
		case "theme":
			p.theme(&cfg.UI, v, path)
		case "keys":
			p.keys(&cfg.UI, k, v, path)
		case "logs":
			p.logs(&cfg.Logs, v, path)
		case "contexts":
			contexts = v
		case "teams":
			teams = v
		}
	})
	if root.Kind != yaml.MappingNode && !isNull(root) {
		return out // object reported "expected a mapping"
	}
	if m := p.mapping(teams, "teams"); m != nil {
		for _, kv := range p.pairs(m, "teams") {
			p.team(cfg, kv)
		}
	}
	if m := p.mapping(contexts, "contexts"); m != nil {
		for _, kv := range p.pairs(m, "contexts") {
			p.context(cfg, kv)
		}
	}
	if cfg.CurrentContext != "" && cfg.Contexts[cfg.CurrentContext] == nil {
		p.add(ccNode, "current-context", "%s", unknownContext(cfg, cfg.CurrentContext, file))
	}
	return out
}

// syntax turns a YAML parser error into a problem with its line.
func (p *fileParser) syntax(err error) {
	msg := err.Error()
	prob := Problem{File: p.file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		prob.Line, _ = strconv.Atoi(m[1])
		prob.Msg = "invalid YAML: " + m[2]
	}
	p.problems = append(p.problems, prob)
}

// filePath decodes a path: ~ expanded, relative to the config file's directory.
func (p *fileParser) filePath(n *yaml.Node, path string) (string, bool) {
	s, ok := p.str(n, path)
	if !ok {
		return "", false
	}
	abs, err := expandPath(s, p.dir, p.home)
	if err != nil {
		p.add(n, path, "%v", err)
		return "", false
	}
	return abs, true
}

// url decodes an absolute http(s) URL.
func (p *fileParser) url(n *yaml.Node, path string) *url.URL {
	s, ok := p.str(n, path)
	if !ok {
		return nil
	}
	u, msg := parseURL(s)
	if msg != "" {
		p.add(n, path, "%s", msg)
	}
	return u
}

// has reports whether the key at path was given a non-null value.
func (p *fileParser) has(path string) bool {
	n, ok := p.pos[path]
	return ok && !isNull(n)
}

func (p *fileParser) team(cfg *Config, kv pair) {
	name := kv.key.Value
	path := joinPath("teams", name)
	if msg := checkName(name); msg != "" {
		p.add(kv.key, path, "%s", msg)
	}
	t := &Team{Name: name}
	cfg.Teams[name] = t
	p.pos[path] = kv.value
	p.setQueryPos(cfg, path, kv.key)
	p.object(kv.value, path, teamKeys(), func(key string, k, v *yaml.Node, path string) {
		switch key {
		case "namespaces":
			list, ok := p.stringList(v, path)
			if !ok {
				return
			}
			if len(list) == 0 {
				p.add(v, path, "must list at least one namespace")
			}
			seen := map[string]bool{}
			items := deref(v).Content
			for i, ns := range list {
				item := path + "[" + strconv.Itoa(i) + "]"
				if msg := checkNamespace(ns); msg != "" {
					p.add(items[min(i, len(items)-1)], item, "%s", msg)
				} else if seen[ns] {
					p.add(items[min(i, len(items)-1)], item, "namespace %q is listed twice", ns)
				}
				seen[ns] = true
			}
			t.Namespaces = list
		case "selector":
			if s, ok := p.str(v, path); ok {
				if msg := checkSelector(s); msg != "" {
					p.add(v, path, "%s", msg)
				}
				t.Selector = s
			}
		case "alertMatchers":
			t.AlertMatchers = p.alertMatchers(v, path, name)
		case "services":
			p.services(cfg, t, v, path)
		}
	})
	p.required(kv.key, path, "namespaces", "(expected a list of at least one namespace)")
	if t.AlertMatchers == nil {
		t.AlertMatchers = defaultAlertMatchers(name)
	}
}

func (p *fileParser) context(cfg *Config, kv pair) {
	name := kv.key.Value
	path := joinPath("contexts", name)
	if msg := checkName(name); msg != "" {
		p.add(kv.key, path, "%s", msg)
	}
	c := &Context{Name: name}
	cfg.Contexts[name] = c
	p.pos[path] = kv.value
	p.object(kv.value, path, contextKeys(), func(key string, k, v *yaml.Node, path string) {
		switch key {
		case "environment":
			if s, ok := p.str(v, path); ok {
				if Environment(s).Valid() {
					c.Environment = Environment(s)
				} else {
					p.add(v, path, "invalid value %q (expected one of: production, staging, dev)", s)
				}
			}
		case "team":
			if s, ok := p.str(v, path); ok {
				c.Team = s
				if len(cfg.Teams) > 0 && cfg.Teams[s] == nil {
					p.add(v, path, "%s", unknownTeam(cfg, s))
				}
			}
		case "readOnly":
			c.ReadOnly, _ = p.boolean(v, path)
		case "runbooks":
			c.Runbooks, _ = p.filePath(v, path)
		case "kube":
			p.object(v, path, kubeKeys(), func(key string, k, v *yaml.Node, path string) {
				switch key {
				case "kubeconfig":
					c.Kube.Kubeconfig, _ = p.filePath(v, path)
				case "context":
					c.Kube.Context, _ = p.str(v, path)
				}
			})
		case "prometheus":
			c.Prometheus = p.endpoint(k, v, path)
		case "alertmanager":
			c.Alertmanager = p.endpoint(k, v, path)
		case "loki":
			c.Loki = p.loki(k, v, path)
		case "platform":
			c.Platform = p.platform(k, v, path)
		}
	})
	p.required(kv.key, path, "environment", "(expected one of: production, staging, dev)")
}

// endpointField decodes one of the keys shared by endpoints; it reports whether it did.
func (p *fileParser) endpointField(e *Endpoint, key string, v *yaml.Node, path string) bool {
	switch key {
	case "url":
		e.URL = p.url(v, path)
	case "bearerToken":
		e.BearerToken, _ = p.secret(v, path)
	case "bearerTokenFile":
		e.BearerTokenFile, _ = p.filePath(v, path)
	case "timeout":
		if t, ok := p.duration(v, path); ok {
			e.Timeout = t
		}
	default:
		return false
	}
	return true
}

func (p *fileParser) endpoint(k, v *yaml.Node, path string) *Endpoint {
	if isNull(v) {
		return nil
	}
	e := &Endpoint{Timeout: DefaultTimeout}
	p.object(v, path, endpointKeys(), func(key string, _, v *yaml.Node, path string) {
		p.endpointField(e, key, v, path)
	})
	p.checkEndpoint(k, path)
	return e
}

func (p *fileParser) checkEndpoint(k *yaml.Node, path string) {
	p.required(k, path, "url", "(expected an absolute http(s) URL)")
	p.exclusive(path, "bearerToken", "bearerTokenFile")
}

func (p *fileParser) loki(k, v *yaml.Node, path string) *Loki {
	if isNull(v) {
		return nil
	}
	l := &Loki{Endpoint: Endpoint{Timeout: DefaultTimeout}}
	p.object(v, path, lokiKeys(), func(key string, _, v *yaml.Node, path string) {
		if p.endpointField(&l.Endpoint, key, v, path) {
			return
		}
		switch key {
		case "tenant":
			l.Tenant, _ = p.str(v, path)
		case "username":
			l.Username, _ = p.str(v, path)
		case "password":
			l.Password, _ = p.secret(v, path)
		case "passwordFile":
			l.PasswordFile, _ = p.filePath(v, path)
		}
	})
	p.checkEndpoint(k, path)
	p.exclusive(path, "password", "passwordFile")
	user := p.has(joinPath(path, "username"))
	pass := p.has(joinPath(path, "password")) || p.has(joinPath(path, "passwordFile"))
	bearer := p.has(joinPath(path, "bearerToken")) || p.has(joinPath(path, "bearerTokenFile"))
	switch {
	case user && !pass:
		p.add(p.pos[joinPath(path, "username")], joinPath(path, "username"), "username needs a password (expected password or passwordFile)")
	case !user && pass:
		p.add(k, joinPath(path, "username"), "required with password or passwordFile (basic auth needs both)")
	case user && bearer:
		p.add(p.pos[joinPath(path, "username")], path, "set either username/password or bearerToken/bearerTokenFile, not both")
	}
	return l
}

func (p *fileParser) platform(k, v *yaml.Node, path string) *Platform {
	if isNull(v) {
		return nil
	}
	pl := &Platform{}
	p.object(v, path, platformKeys(), func(key string, _, v *yaml.Node, path string) {
		switch key {
		case "url":
			pl.URL = p.url(v, path)
		case "token":
			pl.Token, _ = p.secret(v, path)
		case "tokenFile":
			pl.TokenFile, _ = p.filePath(v, path)
		}
	})
	p.required(k, path, "url", "(expected an absolute http(s) URL)")
	p.exclusive(path, "token", "tokenFile")
	return pl
}

// required reports a missing key of the section at path (k is the section's key).
func (p *fileParser) required(k *yaml.Node, path, key, expected string) {
	if !p.has(joinPath(path, key)) && p.isMapping(path) {
		p.add(k, joinPath(path, key), "required %s", expected)
	}
}

// isMapping reports whether the section at path was a mapping (otherwise its type
// problem was already reported and "missing key" would be noise).
func (p *fileParser) isMapping(path string) bool {
	n := deref(p.pos[path])
	return n == nil || n.Kind == yaml.MappingNode
}

// exclusive reports a section that sets both an inline secret and its file.
func (p *fileParser) exclusive(path, inline, file string) {
	if p.has(joinPath(path, inline)) && p.has(joinPath(path, file)) {
		p.add(p.pos[joinPath(path, file)], joinPath(path, file), "set either %s or %s, not both", inline, file)
	}
}

// unknownContext describes a context name that is not defined; where names the file.
func unknownContext(cfg *Config, name, where string) string {
	names := cfg.ContextNames()
	if len(names) == 0 {
		return fmt.Sprintf("unknown context %q (no contexts are defined in %s)", name, where)
	}
	return fmt.Sprintf("unknown context %q (known contexts: %s)", name, strings.Join(names, ", "))
}

func unknownTeam(cfg *Config, name string) string {
	return fmt.Sprintf("unknown team %q (known teams: %s)", name, strings.Join(cfg.TeamNames(), ", "))
}
