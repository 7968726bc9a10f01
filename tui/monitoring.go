package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/sources/alertmanager"
	"github.com/vigie-dev/vigie/sources/kube"
	"github.com/vigie-dev/vigie/sources/platform"
	"github.com/vigie-dev/vigie/sources/prom"
	"github.com/vigie-dev/vigie/views"
)

// promScope is the team's part of Prometheus: its namespaces.
func promScope(s Session) prom.Scope {
	return prom.Scope{Labels: s.PromMatchers, OneOf: map[string][]string{"namespace": s.Namespaces}}
}

// alertFilter is the team's part of Alertmanager: its configured matchers, else alerts
// labelled with its name.
func alertFilter(s Session) alertmanager.TeamFilter {
	if len(s.AlertMatchers) > 0 {
		return alertmanager.TeamFilter{Matchers: s.AlertMatchers}
	}
	return alertmanager.TeamFilter{Matchers: map[string]string{"team": s.Team}}
}

// service builds the PromQL of one of the session's services, with its configured SLO
// and template overrides.
func service(s Session, name string) (prom.Service, error) {
	set := s.Services[name]
	return prom.NewService(prom.ServiceOptions{Name: name, Scope: promScope(s), SLO: set.SLO, Overrides: set.Queries})
}

// ServiceNames derives the team's services from its deployments: the service label, else
// app, else the deployment's name. Sorted, unique.
func ServiceNames(s *kube.Snapshot) []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, d := range s.Deployments {
		n := d.Labels["service"]
		if n == "" {
			n = d.Labels["app"]
		}
		if n == "" {
			n = d.Name
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// Messages of the pollers.
type (
	promStarted struct {
		gen uint64
		ch  <-chan prom.Snapshot
	}
	alertsStarted struct {
		gen uint64
		ch  <-chan alertmanager.Snapshot
	}
)

// restartPromPoll (re)starts the golden-signals poll over the given services.
func (m *Model) restartPromPoll(services []string) tea.Cmd {
	if m.promCancel != nil {
		m.promCancel()
		m.promCancel = nil
	}
	m.promGen++
	m.promServices = services
	pq := m.session.Prom
	if pq == nil || len(services) == 0 {
		return nil
	}
	var svcs []prom.Service
	for _, n := range services {
		svc, err := service(m.session, n)
		if err != nil {
			m.opts.Log.Warn("prometheus service", "service", n, "err", err)
			continue
		}
		svcs = append(svcs, svc)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.promCancel = cancel
	gen, opts := m.promGen, m.opts.PromPoll
	return func() tea.Msg {
		return promStarted{gen: gen, ch: prom.Poll(ctx, pq, svcs, opts)}
	}
}

func (m *Model) startAlertsPoll() tea.Cmd {
	if m.amCancel != nil {
		m.amCancel()
		m.amCancel = nil
	}
	m.amGen++
	m.lastAlerts = nil
	c := m.session.Alerts
	if c == nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.amCancel = cancel
	gen, filter, opts := m.amGen, alertFilter(m.session), m.opts.AlertsPoll
	return func() tea.Msg {
		return alertsStarted{gen: gen, ch: alertmanager.Poll(ctx, c, filter, opts)}
	}
}

func nextProm(gen uint64, ch <-chan prom.Snapshot) tea.Cmd {
	return func() tea.Msg {
		s, ok := <-ch
		if !ok {
			return nil
		}
		return views.PromSnapshot{Gen: gen, Snap: s}
	}
}

func nextAlerts(gen uint64, ch <-chan alertmanager.Snapshot) tea.Cmd {
	return func() tea.Msg {
		s, ok := <-ch
		if !ok {
			return nil
		}
		return views.AlertsSnapshot{Gen: gen, Snap: s}
	}
}

// monitoringUpdate handles the pollers' messages; ok is false for other messages.
func (m *Model) monitoringUpdate(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case promStarted:
		if msg.gen != m.promGen {
			return nil, true
		}
		m.promCh = msg.ch
		return nextProm(msg.gen, msg.ch), true
	case alertsStarted:
		if msg.gen != m.amGen {
			return nil, true
		}
		m.amCh = msg.ch
		return nextAlerts(msg.gen, msg.ch), true
	case views.PromSnapshot:
		if msg.Gen != m.promGen {
			return nil, true
		}
		snap := msg.Snap
		m.lastProm = &snap
		v, cmd := m.view.Update(msg)
		m.view = v
		return tea.Batch(cmd, nextProm(msg.Gen, m.promCh)), true
	case views.AlertsSnapshot:
		if msg.Gen != m.amGen {
			return nil, true
		}
		snap := msg.Snap
		m.lastAlerts = &snap
		v, cmd := m.view.Update(msg)
		m.view = v
		return tea.Batch(cmd, nextAlerts(msg.Gen, m.amCh)), true
	}
	return nil, false
}

// servicesChanged restarts the prom poll when the team's services changed.
func (m *Model) servicesChanged() tea.Cmd {
	names := ServiceNames(m.last)
	for n := range m.session.Services {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	if slices.Equal(names, m.promServices) {
		return nil
	}
	return m.restartPromPoll(names)
}

// stopMonitoring cancels both pollers.
func (m *Model) stopMonitoring() {
	if m.promCancel != nil {
		m.promCancel()
		m.promCancel = nil
	}
	if m.amCancel != nil {
		m.amCancel()
		m.amCancel = nil
	}
}

// dataFuncs installs in env the functions the monitoring screens fetch with.
func dataFuncs(env *views.Env, s Session) {
	env.Logs, env.LogsVia, env.LogVolume = logSource(s), "pod logs", logVolume(s)
	if s.Loki != nil {
		env.LogsVia = "Loki"
	}
	env.PromRange, env.PromQuery, env.AlertHistory, env.Runbook = nil, nil, nil, runbookFetcher(s.Runbooks)
	env.RingSize = s.LogRing
	env.PromInstant, env.PromComplete, env.Audit = nil, nil, nil
	if a, ok := s.Platform.(interface {
		Audit(context.Context, platform.AuditQuery) (api.AuditResponse, error)
	}); ok {
		env.Audit = func(ctx context.Context, team string, before int64) (api.AuditResponse, error) {
			return a.Audit(ctx, platform.AuditQuery{Team: team, Before: before, Limit: 50})
		}
	}
	env.Approvals, env.Decide = nil, nil
	if a, ok := s.Platform.(interface {
		Approvals(context.Context, platform.ApprovalQuery) (api.ApprovalsResponse, error)
		Decide(context.Context, string, api.Decision, string) (api.Approval, error)
	}); ok {
		env.Approvals = func(ctx context.Context, status string) ([]api.Approval, error) {
			r, err := a.Approvals(ctx, platform.ApprovalQuery{Status: status, Limit: 200})
			return r.Approvals, err
		}
		env.Decide = func(ctx context.Context, id string, approve bool, reason string) (api.Approval, error) {
			d := api.DecisionReject
			if approve {
				d = api.DecisionApprove
			}
			return a.Decide(ctx, id, d, reason)
		}
	}
	queryFuncs(env, s)
	jobFuncs(env, s)
	pq := s.Prom
	if pq == nil {
		return
	}
	scope := promScope(s)
	env.PromRange = func(ctx context.Context, name string, start, end time.Time, step time.Duration) (prom.SignalsSeries, error) {
		svc, err := service(s, name)
		if err != nil {
			return prom.SignalsSeries{}, err
		}
		return prom.SignalsRange(ctx, pq, svc, start, end, step)
	}
	env.PromQuery = func(ctx context.Context, q string, start, end time.Time, step time.Duration) (model.Value, error) {
		v, _, err := prom.EvalRange(ctx, pq, q, promv1.Range{Start: start, End: end, Step: step})
		return v, err
	}
	env.PromInstant = func(ctx context.Context, q string, at time.Time) (model.Value, error) {
		v, _, err := prom.Eval(ctx, pq, q, at)
		return v, err
	}
	env.PromComplete = func(ctx context.Context, metric, label, prefix string) ([]string, error) {
		cq := prom.CompleteQuery{Scope: scope, Metric: metric, Prefix: prefix, Limit: 200}
		if label == "" {
			return prom.MetricNames(ctx, pq, cq)
		}
		if label == "__label__" {
			return prom.LabelNames(ctx, pq, cq)
		}
		return prom.LabelValues(ctx, pq, cq, label)
	}
	env.AlertHistory = func(ctx context.Context, name string, start, end time.Time) (prom.AlertHistory, error) {
		return prom.AlertHistoryRange(ctx, pq, prom.HistoryQuery{Scope: scope, AlertName: name, Start: start, End: end})
	}
}

// runbookFetcher reads runbooks from the local runbooks folder (a runbook_url that is a
// relative path, or file://, or whose path names a file in the folder) or over HTTP(S).
func runbookFetcher(root string) func(context.Context, string) (string, error) {
	return func(ctx context.Context, raw string) (string, error) {
		if root != "" {
			if text, ok, err := localRunbook(root, raw); ok {
				return text, err
			}
		}
		return fetchRunbook(ctx, raw)
	}
}

// localRunbook finds raw in the runbooks folder: by its path, then by its file name.
// Nothing outside the folder is ever read.
func localRunbook(root, raw string) (string, bool, error) {
	p := raw
	if u, err := url.Parse(raw); err == nil && u.Scheme != "" {
		p = u.Path
	}
	for _, cand := range []string{strings.TrimPrefix(path.Clean("/"+p), "/"), path.Base(p)} {
		if cand == "" || cand == "." {
			continue
		}
		full := filepath.Join(root, filepath.FromSlash(cand))
		if rel, err := filepath.Rel(root, full); err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		data, err := os.ReadFile(full)
		if err == nil {
			if len(data) > 1<<20 {
				data = data[:1<<20]
			}
			return string(data), true, nil
		}
	}
	return "", false, nil
}

// fetchRunbook reads a runbook over HTTP(S): 5 s, 1 MiB at most, the server's status on
// failure.
func fetchRunbook(ctx context.Context, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("runbook %q: not in the runbooks folder, and only http(s) runbooks can be fetched", raw)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "text/markdown, text/plain;q=0.9, */*;q=0.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("runbook: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("runbook: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return "", errors.New("runbook: " + resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/html") {
		return "", fmt.Errorf("runbook: %s serves HTML, not Markdown: open it in a browser", u.Host)
	}
	return string(body), nil
}

// sourceState is the header's word for a polled source.
func sourceState(configured bool, has bool, stale time.Time, now time.Time) string {
	switch {
	case !configured:
		return "– off"
	case !has:
		return "◌ connecting"
	case !stale.IsZero():
		return "⚠ STALE " + shortAge(now.Sub(stale))
	}
	return "● live"
}

func shortAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%dh", int(d.Hours()))
}

// queryFuncs installs in env what the query screen runs with: the platform API's read-only
// queries, the team's databases, and the session's memory of reasons and SQL (kept across
// team switches: it is the user's, not the team's).
func queryFuncs(env *views.Env, s Session) {
	env.Query, env.Databases = nil, nil
	if env.QueryMemory == nil {
		env.QueryMemory = &views.QueryMemory{}
	}
	q, ok := s.Platform.(interface {
		Query(context.Context, api.QueryRequest) (api.QueryResult, error)
	})
	if !ok {
		return
	}
	env.Query = q.Query
	for _, name := range s.Databases {
		env.Databases = append(env.Databases, views.Database{Team: s.Team, Name: name, Production: s.Production})
	}
}

// jobFuncs installs in env the team's job templates and the read of their recent runs
// (the platform API's GET /v1/jobs of the session's team).
func jobFuncs(env *views.Env, s Session) {
	env.JobTemplates, env.Jobs = s.Jobs, nil
	c, ok := s.Platform.(interface {
		Jobs(context.Context, platform.JobQuery) (api.JobsResponse, error)
	})
	if !ok {
		return
	}
	team := s.Team
	env.Jobs = func(ctx context.Context) ([]api.JobRun, error) {
		r, err := c.Jobs(ctx, platform.JobQuery{Team: team, Limit: 50})
		return r.Runs, err
	}
}
