package alertmanager

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-openapi/runtime"
	"github.com/go-openapi/strfmt"
	"github.com/prometheus/alertmanager/api/v2/client/alert"
	"github.com/prometheus/alertmanager/api/v2/client/silence"
	"github.com/prometheus/alertmanager/api/v2/models"
)

// State is what Alertmanager does with an alert.
type State string

// The states of an alert.
const (
	StateActive    State = "active"    // notifications are sent (includes "unprocessed")
	StateSilenced  State = "silenced"  // a silence matches it (SilencedBy)
	StateInhibited State = "inhibited" // a firing alert inhibits it (InhibitedBy)
	StateMuted     State = "muted"     // suppressed by a mute time interval (Alertmanager 0.27+)
)

// Alert is one alert as Alertmanager holds it.
type Alert struct {
	Fingerprint string
	Name        string            // alertname
	Labels      map[string]string // read-only
	Annotations map[string]string // read-only
	// Summary, Description and RunbookURL are the usual annotations ("" when absent).
	Summary, Description, RunbookURL string
	Severity                         string // the severity label, as written
	State                            State
	SilencedBy                       []string // silence IDs
	InhibitedBy                      []string // fingerprints of the inhibiting alerts
	StartsAt, UpdatedAt, EndsAt      time.Time
	GeneratorURL                     string // the Prometheus expression that fired
	Receivers                        []string
}

// Level is the severity of the alert's severity label.
func (a Alert) Level() Level { return SeverityLevel(a.Severity) }

// Age is how long the alert has been firing at now.
func (a Alert) Age(now time.Time) time.Duration { return now.Sub(a.StartsAt) }

// Level orders severities: LevelCritical > LevelWarning > LevelInfo > LevelNone.
type Level int

// The severity levels.
const (
	LevelNone Level = iota
	LevelInfo
	LevelWarning
	LevelCritical
)

func (l Level) String() string {
	return [...]string{"none", "info", "warning", "critical"}[l]
}

// SeverityLevel maps a severity label to a level, case-insensitively: critical, page,
// emergency, fatal, error, high, p1, sev1 are critical; warning, warn, medium, p2, p3,
// sev2, sev3 are warnings; info, informational, notice, low, p4, p5 are info; anything
// else (or no label) is none.
func SeverityLevel(s string) Level {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical", "crit", "page", "emergency", "fatal", "error", "high", "p1", "sev1":
		return LevelCritical
	case "warning", "warn", "medium", "p2", "p3", "sev2", "sev3":
		return LevelWarning
	case "info", "informational", "notice", "low", "p4", "p5":
		return LevelInfo
	}
	return LevelNone
}

func (c *Client) authOpt() func(*runtime.ClientOperation) {
	return func(o *runtime.ClientOperation) {
		if c.auth != nil {
			o.AuthInfo = c.auth
		}
	}
}

// Alerts returns the alerts matching the team filter, including silenced, inhibited and
// not yet processed ones, sorted (see SortAlerts).
func (c *Client) Alerts(ctx context.Context, f TeamFilter) ([]Alert, error) {
	filters, err := f.Filters()
	if err != nil {
		return nil, err
	}
	yes := true
	p := alert.NewGetAlertsParamsWithContext(ctx).WithTimeout(c.timeout).WithFilter(filters).
		WithActive(&yes).WithSilenced(&yes).WithInhibited(&yes).WithUnprocessed(&yes)
	res, err := c.api.Alert.GetAlerts(p, c.authOpt())
	if err != nil {
		return nil, wrapErr("get alerts", err)
	}
	out := make([]Alert, 0, len(res.Payload))
	for _, ga := range res.Payload {
		if ga != nil {
			out = append(out, fromModel(ga))
		}
	}
	SortAlerts(out)
	return out, nil
}

func fromModel(ga *models.GettableAlert) Alert {
	a := Alert{
		Labels:       maps.Clone(map[string]string(ga.Labels)),
		Annotations:  maps.Clone(map[string]string(ga.Annotations)),
		GeneratorURL: string(ga.GeneratorURL),
		State:        StateActive,
	}
	if a.Labels == nil {
		a.Labels = map[string]string{}
	}
	if a.Annotations == nil {
		a.Annotations = map[string]string{}
	}
	a.Name, a.Severity = a.Labels["alertname"], a.Labels["severity"]
	a.Summary, a.Description, a.RunbookURL = a.Annotations["summary"], a.Annotations["description"], a.Annotations["runbook_url"]
	if ga.Fingerprint != nil {
		a.Fingerprint = *ga.Fingerprint
	}
	a.StartsAt, a.UpdatedAt, a.EndsAt = tm(ga.StartsAt), tm(ga.UpdatedAt), tm(ga.EndsAt)
	for _, r := range ga.Receivers {
		if r != nil && r.Name != nil {
			a.Receivers = append(a.Receivers, *r.Name)
		}
	}
	if st := ga.Status; st != nil {
		a.SilencedBy, a.InhibitedBy = slices.Clone(st.SilencedBy), slices.Clone(st.InhibitedBy)
		if st.State != nil && *st.State == models.AlertStatusStateSuppressed {
			switch {
			case len(st.SilencedBy) > 0:
				a.State = StateSilenced
			case len(st.InhibitedBy) > 0:
				a.State = StateInhibited
			default:
				a.State = StateMuted
			}
		}
	}
	return a
}

func tm(t *strfmt.DateTime) time.Time {
	if t == nil {
		return time.Time{}
	}
	return time.Time(*t)
}

