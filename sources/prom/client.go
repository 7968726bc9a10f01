// Package prom is vigie's Prometheus source, built on client_golang's HTTP API client.
package prom

import (
	"context"
	"fmt"
	"net/http"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/vigie-dev/vigie/sources"
)

// Options address one Prometheus server. URL is required.
type Options struct {
	URL         string
	BearerToken string // sent as Authorization: Bearer; never logged
	Timeout     time.Duration
}

func (o Options) validate() error {
	if o.URL == "" {
		return fmt.Errorf("prometheus: no URL configured")
	}
	return nil
}

// bearer adds a bearer token to each request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// New returns the Prometheus v1 API for opts.
func New(opts Options) (promv1.API, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	rt := promapi.DefaultRoundTripper
	if opts.BearerToken != "" {
		rt = bearer{token: opts.BearerToken, next: rt}
	}
	c, err := promapi.NewClient(promapi.Config{Address: opts.URL, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", opts.URL, err)
	}
	return promv1.NewAPI(c), nil
}

// Probe checks that the server answers and reports its version.
func Probe(ctx context.Context, api promv1.API) []sources.Check {
	start := time.Now()
	bi, err := api.Buildinfo(ctx)
	if err != nil {
		return []sources.Check{{Source: "prometheus", Name: "reachable", Detail: err.Error()}}
	}
	return []sources.Check{{Source: "prometheus", Name: "reachable", OK: true, Detail: "version " + bi.Version, Latency: time.Since(start)}}
}
