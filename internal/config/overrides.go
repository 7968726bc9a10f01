package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// setting is one override value and where it came from ("VIGIE_TEAM", "--team").
type setting struct{ value, source string }

func (s setting) set() bool { return s.value != "" }

// overrides is the environment merged with the flags, each value with its source.
type overrides struct {
	context, kubeconfig, team, logFile, environment      setting
	prometheusURL, alertmanagerURL, lokiURL, platformURL setting
	lokiTenant                                           setting
	theme                                                setting // VIGIE_THEME: a theme name or file
	runbooks                                             setting // VIGIE_RUNBOOKS: a folder
	platformToken                                        setting // secret: never print value
	readOnly                                             bool
	readOnlyOff                                          setting // VIGIE_READ_ONLY set to a false value
}

// envOverrides reads the VIGIE_* variables. Values are checked here so that problems
// name the variable.
func envOverrides(opts LoadOptions) (overrides, []Problem) {
	var o overrides
	var ps []Problem
	get := func(name string) setting {
		if v := opts.getenv(name); v != "" {
			return setting{v, name}
		}
		return setting{}
	}
	o.context = get("VIGIE_CONTEXT")
	o.kubeconfig = get("VIGIE_KUBECONFIG")
	o.team = get("VIGIE_TEAM")
	o.logFile = get("VIGIE_LOG_FILE")
	o.environment = get("VIGIE_ENVIRONMENT")
	o.prometheusURL = get("VIGIE_PROMETHEUS_URL")
	o.alertmanagerURL = get("VIGIE_ALERTMANAGER_URL")
	o.lokiURL = get("VIGIE_LOKI_URL")
	o.lokiTenant = get("VIGIE_LOKI_TENANT")
	o.platformURL = get("VIGIE_PLATFORM_URL")
	o.platformToken = get("VIGIE_PLATFORM_TOKEN")
	o.theme = get("VIGIE_THEME")
	o.runbooks = get("VIGIE_RUNBOOKS")
	if s := get("VIGIE_READ_ONLY"); s.set() {
		switch strings.ToLower(s.value) {
		case "1", "true", "yes":
			o.readOnly = true
		case "0", "false", "no":
			o.readOnlyOff = s
		default:
			ps = append(ps, Problem{Path: s.source, Msg: fmt.Sprintf("invalid boolean %q (expected one of: 1, 0, true, false, yes, no)", s.value)})
		}
	}
	if s := o.environment; s.set() && !Environment(s.value).Valid() {
		ps = append(ps, Problem{Path: s.source, Msg: fmt.Sprintf("invalid value %q (expected one of: production, staging, dev)", s.value)})
		o.environment = setting{}
	}
	return o, ps
}

// merge applies the flags over the environment.
func (o *overrides) merge(f Overrides) {
	set := func(dst *setting, v, flag string) {
		if v != "" {
			*dst = setting{v, flag}
		}
	}
	set(&o.context, f.Context, "--context")
	set(&o.kubeconfig, f.Kubeconfig, "--kubeconfig")
	set(&o.team, f.Team, "--team")
	set(&o.logFile, f.LogFile, "--log-file")
	if f.ReadOnly {
		o.readOnly = true
	}
}

// contextScoped lists the set overrides that change a context.
func (o *overrides) contextScoped() []setting {
	var out []setting
	for _, s := range []setting{o.kubeconfig, o.environment, o.prometheusURL, o.alertmanagerURL, o.lokiURL, o.lokiTenant, o.platformURL, o.platformToken, o.runbooks} {
		if s.set() {
			out = append(out, s)
		}
	}
	return out
}

