package actions

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-openapi/runtime"
	httptransport "github.com/go-openapi/runtime/client"
	"github.com/go-openapi/strfmt"
	amclient "github.com/prometheus/alertmanager/api/v2/client"
	"github.com/prometheus/alertmanager/api/v2/client/alert"
	"github.com/prometheus/alertmanager/api/v2/client/silence"
	"github.com/prometheus/alertmanager/api/v2/models"
	"github.com/prometheus/alertmanager/pkg/labels"

	"github.com/vigie-dev/vigie/platform/api"
)

// Silence is what silence and expire-silence need besides the target. The server fills
// it from its configuration: the team's own matchers are never the caller's to choose.
type Silence struct {
	Team         string        // the team, for messages
	TeamMatchers []api.Matcher // the team's alert matchers: every silence of the team carries them
	Matchers     []api.Matcher // silence: all of them, the team's first (policy.Team.SilenceMatchers)
	Duration     time.Duration // silence: as asked
	MaxDuration  time.Duration // silence: the policy's limit; a longer silence is cut to it (0: no limit)
	CreatedBy    string        // silence: the authenticated user
	Comment      string        // silence: the reason
	ID           string        // expire-silence: the silence to expire
}

// Silence states, as Alertmanager reports them.
const (
	SilencePending = "pending"
	SilenceActive  = "active"
	SilenceExpired = "expired"
)

// alertmanager is the server's own client of Alertmanager's api/v2.
type alertmanager struct {
	api *amclient.AlertmanagerAPI
}

func newAlertmanager(raw string) (*alertmanager, error) {
	if raw == "" {
		return nil, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return nil, fmt.Errorf("actions: Alertmanager URL %q: want http(s)://host[:port][/path]", raw)
	}
	tr := httptransport.New(u.Host, strings.TrimSuffix(u.Path, "/")+"/api/v2", []string{u.Scheme})
	return &alertmanager{api: amclient.New(tr, strfmt.Default)}, nil
}

func (r *Runner) silence(ctx context.Context, req Request) (Result, error) {
	if r.am == nil {
		return Result{}, &Error{Code: api.CodeActionFailed, Msg: "the platform has no Alertmanager to make silences in (alertmanager.url in its configuration, or vigie serve --alertmanager-url)"}
	}
	if len(req.Silence.TeamMatchers) == 0 {
		// Without them a silence could match any team's alerts: never.
		return Result{}, &Error{Code: api.CodeInternal, Msg: "team " + req.Silence.Team + " has no alert matchers"}
	}
	if req.Kind == api.ActionExpireSilence {
		return r.expireSilence(ctx, req)
	}
	return r.createSilence(ctx, req)
}

