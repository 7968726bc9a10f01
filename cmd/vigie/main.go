// Command vigie is a terminal operations console for on-call engineers.
//
// This file holds the process entry point and the mapping from errors to exit codes;
// root.go builds the command tree. Everything the commands need (output streams,
// environment, version, logger) is passed down in an app value: there is no
// package-level mutable state besides the ldflags-set version.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/vigie-dev/vigie/internal/termtext"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed
	exitUsage   = 2 // bad flags, arguments or subcommand
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	info, _ := debug.ReadBuildInfo()
	code := run(ctx, os.Args[1:], deps{
		stdout:  os.Stdout,
		stderr:  os.Stderr,
		env:     os.LookupEnv,
		version: versionString(version, info),
	})
	stop()
	os.Exit(code)
}

// deps is what the process gives the program: streams, environment, version. Tests
// build their own.
type deps struct {
	stdout, stderr io.Writer
	env            func(string) (string, bool) // nil: empty environment
	version        string
}

// run executes the command line and returns the exit code. Errors are printed as
// "vigie: <error>" on stderr, with control characters made inert; usage errors are followed by a pointer to --help.
func run(ctx context.Context, args []string, d deps) int {
	if d.stdout == nil {
		d.stdout = io.Discard
	}
	if d.stderr == nil {
		d.stderr = io.Discard
	}
	a := newApp(d)
	defer a.close()
	root := newRootCmd(a)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	return report(d.stderr, cmd, err)
}

// usageError marks a problem with how the command was called (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitError ends the program with a code; its message, if any, was already printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func report(stderr io.Writer, cmd *cobra.Command, err error) int {
	var ue usageError
	var ee exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "vigie: %s\n", termtext.Sanitize(err.Error(), true))
		if cmd != nil {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		return exitUsage
	default:
		fmt.Fprintf(stderr, "vigie: %s\n", termtext.Sanitize(err.Error(), true))
		return exitFailure
	}
}

// versionString is the version and, when the binary was built from a VCS checkout, the
// commit: "v1.2.3 (commit 0123456789ab, modified)".
func versionString(v string, info *debug.BuildInfo) string {
	if info == nil {
		return v
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return v
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		return fmt.Sprintf("%s (commit %s, modified)", v, rev)
	}
	return fmt.Sprintf("%s (commit %s)", v, rev)
}