// SortAlerts orders alerts by severity (critical first), then age (the longest-firing
// first: in a cascade the first alert is usually nearest the cause), then name and
// fingerprint, so that the order is stable between polls.
func SortAlerts(alerts []Alert) {
	slices.SortStableFunc(alerts, compareAlerts)
}

func compareAlerts(a, b Alert) int {
	return cmp.Or(
		cmp.Compare(b.Level(), a.Level()),
		a.StartsAt.Compare(b.StartsAt),
		strings.Compare(a.Name, b.Name),
		strings.Compare(a.Fingerprint, b.Fingerprint),
	)
}

// Group is the alerts sharing one value of a label.
type Group struct {
	By    string // the label grouped by
	Value string // its value; "" for alerts without it
	Level Level  // the worst severity in the group
	// Alerts are sorted by SortAlerts.
	Alerts                             []Alert
	Active, Silenced, Inhibited, Muted int
}

// GroupAlerts groups alerts by the value of label by (usually "alertname" or "service"). Groups
// are sorted like their first alert: worst severity, then the oldest, then value.
func GroupAlerts(alerts []Alert, by string) []Group {
	idx := map[string]int{}
	var out []Group
	for _, a := range alerts {
		v := a.Labels[by]
		i, ok := idx[v]
		if !ok {
			i = len(out)
			idx[v] = i
			out = append(out, Group{By: by, Value: v})
		}
		g := &out[i]
		g.Alerts = append(g.Alerts, a)
		g.Level = max(g.Level, a.Level())
		switch a.State {
		case StateSilenced:
			g.Silenced++
		case StateInhibited:
			g.Inhibited++
		case StateMuted:
			g.Muted++
		default:
			g.Active++
		}
	}
	for i := range out {
		SortAlerts(out[i].Alerts)
	}
	slices.SortFunc(out, func(a, b Group) int {
		return cmp.Or(compareAlerts(a.Alerts[0], b.Alerts[0]), strings.Compare(a.Value, b.Value))
	})
	return out
}

// Silence is one Alertmanager silence.
type Silence struct {
	ID                          string
	Matchers                    []string // rendered: team="payments", alertname=~"High.*"
	CreatedBy                   string
	Comment                     string
	State                       string // active, pending or expired
	StartsAt, EndsAt, UpdatedAt time.Time
}

func silenceFromModel(gs *models.GettableSilence) Silence {
	s := Silence{UpdatedAt: tm(gs.UpdatedAt), StartsAt: tm(gs.StartsAt), EndsAt: tm(gs.EndsAt)}
	if gs.ID != nil {
		s.ID = *gs.ID
	}
	if gs.CreatedBy != nil {
		s.CreatedBy = *gs.CreatedBy
	}
	if gs.Comment != nil {
		s.Comment = *gs.Comment
	}
	if gs.Status != nil && gs.Status.State != nil {
		s.State = *gs.Status.State
	}
	for _, m := range gs.Matchers {
		if r := renderMatcher(m); r != "" {
			s.Matchers = append(s.Matchers, r)
		}
	}
	return s
}

// Silences lists the active and pending silences that carry every matcher of the filter
// (Alertmanager's filter on silences compares matchers, not alerts: a silence on
// alertname only is not listed; use Silence with the IDs of Alert.SilencedBy for those).
// Sorted by end, the soonest first.
func (c *Client) Silences(ctx context.Context, f TeamFilter) ([]Silence, error) {
	filters, err := f.Filters()
	if err != nil {
		return nil, err
	}
	p := silence.NewGetSilencesParamsWithContext(ctx).WithTimeout(c.timeout).WithFilter(filters)
	res, err := c.api.Silence.GetSilences(p, c.authOpt())
	if err != nil {
		return nil, wrapErr("get silences", err)
	}
	var out []Silence
	for _, gs := range res.Payload {
		if gs == nil {
			continue
		}
		s := silenceFromModel(gs)
		if s.State != models.SilenceStatusStateExpired {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b Silence) int { return cmp.Or(a.EndsAt.Compare(b.EndsAt), strings.Compare(a.ID, b.ID)) })
	return out, nil
}

// Silence returns one silence by ID.
func (c *Client) Silence(ctx context.Context, id string) (Silence, error) {
	p := silence.NewGetSilenceParamsWithContext(ctx).WithTimeout(c.timeout).WithSilenceID(strfmt.UUID(id))
	res, err := c.api.Silence.GetSilence(p, c.authOpt())
	if err != nil {
		return Silence{}, wrapErr("get silence "+id, err)
	}
	if res.Payload == nil {
		return Silence{}, fmt.Errorf("alertmanager get silence %s: empty answer", id)
	}
	return silenceFromModel(res.Payload), nil
}

// APIError is an Alertmanager request that failed, with the server's words when it sent
// some.
type APIError struct {
	Op   string // "get alerts"
	Code int    // HTTP status; 0 when the server was not reached
	Msg  string // the server's message, or the transport error
	Err  error
}

func (e *APIError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("alertmanager %s: %d %s", e.Op, e.Code, e.Msg)
	}
	return fmt.Sprintf("alertmanager %s: %s", e.Op, e.Msg)
}

func (e *APIError) Unwrap() error { return e.Err }

func wrapErr(op string, err error) error {
	e := &APIError{Op: op, Msg: err.Error(), Err: err}
	var ae *runtime.APIError
	if errors.As(err, &ae) {
		e.Code, e.Msg = ae.Code, http.StatusText(ae.Code)
		return e
	}
	if c, ok := err.(interface{ Code() int }); ok {
		e.Code = c.Code()
		if p, ok := err.(interface{ GetPayload() string }); ok && p.GetPayload() != "" {
			e.Msg = strings.TrimSpace(p.GetPayload())
		}
	}
	return e
}