// createSilence creates a silence of the team's alerts: its own matchers and the
// request's, for the duration asked (cut to the limit), created by the user, with the
// reason as comment. A dry run creates nothing and answers the silence it would create.
func (r *Runner) createSilence(ctx context.Context, req Request) (Result, error) {
	s := req.Silence
	if !carries(s.Matchers, s.TeamMatchers) || len(s.Matchers) <= len(s.TeamMatchers) {
		return Result{}, &Error{Code: api.CodeInternal, Msg: fmt.Sprintf("the silence's matchers %s are not team %s's own %s and at least one more",
			renderMatchers(s.Matchers), s.Team, renderMatchers(s.TeamMatchers))}
	}
	if s.Duration <= 0 {
		return Result{}, &Error{Code: api.CodeInvalid, Msg: fmt.Sprintf("a silence of %s ends before it starts", s.Duration)}
	}
	if s.CreatedBy == "" || strings.TrimSpace(s.Comment) == "" {
		return Result{}, &Error{Code: api.CodeInternal, Msg: "a silence needs its author and a comment"}
	}
	var warnings []string
	dur := s.Duration
	if s.MaxDuration > 0 && dur > s.MaxDuration {
		warnings = append(warnings, fmt.Sprintf("%s is above the limit of %s: the silence ends after %s", FormatDuration(dur), FormatDuration(s.MaxDuration), FormatDuration(s.MaxDuration)))
		dur = s.MaxDuration
	}
	start := r.o.Now().UTC().Truncate(time.Millisecond)
	sil := &api.Silence{Matchers: slices.Clone(s.Matchers), StartsAt: start, EndsAt: start.Add(dur), CreatedBy: s.CreatedBy, Comment: s.Comment}
	what := fmt.Sprintf("the alerts of team %s matching %s for %s (until %s)", s.Team, renderMatchers(sil.Matchers), FormatDuration(dur), sil.EndsAt.Format(time.RFC3339))

	firing, err := r.am.matching(ctx, s.TeamMatchers, s.Matchers)
	now := describeFiring(firing)
	if err != nil {
		if req.DryRun { // the dry run's only contact with Alertmanager: its failure is the answer
			return Result{}, err
		}
		now = "" // the silence matters more than the count
		warnings = append(warnings, "could not list the alerts it matches now: "+err.Error())
	}
	changes := []api.Change{
		{Field: "silence.matchers", To: renderMatchers(sil.Matchers)},
		{Field: "silence.startsAt", To: sil.StartsAt.Format(time.RFC3339)},
		{Field: "silence.endsAt", To: sil.EndsAt.Format(time.RFC3339)},
		{Field: "silence.createdBy", To: sil.CreatedBy},
		{Field: "silence.comment", To: sil.Comment},
	}
	if req.DryRun {
		return Result{Message: withWarnings("would silence "+what+now, warnings), Changes: changes, Warnings: warnings, Silence: sil}, nil
	}

	start2, end := strfmt.DateTime(sil.StartsAt), strfmt.DateTime(sil.EndsAt)
	createdBy, comment := sil.CreatedBy, sil.Comment
	p := silence.NewPostSilencesParamsWithContext(ctx).WithTimeout(r.o.Timeout).WithSilence(&models.PostableSilence{
		Silence: models.Silence{Matchers: toModel(sil.Matchers), StartsAt: &start2, EndsAt: &end, CreatedBy: &createdBy, Comment: &comment},
	})
	res, err := r.am.api.Silence.PostSilences(p)
	if err != nil {
		return Result{}, amError(ctx, "creating the silence", err)
	}
	if res.Payload == nil || res.Payload.SilenceID == "" {
		return Result{}, &Error{Code: api.CodeActionFailed, Msg: "Alertmanager created the silence but did not answer its id: look for it in Alertmanager"}
	}
	sil.ID, sil.State = res.Payload.SilenceID, SilenceActive
	changes = append([]api.Change{{Field: "silence.id", To: sil.ID}}, changes...)
	return Result{Message: withWarnings(fmt.Sprintf("silenced %s: silence %s%s", what, sil.ID, now), warnings), Changes: changes, Warnings: warnings, Silence: sil}, nil
}

