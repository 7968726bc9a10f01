package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/platform/audit"
	"github.com/vigie-dev/vigie/platform/auth"
	"github.com/vigie-dev/vigie/platform/policy"
	"github.com/vigie-dev/vigie/platform/server"
	"github.com/vigie-dev/vigie/platform/store"
	"github.com/vigie-dev/vigie/sources/kube"
)

// serveFlags are the flags of `vigie serve` and its subcommands. --config, --kubeconfig
// and --read-only shadow the root's flags of the same name: the server reads its own
// configuration file, never the console's.
type serveFlags struct {
	config, db                  string
	listen, kubeconfig, kubeCtx string
	tlsCert, tlsKey             string
	alertmanagerURL             string
	actionTimeout               time.Duration
	tokenUser, tokenNote        string
	tokenExpires                time.Duration
	tokenReadOnly               bool
}

const serveLong = `Run the platform API: every write of vigie goes through it. Each request is
authenticated (API token), authorised against the action's own target (the team that owns
the namespace, the caller's role in it, the policy of the namespace's environment class),
validated, audited durably before it acts, run with a deadline using the server's own
Kubernetes credentials, and audited again. Refusals are audited too.

The configuration file (--config, else $VIGIE_SERVE_CONFIG) holds the teams, users and
policy; see docs/platform.md. Silences are made in the Alertmanager of --alertmanager-url,
else of the file's alertmanager.url. The database is --db, else $VIGIE_SERVE_DB, else
sqlite:$XDG_DATA_HOME/vigie/platform.db. Logs are JSON lines on stderr (or --log-file).
SIGINT or SIGTERM stops accepting requests and lets running ones finish.`

