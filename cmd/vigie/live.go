package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"

	"github.com/vigie-dev/vigie/internal/config"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/sources/alertmanager"
	"github.com/vigie-dev/vigie/sources/kube"
	"github.com/vigie-dev/vigie/sources/loki"
	"github.com/vigie-dev/vigie/sources/platform"
	"github.com/vigie-dev/vigie/sources/prom"
	"github.com/vigie-dev/vigie/tui"
	"github.com/vigie-dev/vigie/views"
)

// startScreens are the values of --command, with their aliases.
func startScreens() map[string]string {
	return map[string]string{
		"home": views.ScreenHome, "alerts": views.ScreenAlerts,
		"deploy": views.ScreenDeployments, "deployments": views.ScreenDeployments, "dp": views.ScreenDeployments,
		"pods": views.ScreenPods, "pod": views.ScreenPods, "po": views.ScreenPods,
		"events": views.ScreenEvents, "ev": views.ScreenEvents,
	}
}

// startRoute parses --command: "pods", "pods checkout", "deploy".
func startRoute(command string) (views.Route, error) {
	word, filter, _ := strings.Cut(strings.TrimSpace(command), " ")
	if word == "" {
		return views.Route{Screen: views.ScreenHome}, nil
	}
	screen, ok := startScreens()[word]
	if !ok {
		names := make([]string, 0, len(startScreens()))
		for n := range startScreens() {
			names = append(names, n)
		}
		slices.Sort(names)
		return views.Route{}, usageError{fmt.Errorf("--command %q: unknown screen (expected one of %s)", word, strings.Join(names, ", "))}
	}
	return views.Route{Screen: screen, Filter: strings.TrimSpace(filter)}, nil
}

// runLive starts the live TUI on the terminal.
func (a *app) runLive(cmd *cobra.Command) error {
	route, err := startRoute(a.flags.command)
	if err != nil {
		return err
	}
	res, err := a.load(config.SecretFilesSelected)
	if err != nil {
		return err
	}
	if res.Context == nil {
		return errors.New("no context selected: add one to the config file (`vigie config path` shows where) or pass --context")
	}
	for _, n := range res.Notices {
		fmt.Fprintln(a.stderr, "vigie: note:", n)
	}
	ui, err := buildUI(res.UI, res.Context.ReadOnly)
	if err != nil {
		return err
	}
	if err := checkQueries(res); err != nil {
		return err
	}
	if !a.interactive() {
		return errors.New("the live console needs a terminal on stdin and stdout (for a report without one, run `vigie doctor`)")
	}
	// client-go logs through klog, to stderr by default: that would draw over the screen.
	klog.SetSlogLogger(a.log)
	keys := ui.Keys // read-only contexts have their guarded keys disabled by buildUI
	if res.Context.Platform == nil {
		keys.ApplyReadOnly() // guarded actions go through the platform API only
	}

	var contexts, teams []string
	if res.File.Config != nil {
		contexts, teams = res.File.Config.ContextNames(), res.File.Config.TeamNames()
	}
	m := tui.New(tui.Options{
		Session:   a.session(res),
		Connect:   a.connector(),
		Contexts:  contexts,
		Teams:     teams,
		Keys:      keys,
		Theme:     ui.Theme,
		UserTheme: ui.UserTheme,
		Start:     route,
		Log:       a.log,
	})
	defer m.Close()
	a.log.Info("live console starting", "context", res.ContextName(), "screen", route.Screen)
	p := tea.NewProgram(m, tea.WithContext(cmd.Context()))
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return fmt.Errorf("terminal: %w", err)
	}
	return nil
}

// interactive reports whether the process talks to a terminal.
func (a *app) interactive() bool {
	return a.stdout == os.Stdout && term.IsTerminal(os.Stdin.Fd()) && term.IsTerminal(os.Stdout.Fd())
}

