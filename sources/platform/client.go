// Package platform is vigie's client of the platform API (`vigie serve`): who am I, my
// teams, a Deployment's revisions, run an action (scale, restart, rollback, delete-pod,
// silence, expire-silence), read the audit log, list and decide approval requests, run a
// read-only query on a team's database. It uses the server's own wire types
// (platform/api) and words the server's refusals for a human.
package platform

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-dev/vigie/platform/api"
)

// Options configure a Client. URL and Token are required.
type Options struct {
	URL       string        // https://host:port (http:// only for a loopback host)
	Token     string        // an API token, vgt_...
	TLS       *tls.Config   // nil: the system's roots
	Timeout   time.Duration // per request; 0: 60s (an action may take the server's deadline)
	UserAgent string        // "": vigie
}

func (o *Options) validate() (*url.URL, error) {
	if o.URL == "" {
		return nil, errors.New("platform: no URL")
	}
	u, err := url.Parse(strings.TrimSuffix(o.URL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("platform: URL %q: want https://host[:port]", o.URL)
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return nil, fmt.Errorf("platform: URL %q: plain http would send the token in clear; use https (http is for 127.0.0.1 and localhost only)", o.URL)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("platform: URL %q: no user, query or fragment", u.Redacted())
	}
	if o.Token == "" {
		return nil, errors.New("platform: no token")
	}
	if o.Timeout < 0 {
		return nil, fmt.Errorf("platform: negative timeout %v", o.Timeout)
	}
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	if o.UserAgent == "" {
		o.UserAgent = "vigie"
	}
	return u, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Client calls the platform API. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	o     Options
	http  *http.Client
	token string
}

// New returns a Client.
func New(o Options) (*Client, error) {
	u, err := o.validate()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if o.TLS != nil {
		tr.TLSClientConfig = o.TLS.Clone()
	}
	return &Client{base: u, o: o, token: o.Token, http: &http.Client{Transport: tr, Timeout: o.Timeout,
		// A redirect could carry the token elsewhere: never follow one.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}, nil
}

// Error is a refusal or failure answered by the server.
type Error struct {
	Status    int
	Code      string // api.Code*; "http_<status>" when the body was not the API's
	Message   string // the server's message
	Details   map[string]string
	RequestID string
}

// Error words the refusal for a human.
func (e *Error) Error() string {
	switch e.Code {
	case api.CodeUnauthenticated:
		return "the platform did not accept your token (" + e.Message + "); ask for a new one"
	case api.CodeForbidden:
		return "not allowed: " + e.Message
	case api.CodeReadOnly:
		return "read-only session: " + e.Message
	case api.CodeInvalid:
		return "the platform refused the request: " + e.Message
	case api.CodeReasonRequired, api.CodeLimit, api.CodeNotFound, api.CodeConflict, api.CodeIdempotency, api.CodeExpired:
		return e.Message
	case api.CodeActionFailed:
		if api.QueryKind(api.ActionKind(e.Details["kind"])) {
			return "the query failed: " + e.Message
		}
		return "the action failed: " + e.Message
	case api.CodeTimeout:
		if api.QueryKind(api.ActionKind(e.Details["kind"])) {
			return e.Message // a query changed nothing
		}
		return e.Message + "; check the target's state before retrying"
	case api.CodeUnavailable:
		return "the platform is unavailable: " + e.Message
	case api.CodeInterrupted:
		return "outcome unknown: " + e.Message
	}
	return fmt.Sprintf("the platform answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// AuditID is the id of the audit record of the refusal or failure, when there is one.
func (e *Error) AuditID() string { return e.Details["auditId"] }

// Me returns who the token belongs to.
func (c *Client) Me(ctx context.Context) (api.Me, error) {
	var me api.Me
	err := c.call(ctx, http.MethodGet, "/v1/me", nil, nil, &me)
	return me, err
}

// Teams returns the caller's teams.
func (c *Client) Teams(ctx context.Context) ([]api.Team, error) {
	var out api.TeamsResponse
	err := c.call(ctx, http.MethodGet, "/v1/teams", nil, nil, &out)
	return out.Teams, err
}

// Revisions returns the revisions of Deployment namespace/name, newest first, each with
// what rolling back to it would change. Its Current and ResourceVersion are what a
// rollback puts in its Expect.
func (c *Client) Revisions(ctx context.Context, namespace, name string) (api.RevisionsResponse, error) {
	var out api.RevisionsResponse
	if namespace == "" || name == "" {
		return out, errors.New("platform: revisions: no namespace or name")
	}
	path := "/v1/deployments/" + url.PathEscape(namespace) + "/" + url.PathEscape(name) + "/revisions"
	err := c.call(ctx, http.MethodGet, path, nil, nil, &out)
	return out, err
}

// Act runs an action: scale, restart or rollback a Deployment (target: the Deployment),
// delete-pod (target: the pod), silence or expire-silence in Alertmanager (target: one of
// the team's namespaces, no name; the Outcome's Silence is the silence). A pending
// approval is an Outcome with status pending_approval, not an error; refusals and
// failures are *Error.
func (c *Client) Act(ctx context.Context, req api.ActionRequest) (api.Outcome, error) {
	var out api.Outcome
	err := c.call(ctx, http.MethodPost, "/v1/actions", nil, req, &out)
	return out, err
}

// DryRun asks the server what req would change, without acting.
func (c *Client) DryRun(ctx context.Context, req api.ActionRequest) (api.Outcome, error) {
	var out api.Outcome
	err := c.call(ctx, http.MethodPost, "/v1/actions", url.Values{"dryRun": {"true"}}, req, &out)
	return out, err
}

// AuditQuery selects audit records: one of the caller's teams ("" = all of them),
// records before a sequence number (0 = newest), at most Limit (0 = the server's 50).
type AuditQuery struct {
	Team   string
	Before int64
	Limit  int
}

// Audit returns a page of audit records, newest first.
func (c *Client) Audit(ctx context.Context, q AuditQuery) (api.AuditResponse, error) {
	var out api.AuditResponse
	err := c.call(ctx, http.MethodGet, "/v1/audit", params("team", q.Team, "before", positive(q.Before), "limit", positive(int64(q.Limit))), nil, &out)
	return out, err
}

const maxAnswer = 8 << 20

// params is a query string of name, value pairs, the empty values left out.
func params(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	return v
}

// positive is n in decimal, "" when it is not positive (the server's default).
func positive(n int64) string {
	if n <= 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

// call sends one request; path is escaped (its segments with url.PathEscape).
func (c *Client) call(ctx context.Context, method, path string, query url.Values, in, out any) error {
	u := *c.base
	u.RawPath = strings.TrimSuffix(u.EscapedPath(), "/") + path
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return fmt.Errorf("platform %s %s: %w", method, path, err)
	}
	u.Path = p
	u.RawQuery = query.Encode()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.o.UserAgent)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("platform %s %s: %w", method, path, scrub(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("platform %s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		return decodeError(resp, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("platform %s %s: the answer is not what vigie expects: %w", method, path, err)
	}
	return nil
}

// scrub drops the URL from a transport error (url.Error) but keeps the cause.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func decodeError(resp *http.Response, b []byte) error {
	e := &Error{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-ID")}
	var er api.ErrorResponse
	if json.Unmarshal(b, &er) == nil && er.Error.Code != "" {
		e.Code, e.Message, e.Details = er.Error.Code, er.Error.Message, er.Error.Details
		return e
	}
	e.Code = "http_" + strconv.Itoa(resp.StatusCode)
	msg := strings.TrimSpace(string(b))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	e.Message = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, msg)
	if e.Message == "" {
		e.Message = "no message"
	}
	return e
}
