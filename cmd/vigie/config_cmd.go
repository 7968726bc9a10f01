package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigie-dev/vigie/internal/config"
	"github.com/vigie-dev/vigie/internal/termtext"
)

func newConfigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show, check and edit the vigie configuration",
		Long: `Show, check and edit the vigie configuration.

The file is --config, else $VIGIE_CONFIG, else $XDG_CONFIG_HOME/vigie/config.yaml, else
~/.config/vigie/config.yaml. A missing default file is an empty configuration; a missing
--config or $VIGIE_CONFIG file is an error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newConfigViewCmd(a), newConfigCheckCmd(a), newConfigPathCmd(a),
		newConfigContextsCmd(a), newConfigUseContextCmd(a))
	return cmd
}

func newConfigViewCmd(a *app) *cobra.Command {
	var opts config.RenderOptions
	cmd := &cobra.Command{
		Use:   "view",
		Short: "Print the merged configuration (file < environment < flags), secrets redacted",
		Example: `  vigie config view
  vigie config view --minify --context prod-eu
  vigie config view -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Format != "yaml" && opts.Format != "json" {
				return usageError{fmt.Errorf("invalid value %q for -o/--output (expected yaml or json)", opts.Format)}
			}
			res, err := a.load(config.SecretFilesNone)
			if err != nil {
				return err
			}
			out, err := res.Render(opts)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	cmd.Flags().BoolVar(&opts.Minify, "minify", false, "print only the current context (and its team)")
	cmd.Flags().StringVarP(&opts.Format, "output", "o", "yaml", "output format: yaml or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]cobra.Completion{"yaml", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// exampleConfig is shown when no context is defined.
const exampleConfig = `current-context: local
contexts:
  local:
    environment: dev          # production | staging | dev
    kube:
      context: kind-local     # a context of your kubeconfig
    prometheus:
      url: http://127.0.0.1:9090
`

func newConfigCheckCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and report every problem",
		Long: `Validate the configuration file, the VIGIE_* environment and the flags, and read
every context's secret files. Prints "config OK" and exits 0, or prints every problem
as file:line:col: field: problem and exits 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := a.load(config.SecretFilesAll)
			var problems config.Errors
			if errors.As(err, &problems) {
				for _, p := range problems {
					fmt.Fprintln(cmd.ErrOrStderr(), termtext.Line(p.String()))
				}
				return fmt.Errorf("config check failed: %d problem%s", len(problems), plural(len(problems)))
			}
			if err != nil {
				return err
			}
			// The key overrides and the theme file are checked by the TUI's own packages.
			if _, err := buildUI(res.UI, false); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), termtext.Sanitize(err.Error(), true))
				return errors.New("config check failed: keys or theme")
			}
			printCheck(cmd.OutOrStdout(), res)
			return nil
		},
	}
}

func printCheck(w io.Writer, res *config.Resolved) {
	cfg, path := res.File.Config, res.File.Path
	current := res.ContextName()
	if current == "" {
		current = "none"
	}
	n := len(cfg.Contexts)
	if !res.File.Exists {
		fmt.Fprintf(w, "no config file at %s: no contexts defined\n", path)
	} else {
		fmt.Fprintf(w, "config OK: %s (%d context%s, current: %s)\n", path, n, plural(n), current)
	}
	for _, notice := range res.Notices {
		fmt.Fprintf(w, "notice: %s\n", notice)
	}
	switch {
	case n == 0:
		fmt.Fprintf(w, "\nTo create a context, write %s with, for example:\n\n%s\nthen run 'vigie config check' again.\n", path, indent(exampleConfig))
	case res.Context == nil:
		fmt.Fprintf(w, "No context is selected: run 'vigie config use-context NAME' or pass --context NAME.\n")
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ") + "\n"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func newConfigPathCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "path",
		Short: "Print the path of the config file vigie would use",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := config.FindFile(a.loadOptions(config.SecretFilesNone))
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), f.Path)
			return nil
		},
	}
}
