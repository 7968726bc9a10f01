// Package loki is vigie's client of Loki's documented HTTP API: query_range (streams
// and matrix, with paging past the server's limit), query, labels, label values, series,
// and the tail WebSocket with reconnection. It contains no Grafana Loki code (AGPL): the
// wire format it follows is described in ../shared/LOKI-API.md.
package loki

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds one HTTP request when Options.Timeout is 0: a little more than
// Loki's default query_timeout (1m), so the server's own 504 wording arrives first.
const DefaultTimeout = 70 * time.Second

// Options address one Loki (or a gateway in front of it). URL is required; the zero
// value of every other field is safe.
type Options struct {
	// URL is the base URL, http(s)://host[:port][/prefix]; API paths are appended.
	URL string
	// Tenant is sent as X-Scope-OrgID (several tenants joined by "|").
	Tenant string
	// BearerToken is sent as Authorization: Bearer; never logged.
	BearerToken string
	// Username and Password are sent as basic auth; the password is never logged.
	Username, Password string
	// TLS configures https and wss; nil = the system roots. Not used with HTTPClient.
	TLS *tls.Config
	// Timeout bounds each HTTP request (not a tail stream); 0 = DefaultTimeout.
	Timeout time.Duration
	// HTTPClient replaces the default client (its Transport carries the TLS settings).
	HTTPClient *http.Client
	// ReconnectMin and ReconnectMax bound the tail's reconnection backoff;
	// 0 = 500ms and 30s.
	ReconnectMin, ReconnectMax time.Duration
}

func (o Options) validate() error {
	if o.URL == "" {
		return errors.New("loki: no URL configured")
	}
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("loki: invalid URL %q: want http(s)://host[:port][/path]", redactURL(o.URL))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("loki: URL %s: no query or fragment allowed", u.Redacted())
	}
	if o.BearerToken != "" && (o.Username != "" || o.Password != "") {
		return errors.New("loki: both a bearer token and basic auth are configured; choose one")
	}
	if o.Password != "" && o.Username == "" {
		return errors.New("loki: a password without a username")
	}
	if strings.ContainsAny(o.Tenant+o.BearerToken+o.Username, "\r\n") {
		return errors.New("loki: tenant, token or username contains a line break")
	}
	if o.Timeout < 0 || o.ReconnectMin < 0 || o.ReconnectMax < 0 {
		return errors.New("loki: negative timeout or reconnection delay")
	}
	if o.TLS != nil && o.HTTPClient != nil {
		return errors.New("loki: TLS and HTTPClient are both set; configure TLS on the HTTPClient's transport")
	}
	return nil
}

// redactURL hides a password in a URL that may not even parse.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		if j := strings.Index(s, "://"); j >= 0 && j < i {
			return s[:j+3] + "xxxxx" + s[i:]
		}
	}
	return s
}

// Client talks to one Loki. It is safe for concurrent use.
type Client struct {
	base    *url.URL // without user info
	header  http.Header
	http    *http.Client
	timeout time.Duration
	backoff [2]time.Duration
	tenant  string
}

// New builds a client for opts. User info in the URL becomes basic auth when Username
// is not set.
func New(opts Options) (*Client, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	u, _ := url.Parse(opts.URL)
	if u.User != nil {
		if opts.Username == "" && opts.BearerToken == "" {
			opts.Username = u.User.Username()
			opts.Password, _ = u.User.Password()
		}
		u.User = nil
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	c := &Client{base: u, header: http.Header{}, http: opts.HTTPClient, timeout: opts.Timeout, tenant: opts.Tenant}
	if c.http == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if opts.TLS != nil {
			tr.TLSClientConfig = opts.TLS.Clone()
		}
		c.http = &http.Client{Transport: tr}
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	c.backoff = [2]time.Duration{opts.ReconnectMin, opts.ReconnectMax}
	if c.backoff[0] == 0 {
		c.backoff[0] = 500 * time.Millisecond
	}
	if c.backoff[1] == 0 {
		c.backoff[1] = 30 * time.Second
	}
	c.backoff[1] = max(c.backoff[1], c.backoff[0])
	if opts.Tenant != "" {
		c.header.Set("X-Scope-OrgID", opts.Tenant)
	}
	switch {
	case opts.BearerToken != "":
		c.header.Set("Authorization", "Bearer "+opts.BearerToken)
	case opts.Username != "":
		c.header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(opts.Username+":"+opts.Password)))
	}
	return c, nil
}

// String names the server and tenant, never a secret.
func (c *Client) String() string {
	s := "loki " + c.base.String()
	if c.tenant != "" {
		s += " (tenant " + c.tenant + ")"
	}
	return s
}

// APIError is a non-2xx answer. Body is the server's plain-text message, trimmed.
type APIError struct {
	Op     string // "query_range", "tail", ...
	Status int
	Body   string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("loki %s: %d %s", e.Op, e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// maxErrorBody bounds how much of an error answer is kept.
const maxErrorBody = 4 << 10

// apiError reads an error answer: Loki words it as plain text; a JSON body from a proxy
// or a newer server ({"status":"error","error":"..."}) gives its error field.
func apiError(op string, status int, body io.Reader) *APIError {
	data, _ := io.ReadAll(io.LimitReader(body, maxErrorBody))
	text := strings.TrimSpace(string(data))
	var j struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if strings.HasPrefix(text, "{") && json.Unmarshal(data, &j) == nil {
		if j.Error != "" {
			text = j.Error
		} else if j.Message != "" {
			text = j.Message
		}
	}
	return &APIError{Op: op, Status: status, Body: text}
}

// endpoint is the URL of an API path ("query_range") with params.
func (c *Client) endpoint(path string, params url.Values) *url.URL {
	u := *c.base
	u.Path += "/loki/api/v1/" + path
	u.RawQuery = params.Encode()
	return &u
}

// get does GET path?params and decodes a {"status":"success","data":...} answer into data,
// returning the answer's warnings.
func (c *Client) get(ctx context.Context, op, path string, params url.Values, data any) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint(path, params).String(), nil)
	if err != nil {
		return nil, fmt.Errorf("loki %s: %w", op, err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("loki %s: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, apiError(op, resp.StatusCode, resp.Body)
	}
	var env struct {
		Status    string          `json:"status"`
		Data      json.RawMessage `json:"data"`
		Warnings  []string        `json:"warnings"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return nil, fmt.Errorf("loki %s: decode answer: %w", op, err)
	}
	if env.Status != "success" {
		return env.Warnings, &APIError{Op: op, Status: resp.StatusCode, Body: strings.TrimSpace(env.ErrorType + ": " + env.Error)}
	}
	if err := json.Unmarshal(env.Data, data); err != nil {
		return env.Warnings, fmt.Errorf("loki %s: decode data: %w", op, err)
	}
	return env.Warnings, nil
}

func addTime(p url.Values, name string, t time.Time) {
	if !t.IsZero() {
		p.Set(name, fmt.Sprint(t.UnixNano()))
	}
}
