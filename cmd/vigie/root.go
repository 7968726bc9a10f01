package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigie-dev/vigie/internal/config"
)

// app is the state one run of the program shares between its commands.
type app struct {
	deps
	flags     globalFlags
	log       *slog.Logger // discards until a command loads the configuration
	logCloser io.Closer
}

// globalFlags are the persistent flags of the root command.
type globalFlags struct {
	config, context, kubeconfig, team, logFile string
	command                                    string
	readOnly                                   bool
}

func newApp(d deps) *app {
	return &app{deps: d, log: slog.New(slog.DiscardHandler), logCloser: nopCloser{}}
}

func (a *app) close() { _ = a.logCloser.Close() }

func (a *app) getenv(name string) string {
	if a.env == nil {
		return ""
	}
	v, _ := a.env(name)
	return v
}

// loadOptions turns the global flags into config options: flags are the last layer.
func (a *app) loadOptions(secrets config.SecretFiles) config.LoadOptions {
	return config.LoadOptions{
		Path: a.flags.config,
		Env:  a.env,
		Flags: config.Overrides{
			Context:    a.flags.context,
			Kubeconfig: a.flags.kubeconfig,
			Team:       a.flags.team,
			ReadOnly:   a.flags.readOnly,
			LogFile:    a.flags.logFile,
		},
		SecretFiles: secrets,
	}
}

// load loads the configuration and opens the log file it names (or the one given by
// --log-file / $VIGIE_LOG_FILE when the configuration does not load).
func (a *app) load(secrets config.SecretFiles) (*config.Resolved, error) {
	res, err := config.Load(a.loadOptions(secrets))
	var lerr error
	if res != nil {
		lerr = a.openLog(res.LogFile)
	} else {
		lerr = a.openLogFor("")
	}
	if lerr != nil {
		return nil, lerr
	}
	if err != nil {
		a.log.Error("loading configuration", "err", err)
		return nil, err
	}
	a.log.Info("configuration loaded", "file", res.File.Path, "exists", res.File.Exists, "context", res.ContextName())
	return res, nil
}

// openLogFor opens the log file of --log-file, else $VIGIE_LOG_FILE, else fileLogFile
// (the config file's log-file), for commands that do not run config.Load.
func (a *app) openLogFor(fileLogFile string) error {
	path := a.flags.logFile
	if path == "" {
		path = a.getenv("VIGIE_LOG_FILE")
	}
	if path == "" {
		path = fileLogFile
	}
	return a.openLog(path)
}

func (a *app) openLog(path string) error {
	if path == "" {
		return nil
	}
	log, closer, err := openLogger(path)
	if err != nil {
		return err
	}
	_ = a.logCloser.Close()
	a.log, a.logCloser = log, closer
	return nil
}

const rootLong = `vigie is a terminal operations console for on-call engineers: workloads, logs,
metrics, alerts and on-call in one place.

Configuration is read from --config, else $VIGIE_CONFIG, else
$XDG_CONFIG_HOME/vigie/config.yaml, else ~/.config/vigie/config.yaml. Environment
variables (VIGIE_*) override the file, and flags override both.

--read-only, like VIGIE_READ_ONLY and VIGIE_ENVIRONMENT, can only make a context
stricter: a context with readOnly: true stays read-only, and a production context stays
production, whatever the environment or the flags say.`

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:           "vigie",
		Short:         "Terminal operations console for on-call engineers",
		Long:          rootLong,
		Version:       a.version,
		Args:          cobra.NoArgs,
		SilenceErrors: true, // report() prints them
		SilenceUsage:  true, // report() points usage errors to --help
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runLive(cmd)
		},
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetVersionTemplate("vigie {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })

	f := root.PersistentFlags()
	f.StringVar(&a.flags.config, "config", "", "config file (default $VIGIE_CONFIG, else $XDG_CONFIG_HOME/vigie/config.yaml, else ~/.config/vigie/config.yaml)")
	f.StringVar(&a.flags.context, "context", "", "context to use instead of current-context ($VIGIE_CONTEXT)")
	f.StringVar(&a.flags.kubeconfig, "kubeconfig", "", "kubeconfig file for the selected context ($VIGIE_KUBECONFIG)")
	f.StringVar(&a.flags.team, "team", "", "team to scope to instead of the context's team ($VIGIE_TEAM)")
	f.BoolVar(&a.flags.readOnly, "read-only", false, "disable every action ($VIGIE_READ_ONLY); can only make a context stricter, never writable")
	f.StringVar(&a.flags.logFile, "log-file", "", "append JSON logs to this file ($VIGIE_LOG_FILE; default: no logs)")
	root.Flags().StringVarP(&a.flags.command, "command", "c", "", "screen to open on: home (default), alerts, deploy, pods, events, optionally with a filter (\"pods checkout\", \"pods -l app=ledger\")")
	_ = root.MarkPersistentFlagFilename("config", "yaml", "yml")
	_ = root.MarkPersistentFlagFilename("kubeconfig")
	_ = root.MarkPersistentFlagFilename("log-file")
	_ = root.RegisterFlagCompletionFunc("context", a.completeContexts)
	_ = root.RegisterFlagCompletionFunc("team", a.completeTeams)

	root.AddCommand(newConfigCmd(a), newDoctorCmd(a), newServeCmd(a))
	root.InitDefaultCompletionCmd()
	markUsageErrors(root)
	return root
}

// markUsageErrors makes argument validation errors of every command usage errors, and
// gives command groups (like the generated "completion") a Run so that an unknown
// subcommand is an error rather than a help page with exit code 0.
func markUsageErrors(c *cobra.Command) {
	if !c.Runnable() && c.HasSubCommands() {
		c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		if c.Args == nil {
			c.Args = cobra.NoArgs
		}
	}
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markUsageErrors(sub)
	}
}

// completeContexts completes context names from the config file, with the environment
// and team as description. A broken file completes what could be read.
func (a *app) completeContexts(_ *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	f, _ := config.LoadFile(a.loadOptions(config.SecretFilesNone))
	if f.Config == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, name := range f.Config.ContextNames() {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		c := f.Config.Contexts[name]
		desc := string(c.Environment)
		if c.Team != "" {
			desc += ", team " + c.Team
		}
		if c.ReadOnly {
			desc += ", read-only"
		}
		out = append(out, cobra.CompletionWithDesc(name, desc))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeTeams completes team names from the config file.
func (a *app) completeTeams(_ *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	f, _ := config.LoadFile(a.loadOptions(config.SecretFilesNone))
	if f.Config == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, name := range f.Config.TeamNames() {
		if strings.HasPrefix(name, prefix) {
			out = append(out, cobra.CompletionWithDesc(name, fmt.Sprintf("namespaces %s", strings.Join(f.Config.Teams[name].Namespaces, ","))))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