// selectContext picks the context and applies the overrides to a copy of it.
func (r *Resolved) selectContext(o overrides, home string) []Problem {
	cfg := r.File.Config
	name, source := cfg.CurrentContext, "current-context"
	if o.context.set() {
		name, source = o.context.value, o.context.source
	}
	if name == "" {
		var ps []Problem
		for _, s := range o.contextScoped() {
			ps = append(ps, Problem{Path: s.source, Msg: "no context is selected to apply it to (set current-context in the file, VIGIE_CONTEXT or --context)"})
		}
		return ps
	}
	base := cfg.Contexts[name]
	if base == nil {
		if source == "current-context" {
			return nil // parse reported it with its position
		}
		where := r.File.Path
		if !r.File.Exists {
			where = "the configuration (" + r.File.Path + " does not exist)"
		}
		return []Problem{{Path: source, Msg: unknownContext(cfg, name, where)}}
	}
	c := base.Clone()
	r.Context = c
	var ps []Problem
	bad := func(s setting, format string, args ...any) {
		ps = append(ps, Problem{Path: s.source, Msg: fmt.Sprintf(format, args...)})
	}

	if s := o.kubeconfig; s.set() {
		p, err := expandPath(s.value, "", home)
		if err == nil {
			p, err = filepath.Abs(p)
		}
		if err != nil {
			bad(s, "%v", err)
		}
		c.Kube.Kubeconfig = p
	}
	if s := o.runbooks; s.set() {
		p, err := expandPath(s.value, "", home)
		if err == nil {
			p, err = filepath.Abs(p)
		}
		if err != nil {
			bad(s, "%v", err)
		}
		c.Runbooks = p
	}
	if s := o.environment; s.set() {
		env := Environment(s.value)
		if c.Environment.StricterThan(env) {
			r.Notices = append(r.Notices, fmt.Sprintf("%s=%s ignored: context %q is %s, and overrides can only make it stricter", s.source, s.value, c.Name, c.Environment))
		} else {
			c.Environment = env
		}
	}
	if o.readOnly {
		c.ReadOnly = true
	} else if s := o.readOnlyOff; s.set() && c.ReadOnly {
		r.Notices = append(r.Notices, fmt.Sprintf("%s=%s ignored: context %q is readOnly in the config file, and overrides can only make it stricter", s.source, s.value, c.Name))
	}

	// setURL applies a URL override, creating the section when the file has none.
	setURL := func(s setting, apply func(u *url.URL)) {
		if !s.set() {
			return
		}
		u, msg := parseURL(s.value)
		if msg != "" {
			bad(s, "%s", msg)
			return
		}
		apply(u)
	}
	setURL(o.prometheusURL, func(u *url.URL) {
		if c.Prometheus == nil {
			c.Prometheus = &Endpoint{Timeout: DefaultTimeout}
		}
		c.Prometheus.URL = u
	})
	setURL(o.alertmanagerURL, func(u *url.URL) {
		if c.Alertmanager == nil {
			c.Alertmanager = &Endpoint{Timeout: DefaultTimeout}
		}
		c.Alertmanager.URL = u
	})
	setURL(o.lokiURL, func(u *url.URL) {
		if c.Loki == nil {
			c.Loki = &Loki{Endpoint: Endpoint{Timeout: DefaultTimeout}}
		}
		c.Loki.URL = u
	})
	setURL(o.platformURL, func(u *url.URL) {
		if c.Platform == nil {
			c.Platform = &Platform{}
		}
		c.Platform.URL = u
	})
	if s := o.lokiTenant; s.set() {
		if c.Loki == nil {
			bad(s, "context %q has no loki section to apply it to (set loki.url in the file or VIGIE_LOKI_URL)", c.Name)
		} else {
			c.Loki.Tenant = s.value
		}
	}
	if s := o.platformToken; s.set() {
		if c.Platform == nil {
			bad(s, "context %q has no platform section to apply it to (set platform.url in the file or VIGIE_PLATFORM_URL)", c.Name)
		} else {
			c.Platform.Token, c.Platform.TokenFile = Secret(s.value), ""
		}
	}
	return ps
}

// selectTeam picks the team: --team, else $VIGIE_TEAM, else the context's team.
func (r *Resolved) selectTeam(o overrides) []Problem {
	cfg := r.File.Config
	var name, source string
	if r.Context != nil && r.Context.Team != "" {
		name, source = r.Context.Team, "team"
	}
	if o.team.set() {
		name, source = o.team.value, o.team.source
	}
	if name == "" {
		return nil
	}
	if r.Context != nil {
		r.Context.Team = name
	}
	if len(cfg.Teams) == 0 {
		if msg := checkName(name); msg != "" && source != "team" {
			return []Problem{{Path: source, Msg: msg}}
		}
		r.Team = &Team{Name: name, AlertMatchers: defaultAlertMatchers(name)}
		return nil
	}
	t := cfg.Teams[name]
	if t == nil {
		if source == "team" {
			return nil // parse reported it with its position
		}
		return []Problem{{Path: source, Msg: unknownTeam(cfg, name)}}
	}
	r.Team = t.Clone()
	return nil
}
