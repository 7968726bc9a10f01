package server

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-dev/vigie/platform/actions"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/policy"
)

// maxSilenceMatchers bounds a silence request's matchers (besides the team's own).
const maxSilenceMatchers = 20

var silenceIDRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// validateSilence checks a silence or expire-silence request: the target names only a
// namespace (the team's); a silence takes matchers (at least one besides the team's own,
// which the server adds) and a duration; expire-silence takes a silence id. The
// reason, required, and the team's own matchers were checked by Decide.
func validateSilence(req api.ActionRequest) *api.ErrorBody {
	fail := func(field, format string, args ...any) *api.ErrorBody {
		e := fieldError(field, format, args...)
		return &e
	}
	if req.Target.Name != "" {
		return fail("target.name", "%s names the team by target.namespace only: leave target.name empty", req.Kind)
	}
	if req.Expect != nil {
		return fail("expect", "%s takes no precondition", req.Kind)
	}
	p := req.Params
	if req.Kind == api.ActionExpireSilence {
		switch {
		case len(p.Matchers) > 0:
			return fail("params.matchers", "expire-silence takes no matchers, only the silenceId")
		case p.Duration != "":
			return fail("params.duration", "expire-silence takes no duration")
		case p.SilenceID == "":
			return fail("params.silenceId", "expire-silence needs the id of the silence")
		case !silenceIDRE.MatchString(p.SilenceID):
			return fail("params.silenceId", "%q is not a silence id (a UUID, as Alertmanager shows it)", clip(p.SilenceID, 64))
		}
		return nil
	}
	if p.SilenceID != "" {
		return fail("params.silenceId", "silence takes no silenceId (expire-silence does)")
	}
	if len(p.Matchers) == 0 {
		return fail("params.matchers", "say what to silence: at least one matcher besides the team's own (which the server adds), e.g. {\"name\": \"alertname\", \"value\": \"HighErrorRatio\"}")
	}
	if len(p.Matchers) > maxSilenceMatchers {
		return fail("params.matchers", "%d matchers, at most %d", len(p.Matchers), maxSilenceMatchers)
	}
	for i, m := range p.Matchers {
		field := "params.matchers[" + strconv.Itoa(i) + "]"
		if !policy.ValidLabelName(m.Name) {
			return fail(field+".name", "%q is not a label name (letters, digits and '_', not starting with a digit)", clip(m.Name, 64))
		}
		if err := policy.CheckMatcherValue(m.Value); err != nil {
			return fail(field+".value", "%v", err)
		}
		if err := actions.CheckMatcher(m); err != nil {
			return fail(field+".value", "%v", err)
		}
	}
	if p.Duration == "" {
		return fail("params.duration", "say for how long, as 30m or 2h")
	}
	d, err := time.ParseDuration(p.Duration)
	if err != nil {
		return fail("params.duration", "%q is not a duration (write it as 30m, 2h, 1h30m)", clip(p.Duration, 32))
	}
	if d < time.Minute {
		return fail("params.duration", "%s is shorter than a minute", d)
	}
	return nil
}

// noSilenceParams refuses silence parameters on the other kinds.
func noSilenceParams(req api.ActionRequest) *api.ErrorBody {
	var field string
	switch {
	case len(req.Params.Matchers) > 0:
		field = "params.matchers"
	case req.Params.Duration != "":
		field = "params.duration"
	case req.Params.SilenceID != "":
		field = "params.silenceId"
	default:
		return nil
	}
	e := fieldError(field, "%s takes no %s (silence and expire-silence do)", req.Kind, strings.TrimPrefix(field, "params."))
	return &e
}

// silenceOf is what the runner needs for a silence or expire-silence of team: the team's
// own alert matchers (always added, never the caller's to choose), the duration and its
// cap, the author (the user who asked) and the comment (the reason).
func (s *Server) silenceOf(req api.ActionRequest, team, user string) actions.Silence {
	t := s.cfg.Teams[team]
	if t == nil || !api.SilenceKind(req.Kind) {
		return actions.Silence{}
	}
	sil := actions.Silence{Team: t.Name, TeamMatchers: t.TeamMatchers(), ID: req.Params.SilenceID}
	if req.Kind == api.ActionSilence {
		// Decide refused a request that would change the team's matchers; on an error here
		// the matchers stay empty and the runner refuses.
		sil.Matchers, _ = t.SilenceMatchers(req.Params.Matchers)
		sil.Duration, _ = time.ParseDuration(req.Params.Duration)
		sil.MaxDuration = s.cfg.Limits.MaxSilence
		sil.CreatedBy, sil.Comment = user, strings.TrimSpace(req.Reason)
	}
	return sil
}

// auditParams is what the audit record keeps of the request's parameters, bounded: the
// body of an unauthenticated request is recorded too. nil when there are none.
func auditParams(p api.Params) *api.Params {
	if p.Replicas == nil && p.ToRevision == 0 && len(p.Matchers) == 0 && p.Duration == "" && p.SilenceID == "" {
		return nil
	}
	out := p
	out.Matchers = nil
	for i, m := range p.Matchers {
		if i == maxSilenceMatchers {
			out.Matchers = append(out.Matchers, api.Matcher{Name: "…", Value: strconv.Itoa(len(p.Matchers)-i) + " more"})
			break
		}
		m.Name, m.Value = clip(m.Name, 256), clip(m.Value, policy.MaxMatcherValue)
		out.Matchers = append(out.Matchers, m)
	}
	out.Duration, out.SilenceID = clip(p.Duration, 32), clip(p.SilenceID, 64)
	return &out
}

// validateSilenceOf checks what validate cannot without the team: a silence must select
// something besides the team's own alert matchers (repeating them selects nothing more).
func (s *Server) validateSilenceOf(req api.ActionRequest, team string) *api.ErrorBody {
	t := s.cfg.Teams[team]
	if req.Kind != api.ActionSilence || t == nil {
		return nil
	}
	ms, err := t.SilenceMatchers(req.Params.Matchers)
	if err == nil && len(ms) > len(t.AlertMatchers) {
		return nil
	}
	msg := "say what to silence besides the team's own alerts"
	if err != nil { // Decide refuses these first
		msg = err.Error()
	}
	e := fieldError("params.matchers", "%s (every silence of team %s carries %s already)", msg, t.Name, renderTeam(t))
	return &e
}

func renderTeam(t *policy.Team) string {
	var parts []string
	for _, m := range t.TeamMatchers() {
		parts = append(parts, m.String())
	}
	return strings.Join(parts, ", ")
}
