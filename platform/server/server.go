// Package server is the platform's HTTP API (`vigie serve`): every request is
// authenticated by an API token; every action is authorised against its own target,
// validated, audited durably before it runs, run with a deadline and audited again.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/vigie-dev/vigie/platform/actions"
	"github.com/vigie-dev/vigie/platform/audit"
	"github.com/vigie-dev/vigie/platform/auth"
	"github.com/vigie-dev/vigie/platform/policy"
	"github.com/vigie-dev/vigie/platform/store"
)

// Options configure a Server. Config, Store and Kube are required; the zero value of
// every other field is a safe default.
type Options struct {
	Config *policy.Config
	Store  store.Store
	Kube   kubernetes.Interface // the server's own credentials, never a caller's

	// AlertmanagerURL is where silences are made; "": the configuration's alertmanager.url
	// (none at all: silence and expire-silence fail, saying so).
	AlertmanagerURL string

	Logger          *slog.Logger     // nil: discard
	Now             func() time.Time // nil: time.Now
	ActionTimeout   time.Duration    // deadline of one action; 0: 30s
	IdempotencyWait time.Duration    // how long a duplicate waits for the first request; 0: ActionTimeout + 5s
	ApprovalTTL     time.Duration    // how long a pending approval lives; 0: the configuration's limits.approvalTTL (default 1h)
	ShutdownTimeout time.Duration    // graceful shutdown; 0: ActionTimeout + 10s
}

func (o *Options) validate() error {
	switch {
	case o.Config == nil:
		return errors.New("server: no configuration")
	case o.Store == nil:
		return errors.New("server: no store")
	case o.Kube == nil:
		return errors.New("server: no Kubernetes client")
	case o.ActionTimeout < 0 || o.IdempotencyWait < 0 || o.ApprovalTTL < 0 || o.ShutdownTimeout < 0:
		return errors.New("server: negative duration")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ActionTimeout == 0 {
		o.ActionTimeout = actions.DefaultTimeout
	}
	if o.IdempotencyWait == 0 {
		o.IdempotencyWait = o.ActionTimeout + 5*time.Second
	}
	if o.ApprovalTTL == 0 {
		o.ApprovalTTL = o.Config.Limits.ApprovalTTL
	}
	if o.ApprovalTTL <= 0 {
		o.ApprovalTTL = time.Hour
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = o.ActionTimeout + 10*time.Second
	}
	return nil
}

// Server is the platform API.
type Server struct {
	o       Options
	cfg     *policy.Config
	store   store.Store
	auth    *auth.Service
	audit   *audit.Log
	actions *actions.Runner
	log     *slog.Logger
	metrics *metrics
	handler http.Handler

	queryRun queryRunner // nil: actions.RunQuery (query.go; tests replace it)
}

// New builds a Server.
func New(o Options) (*Server, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	am := o.AlertmanagerURL
	if am == "" {
		am = o.Config.Alertmanager.URL
	}
	runner, err := actions.New(actions.Options{Client: o.Kube, Timeout: o.ActionTimeout, Now: o.Now, Alertmanager: am})
	if err != nil {
		return nil, err
	}
	s := &Server{o: o, cfg: o.Config, store: o.Store, auth: auth.New(o.Store, o.Now), audit: audit.New(o.Store, o.Now),
		actions: runner, log: o.Logger, metrics: newMetrics()}
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
	}
	mux.Handle("/", s.wrap(route{path: "unmatched", h: func(x *exchange) {
		x.fail(http.StatusNotFound, apiError("not_found", "no such endpoint: %s %s (see /v1/openapi.yaml)", x.r.Method, x.r.URL.Path))
	}}))
	s.handler = mux
	s.warnDatabases()
	return s, nil
}

// route is one endpoint.
type route struct {
	method, path string
	h            func(x *exchange)
}

func (s *Server) routes() []route {
	return []route{
		{"GET", "/healthz", s.healthz},
		{"GET", "/readyz", s.readyz},
		{"GET", "/metrics", s.metricsHandler},
		{"GET", "/v1/openapi.yaml", s.openapi},
		{"GET", "/v1/me", s.me},
		{"GET", "/v1/teams", s.teams},
		{"GET", "/v1/audit", s.auditList},
		{"GET", "/v1/deployments/{namespace}/{name}/revisions", s.revisions},
		{"POST", "/v1/actions", s.act},
		{"GET", "/v1/approvals", s.approvalsList},
		{"POST", "/v1/approvals/{id}", s.decide},
		{"POST", "/v1/queries", s.query},
		{"GET", "/v1/jobs", s.jobsList},
		{"GET", "/v1/jobs/{namespace}/{name}", s.jobGet},
	}
}

// Routes lists the registered endpoints as "METHOD /path", sorted.
func (s *Server) Routes() []string {
	var out []string
	for _, rt := range s.routes() {
		out = append(out, rt.method+" "+rt.path)
	}
	sort.Strings(out)
	return out
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers on l until ctx is cancelled, then shuts down gracefully: it stops
// accepting, lets running requests (and their actions) finish within ShutdownTimeout,
// and returns. tlsConfig nil serves plain HTTP.
func (s *Server) Serve(ctx context.Context, l net.Listener, tlsConfig *tls.Config) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      max(s.o.ActionTimeout+s.o.IdempotencyWait, s.cfg.Limits.Query.Timeout+actions.QueryConnectBudget) + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if tlsConfig != nil {
		l = tls.NewListener(l, tlsConfig)
	}
	scheme := map[bool]string{false: "http", true: "https"}[tlsConfig != nil]
	s.log.Info("serving", "addr", l.Addr().String(), "scheme", scheme)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down: waiting for running requests", "timeout", s.o.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), s.o.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		_ = hs.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	s.log.Info("stopped")
	return nil
}
