package config

import (
	"maps"
	"net/url"
	"slices"
	"sort"
	"time"
)

// Environment is how careful vigie must be with a context: production asks for typed
// confirmations, dev does not. The zero value is not a valid environment.
type Environment string

// The environments, from the most to the least strict.
const (
	Production Environment = "production"
	Staging    Environment = "staging"
	Dev        Environment = "dev"
)

// Environments lists the valid environments, strictest first.
func Environments() []Environment { return []Environment{Production, Staging, Dev} }

// Valid reports whether e is one of Production, Staging, Dev.
func (e Environment) Valid() bool { return e.rank() > 0 }

// StricterThan reports whether e asks for more care than o.
func (e Environment) StricterThan(o Environment) bool { return e.rank() > o.rank() }

func (e Environment) rank() int {
	switch e {
	case Production:
		return 3
	case Staging:
		return 2
	case Dev:
		return 1
	}
	return 0
}

// DefaultTimeout is the request timeout of a source section that sets none.
const DefaultTimeout = 10 * time.Second

// Config is the configuration file as parsed and validated, before the environment and
// the flags are applied. Paths in it are absolute: "~" is expanded and relative paths
// are taken from the directory of the file.
type Config struct {
	CurrentContext string              // "" when the file sets none
	LogFile        string              // "" when the file sets none
	UI             UI                  // theme and key overrides; the zero UI when none
	Logs           LogsConfig          // the logs screens; DefaultLogs() where the file sets none
	Contexts       map[string]*Context // by name
	Teams          map[string]*Team    // by name; empty means teams are not checked

	// queryPos is "file:line:col" by field path: of each query template's value, of
	// each service's key and of each team's key (see QueryPosition).
	queryPos map[string]string
}

// ContextNames returns the context names, sorted.
func (c *Config) ContextNames() []string { return sortedKeys(c.Contexts) }

