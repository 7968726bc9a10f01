package policy

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vigie-dev/vigie/platform/api"
)

// Subject is who asks.
type Subject struct {
	User     string
	ReadOnly bool // a read-only (review) token: no write is ever allowed
	// DryRun: the caller only asks what the action would change (nothing changes), as
	// vigie's dialogs do before the reason is typed: no reason is required. Everything
	// else (team, role, policy, limits) is decided as for the action itself.
	DryRun bool
}

// Decision is the policy's answer. Reason is written for the user; Code is the API error
// code of a denial (api.CodeForbidden, CodeReadOnly, CodeReasonRequired, CodeLimit).
type Decision struct {
	Effect      Effect
	Reason      string
	Code        string
	Team        string   // the team owning the target namespace ("" when none)
	Role        api.Role // the user's role in that team
	Environment string   // the target namespace's environment class
}

func (d Decision) deny(code, format string, args ...any) Decision {
	d.Effect, d.Code, d.Reason = Deny, code, fmt.Sprintf(format, args...)
	return d
}

// Decide says whether sub may run req, checking the action's own target: the team must
// own the target namespace, the user must have a role in that team, the policy of the
// namespace's environment class must allow (or ask approval for) the action for that
// role, production writes need a reason (not their dry runs), and parameters stay
// within the limits. A
// silence is decided by the policy of the team's most sensitive environment class (it
// matches the team's alerts of every namespace), needs a reason (its comment) and may
// not change the team's own alert matchers. It does no I/O. Anything not explicitly
// allowed is denied.
func (c *Config) Decide(sub Subject, req api.ActionRequest) Decision {
	var d Decision
	if sub.ReadOnly {
		return d.deny(api.CodeReadOnly, "this token is read-only: it can call no write")
	}
	if !slices.Contains(api.ActionKinds(), req.Kind) {
		return d.deny(api.CodeForbidden, "unknown action %q", req.Kind)
	}
	team, env, ok := c.Owner(req.Target.Namespace)
	if !ok {
		return d.deny(api.CodeForbidden, "namespace %q belongs to no team", req.Target.Namespace)
	}
	if api.SilenceKind(req.Kind) {
		env = team.AlertEnvironment() // a silence covers the team's alerts of every namespace
	}
	d.Team, d.Environment = team.Name, env
	role, ok := c.Role(sub.User, team.Name)
	if !ok {
		return d.deny(api.CodeForbidden, "%s is not a member of team %s, which owns namespace %s", sub.User, team.Name, req.Target.Namespace)
	}
	d.Role = role
	switch effect := c.Policy[env][req.Kind][role]; effect {
	case Allow, Approval:
		d.Effect = effect
	case Deny:
		return d.deny(api.CodeForbidden, "the policy denies %s to %ss of %s in %s namespaces", req.Kind, role, team.Name, env)
	default:
		return d.deny(api.CodeForbidden, "no policy rule allows %s to %ss of %s in %s namespaces", req.Kind, role, team.Name, env)
	}
	if env == api.EnvProduction && !sub.DryRun {
		if n := utf8.RuneCountInString(strings.TrimSpace(req.Reason)); n < MinProductionReason {
			return d.deny(api.CodeReasonRequired, "a production %s needs a reason of at least %d characters (got %d)", req.Kind, MinProductionReason, n)
		}
	}
	if req.Kind == api.ActionScale && req.Params.Replicas != nil && *req.Params.Replicas > c.Limits.MaxReplicas {
		return d.deny(api.CodeLimit, "scale to %d replicas is above the limit of %d", *req.Params.Replicas, c.Limits.MaxReplicas)
	}
	if req.Kind == api.ActionSilence {
		if strings.TrimSpace(req.Reason) == "" && !sub.DryRun {
			return d.deny(api.CodeReasonRequired, "a silence needs a reason: it is the silence's comment in Alertmanager")
		}
		if _, err := team.SilenceMatchers(req.Params.Matchers); err != nil {
			return d.deny(api.CodeForbidden, "%v", err)
		}
	}
	switch d.Effect {
	case Allow:
		d.Reason = fmt.Sprintf("%ss of %s may %s in %s namespaces", role, team.Name, req.Kind, env)
	case Approval:
		d.Reason = fmt.Sprintf("%s by a %s of %s in %s needs an approval", req.Kind, role, team.Name, env)
	}
	return d
}
