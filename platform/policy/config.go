// Package policy loads the server's configuration file (teams, users and the action
// policy) and decides, purely, whether a user may run an action on a target. Anything
// the file does not explicitly allow is denied.
package policy

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"time"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/vigie-dev/vigie/platform/api"
)

// Effect is what the policy says about an action.
type Effect string

const (
	Allow    Effect = "allow"
	Approval Effect = "approval" // another user with the right role must approve
	Deny     Effect = "deny"
)

// DefaultMaxReplicas bounds scale when the file sets no limits.maxReplicas.
const DefaultMaxReplicas = 10

// DefaultApprovalTTL is how long a request waits for an approval when the file sets no
// limits.approvalTTL; MaxApprovalTTL is the longest the file may set.
const (
	DefaultApprovalTTL = time.Hour
	MaxApprovalTTL     = 7 * 24 * time.Hour
)

// MinProductionReason is the shortest reason (in characters) a production write takes.
const MinProductionReason = 10

// Team is one team's scope.
type Team struct {
	Name       string
	Namespaces map[string]string // namespace -> environment class
	Selector   string            // label selector of the team's objects ("" = none)
	Services   []string
	// AlertMatchers are the label equalities of the team's alerts in Alertmanager
	// (default team: NAME): every silence of the team carries them.
	AlertMatchers map[string]string
	// Databases are the team's databases (POST /v1/queries), by name: where the server
	// finds the DSN of a SELECT-only role (databases.go).
	Databases map[string]*Database
	// PrometheusMatchers and LokiMatchers are label equalities vigie adds to the team's
	// PromQL and LogQL selectors; OncallSchedule is its on-call schedule id; Jobs are its
	// runbook job templates, by name (jobs.go).
	PrometheusMatchers map[string]string
	LokiMatchers       map[string]string
	OncallSchedule     string
	Jobs               map[string]*JobTemplate
}

// NamespaceNames returns the team's namespaces, sorted.
func (t *Team) NamespaceNames() []string {
	out := make([]string, 0, len(t.Namespaces))
	for ns := range t.Namespaces {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// Limits bound action parameters.
type Limits struct {
	MaxReplicas int32
	MaxSilence  time.Duration // the longest silence; a longer one is cut to it
	ApprovalTTL time.Duration // how long a request waiting for an approval lives
	Query       QueryLimits   // queryTimeout, queryRows, queryBytes (databases.go)
}

// Config is the server configuration file, validated.
type Config struct {
	File   string
	Teams  map[string]*Team
	Users  map[string]map[string]api.Role                    // user -> team -> role
	Policy map[string]map[api.ActionKind]map[api.Role]Effect // environment -> action -> role -> effect
	Limits Limits
	// Alertmanager is where silences are made; "" when the file names none (the
	// server's --alertmanager-url may give it).
	Alertmanager Alertmanager

	owner map[string]string // namespace -> team
}

// Load reads and validates the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("server configuration: %w", err)
	}
	return Parse(path, data)
}

