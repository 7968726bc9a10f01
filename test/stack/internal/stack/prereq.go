package stack

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// PgRoot is where Debian installs PostgreSQL servers.
const PgRoot = "/usr/lib/postgresql"

// MissingPackages returns the Debian packages to install for the binaries that are missing.
func MissingPackages(lookPath func(string) (string, error), pgBinDir func() (string, error)) []string {
	var pkgs []string
	if _, err := lookPath("prometheus"); err != nil {
		pkgs = append(pkgs, "prometheus")
	}
	if _, err := lookPath("prometheus-alertmanager"); err != nil {
		pkgs = append(pkgs, "prometheus-alertmanager")
	}
	if _, err := pgBinDir(); err != nil {
		pkgs = append(pkgs, "postgresql")
	}
	return pkgs
}

// AptInstallCommand is the shell command that installs pkgs.
func AptInstallCommand(pkgs []string) string {
	return "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends " + strings.Join(pkgs, " ")
}

// EnsurePackages installs the missing Debian packages when running as root; otherwise it
// returns an error that gives the command to run.
func EnsurePackages(out io.Writer) error {
	pkgs := MissingPackages(exec.LookPath, func() (string, error) { return PostgresBinDir(PgRoot) })
	if len(pkgs) == 0 {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("missing packages %s; install them as root:\n  sudo sh -c '%s'", strings.Join(pkgs, " "), AptInstallCommand(pkgs))
	}
	fmt.Fprintf(out, "stack: installing %s (apt-get)\n", strings.Join(pkgs, " "))
	run := func(env []string, args ...string) error {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Stdout, cmd.Stderr = out, out
		cmd.Env = append(os.Environ(), env...)
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", strings.Join(args, " "), err)
		}
		return nil
	}
	if err := run(nil, "apt-get", "update"); err != nil {
		return err
	}
	args := append([]string{"apt-get", "install", "-y", "--no-install-recommends"}, pkgs...)
	if err := run([]string{"DEBIAN_FRONTEND=noninteractive"}, args...); err != nil {
		return err
	}
	if left := MissingPackages(exec.LookPath, func() (string, error) { return PostgresBinDir(PgRoot) }); len(left) > 0 {
		return fmt.Errorf("still missing after apt-get install: %s", strings.Join(left, " "))
	}
	return nil
}