// expireSilence expires one of the team's silences: one whose matchers include every
// one of the team's alert matchers (silences vigie created for the team carry them).
func (r *Runner) expireSilence(ctx context.Context, req Request) (Result, error) {
	s := req.Silence
	what := "silence " + s.ID
	p := silence.NewGetSilenceParamsWithContext(ctx).WithTimeout(r.o.Timeout).WithSilenceID(strfmt.UUID(s.ID))
	res, err := r.am.api.Silence.GetSilence(p)
	if err != nil {
		return Result{}, amError(ctx, what, err)
	}
	sil := fromModel(res.Payload)
	if sil.ID == "" {
		return Result{}, &Error{Code: api.CodeActionFailed, Msg: what + ": Alertmanager answered no silence"}
	}
	if !carries(sil.Matchers, s.TeamMatchers) {
		// The other silence's matchers are not the caller's to read.
		return Result{}, &Error{Code: api.CodeForbidden, Msg: fmt.Sprintf("%s is not one of team %s's silences (its matchers do not include %s): a team can expire only its own silences",
			what, s.Team, renderMatchers(s.TeamMatchers))}
	}
	about := fmt.Sprintf("%s of team %s (%s, created by %s, until %s)", what, s.Team, renderMatchers(sil.Matchers), sil.CreatedBy, sil.EndsAt.Format(time.RFC3339))
	if sil.State == SilenceExpired {
		return Result{Message: about + " has already expired: nothing to do", Silence: sil}, nil
	}
	now := r.o.Now().UTC().Truncate(time.Millisecond)
	changes := []api.Change{
		{Field: "silence.state", From: sil.State, To: SilenceExpired},
		{Field: "silence.endsAt", From: sil.EndsAt.Format(time.RFC3339), To: now.Format(time.RFC3339)},
	}
	if req.DryRun {
		return Result{Message: "would expire " + about, Changes: changes, Silence: sil}, nil
	}
	dp := silence.NewDeleteSilenceParamsWithContext(ctx).WithTimeout(r.o.Timeout).WithSilenceID(strfmt.UUID(s.ID))
	if _, err := r.am.api.Silence.DeleteSilence(dp); err != nil {
		return Result{}, amError(ctx, what, err)
	}
	sil.State, sil.EndsAt = SilenceExpired, now
	return Result{Message: "expired " + about, Changes: changes, Silence: sil}, nil
}

// matching lists the alerts Alertmanager has now (firing: active, silenced or
// inhibited) that every matcher matches. The team's matchers filter on Alertmanager's
// side; all of them are then applied here, with Alertmanager's own matcher semantics.
func (am *alertmanager) matching(ctx context.Context, team, all []api.Matcher) ([]models.GettableAlert, error) {
	filter := make([]string, 0, len(team))
	for _, m := range team {
		filter = append(filter, m.String())
	}
	ms, err := compile(all)
	if err != nil {
		return nil, &Error{Code: api.CodeInvalid, Msg: err.Error()}
	}
	res, err := am.api.Alert.GetAlerts(alert.NewGetAlertsParamsWithContext(ctx).WithFilter(filter))
	if err != nil {
		return nil, amError(ctx, "listing the alerts", err)
	}
	var out []models.GettableAlert
	for _, a := range res.Payload {
		if a == nil {
			continue
		}
		ok := true
		for _, m := range ms {
			ok = ok && m.Matches(a.Labels[m.Name])
		}
		if ok {
			out = append(out, *a)
		}
	}
	return out, nil
}

// compile turns matchers into Alertmanager's, checking regexps as Alertmanager reads
// them (anchored).
func compile(ms []api.Matcher) ([]*labels.Matcher, error) {
	out := make([]*labels.Matcher, 0, len(ms))
	for _, m := range ms {
		t := labels.MatchEqual
		switch m.Op() {
		case "!=":
			t = labels.MatchNotEqual
		case "=~":
			t = labels.MatchRegexp
		case "!~":
			t = labels.MatchNotRegexp
		}
		lm, err := labels.NewMatcher(t, m.Name, m.Value)
		if err != nil {
			return nil, fmt.Errorf("matcher %s: %v", m, err)
		}
		out = append(out, lm)
	}
	return out, nil
}

// CheckMatcher compiles a matcher as Alertmanager does (a regexp is anchored), so the
// server refuses what Alertmanager would.
func CheckMatcher(m api.Matcher) error {
	_, err := compile([]api.Matcher{m})
	return err
}

