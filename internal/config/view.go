package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// RenderOptions says how Resolved.Render prints the configuration. The zero value
// prints everything as YAML.
type RenderOptions struct {
	Format string // "yaml" (or "") or "json"
	Minify bool   // only the selected context and team
}

func (o RenderOptions) validate() error {
	switch o.Format {
	case "", "yaml", "json":
		return nil
	}
	return fmt.Errorf("unknown output format %q (expected yaml or json)", o.Format)
}

// The shape of the file, for printing. Secrets are Secret, so they print redacted.
type docConfig struct {
	CurrentContext string                `yaml:"current-context,omitempty" json:"current-context,omitempty"`
	LogFile        string                `yaml:"log-file,omitempty" json:"log-file,omitempty"`
	Theme          string                `yaml:"theme,omitempty" json:"theme,omitempty"`
	Keys           map[string][]string   `yaml:"keys,omitempty" json:"keys,omitempty"`
	Logs           *docLogs              `yaml:"logs,omitempty" json:"logs,omitempty"`
	Contexts       map[string]docContext `yaml:"contexts,omitempty" json:"contexts,omitempty"`
	Teams          map[string]docTeam    `yaml:"teams,omitempty" json:"teams,omitempty"`
}

type docContext struct {
	Environment  Environment  `yaml:"environment" json:"environment"`
	Team         string       `yaml:"team,omitempty" json:"team,omitempty"`
	ReadOnly     bool         `yaml:"readOnly" json:"readOnly"`
	Runbooks     string       `yaml:"runbooks,omitempty" json:"runbooks,omitempty"`
	Kube         *docKube     `yaml:"kube,omitempty" json:"kube,omitempty"`
	Prometheus   *docEndpoint `yaml:"prometheus,omitempty" json:"prometheus,omitempty"`
	Alertmanager *docEndpoint `yaml:"alertmanager,omitempty" json:"alertmanager,omitempty"`
	Loki         *docLoki     `yaml:"loki,omitempty" json:"loki,omitempty"`
	Platform     *docPlatform `yaml:"platform,omitempty" json:"platform,omitempty"`
}

type docKube struct {
	Kubeconfig string `yaml:"kubeconfig,omitempty" json:"kubeconfig,omitempty"`
	Context    string `yaml:"context,omitempty" json:"context,omitempty"`
}

type docEndpoint struct {
	URL             string `yaml:"url" json:"url"`
	BearerToken     Secret `yaml:"bearerToken,omitempty" json:"bearerToken,omitempty"`
	BearerTokenFile string `yaml:"bearerTokenFile,omitempty" json:"bearerTokenFile,omitempty"`
	Timeout         string `yaml:"timeout" json:"timeout"`
}

type docLoki struct {
	URL             string `yaml:"url" json:"url"`
	Tenant          string `yaml:"tenant,omitempty" json:"tenant,omitempty"`
	Username        string `yaml:"username,omitempty" json:"username,omitempty"`
	Password        Secret `yaml:"password,omitempty" json:"password,omitempty"`
	PasswordFile    string `yaml:"passwordFile,omitempty" json:"passwordFile,omitempty"`
	BearerToken     Secret `yaml:"bearerToken,omitempty" json:"bearerToken,omitempty"`
	BearerTokenFile string `yaml:"bearerTokenFile,omitempty" json:"bearerTokenFile,omitempty"`
	Timeout         string `yaml:"timeout" json:"timeout"`
}

type docPlatform struct {
	URL       string `yaml:"url" json:"url"`
	Token     Secret `yaml:"token,omitempty" json:"token,omitempty"`
	TokenFile string `yaml:"tokenFile,omitempty" json:"tokenFile,omitempty"`
}

type docLogs struct {
	RingSize   int    `yaml:"ringSize" json:"ringSize"`
	MaxStreams int    `yaml:"maxStreams" json:"maxStreams"`
	Since      string `yaml:"since" json:"since"`
}

