// Package views holds the contracts between the root model (tui) and the screens: the View
// interface, the routes a view can ask for, and the messages that carry data and intents.
// A view renders and emits intents; it never does I/O. Each screen lives in its own package
// below this one.
package views

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/prometheus/common/model"

	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/sources"
	"github.com/vigie-dev/vigie/sources/alertmanager"
	"github.com/vigie-dev/vigie/sources/kube"
	"github.com/vigie-dev/vigie/sources/prom"
	"github.com/vigie-dev/vigie/themes"
)

// Screen names of the routes.
const (
	ScreenDeployments = "deployments"
	ScreenPods        = "pods"
	ScreenEvents      = "events"
	ScreenDescribe    = "describe"
	ScreenYAML        = "yaml"
	ScreenLogs        = "logs"
	ScreenHome        = "home"
	ScreenMetrics     = "metrics"
	ScreenAlerts      = "alerts"
	ScreenPromQL      = "promql"
	ScreenAudit       = "audit"
	ScreenApprovals   = "approvals"
	ScreenJobs        = "jobs"
	ScreenQuery       = "query"
)

// Route names a screen and its subject. The zero subject means "the whole team".
type Route struct {
	Screen    string
	Kind      string // kind of the subject: "Deployment", "Pod"; "" = none
	Namespace string
	Name      string
	Filter    string // filter to start with ("" = none)
	// Previous asks for the logs of the previous (crashed) container instances.
	Previous bool
	// From and To fix a time window (metrics around an alert); zero = the screen's
	// default relative range ending now.
	From, To time.Time
	// Query is a PromQL expression to chart (the expression an alert fired on).
	Query string
}