// describeFiring says which alerts a silence matches now: "; it matches 2 alerts firing
// now: HighErrorRatio, HighLatencyP99".
func describeFiring(alerts []models.GettableAlert) string {
	if len(alerts) == 0 {
		return "; no alert firing now matches it"
	}
	count := map[string]int{}
	for _, a := range alerts {
		count[a.Labels["alertname"]]++
	}
	var names []string
	for name, n := range count {
		if name == "" {
			name = "(no alertname)"
		}
		if n > 1 {
			name = fmt.Sprintf("%s (%d)", name, n)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	if len(names) > 5 {
		names = append(names[:5], "…")
	}
	noun := "alerts"
	if len(alerts) == 1 {
		noun = "alert"
	}
	return fmt.Sprintf("; it matches %d %s firing now: %s", len(alerts), noun, strings.Join(names, ", "))
}

// carries reports whether ms holds every one of the team's matchers (equalities).
func carries(ms, team []api.Matcher) bool {
	for _, t := range team {
		if !slices.ContainsFunc(ms, func(m api.Matcher) bool {
			return m.Name == t.Name && m.Value == t.Value && m.Equal() && !m.IsRegex
		}) {
			return false
		}
	}
	return true
}

func renderMatchers(ms []api.Matcher) string {
	parts := make([]string, 0, len(ms))
	for _, m := range ms {
		parts = append(parts, m.String())
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func toModel(ms []api.Matcher) models.Matchers {
	out := make(models.Matchers, 0, len(ms))
	for _, m := range ms {
		name, value, isRegex, isEqual := m.Name, m.Value, m.IsRegex, m.Equal()
		out = append(out, &models.Matcher{Name: &name, Value: &value, IsRegex: &isRegex, IsEqual: &isEqual})
	}
	return out
}

func fromModel(gs *models.GettableSilence) *api.Silence {
	sil := &api.Silence{}
	if gs == nil {
		return sil
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	tm := func(p *strfmt.DateTime) time.Time {
		if p == nil {
			return time.Time{}
		}
		return time.Time(*p).UTC()
	}
	sil.ID, sil.CreatedBy, sil.Comment = str(gs.ID), str(gs.CreatedBy), str(gs.Comment)
	sil.StartsAt, sil.EndsAt = tm(gs.StartsAt), tm(gs.EndsAt)
	if gs.Status != nil {
		sil.State = str(gs.Status.State)
	}
	for _, m := range gs.Matchers {
		if m == nil {
			continue
		}
		am := api.Matcher{Name: str(m.Name), Value: str(m.Value), IsRegex: m.IsRegex != nil && *m.IsRegex}
		if m.IsEqual != nil && !*m.IsEqual {
			no := false
			am.IsEqual = &no
		}
		sil.Matchers = append(sil.Matchers, am)
	}
	return sil
}

// amError words an Alertmanager error for the caller.
func amError(ctx context.Context, what string, err error) error {
	var code interface{ Code() int }
	var apiErr *runtime.APIError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
		return &Error{Code: api.CodeTimeout, Msg: what + ": Alertmanager did not answer in time", Err: err}
	case errors.As(err, &code) && code.Code() == 404:
		return &Error{Code: api.CodeNotFound, Msg: what + " does not exist in Alertmanager", Err: err}
	case errors.As(err, &code):
		msg := fmt.Sprintf("%s: Alertmanager answered %d", what, code.Code())
		if p, ok := err.(interface{ GetPayload() string }); ok && strings.TrimSpace(p.GetPayload()) != "" {
			msg += ": " + strings.TrimSpace(p.GetPayload())
		}
		return &Error{Code: api.CodeActionFailed, Msg: msg, Err: err}
	case errors.As(err, &apiErr):
		if apiErr.Code == 404 {
			return &Error{Code: api.CodeNotFound, Msg: what + " does not exist in Alertmanager", Err: err}
		}
		return &Error{Code: api.CodeActionFailed, Msg: fmt.Sprintf("%s: Alertmanager answered %d", what, apiErr.Code), Err: err}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // without the URL
	}
	return &Error{Code: api.CodeActionFailed, Msg: fmt.Sprintf("%s: Alertmanager does not answer: %v", what, err), Err: err}
}

// FormatDuration renders d without zero units: 2h, 1h30m, 45s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