func newServeCmd(a *app) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the platform API (auth, policy, audit, actions)",
		Long:  serveLong,
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.runServe(cmd, &f) },
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.config, "config", "", "server configuration file: teams, users, policy ($VIGIE_SERVE_CONFIG)")
	pf.StringVar(&f.db, "db", "", "database: sqlite:PATH or postgres://... ($VIGIE_SERVE_DB; default sqlite:$XDG_DATA_HOME/vigie/platform.db)")
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8443", "address to listen on")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "the server's own kubeconfig (default: $KUBECONFIG, ~/.kube/config, else in-cluster)")
	fl.StringVar(&f.kubeCtx, "kube-context", "", "context of the server's kubeconfig (default: its current context)")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key, serve HTTPS")
	fl.StringVar(&f.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	fl.DurationVar(&f.actionTimeout, "action-timeout", 30*time.Second, "deadline of one action")
	fl.StringVar(&f.alertmanagerURL, "alertmanager-url", "", "Alertmanager to make silences in, http(s)://host:port (default: the configuration's alertmanager.url)")
	_ = cmd.MarkPersistentFlagFilename("config", "yaml", "yml")
	_ = cmd.MarkFlagFilename("kubeconfig")
	_ = cmd.MarkFlagFilename("tls-cert", "pem", "crt")
	_ = cmd.MarkFlagFilename("tls-key", "pem", "key")

	token := &cobra.Command{Use: "token", Short: "Create, list and revoke API tokens"}
	create := &cobra.Command{
		Use:   "create --user NAME",
		Short: "Create an API token and print it once",
		Long: `Create an API token for a user and print it on stdout, once: only its SHA-256 is stored.
With --config (or $VIGIE_SERVE_CONFIG), the user must be one the configuration names.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runTokenCreate(cmd, &f) },
	}
	create.Flags().StringVar(&f.tokenUser, "user", "", "the user the token acts as (required)")
	create.Flags().DurationVar(&f.tokenExpires, "expires", 720*time.Hour, "lifetime; 0 never expires")
	create.Flags().BoolVar(&f.tokenReadOnly, "read-only", false, "a read-only (review) token: it can call no write")
	create.Flags().StringVar(&f.tokenNote, "note", "", "what the token is for (shown by token list)")
	list := &cobra.Command{Use: "list", Short: "List API tokens (never their secrets)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runTokenList(cmd, &f) }}
	revoke := &cobra.Command{Use: "revoke ID", Short: "Revoke an API token", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return a.runTokenRevoke(cmd, &f, args[0]) }}
	token.AddCommand(create, list, revoke)

	auditCmd := &cobra.Command{Use: "audit", Short: "Check the audit log"}
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Walk the hash-chained audit log and report the first broken link",
		Long:  "Recompute every record's hash and check each link to the previous record and the recorded head. Exits 1 when the chain is broken.",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.runAuditVerify(cmd, &f) },
	}
	auditCmd.AddCommand(verify)
	cmd.AddCommand(token, auditCmd)
	return cmd
}

// serveConfigPath is --config, else $VIGIE_SERVE_CONFIG.
func (a *app) serveConfigPath(f *serveFlags) string {
	if f.config != "" {
		return f.config
	}
	return a.getenv("VIGIE_SERVE_CONFIG")
}

// serveDSN is --db, else $VIGIE_SERVE_DB, else the default SQLite file. A bad scheme is
// a usage error.
func (a *app) serveDSN(f *serveFlags) (string, error) {
	dsn := f.db
	if dsn == "" {
		dsn = a.getenv("VIGIE_SERVE_DB")
	}
	if dsn == "" {
		p, err := store.DefaultSQLitePath(a.getenv)
		if err != nil {
			return "", usageError{err}
		}
		return "sqlite:" + p, nil
	}
	if !strings.HasPrefix(dsn, "sqlite:") && !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return "", usageError{fmt.Errorf("--db %q: want sqlite:PATH or postgres://...", store.Redact(dsn))}
	}
	return dsn, nil
}

func (a *app) openStore(ctx context.Context, f *serveFlags) (store.Store, error) {
	dsn, err := a.serveDSN(f)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, dsn)
}

// serveLogger is a JSON logger on --log-file, else on stderr.
func (a *app) serveLogger(stderr io.Writer) (*slog.Logger, error) {
	if a.flags.logFile != "" {
		if err := a.openLog(a.flags.logFile); err != nil {
			return nil, err
		}
		return a.log, nil
	}
	return slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})), nil
}

func (a *app) runServe(cmd *cobra.Command, f *serveFlags) error {
	path := a.serveConfigPath(f)
	if path == "" {
		return usageError{errors.New("no configuration: give --config FILE (or $VIGIE_SERVE_CONFIG)")}
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return usageError{errors.New("--tls-cert and --tls-key go together")}
	}
	if f.actionTimeout <= 0 {
		return usageError{fmt.Errorf("--action-timeout %v: want a positive duration", f.actionTimeout)}
	}
	if _, _, err := net.SplitHostPort(f.listen); err != nil {
		return usageError{fmt.Errorf("--listen %q: want HOST:PORT", f.listen)}
	}
	if f.alertmanagerURL != "" {
		if err := policy.CheckAlertmanagerURL(f.alertmanagerURL); err != nil {
			return usageError{fmt.Errorf("--alertmanager-url %v", err)}
		}
	}
	dsn, err := a.serveDSN(f)
	if err != nil {
		return err
	}
	cfg, err := policy.Load(path)
	if err != nil {
		return err
	}
	var tlsConfig *tls.Config
	if f.tlsCert != "" {
		pair, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return fmt.Errorf("TLS certificate %s / key %s: %w", f.tlsCert, f.tlsKey, err)
		}
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}}
	}
	rc, err := kube.RESTConfig(kube.Options{Kubeconfig: f.kubeconfig, Context: f.kubeCtx, UserAgent: "vigie-serve/" + a.version, Timeout: f.actionTimeout})
	if err != nil {
		return fmt.Errorf("the server's Kubernetes credentials: %w", err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("the server's Kubernetes credentials: %w", err)
	}
	log, err := a.serveLogger(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	srv, err := server.New(server.Options{Config: cfg, Store: st, Kube: cs, Logger: log, ActionTimeout: f.actionTimeout, AlertmanagerURL: f.alertmanagerURL})
	if err != nil {
		return err
	}
	// Answer the idempotency keys and end the approvals a stopped server left running.
	stopRecovery := srv.StartRecovery(ctx)
	defer stopRecovery()
	l, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	host, _, _ := net.SplitHostPort(f.listen)
	if ip := net.ParseIP(host); tlsConfig == nil && (ip == nil || !ip.IsLoopback()) && host != "localhost" {
		log.Warn("serving plain HTTP on a non-loopback address: tokens travel in clear; give --tls-cert and --tls-key")
	}
	log.Info("starting", "version", a.version, "config", path, "teams", len(cfg.Teams), "users", len(cfg.Users),
		"db", store.Redact(dsn), "kube_host", rc.Host, "action_timeout", f.actionTimeout.String(),
		"alertmanager", cmp.Or(f.alertmanagerURL, cfg.Alertmanager.URL, "(none: silences fail)"))
	return srv.Serve(ctx, l, tlsConfig)
}

func (a *app) runTokenCreate(cmd *cobra.Command, f *serveFlags) error {
	if f.tokenUser == "" {
		return usageError{errors.New("--user is required")}
	}
	if f.tokenExpires < 0 {
		return usageError{fmt.Errorf("--expires %v: want a positive duration, or 0 for never", f.tokenExpires)}
	}
	stderr := cmd.ErrOrStderr()
	if path := a.serveConfigPath(f); path != "" {
		cfg, err := policy.Load(path)
		if err != nil {
			return err
		}
		if !cfg.KnownUser(f.tokenUser) {
			return fmt.Errorf("user %q is not in %s (users: %s)", f.tokenUser, path, strings.Join(userNames(cfg), ", "))
		}
	} else {
		fmt.Fprintln(stderr, "vigie: note: no --config, so the user name is not checked against the server's users")
	}
	st, err := a.openStore(cmd.Context(), f)
	if err != nil {
		return err
	}
	defer st.Close()
	secret, tok, err := auth.New(st, nil).Create(cmd.Context(), auth.CreateOptions{User: f.tokenUser, TTL: f.tokenExpires, ReadOnly: f.tokenReadOnly, Note: f.tokenNote})
	if err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), secret)
	what := "never expires"
	if !tok.ExpiresAt.IsZero() {
		what = "expires " + tok.ExpiresAt.Format(time.RFC3339)
	}
	if tok.ReadOnly {
		what += ", read-only"
	}
	fmt.Fprintf(stderr, "vigie: token %s for %s (%s). It is shown once: store it now.\n", tok.ID, tok.User, what)
	return nil
}

func userNames(cfg *policy.Config) []string {
	var out []string
	for u := range cfg.Users {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

func (a *app) runTokenList(cmd *cobra.Command, f *serveFlags) error {
	st, err := a.openStore(cmd.Context(), f)
	if err != nil {
		return err
	}
	defer st.Close()
	toks, err := auth.New(st, nil).List(cmd.Context())
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tSTATUS\tACCESS\tCREATED\tEXPIRES\tNOTE")
	now := time.Now()
	for _, t := range toks {
		access, expires := "read-write", "never"
		if t.ReadOnly {
			access = "read-only"
		}
		if !t.ExpiresAt.IsZero() {
			expires = t.ExpiresAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.User, auth.Status(t, now), access,
			t.CreatedAt.Format(time.RFC3339), expires, termtext.Line(t.Note))
	}
	return tw.Flush()
}

func (a *app) runTokenRevoke(cmd *cobra.Command, f *serveFlags, id string) error {
	st, err := a.openStore(cmd.Context(), f)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := auth.New(st, nil).Revoke(cmd.Context(), id); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no token %q (see 'vigie serve token list')", id)
	} else if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "token %s revoked\n", id)
	return nil
}

func (a *app) runAuditVerify(cmd *cobra.Command, f *serveFlags) error {
	st, err := a.openStore(cmd.Context(), f)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := audit.Verify(cmd.Context(), st)
	if err != nil {
		return err
	}
	if rep.Records == 0 {
		fmt.Fprintln(cmd.OutOrStdout(), "audit chain intact: no records yet")
		return nil
	}
	fmt.Fprintf(cmd.OutOrStdout(), "audit chain intact: %d records, head %d %s\n", rep.Records, rep.Head.Seq, rep.Head.Hash)
	return nil
}
