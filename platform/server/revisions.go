package server

import (
	"errors"
	"net/http"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/vigie-dev/vigie/platform/actions"
	"github.com/vigie-dev/vigie/platform/api"
)

// revisions is GET /v1/deployments/{namespace}/{name}/revisions: the Deployment's
// revisions with what rolling back to each would change. It is a read of the team's
// namespace: any member of the team owning the namespace may call it (read-only tokens
// too); the Deployment must carry the team's labels. Reads are not audited.
func (s *Server) revisions(x *exchange) {
	p, err := s.authenticate(x)
	if err != nil {
		s.authFail(x, err)
		return
	}
	t := api.Target{Namespace: x.r.PathValue("namespace"), Name: x.r.PathValue("name")}
	if errs := validation.IsDNS1123Label(t.Namespace); len(errs) > 0 {
		e := fieldError("namespace", "%q is not a namespace name: %s", clip(t.Namespace, 64), errs[0])
		x.fail(http.StatusBadRequest, e)
		return
	}
	if errs := validation.IsDNS1123Subdomain(t.Name); len(errs) > 0 {
		e := fieldError("name", "%q is not a Deployment name: %s", clip(t.Name, 64), errs[0])
		x.fail(http.StatusBadRequest, e)
		return
	}
	team, _, ok := s.cfg.Owner(t.Namespace)
	if !ok {
		s.denyRead(x, "", &t, apiError(api.CodeForbidden, "namespace %q belongs to no team", t.Namespace))
		return
	}
	if _, ok := s.cfg.Role(p.User, team.Name); !ok {
		s.denyRead(x, team.Name, &t, apiError(api.CodeForbidden, "%s is not a member of team %s, which owns namespace %s", p.User, team.Name, t.Namespace))
		return
	}
	out, err := s.actions.Revisions(x.r.Context(), t, team.Selector)
	if err != nil {
		var ae *actions.Error
		if !errors.As(err, &ae) {
			ae = &actions.Error{Code: api.CodeInternal, Msg: err.Error()}
		}
		if ae.Code == api.CodeInternal || ae.Code == api.CodeActionFailed {
			s.log.Error("revisions", "request_id", x.id, "target", t.String(), "err", err)
		}
		if ae.Code == api.CodeForbidden { // not the team's object: a refused read
			s.denyRead(x, team.Name, &t, apiError(ae.Code, "%s", ae.Msg))
			return
		}
		x.fail(httpStatus(ae.Code), apiError(ae.Code, "%s", ae.Msg))
		return
	}
	x.reply(http.StatusOK, out)
}
