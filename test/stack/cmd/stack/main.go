// Command stack runs vigie's local test platform: `up`, `down`, `status`, `apiserver
// stop|start`, `load`, and `simulate` (the workload simulator, started by `up`). Run it from
// test/stack: go run ./cmd/stack up; `up` copies it to <state>/bin/stack ($VIGIE_STACK_CTL in
// the env file), which works from any folder.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/vigie-dev/vigie/test/stack/internal/sim"
	"github.com/vigie-dev/vigie/test/stack/internal/stack"
)

const usage = `usage: stack <command>

  up        start etcd, Kubernetes (kwok nodes), Prometheus, Alertmanager, PostgreSQL, the
            workload simulator, Loki (lokifake) and the platform API (vigie serve), both built
            from the main module, seed them, and write <state>/env, kubeconfig and vigie.yaml
  down      stop the recorded processes and remove the state dir's data (logs are kept)
  status    show which recorded processes run, and the URLs (exit 1 when none runs)
  apiserver stop|start
            stop the recorded kube-apiserver (the rest keeps running), or start it again with
            the same binary, arguments, port and log file and wait for /readyz
  platform restart
            rebuild vigie from the working tree, rewrite the platform server's configuration
            and restart vigie serve on its recorded port, store and tokens (after a change
            to the server or to the generated configuration)
  load --namespace NS --pods N [--timeout 10m]
            create or scale Deployment bench-load in NS (labels app=bench-load and the
            namespace's team; not simulated) and wait until N pods are Running; 0 deletes it
  simulate  the workload simulator (started by up)

The state dir is $VIGIE_STACK_DIR, default test/stack/.run (or, for the copy that up puts in
<state>/bin, that state dir); binaries come from
${VIGIE_STACK_CACHE:-${XDG_CACHE_HOME:-~/.cache}/vigie/stack/v1.37.2} (test/stack/build.sh).
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "up":
		var self string
		if self, err = os.Executable(); err == nil {
			err = stack.Up(ctx, os.Stdout, self)
		}
	case "down":
		err = stack.Down(os.Stdout)
	case "status":
		err = stack.Status(os.Stdout)
	case "apiserver":
		err = apiserver(ctx, os.Args[2:])
	case "platform":
		if len(os.Args) != 3 || os.Args[2] != "restart" {
			err = fmt.Errorf("usage: stack platform restart")
		} else {
			err = stack.PlatformRestart(ctx, os.Stdout)
		}
	case "load":
		err = load(ctx, os.Args[2:])
	case "simulate":
		err = simulate(ctx, os.Args[2:])
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "stack: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "stack %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func apiserver(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: stack apiserver stop|start")
	}
	switch args[0] {
	case "stop":
		return stack.APIServerStop(os.Stdout)
	case "start":
		return stack.APIServerStart(ctx, os.Stdout)
	}
	return fmt.Errorf("usage: stack apiserver stop|start (not %q)", args[0])
}

func load(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	o := stack.LoadOptions{}
	fs.StringVar(&o.Namespace, "namespace", "payments", "team namespace of the bench-load Deployment")
	fs.IntVar(&o.Pods, "pods", -1, "pods to run, required (0 deletes the Deployment)")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "give up after this long")
	fs.DurationVar(&o.Progress, "progress", 5*time.Second, "interval of the progress lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.Pods < 0 {
		return fmt.Errorf("--pods N is required (0 deletes the deployment)")
	}
	return stack.Load(ctx, os.Stdout, o)
}

func simulate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig with rights to watch pods and manage kwok Logs objects")
	logDir := fs.String("log-dir", "", "folder of the per-pod CRI log files")
	fileSD := fs.String("file-sd", "", "Prometheus file_sd JSON file to write")
	host := fs.String("listen-host", "127.0.0.1", "host of the per-pod metrics listeners (each pod gets its own port)")
	rate := fs.Float64("rate", 20, "requests per second per pod")
	namespace := fs.String("namespace", "", "only this namespace (default: all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rc, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return err
	}
	rc.QPS, rc.Burst = 50, 100
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	return sim.Run(ctx, sim.Options{
		Kube: kube, Dynamic: dyn, LogDir: *logDir, FileSD: *fileSD, Host: *host, Rate: *rate,
		Namespace: *namespace, Log: log,
	})
}
