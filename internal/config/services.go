package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// SignalNames returns the signal names a service's queries may override: the golden
// signals, and latency for the three latency quantiles at once. They mirror the
// template keys of sources/prom, which this package does not import.
func SignalNames() []string {
	return []string{"rate", "error_ratio", "latency", "latency_p50", "latency_p95", "latency_p99", "cpu", "memory"}
}

// latencyTemplate is the signal name shared by the latency quantiles.
const latencyTemplate = "latency"

// QueryPath returns the field path of a query template, as problems name it:
// teams.payments.services.checkout.queries.error_ratio.
func QueryPath(team, service, signal string) string {
	return joinPath(joinPath(servicePath(team, service), "queries"), signal)
}

func servicePath(team, service string) string {
	return joinPath(joinPath(joinPath("teams", team), "services"), service)
}

// QueryPosition returns "file:line:col" of the query template of signal for the team's
// service, so that a template that does not compile can be reported like the other
// problems. Without that template it falls back to the latency template (for
// latency_p50, latency_p95, latency_p99), then the service, then the team; "" when
// none is known (no file, or a Config built by hand).
func (c *Config) QueryPosition(team, service, signal string) string {
	if c == nil {
		return ""
	}
	paths := []string{QueryPath(team, service, signal)}
	if strings.HasPrefix(signal, latencyTemplate+"_") {
		paths = append(paths, QueryPath(team, service, latencyTemplate))
	}
	paths = append(paths, servicePath(team, service), joinPath("teams", team))
	for _, p := range paths {
		if pos, ok := c.queryPos[p]; ok {
			return pos
		}
	}
	return ""
}

// QueryPosition is File.Config.QueryPosition.
func (r *Resolved) QueryPosition(team, service, signal string) string {
	if r == nil {
		return ""
	}
	return r.File.Config.QueryPosition(team, service, signal)
}

// setQueryPos remembers the position of n for QueryPosition.
func (p *fileParser) setQueryPos(cfg *Config, path string, n *yaml.Node) {
	if cfg.queryPos == nil {
		cfg.queryPos = map[string]string{}
	}
	cfg.queryPos[path] = position(p.file, deref(n))
}

func defaultAlertMatchers(team string) map[string]string {
	return map[string]string{"team": team}
}

// labelNameRE is a Prometheus label name.
var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// alertMatchers decodes a mapping of label name to value; nil means "the default".
func (p *fileParser) alertMatchers(v *yaml.Node, path, team string) map[string]string {
	m := p.mapping(v, path)
	if m == nil {
		return nil
	}
	pairs := p.pairs(m, path)
	if len(pairs) == 0 {
		p.add(v, path, "must not be empty (expected label: value pairs such as {team: %s}; remove the key for that default)", team)
		return nil
	}
	out := make(map[string]string, len(pairs))
	for _, kv := range pairs {
		name := kv.key.Value
		child := joinPath(path, name)
		p.pos[child] = kv.value
		if !labelNameRE.MatchString(name) {
			p.add(kv.key, child, "invalid label name %q (expected letters, digits and '_', not starting with a digit)", name)
			continue
		}
		s := deref(kv.value)
		switch {
		case isNull(s):
			p.add(kv.value, child, "no value given (expected the label's value, such as %s)", team)
		case s.Kind != yaml.ScalarNode:
			p.add(kv.value, child, "expected a label value, got %s", describe(s))
		case s.Value == "":
			p.add(kv.value, child, "empty label value (expected a value such as %s: an empty value would match the alerts that lack the label)", team)
		default:
			out[name] = s.Value
		}
	}
	return out
}

// services decodes the services of t: a list of names, or a mapping of name to
// settings.
func (p *fileParser) services(cfg *Config, t *Team, v *yaml.Node, path string) {
	n := deref(v)
	add := func(name string, sc ServiceConfig) {
		if t.ServiceConfig == nil {
			t.ServiceConfig = map[string]ServiceConfig{}
		}
		t.Services = append(t.Services, name)
		t.ServiceConfig[name] = sc
	}
	switch {
	case isNull(n):
	case n.Kind == yaml.SequenceNode:
		seen := map[string]bool{}
		for i, item := range n.Content {
			itemPath := path + "[" + strconv.Itoa(i) + "]"
			switch it := deref(item); {
			case it.Kind != yaml.ScalarNode || isNull(it):
				p.add(item, itemPath, "expected a service name, got %s", describe(it))
			case it.Value == "":
				p.add(item, itemPath, "empty service name (expected a name such as checkout)")
			case seen[it.Value]:
				p.add(item, itemPath, "service %q is listed twice", it.Value)
			default:
				seen[it.Value] = true
				p.setQueryPos(cfg, joinPath(path, it.Value), item)
				add(it.Value, ServiceConfig{})
			}
		}
	case n.Kind == yaml.MappingNode:
		for _, kv := range p.pairs(n, path) {
			name := kv.key.Value
			child := joinPath(path, name)
			if name == "" {
				p.add(kv.key, child, "empty service name (expected a name such as checkout)")
				continue
			}
			p.pos[child] = kv.value
			p.setQueryPos(cfg, child, kv.key)
			add(name, p.service(cfg, kv.value, child))
		}
	default:
		p.add(v, path, "expected a list of service names or a mapping of service names to settings, got %s", describe(n))
	}
}