// Parse validates a configuration file's content. Unknown keys, wrong types and values
// are all reported, each with file:line:col, as an Errors.
func Parse(file string, data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(root.Content) == 0 {
		return nil, Errors{{File: file, Msg: "the file is empty (expected teams, users, policy)"}}
	}
	d := &decoder{file: file}
	c := &Config{File: file, Teams: map[string]*Team{}, Users: map[string]map[string]api.Role{},
		Policy: map[string]map[api.ActionKind]map[api.Role]Effect{}, Limits: Limits{MaxReplicas: DefaultMaxReplicas, MaxSilence: DefaultMaxSilence, ApprovalTTL: DefaultApprovalTTL, Query: DefaultQueryLimits()},
		owner: map[string]string{}}
	var usersNode *yaml.Node
	d.object(root.Content[0], "", []string{"teams", "users", "policy", "limits", "alertmanager"}, func(key string, _, v *yaml.Node, path string) {
		switch key {
		case "teams":
			c.decodeTeams(d, v, path)
		case "users":
			usersNode = v // after teams: users name them
		case "policy":
			c.decodePolicy(d, v, path)
		case "limits":
			d.object(v, path, []string{"maxReplicas", "maxSilence", "approvalTTL", "queryTimeout", "queryRows", "queryBytes"}, func(key string, _, v *yaml.Node, path string) {
				switch key {
				case "maxReplicas":
					if n, ok := d.integer(v, path, 0, 10000); ok {
						c.Limits.MaxReplicas = int32(n)
					}
				case "maxSilence":
					if dur, ok := d.duration(v, path, time.Minute, MaxSilenceBound); ok {
						c.Limits.MaxSilence = dur
					}
				case "approvalTTL":
					if dur, ok := d.duration(v, path, time.Minute, MaxApprovalTTL); ok {
						c.Limits.ApprovalTTL = dur
					}
				default:
					c.Limits.Query.decode(d, key, v, path)
				}
			})
		case "alertmanager":
			c.decodeAlertmanager(d, v, path)
		}
	})
	if usersNode != nil {
		c.decodeUsers(d, usersNode, "users")
	}
	if err := d.errors(); err != nil {
		return nil, err
	}
	return c, nil
}

func dns1123Label(s string) error {
	if errs := validation.IsDNS1123Label(s); len(errs) > 0 {
		return errors.New(errs[0])
	}
	return nil
}

func (c *Config) decodeTeams(d *decoder, n *yaml.Node, path string) {
	for _, p := range d.mapping(n, path) {
		name, tpath := p.key.Value, join(path, p.key.Value)
		if err := dns1123Label(name); err != nil {
			d.add(p.key, tpath, "team name: %v", err)
			continue
		}
		t := &Team{Name: name, Namespaces: map[string]string{}}
		c.Teams[name] = t
		listed := 0 // namespaces written, valid or not: an invalid one is reported alone
		d.object(p.value, tpath, []string{"namespaces", "selector", "services", "alertMatchers", "databases", "prometheusMatchers", "lokiMatchers", "oncall", "jobs"}, func(key string, _, v *yaml.Node, path string) {
			switch key {
			case "namespaces":
				for _, np := range d.mapping(v, path) {
					listed++
					ns, npath := np.key.Value, join(path, np.key.Value)
					if err := dns1123Label(ns); err != nil {
						d.add(np.key, npath, "namespace: %v", err)
						continue
					}
					if other, taken := c.owner[ns]; taken {
						d.add(np.key, npath, "namespace %q already belongs to team %q: a namespace has one owner", ns, other)
						continue
					}
					env, ok := d.str(np.value, npath)
					if !ok {
						continue
					}
					if !slices.Contains(api.Environments(), env) {
						d.add(np.value, npath, "unknown environment class %q (valid: %v)", env, api.Environments())
						continue
					}
					t.Namespaces[ns], c.owner[ns] = env, name
				}
			case "selector":
				if s, ok := d.str(v, path); ok {
					if _, err := labels.Parse(s); err != nil {
						d.add(v, path, "label selector: %v", err)
					}
					t.Selector = s
				}
			case "services":
				for _, s := range d.strings(v, path) {
					if err := dns1123Label(s); err != nil {
						d.add(v, path, "service %q: %v", s, err)
						continue
					}
					t.Services = append(t.Services, s)
				}
			case "alertMatchers":
				t.AlertMatchers = d.alertMatchers(v, path)
			case "databases":
				t.Databases = d.databases(v, path)
			default:
				d.teamScope(t, key, v, path) // jobs.go
			}
		})
		if listed == 0 {
			d.add(p.key, tpath, "the team has no namespaces (namespaces: {NAME: production|staging|dev})")
		}
		d.finishJobs(t)
		c.finishAlertMatchers(d, t, p.key, tpath)
	}
}

