package platform

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/vigie-dev/vigie/platform/api"
)

// JobQuery selects runs of job templates: one of the caller's teams ("" = all of them),
// one template ("" = all), at most Limit (0 = the server's 50; at most 200).
type JobQuery struct {
	Team     string
	Template string
	Limit    int
}

// Jobs returns the runs of the caller's teams' job templates, newest first. Running a
// template is Act (or DryRun) with Kind api.ActionJob, Target{Namespace: the template's
// namespace, Name: the template's name} and Params.Values.
func (c *Client) Jobs(ctx context.Context, q JobQuery) (api.JobsResponse, error) {
	var out api.JobsResponse
	err := c.call(ctx, http.MethodGet, "/v1/jobs", params("team", q.Team, "template", q.Template, "limit", positive(int64(q.Limit))), nil, &out)
	return out, err
}

// Job returns run namespace/name (a Job vigie created); an *Error with code not_found
// when there is none, forbidden when the caller's teams do not own the namespace.
func (c *Client) Job(ctx context.Context, namespace, name string) (api.JobRun, error) {
	var out api.JobRun
	if namespace == "" || name == "" {
		return out, errors.New("platform: job: no namespace or name")
	}
	err := c.call(ctx, http.MethodGet, "/v1/jobs/"+url.PathEscape(namespace)+"/"+url.PathEscape(name), nil, nil, &out)
	return out, err
}
