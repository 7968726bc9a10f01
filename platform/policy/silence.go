package policy

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-dev/vigie/platform/api"
)

// DefaultMaxSilence caps a silence's duration when the file sets no limits.maxSilence.
const DefaultMaxSilence = 24 * time.Hour

// MaxSilenceBound is the largest limits.maxSilence the file may set.
const MaxSilenceBound = 90 * 24 * time.Hour

// MaxMatcherValue bounds a matcher value (in characters), in the file and in requests.
const MaxMatcherValue = 1024

// Alertmanager is the Alertmanager the server makes silences in.
type Alertmanager struct {
	URL string // http(s)://host[:port][/path]; "" = none configured
}

// labelNameRE is the classic Alertmanager (and Prometheus) label name syntax.
var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// ValidLabelName reports whether name is a label name as Alertmanager reads it unquoted.
func ValidLabelName(name string) bool { return len(name) <= 256 && labelNameRE.MatchString(name) }

// CheckMatcherValue says what is wrong with a matcher value: not UTF-8, a control
// character, longer than MaxMatcherValue.
func CheckMatcherValue(v string) error {
	switch {
	case !utf8.ValidString(v):
		return errors.New("not valid UTF-8")
	case utf8.RuneCountInString(v) > MaxMatcherValue:
		return fmt.Errorf("%d characters, at most %d", utf8.RuneCountInString(v), MaxMatcherValue)
	case strings.ContainsFunc(v, unicode.IsControl):
		return errors.New("control characters are not allowed")
	}
	return nil
}

// CheckAlertmanagerURL checks the address of an Alertmanager: http(s)://host[:port][/path],
// without credentials, query or fragment (the URL is logged).
func CheckAlertmanagerURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%q: want http(s)://host[:port][/path]", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q: no user, password, query or fragment", u.Redacted())
	}
	return nil
}

func (c *Config) decodeAlertmanager(d *decoder, n *yaml.Node, path string) {
	d.object(n, path, []string{"url"}, func(_ string, _, v *yaml.Node, path string) {
		if s, ok := d.str(v, path); ok {
			if err := CheckAlertmanagerURL(s); err != nil {
				d.add(v, path, "%v", err)
				return
			}
			c.Alertmanager.URL = s
		}
	})
}

// duration decodes a Go duration string ("24h", "90m") within [lo, hi].
func (d *decoder) duration(n *yaml.Node, path string, lo, hi time.Duration) (time.Duration, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return 0, false
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		d.add(n, path, "%q is not a duration (write it as 30m, 24h, 1h30m)", s)
		return 0, false
	}
	if v < lo || v > hi {
		d.add(n, path, "%s is out of range [%s, %s]", v, lo, hi)
		return 0, false
	}
	return v, true
}

// alertMatchers decodes a team's alert matchers: label name -> value, equalities. It
// returns a non-nil map when the key is present, even empty (which is a problem).
func (d *decoder) alertMatchers(n *yaml.Node, path string) map[string]string {
	out := d.equalities(n, path, "alerts", false)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" || n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		d.add(n, path, "a team needs at least one alert matcher (leave alertMatchers out for the default, team: NAME)")
	}
	return out
}

// equalities decodes label name -> value equalities (the team's alert, PromQL or LogQL
// matchers); what names what they select, for messages; noReserved also refuses names
// starting with "__" (Prometheus' and Loki's internal labels).
func (d *decoder) equalities(n *yaml.Node, path, what string, noReserved bool) map[string]string {
	out := map[string]string{}
	for _, p := range d.mapping(n, path) {
		name, mpath := p.key.Value, join(path, p.key.Value)
		switch {
		case noReserved && (!ValidLabelName(name) || strings.HasPrefix(name, "__")):
			d.add(p.key, mpath, "label name %q: want letters, digits and '_', not starting with a digit or '__'", clipString(name, 64))
			continue
		case !ValidLabelName(name):
			d.add(p.key, mpath, "label name %q: want letters, digits and '_', not starting with a digit", clipString(name, 64))
			continue
		}
		v, ok := d.str(p.value, mpath)
		if !ok {
			continue
		}
		if v == "" {
			d.add(p.value, mpath, "an empty value would match %s without the label: give the team's value", what)
			continue
		}
		if err := CheckMatcherValue(v); err != nil {
			d.add(p.value, mpath, "%v", err)
			continue
		}
		out[name] = v
	}
	return out
}

// finishAlertMatchers gives the team its default alert matchers (team: NAME) and refuses
// matchers that contain another team's: the second team's silences would then silence
// alerts of the first.
func (c *Config) finishAlertMatchers(d *decoder, t *Team, key *yaml.Node, path string) {
	if t.AlertMatchers == nil {
		t.AlertMatchers = map[string]string{"team": t.Name}
	}
	if len(t.AlertMatchers) == 0 {
		return // reported
	}
	contains := func(a, b map[string]string) bool { // every pair of b is in a
		for k, v := range b {
			if w, ok := a[k]; !ok || w != v {
				return false
			}
		}
		return true
	}
	for _, other := range c.TeamNames() {
		o := c.Teams[other]
		if o == t || len(o.AlertMatchers) == 0 {
			continue
		}
		if contains(t.AlertMatchers, o.AlertMatchers) || contains(o.AlertMatchers, t.AlertMatchers) {
			d.add(key, join(path, "alertMatchers"), "the alert matchers %s and team %s's %s overlap: one team's silences would silence the other's alerts (give each team its own value of a label, e.g. team: NAME)",
				renderMatchers(t.AlertMatchers), other, renderMatchers(o.AlertMatchers))
			return
		}
	}
}

// TeamMatchers returns the team's alert matchers as Alertmanager matchers, sorted by
// label name.
func (t *Team) TeamMatchers() []api.Matcher {
	out := make([]api.Matcher, 0, len(t.AlertMatchers))
	for _, name := range slices.Sorted(maps.Keys(t.AlertMatchers)) {
		out = append(out, api.Matcher{Name: name, Value: t.AlertMatchers[name]})
	}
	return out
}

func renderMatchers(m map[string]string) string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, api.Matcher{Name: name, Value: m[name]}.String())
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// AlertEnvironment is the environment class whose policy applies to the team's
// silences: a silence matches the team's alerts in all its namespaces, so it is the most
// sensitive class among them (production, then staging, then dev), whatever namespace
// the request names.
func (t *Team) AlertEnvironment() string {
	for _, env := range api.Environments() {
		for _, e := range t.Namespaces {
			if e == env {
				return env
			}
		}
	}
	return ""
}

// SilenceMatchers returns the matchers of a silence the team asks for: its own alert
// matchers first (always), then the request's. A request matcher equal to one of the
// team's is dropped; any other matcher on one of the team's labels (another value, a
// regexp, a negation) is an error: a team can silence only its own alerts.
func (t *Team) SilenceMatchers(req []api.Matcher) ([]api.Matcher, error) {
	out := t.TeamMatchers()
	for _, m := range req {
		own, ok := t.AlertMatchers[m.Name]
		if !ok {
			out = append(out, m)
			continue
		}
		if m.Value == own && m.Equal() && !m.IsRegex {
			continue // the team's own matcher, which every silence of the team carries
		}
		return nil, fmt.Errorf("team %s can silence only its own alerts, which match %s: the matcher %s would change that",
			t.Name, api.Matcher{Name: m.Name, Value: own}, clipString(m.String(), 120))
	}
	return out, nil
}

func clipString(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