func (c *Config) decodeUsers(d *decoder, n *yaml.Node, path string) {
	for _, p := range d.mapping(n, path) {
		user, upath := p.key.Value, join(path, p.key.Value)
		if !api.ValidUserName(user) {
			d.add(p.key, upath, "user name: want lower-case letters, digits, '.', '_', '@' or '-' (at most 64)")
			continue
		}
		roles := map[string]api.Role{}
		c.Users[user] = roles
		for _, tp := range d.mapping(p.value, upath) {
			team, tpath := tp.key.Value, join(upath, tp.key.Value)
			if _, ok := c.Teams[team]; !ok {
				d.add(tp.key, tpath, "unknown team %q (teams: %v)", team, c.TeamNames())
				continue
			}
			if r, ok := d.str(tp.value, tpath); ok {
				if !slices.Contains(api.Roles(), api.Role(r)) {
					d.add(tp.value, tpath, "unknown role %q (valid: %v)", r, api.Roles())
					continue
				}
				roles[team] = api.Role(r)
			}
		}
	}
}

func (c *Config) decodePolicy(d *decoder, n *yaml.Node, path string) {
	for _, ep := range d.mapping(n, path) {
		env, epath := ep.key.Value, join(path, ep.key.Value)
		if !slices.Contains(api.Environments(), env) {
			d.add(ep.key, epath, "unknown environment class %q (valid: %v)", env, api.Environments())
			continue
		}
		actions := map[api.ActionKind]map[api.Role]Effect{}
		c.Policy[env] = actions
		for _, ap := range d.mapping(ep.value, epath) {
			kind, apath := api.ActionKind(ap.key.Value), join(epath, ap.key.Value)
			if !slices.Contains(policyActions(), kind) {
				d.add(ap.key, apath, "unknown action %q (valid: %v)", kind, policyActions())
				continue
			}
			roles := map[api.Role]Effect{}
			actions[kind] = roles
			for _, rp := range d.mapping(ap.value, apath) {
				role, rpath := api.Role(rp.key.Value), join(apath, rp.key.Value)
				if !slices.Contains(api.Roles(), role) {
					d.add(rp.key, rpath, "unknown role %q (valid: %v)", role, api.Roles())
					continue
				}
				if e, ok := d.str(rp.value, rpath); ok {
					switch Effect(e) {
					case Approval:
						if api.QueryKind(kind) {
							d.add(rp.value, rpath, "a query cannot wait for an approval (its results go to the caller at once): use allow or deny")
							continue
						}
						roles[role] = Effect(e)
					case Allow, Deny:
						roles[role] = Effect(e)
					default:
						d.add(rp.value, rpath, "unknown effect %q (valid: allow, approval, deny)", e)
					}
				}
			}
		}
	}
}

// TeamNames returns the team names, sorted.
func (c *Config) TeamNames() []string {
	out := make([]string, 0, len(c.Teams))
	for n := range c.Teams {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Owner returns the team owning namespace ns and the namespace's environment class.
func (c *Config) Owner(ns string) (*Team, string, bool) {
	name, ok := c.owner[ns]
	if !ok {
		return nil, "", false
	}
	t := c.Teams[name]
	return t, t.Namespaces[ns], true
}

// Memberships returns the user's teams and roles, sorted by team.
func (c *Config) Memberships(user string) []api.Membership {
	var out []api.Membership
	for team, role := range c.Users[user] {
		out = append(out, api.Membership{Team: team, Role: role})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Team < out[j].Team })
	return out
}

// Role returns the user's role in team ("", false when not a member).
func (c *Config) Role(user, team string) (api.Role, bool) {
	r, ok := c.Users[user][team]
	return r, ok
}

// KnownUser reports whether the file names the user.
func (c *Config) KnownUser(user string) bool {
	_, ok := c.Users[user]
	return ok
}
