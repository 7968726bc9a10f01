// Package alertmanager is vigie's Alertmanager source, built on Alertmanager's own
// api/v2 client.
package alertmanager

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/go-openapi/runtime"
	httptransport "github.com/go-openapi/runtime/client"
	"github.com/go-openapi/strfmt"
	amclient "github.com/prometheus/alertmanager/api/v2/client"
	"github.com/prometheus/alertmanager/api/v2/client/general"

	"github.com/vigie-dev/vigie/sources"
)

// Options address one Alertmanager. URL is required.
type Options struct {
	URL         string
	BearerToken string // never logged
	Timeout     time.Duration
}

// Client is an Alertmanager API client with the request timeout of its options.
type Client struct {
	api     *amclient.AlertmanagerAPI
	auth    runtime.ClientAuthInfoWriter
	timeout time.Duration
}

// New builds a client for opts.
func New(opts Options) (*Client, error) {
	if opts.URL == "" {
		return nil, fmt.Errorf("alertmanager: no URL configured")
	}
	u, err := url.Parse(opts.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("alertmanager: invalid URL %q: want http(s)://host[:port][/path]", opts.URL)
	}
	tr := httptransport.New(u.Host, u.Path+"/api/v2", []string{u.Scheme})
	c := &Client{api: amclient.New(tr, strfmt.Default), timeout: opts.Timeout}
	if opts.BearerToken != "" {
		c.auth = httptransport.BearerToken(opts.BearerToken)
	}
	if c.timeout == 0 {
		c.timeout = 10 * time.Second
	}
	return c, nil
}

// Probe checks that Alertmanager answers and reports its version and cluster state.
func (c *Client) Probe(ctx context.Context) []sources.Check {
	start := time.Now()
	p := general.NewGetStatusParamsWithContext(ctx).WithTimeout(c.timeout)
	var opts []general.ClientOption
	if c.auth != nil {
		opts = append(opts, func(o *runtime.ClientOperation) { o.AuthInfo = c.auth })
	}
	st, err := c.api.General.GetStatus(p, opts...)
	if err != nil {
		return []sources.Check{{Source: "alertmanager", Name: "reachable", Detail: err.Error()}}
	}
	detail := ""
	if st.Payload.VersionInfo != nil && st.Payload.VersionInfo.Version != nil {
		detail = "version " + *st.Payload.VersionInfo.Version
	}
	return []sources.Check{{Source: "alertmanager", Name: "reachable", OK: true, Detail: detail, Latency: time.Since(start)}}
}