type docTeam struct {
	Namespaces    []string          `yaml:"namespaces" json:"namespaces"`
	Selector      string            `yaml:"selector,omitempty" json:"selector,omitempty"`
	AlertMatchers map[string]string `yaml:"alertMatchers,omitempty" json:"alertMatchers,omitempty"`
	Services      *docServices      `yaml:"services,omitempty" json:"services,omitempty"`
}

// docServices prints a team's services as the list of names when none has settings,
// else as a mapping of name to settings, in file order (which a Go map would lose).
type docServices struct {
	names    []string
	settings map[string]docService // nil for the list form
}

type docService struct {
	SLO     *docSLO           `yaml:"slo,omitempty" json:"slo,omitempty"`
	Queries map[string]string `yaml:"queries,omitempty" json:"queries,omitempty"`
}

type docSLO struct {
	Objective float64 `yaml:"objective" json:"objective"` // a percentage, as written
	Window    string  `yaml:"window" json:"window"`
}

func (s docServices) MarshalYAML() (any, error) {
	if s.settings == nil {
		return s.names, nil
	}
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, name := range s.names {
		var v yaml.Node
		if err := v.Encode(s.settings[name]); err != nil {
			return nil, err
		}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}, &v)
	}
	return m, nil
}

func (s docServices) MarshalJSON() ([]byte, error) {
	if s.settings == nil {
		return json.Marshal(s.names)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // templates hold < and >
	buf.WriteByte('{')
	for i, name := range s.names {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(name); err != nil {
			return nil, err
		}
		buf.WriteByte(':')
		if err := enc.Encode(s.settings[name]); err != nil {
			return nil, err
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func urlString(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.String()
}

func durationString(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// fromFile shows the file path of a secret read from a file, else the (redacted) value.
func fromFile(s Secret, file string) Secret {
	if file != "" {
		return ""
	}
	return s
}

func docOf(c *Context) docContext {
	d := docContext{Environment: c.Environment, Team: c.Team, ReadOnly: c.ReadOnly, Runbooks: c.Runbooks}
	if c.Kube != (Kube{}) {
		d.Kube = &docKube{Kubeconfig: c.Kube.Kubeconfig, Context: c.Kube.Context}
	}
	endpoint := func(e *Endpoint) *docEndpoint {
		if e == nil {
			return nil
		}
		return &docEndpoint{
			URL:             urlString(e.URL),
			BearerToken:     fromFile(e.BearerToken, e.BearerTokenFile),
			BearerTokenFile: e.BearerTokenFile,
			Timeout:         durationString(e.Timeout),
		}
	}
	d.Prometheus = endpoint(c.Prometheus)
	d.Alertmanager = endpoint(c.Alertmanager)
	if l := c.Loki; l != nil {
		d.Loki = &docLoki{
			URL:             urlString(l.URL),
			Tenant:          l.Tenant,
			Username:        l.Username,
			Password:        fromFile(l.Password, l.PasswordFile),
			PasswordFile:    l.PasswordFile,
			BearerToken:     fromFile(l.BearerToken, l.BearerTokenFile),
			BearerTokenFile: l.BearerTokenFile,
			Timeout:         durationString(l.Timeout),
		}
	}
	if p := c.Platform; p != nil {
		d.Platform = &docPlatform{URL: urlString(p.URL), Token: fromFile(p.Token, p.TokenFile), TokenFile: p.TokenFile}
	}
	return d
}

// docOfTeam shows what is set: alertMatchers unless they are the default, services
// with their settings when one has any.
func docOfTeam(t *Team) docTeam {
	d := docTeam{Namespaces: t.Namespaces, Selector: t.Selector}
	if !maps.Equal(t.AlertMatchers, defaultAlertMatchers(t.Name)) {
		d.AlertMatchers = t.AlertMatchers
	}
	if len(t.Services) == 0 {
		return d
	}
	d.Services = &docServices{names: t.Services}
	for _, name := range t.Services {
		sc := t.ServiceConfig[name]
		if sc.SLO == nil && len(sc.Queries) == 0 {
			continue
		}
		if d.Services.settings == nil {
			d.Services.settings = map[string]docService{}
		}
		ds := docService{Queries: sc.Queries}
		if sc.SLO != nil {
			ds.SLO = &docSLO{Objective: percent(sc.SLO.Objective), Window: formatSLOWindow(sc.SLO.Window)}
		}
		d.Services.settings[name] = ds
	}
	if d.Services.settings != nil {
		for _, name := range t.Services {
			if _, ok := d.Services.settings[name]; !ok {
				d.Services.settings[name] = docService{}
			}
		}
	}
	return d
}

// percent turns an objective ratio back into the percentage written in the file
// (0.995 -> 99.5), without the float noise of the multiplication.
func percent(ratio float64) float64 {
	p, err := strconv.ParseFloat(strconv.FormatFloat(ratio*100, 'g', 12, 64), 64)
	if err != nil {
		return ratio * 100
	}
	return p
}

func docOfLogs(l LogsConfig) *docLogs {
	if l == DefaultLogs() {
		return nil
	}
	return &docLogs{RingSize: l.RingSize, MaxStreams: l.MaxStreams, Since: durationString(l.Since)}
}

// document builds the merged configuration: the file's contexts and teams, with the
// selected context (and current-context, log-file, theme) as overridden.
func (r *Resolved) document(minify bool) (docConfig, error) {
	cfg := r.File.Config
	d := docConfig{CurrentContext: r.ContextName(), LogFile: r.LogFile, Theme: r.UI.Theme, Keys: r.UI.Keys, Logs: docOfLogs(r.Logs)}
	if r.UI.ThemeFile != "" {
		d.Theme = r.UI.ThemeFile
	}
	if minify {
		if r.Context == nil {
			return d, errors.New("nothing to minify: no context is selected (set current-context, or use --context or VIGIE_CONTEXT)")
		}
		d.Contexts = map[string]docContext{r.Context.Name: docOf(r.Context)}
		if r.Team != nil && r.Team.Namespaces != nil {
			d.Teams = map[string]docTeam{r.Team.Name: docOfTeam(r.Team)}
		}
		return d, nil
	}
	if len(cfg.Contexts) > 0 {
		d.Contexts = make(map[string]docContext, len(cfg.Contexts))
		for name, c := range cfg.Contexts {
			if r.Context != nil && name == r.Context.Name {
				c = r.Context
			}
			d.Contexts[name] = docOf(c)
		}
	}
	if len(cfg.Teams) > 0 {
		d.Teams = make(map[string]docTeam, len(cfg.Teams))
		for name, t := range cfg.Teams {
			d.Teams[name] = docOfTeam(t)
		}
	}
	return d, nil
}

// Render prints the merged configuration (file < environment < flags) with every
// secret redacted. YAML output starts with comments naming the file, the selected
// context and any notice; JSON output is the bare document.
func (r *Resolved) Render(opts RenderOptions) ([]byte, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	d, err := r.document(opts.Minify)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if opts.Format == "json" {
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(d); err != nil {
			return nil, fmt.Errorf("encoding config as JSON: %w", err)
		}
		return buf.Bytes(), nil
	}
	file := r.File.Path
	if !r.File.Exists {
		file += " (does not exist: empty configuration)"
	}
	current := r.ContextName()
	if current == "" {
		current = "(none)"
	}
	fmt.Fprintf(&buf, "# vigie configuration: file < environment < flags, secrets redacted\n")
	fmt.Fprintf(&buf, "# file: %s\n", file)
	fmt.Fprintf(&buf, "# current context: %s\n", current)
	for _, n := range r.Notices {
		fmt.Fprintf(&buf, "# notice: %s\n", n)
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encoding config as YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding config as YAML: %w", err)
	}
	return buf.Bytes(), nil
}
