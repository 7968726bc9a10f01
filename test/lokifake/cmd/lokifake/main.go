// Command lokifake serves Loki's HTTP API (the subset of test/lokifake) from the local
// platform simulator's per-pod log files, for developers and demos:
//
//	go run ./test/lokifake/cmd/lokifake -listen 127.0.0.1:0 -log-dir DIR -print-url
//
// It runs until interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vigie-dev/vigie/test/lokifake"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "lokifake:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:3100", "address to listen on (port 0: any free port)")
	logDir := flag.String("log-dir", "", "folder of the simulator's per-pod CRI log files (required; e.g. $VIGIE_STACK_SIM_LOG_DIR)")
	tenant := flag.String("tenant", "", "require this X-Scope-OrgID (empty: no multi-tenancy)")
	printURL := flag.Bool("print-url", false, "print the server's URL on stdout once it listens")
	flag.Parse()
	if *logDir == "" {
		return errors.New("-log-dir is required")
	}
	if fi, err := os.Stat(*logDir); err != nil || !fi.IsDir() {
		return fmt.Errorf("-log-dir %s: not a readable folder", *logDir)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           lokifake.New(lokifake.Options{Source: lokifake.DirSource(*logDir), Tenant: *tenant}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	if *printURL {
		fmt.Printf("http://%s\n", ln.Addr())
	} else {
		fmt.Fprintf(os.Stderr, "lokifake: serving %s on http://%s\n", *logDir, ln.Addr())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