// TeamNames returns the team names, sorted.
func (c *Config) TeamNames() []string { return sortedKeys(c.Teams) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Context is one place vigie can look at: a cluster and the sources around it. Optional
// sections are nil when not configured.
type Context struct {
	Name         string
	Environment  Environment
	Team         string // default team; "" when none
	ReadOnly     bool   // when true nothing (environment, flags) can turn it off
	Kube         Kube
	Prometheus   *Endpoint
	Alertmanager *Endpoint
	Loki         *Loki
	Platform     *Platform
	// Runbooks is the absolute path of the local folder holding runbooks; "" when none.
	// Load checks that the selected context's folder exists and is a folder.
	Runbooks string
}

// Kube says which cluster to use. Empty fields mean the usual defaults ($KUBECONFIG or
// ~/.kube/config, and its current context), resolved by the Kubernetes source.
type Kube struct {
	Kubeconfig string // absolute path, "~" expanded; "" for the default
	Context    string // kubeconfig context name; "" for its current context
}

// Endpoint is an HTTP source (Prometheus, Alertmanager) with optional bearer auth.
type Endpoint struct {
	URL *url.URL // absolute http(s) URL without credentials, query or fragment
	// BearerToken is the token, from the file, the environment or BearerTokenFile (read
	// at load for the selected context, trailing newline trimmed).
	BearerToken     Secret
	BearerTokenFile string // path the token was read from; "" when inline
	Timeout         time.Duration
}

// Loki is the Loki source: an Endpoint plus tenant and basic auth.
type Loki struct {
	Endpoint
	Tenant       string // sent as X-Scope-OrgID; "" for none
	Username     string // basic auth user; "" for none
	Password     Secret // basic auth password (from the file, or PasswordFile)
	PasswordFile string
}

// Platform is vigie's platform API.
type Platform struct {
	URL       *url.URL
	Token     Secret // from the file, VIGIE_PLATFORM_TOKEN or TokenFile
	TokenFile string
}

// Team scopes what vigie shows: namespaces, an optional label selector, the matchers
// of its alerts and its services.
type Team struct {
	Name string
	// Namespaces the team owns (DNS-1123 labels). Nil only for a team named by a
	// context, VIGIE_TEAM or --team when the file defines no teams at all: vigie then
	// knows the name (and the default AlertMatchers) and nothing else.
	Namespaces []string
	Selector   string // Kubernetes label selector (syntax checked); "" for none
	// AlertMatchers are the label equality matchers that select the team's alerts in
	// Alertmanager (label name -> value, both non-empty); {"team": Name} when the file
	// sets none. Never empty for a Team that Load returns.
	AlertMatchers map[string]string
	// Services are the service names in file order, from either form of services (a
	// list of names, or a mapping of name to settings); no "" and no duplicates.
	Services []string
	// ServiceConfig has an entry for every name in Services: its settings, the zero
	// ServiceConfig when none are set (always so with the list form). Nil when there
	// are no services.
	ServiceConfig map[string]ServiceConfig
}

// ServiceConfig is the settings of one service of a team.
type ServiceConfig struct {
	SLO *SLO // nil when the service has no SLO
	// Queries are PromQL template overrides by signal name (see SignalNames), as
	// written; nil when none. This package checks that they are non-empty strings
	// only: the caller compiles them and reports errors at Config.QueryPosition.
	Queries map[string]string
}

// DefaultSLOWindow is the SLO window when slo sets none.
const DefaultSLOWindow = 30 * 24 * time.Hour

// SLO is a service's availability objective.
type SLO struct {
	Objective float64       // a ratio in (0, 1): 0.995 for "objective: 99.5"
	Window    time.Duration // greater than 0; DefaultSLOWindow when the file sets none
}

// LogsConfig says how the logs screens keep and fetch lines.
type LogsConfig struct {
	RingSize   int           // lines kept per logs screen, MinLogRingSize..MaxLogRingSize
	MaxStreams int           // concurrent Kubernetes pod log streams, 1..MaxLogStreams
	Since      time.Duration // history shown when a logs screen opens; greater than 0
}

// Bounds and defaults of LogsConfig.
const (
	DefaultLogRingSize   = 100000
	MinLogRingSize       = 1000
	MaxLogRingSize       = 5000000
	DefaultLogMaxStreams = 8
	MaxLogStreams        = 64
	DefaultLogSince      = 15 * time.Minute
)

// DefaultLogs returns the LogsConfig used where the file sets none.
func DefaultLogs() LogsConfig {
	return LogsConfig{RingSize: DefaultLogRingSize, MaxStreams: DefaultLogMaxStreams, Since: DefaultLogSince}
}

func cloneURL(u *url.URL) *url.URL {
	if u == nil {
		return nil
	}
	c := *u
	return &c
}

func (e *Endpoint) clone() *Endpoint {
	if e == nil {
		return nil
	}
	c := *e
	c.URL = cloneURL(e.URL)
	return &c
}

func (l *Loki) clone() *Loki {
	if l == nil {
		return nil
	}
	c := *l
	c.URL = cloneURL(l.URL)
	return &c
}

func (p *Platform) clone() *Platform {
	if p == nil {
		return nil
	}
	c := *p
	c.URL = cloneURL(p.URL)
	return &c
}

// Clone returns a deep copy of c.
func (c *Context) Clone() *Context {
	if c == nil {
		return nil
	}
	n := *c
	n.Prometheus = c.Prometheus.clone()
	n.Alertmanager = c.Alertmanager.clone()
	n.Loki = c.Loki.clone()
	n.Platform = c.Platform.clone()
	return &n
}

// Clone returns a deep copy of t.
func (t *Team) Clone() *Team {
	if t == nil {
		return nil
	}
	n := *t
	n.Namespaces = slices.Clone(t.Namespaces)
	n.AlertMatchers = maps.Clone(t.AlertMatchers)
	n.Services = slices.Clone(t.Services)
	if t.ServiceConfig != nil {
		n.ServiceConfig = make(map[string]ServiceConfig, len(t.ServiceConfig))
		for name, sc := range t.ServiceConfig {
			if sc.SLO != nil {
				slo := *sc.SLO
				sc.SLO = &slo
			}
			sc.Queries = maps.Clone(sc.Queries)
			n.ServiceConfig[name] = sc
		}
	}
	return &n
}