// Subject returns "kind/namespace/name", or "" when the route has no subject.
func (r Route) Subject() string {
	if r.Name == "" {
		return ""
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// Env is what every view gets from the root: styles, keys and the clock. Styles and Keys
// are pointers owned by the root: a theme change (background detection, NO_COLOR) reaches
// every view at its next render.
type Env struct {
	Styles *themes.Styles
	Keys   *keymaps.Set
	Now    func() time.Time
	// Logs opens a log feed (Kubernetes pod logs, or Loki when configured). It is called
	// from a command, never from Update; nil when no source can serve logs.
	Logs func(ctx context.Context, q LogQuery) (<-chan sources.LogBatch, error)
	// LogsVia names where Logs reads from ("Loki", "pod logs"), shown on the logs screen.
	LogsVia string
	// LogVolume counts the lines of a log query per step (Loki count_over_time); nil when
	// the log source cannot.
	LogVolume func(ctx context.Context, q LogQuery, start, end time.Time, step time.Duration) ([]VolumeBucket, error)
	// RingSize is the number of log lines a logs screen keeps (0 = 100,000).
	RingSize int

	// PromRange fetches the golden signals of a service over a window (nil: no
	// Prometheus configured). Called from commands only.
	PromRange func(ctx context.Context, service string, start, end time.Time, step time.Duration) (prom.SignalsSeries, error)
	// PromQuery evaluates a PromQL expression over a window, scoped by the caller.
	PromQuery func(ctx context.Context, query string, start, end time.Time, step time.Duration) (model.Value, error)
	// PromInstant evaluates a PromQL expression at one instant (a table of values).
	PromInstant func(ctx context.Context, query string, at time.Time) (model.Value, error)
	// PromComplete completes a PromQL console: metric names (label == ""), or the values
	// of label (of metric, when set), within the team's scope, starting with prefix.
	PromComplete func(ctx context.Context, metric, label, prefix string) ([]string, error)
	// AlertHistory reads when an alert fired over a window, from Prometheus ALERTS.
	AlertHistory func(ctx context.Context, alertname string, start, end time.Time) (prom.AlertHistory, error)
	// Runbook fetches a runbook's Markdown (over HTTP, or from the configured local
	// runbook root); an error when it is neither.
	Runbook func(ctx context.Context, url string) (string, error)
	// Loc is the user's time zone for time axes (nil = local).
	Loc *time.Location

	// Audit reads the platform API's audit log of the team, newest first (before = 0 for
	// the newest page, else the page's Next); nil when no platform API is configured.
	Audit func(ctx context.Context, team string, before int64) (api.AuditResponse, error)
	// Approvals lists approval requests of the caller's teams in a state ("" = pending);
	// Decide approves or rejects one. nil without a platform API.
	Approvals func(ctx context.Context, status string) ([]api.Approval, error)
	Decide    func(ctx context.Context, id string, approve bool, reason string) (api.Approval, error)

	// JobTemplates are the team's runbook job templates (the platform API's GET /v1/teams),
	// in the server's order. Jobs lists the recent runs of the team's templates, newest
	// first; nil without a platform API. Called from commands only.
	JobTemplates []api.JobTemplate
	Jobs         func(ctx context.Context) ([]api.JobRun, error)

	// Query runs a read-only query (a saved one or one SQL statement) on a team's
	// database through the platform API; nil without a platform API. Called from
	// commands only.
	Query func(ctx context.Context, req api.QueryRequest) (api.QueryResult, error)
	// Databases are the databases the session's team may query on the platform API
	// (GET /v1/teams), in the server's order; nil when it has none or no API answered.
	Databases []Database
	// QueryMemory is what the query screen keeps for the whole session (it outlives
	// the screen): the last reason given and the SQL run. Owned by the root.
	QueryMemory *QueryMemory
}

// Database is a database a team may query, and whether the team has a production
// namespace (a reason is then required).
type Database struct {
	Team, Name string
	Production bool
}

// QueryMemory is the query screen's memory across its instances in one session.
type QueryMemory struct {
	Reason  string   // the last reason given ("" = none yet)
	History []string // the SQL statements run, oldest first
}

// PromSnapshot carries the latest golden signals of the team's services.
type PromSnapshot struct {
	Gen  uint64
	Snap prom.Snapshot
}

// AlertsSnapshot carries the latest alerts of the team.
type AlertsSnapshot struct {
	Gen  uint64
	Snap alertmanager.Snapshot
}

// LogQuery says which logs a logs screen wants: one pod, or the pods of a deployment (by
// its selector), from Since ago, following new lines.
type LogQuery struct {
	Namespace string
	Pod       string
	Selector  string // the pods' label selector (Kubernetes)
	App       string // the workload's name, Loki's app label
	Container string
	Since     time.Duration
	Previous  bool
	Follow    bool
	// Include and Exclude are line filters (regexps) the source applies when it can
	// (Loki: in the LogQL query, so the history is filtered too, not only the ring).
	Include, Exclude string
	// From and To fix a window (a finished query, no following); zero To = from Since
	// ago, following.
	From, To time.Time
}

// VolumeBucket is the count of log lines in one step of a window, and of those that look
// like errors.
type VolumeBucket struct {
	At            time.Time
	Lines, Errors float64
}

// Lifecycle is implemented by views that hold a subscription: the root calls Enter when
// the view becomes the active one (opened, or back from the history) and Leave when it
// stops being it (another view opened over it, or it was left).
type Lifecycle interface {
	Enter() tea.Cmd
	Leave()
}

// View is one screen. The root routes messages to the active view and keeps the others in
// its history with their cursor and filter.
type View interface {
	// Update handles a message: keys (when no overlay has the keyboard), data
	// (KubeSnapshot) and the view's own messages.
	Update(msg tea.Msg) (View, tea.Cmd)
	// Render draws the view in exactly width×height cells (fewer lines are padded by the
	// root); it must not panic for any size, down to 0×0.
	Render(width, height int) string
	// Help is the help of the screen, built now so that it follows read-only mode.
	Help() keymaps.Screen
	// Title is the breadcrumb of the screen, e.g. "pods · deploy/checkout".
	Title() string
	// Route is the route that opened the view.
	Route() Route
	// Capturing reports whether a text input of the view has the keyboard: the root then
	// sends every key to the view, global keys included.
	Capturing() bool
	// Escape undoes one level of the view's own state (a filter) and reports whether it
	// did; when it did not, the root goes back in the history.
	Escape() (View, bool)
}

// Navigate asks the root to open a route, pushing the current view on the history.
type Navigate struct{ Route Route }

// FlashLevel is the weight of a status-bar message.
type FlashLevel int

// Flash levels.
const (
	FlashInfo FlashLevel = iota
	FlashWarning
	FlashError
)

// Flash asks the root to show a short message in the status bar.
type Flash struct {
	Level FlashLevel
	Text  string
}

// FlashCmd returns a command that emits a Flash.
func FlashCmd(level FlashLevel, text string) tea.Cmd {
	return func() tea.Msg { return Flash{Level: level, Text: text} }
}

// KubeSnapshot carries the latest workloads snapshot of the team's scope to the views.
// Gen is the generation of the watch that produced it: the root drops snapshots of a watch
// it replaced (team or context switch) before they reach a view.
type KubeSnapshot struct {
	Gen  uint64
	Snap kube.Snapshot
}

// Tick is sent every second so that ages and stale markers move on.
type Tick struct{ At time.Time }

// ActionRequested asks the root to run a guarded action: the root opens the
// confirmation dialog (what, where, reason, the server's dry run, typed confirmation),
// then calls the platform API. A view never acts itself.
type ActionRequested struct {
	Kind            string // "scale", "restart"
	Namespace, Name string // the Deployment
	// ResourceVersion is the version the user saw: the server refuses the action when
	// the Deployment changed since.
	ResourceVersion string
	Replicas        int32 // current desired replicas (scale starts from it)
	// Matchers select the alerts to silence (silence only), besides the team's own
	// matchers which the server always adds: label name → value.
	Matchers map[string]string
	// Values are the parameters a job's form starts from (a run's, to run it again);
	// nil = the template's defaults. Namespace and Name are the template's (kind "job").
	Values map[string]string
}