// session builds the TUI session of a resolved configuration. A client that cannot be
// built is not fatal: the TUI says why in place.
func (a *app) session(res *config.Resolved) tui.Session {
	c := res.Context
	s := tui.Session{
		Context:     c.Name,
		Environment: string(c.Environment),
		ReadOnly:    c.ReadOnly,
	}
	if res.Team != nil {
		s.Team, s.Namespaces, s.Selector = res.Team.Name, res.Team.Namespaces, res.Team.Selector
		s.AlertMatchers = res.Team.AlertMatchers
		s.Services = map[string]tui.ServiceSettings{}
		for name, sc := range res.Team.ServiceConfig {
			set := tui.ServiceSettings{Queries: sc.Queries}
			if sc.SLO != nil {
				set.SLO = prom.SLO{Objective: sc.SLO.Objective, Window: sc.SLO.Window}
			}
			s.Services[name] = set
		}
	}
	s.Runbooks = c.Runbooks
	if p := c.Platform; p != nil && p.URL != nil {
		// Longer than the longest a server may take on one call (a query's timeout is at
		// most 60 s; an action's deadline 30 s by default): the screens cancel their own
		// calls (esc, leaving).
		pc, err := platform.New(platform.Options{URL: p.URL.String(), Token: p.Token.Reveal(), Timeout: 90 * time.Second})
		if err == nil {
			s.Platform = pc
			a.teamFromPlatform(pc, &s)
		} else {
			a.log.Warn("platform client", "err", err)
		}
	}
	s.LogRing, s.LogStreams, s.LogSince = res.Logs.RingSize, res.Logs.MaxStreams, res.Logs.Since
	if len(s.Namespaces) == 0 {
		s.KubeErr = fmt.Errorf("team %q has no namespaces in the config file: vigie never watches the whole cluster", s.Team)
		return s
	}
	cfg, err := kube.RESTConfig(kube.Options{Kubeconfig: c.Kube.Kubeconfig, Context: c.Kube.Context, UserAgent: "vigie/" + a.version})
	if err != nil {
		s.KubeErr = err
		return s
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		s.KubeErr = err
		return s
	}
	s.Kube = cs
	if e := c.Prometheus; e != nil {
		if api, err := prom.New(prom.Options{URL: e.URL.String(), BearerToken: e.BearerToken.Reveal(), Timeout: e.Timeout}); err == nil {
			s.Prom = api
		} else {
			a.log.Warn("prometheus client", "err", err)
		}
	}
	if e := c.Loki; e != nil {
		lc, err := loki.New(loki.Options{URL: e.URL.String(), Tenant: e.Tenant, BearerToken: e.BearerToken.Reveal(),
			Username: e.Username, Password: e.Password.Reveal(), Timeout: e.Timeout})
		if err == nil {
			s.Loki = lc
		} else {
			a.log.Warn("loki client", "err", err)
		}
	}
	if e := c.Alertmanager; e != nil {
		if am, err := alertmanager.New(alertmanager.Options{URL: e.URL.String(), BearerToken: e.BearerToken.Reveal(), Timeout: e.Timeout}); err == nil {
			s.Alerts = am
		} else {
			a.log.Warn("alertmanager client", "err", err)
		}
	}
	return s
}

// connector resolves another context or team with the same flags and environment.
func (a *app) connector() func(ctxName, team string) (tui.Session, error) {
	return func(ctxName, team string) (tui.Session, error) {
		opts := a.loadOptions(config.SecretFilesSelected)
		opts.Flags.Context, opts.Flags.Team = ctxName, team
		res, err := config.Load(opts)
		if err != nil {
			return tui.Session{}, err
		}
		if res.Context == nil {
			return tui.Session{}, fmt.Errorf("no context %q", ctxName)
		}
		if team != "" && (res.Team == nil || res.Team.Name != team) {
			return tui.Session{}, fmt.Errorf("no team %q in the config file", team)
		}
		return a.session(res), nil
	}
}

// checkQueries compiles the team's PromQL template overrides now, so that a bad one is a
// configuration error at start-up, with its position, not a blank chart later.
func checkQueries(res *config.Resolved) error {
	if res.Team == nil {
		return nil
	}
	var errs []error
	for _, name := range res.Team.Services {
		sc := res.Team.ServiceConfig[name]
		for sig, tpl := range sc.Queries {
			_, err := prom.NewService(prom.ServiceOptions{Name: name, Scope: prom.Scope{OneOf: map[string][]string{"namespace": res.Team.Namespaces}},
				Overrides: map[string]string{sig: tpl}})
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %w", res.QueryPosition(res.Team.Name, name, sig), config.QueryPath(res.Team.Name, name, sig), err))
			}
		}
	}
	return errors.Join(errs...)
}

// teamFromPlatform takes the team's scope from the platform API when it knows the team:
// the server's teams are the authority on who owns what. Unreachable, the local config
// stays the scope (and the header says where actions would go).
func (a *app) teamFromPlatform(pc *platform.Client, s *tui.Session) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	teams, err := pc.Teams(ctx)
	if err != nil {
		a.log.Warn("platform teams: keeping the local team scope", "err", err)
		return
	}
	for _, t := range teams {
		if t.Name != s.Team {
			continue
		}
		var ns []string
		for _, n := range t.Namespaces {
			ns = append(ns, n.Name)
		}
		if len(ns) > 0 {
			s.Namespaces = ns
		}
		if t.Selector != "" {
			s.Selector = t.Selector
		}
		applyPlatformTeam(t, s)
		a.log.Info("team scope from the platform API", "team", t.Name, "namespaces", ns, "selector", t.Selector)
		return
	}
}

// applyPlatformTeam takes from the platform API's team what the local configuration
// cannot know or should not decide: the Alertmanager, Prometheus and Loki matchers (the
// server's are the ones its silences carry), the databases and job templates it serves,
// and whether the team has production (reasons are required then). Services the server
// lists join the configured ones.
func applyPlatformTeam(t api.Team, s *tui.Session) {
	if len(t.AlertMatchers) > 0 {
		s.AlertMatchers = t.AlertMatchers
	}
	if len(t.PrometheusMatchers) > 0 {
		s.PromMatchers = t.PrometheusMatchers
	}
	if len(t.LokiMatchers) > 0 {
		s.LokiMatchers = t.LokiMatchers
	}
	s.Databases, s.Jobs = t.Databases, t.Jobs
	s.Production = false
	for _, n := range t.Namespaces {
		if n.Environment == api.EnvProduction {
			s.Production = true
		}
	}
	for _, name := range t.Services {
		if _, ok := s.Services[name]; !ok {
			if s.Services == nil {
				s.Services = map[string]tui.ServiceSettings{}
			}
			s.Services[name] = tui.ServiceSettings{}
		}
	}
}