// service decodes the settings of one service; null is "no settings".
func (p *fileParser) service(cfg *Config, v *yaml.Node, path string) ServiceConfig {
	var sc ServiceConfig
	p.object(v, path, serviceKeys(), func(key string, k, v *yaml.Node, path string) {
		switch key {
		case "slo":
			sc.SLO = p.slo(k, v, path)
		case "queries":
			sc.Queries = p.queries(cfg, v, path)
		}
	})
	return sc
}

const objectiveExpected = "(expected a percentage greater than 0 and less than 100, such as 99.5)"

func (p *fileParser) slo(k, v *yaml.Node, path string) *SLO {
	if isNull(v) {
		return nil
	}
	slo := &SLO{Window: DefaultSLOWindow}
	p.object(v, path, sloKeys(), func(key string, _, v *yaml.Node, path string) {
		switch key {
		case "objective":
			if o, ok := p.objective(v, path); ok {
				slo.Objective = o
			}
		case "window":
			if w, ok := p.sloWindow(v, path); ok {
				slo.Window = w
			}
		}
	})
	if deref(v).Kind != yaml.MappingNode {
		return nil // object reported it
	}
	p.required(k, path, "objective", objectiveExpected)
	return slo
}

// objective decodes a percentage in (0, 100) and returns it as a ratio.
func (p *fileParser) objective(n *yaml.Node, path string) (float64, bool) {
	s, ok := p.scalar(n, path, "a number")
	if !ok {
		return 0, false
	}
	tag := deref(n).ShortTag()
	x, err := strconv.ParseFloat(s, 64)
	switch {
	case (tag != "!!int" && tag != "!!float") || err != nil:
		p.add(n, path, "invalid objective %q %s", s, objectiveExpected)
		return 0, false
	case !(x > 0 && x < 100):
		p.add(n, path, "objective %s is out of range %s", s, objectiveExpected)
		return 0, false
	}
	return x / 100, true
}

// sloWindowRE is a duration in whole days, hours and minutes, in that order. Five
// digits each keep the sum within a time.Duration.
var sloWindowRE = regexp.MustCompile(`^(?:(\d{1,5})d)?(?:(\d{1,5})h)?(?:(\d{1,5})m)?$`)

const sloWindowExpected = "(expected days, hours or minutes such as 30d, 7d, 12h or 1d12h)"

// parseSLOWindow parses "30d", "12h", "1d12h", "90m".
func parseSLOWindow(s string) (time.Duration, bool) {
	m := sloWindowRE.FindStringSubmatch(s)
	if s == "" || m == nil {
		return 0, false
	}
	var d time.Duration
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute} {
		if m[i+1] != "" {
			n, _ := strconv.Atoi(m[i+1])
			d += time.Duration(n) * unit
		}
	}
	return d, true
}

// formatSLOWindow prints a window the way parseSLOWindow reads it.
func formatSLOWindow(d time.Duration) string {
	if d <= 0 || d%time.Minute != 0 {
		return d.String()
	}
	var b strings.Builder
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}} {
		if n := d / u.unit; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.unit
		}
	}
	return b.String()
}

func (p *fileParser) sloWindow(n *yaml.Node, path string) (time.Duration, bool) {
	s, ok := p.scalar(n, path, "a duration")
	if !ok {
		return 0, false
	}
	d, ok := parseSLOWindow(s)
	switch {
	case !ok:
		p.add(n, path, "invalid duration %q %s", s, sloWindowExpected)
		return 0, false
	case d <= 0:
		p.add(n, path, "invalid duration %q (expected a duration greater than 0, such as 30d)", s)
		return 0, false
	}
	return d, true
}

// queries decodes PromQL template overrides by signal name. The templates are only
// checked to be non-empty strings: the Prometheus source compiles them.
func (p *fileParser) queries(cfg *Config, v *yaml.Node, path string) map[string]string {
	m := p.mapping(v, path)
	if m == nil {
		return nil
	}
	var out map[string]string
	for _, kv := range p.pairs(m, path) {
		signal := kv.key.Value
		child := joinPath(path, signal)
		if !slices.Contains(SignalNames(), signal) {
			p.add(kv.key, child, "unknown signal%s (valid signals: %s)", suggest(signal, SignalNames()), strings.Join(SignalNames(), ", "))
			continue
		}
		p.pos[child] = kv.value
		p.setQueryPos(cfg, child, kv.value)
		s := deref(kv.value)
		switch {
		case isNull(s):
			p.add(kv.value, child, "no template given (expected a PromQL template; remove the key to keep the default query)")
		case s.Kind != yaml.ScalarNode:
			p.add(kv.value, child, "expected a PromQL template string, got %s", describe(s))
		case strings.TrimSpace(s.Value) == "":
			p.add(kv.value, child, "empty template (expected a PromQL template; remove the key to keep the default query)")
		default:
			if out == nil {
				out = map[string]string{}
			}
			out[signal] = s.Value
		}
	}
	return out
}
