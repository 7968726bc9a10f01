package main

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vigie-dev/vigie/internal/config"
	"github.com/vigie-dev/vigie/internal/termtext"
)

func newConfigContextsCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "contexts",
		Aliases: []string{"get-contexts"},
		Short:   "List the contexts (* marks the current one)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := a.load(config.SecretFilesNone)
			if err != nil {
				return err
			}
			cfg := res.File.Config
			if len(cfg.Contexts) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "no contexts are defined in %s (see 'vigie config check')\n", res.File.Path)
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CURRENT\tNAME\tENVIRONMENT\tTEAM\tREAD-ONLY\tKUBE-CONTEXT")
			for _, name := range cfg.ContextNames() {
				c, mark := cfg.Contexts[name], ""
				if name == res.ContextName() {
					c, mark = res.Context, "*"
				}
				ro := "no"
				if c.ReadOnly {
					ro = "yes"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", mark, name, c.Environment, dash(c.Team), ro, dash(termtext.Line(c.Kube.Context)))
			}
			return tw.Flush()
		},
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newConfigUseContextCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "use-context NAME",
		Short: "Set current-context in the config file",
		Long: `Set current-context in the config file. Only that line changes: comments and the
rest of the file are kept. The file is replaced atomically and keeps its mode.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeContextArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			f, err := config.LoadFile(a.loadOptions(config.SecretFilesNone))
			var problems config.Errors
			if err != nil && !errors.As(err, &problems) {
				return err // unreadable, or a missing --config / $VIGIE_CONFIG file
			}
			if lerr := a.openLogFor(f.Config.LogFile); lerr != nil {
				return lerr
			}
			if !f.Exists {
				return fmt.Errorf("config file %s does not exist (create it with a contexts section first; see 'vigie config check')", f.Path)
			}
			if err := config.SetCurrentContext(f.Path, name); err != nil {
				return fmt.Errorf("use-context: %w", err)
			}
			a.log.Info("current context changed", "file", f.Path, "context", name)
			fmt.Fprintf(cmd.OutOrStdout(), "current context is now %q (%s)\n", name, f.Path)
			switch {
			case a.flags.context != "":
				fmt.Fprintf(cmd.ErrOrStderr(), "note: --context %s still overrides it for this command line\n", a.flags.context)
			case a.getenv("VIGIE_CONTEXT") != "":
				fmt.Fprintf(cmd.ErrOrStderr(), "note: VIGIE_CONTEXT=%s is set and overrides current-context\n", a.getenv("VIGIE_CONTEXT"))
			}
			return nil
		},
	}
}

// completeContextArg completes the single NAME argument of use-context.
func (a *app) completeContextArg(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return a.completeContexts(cmd, args, prefix)
}
