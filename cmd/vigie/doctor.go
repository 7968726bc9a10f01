package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/vigie-dev/vigie/internal/config"
	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/sources"
	"github.com/vigie-dev/vigie/sources/alertmanager"
	"github.com/vigie-dev/vigie/sources/kube"
	"github.com/vigie-dev/vigie/sources/loki"
	"github.com/vigie-dev/vigie/sources/platform"
	"github.com/vigie-dev/vigie/sources/prom"
)

func newDoctorCmd(a *app) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check that vigie can reach each source of the context, as whom, with what rights",
		Long: `Probe every source configured in the selected context: the Kubernetes API (version,
who you are, whether you may list pods, deployments and events in each of the team's
namespaces), Prometheus and Alertmanager (reachable, version), Loki (reachable with the
tenant), and the platform API (ready, whose the token is, the team's role and scope there).
Exits 1 when a check fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := a.load(config.SecretFilesSelected)
			if err != nil {
				return err
			}
			if res.Context == nil {
				return errors.New("no context selected: set current-context in the config, $VIGIE_CONTEXT or --context (see 'vigie config contexts')")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			checks := runProbes(ctx, res, a.version)
			if failed := printDoctor(cmd.OutOrStdout(), res, checks); failed > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "vigie: %d check%s failed\n", failed, plural(failed))
				return exitError{code: exitFailure}
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 15*time.Second, "give up on all probes after this long")
	return cmd
}

// runProbes probes the sources of the context concurrently and returns the checks in a
// stable order: kubernetes, prometheus, alertmanager, loki, platform.
func runProbes(ctx context.Context, res *config.Resolved, version string) []sources.Check {
	c := res.Context
	var namespaces []string
	if res.Team != nil {
		namespaces = res.Team.Namespaces
	}
	var probes []func() []sources.Check
	probes = append(probes, func() []sources.Check {
		cfg, err := kube.RESTConfig(kube.Options{Kubeconfig: c.Kube.Kubeconfig, Context: c.Kube.Context, UserAgent: "vigie/" + version})
		if err != nil {
			return []sources.Check{{Source: "kubernetes", Name: "configured", Detail: err.Error()}}
		}
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return []sources.Check{{Source: "kubernetes", Name: "configured", Detail: err.Error()}}
		}
		return kube.Probe(ctx, cs, namespaces)
	})
	if e := c.Prometheus; e != nil {
		probes = append(probes, func() []sources.Check {
			api, err := prom.New(prom.Options{URL: e.URL.String(), BearerToken: e.BearerToken.Reveal(), Timeout: e.Timeout})
			if err != nil {
				return []sources.Check{{Source: "prometheus", Name: "configured", Detail: err.Error()}}
			}
			pctx, cancel := context.WithTimeout(ctx, e.Timeout)
			defer cancel()
			return prom.Probe(pctx, api)
		})
	}
	if e := c.Alertmanager; e != nil {
		probes = append(probes, func() []sources.Check {
			am, err := alertmanager.New(alertmanager.Options{URL: e.URL.String(), BearerToken: e.BearerToken.Reveal(), Timeout: e.Timeout})
			if err != nil {
				return []sources.Check{{Source: "alertmanager", Name: "configured", Detail: err.Error()}}
			}
			return am.Probe(ctx)
		})
	}
	if e := c.Loki; e != nil {
		probes = append(probes, func() []sources.Check {
			lc, err := loki.New(loki.Options{URL: e.URL.String(), Tenant: e.Tenant, BearerToken: e.BearerToken.Reveal(),
				Username: e.Username, Password: e.Password.Reveal(), Timeout: e.Timeout})
			if err != nil {
				return []sources.Check{{Source: "loki", Name: "configured", Detail: err.Error()}}
			}
			return lc.Probe(ctx, time.Now())
		})
	}
	if p := c.Platform; p != nil && p.URL != nil {
		team := ""
		if res.Team != nil {
			team = res.Team.Name
		}
		probes = append(probes, func() []sources.Check {
			pc, err := platform.New(platform.Options{URL: p.URL.String(), Token: p.Token.Reveal()})
			if err != nil {
				return []sources.Check{{Source: "platform", Name: "configured", Detail: err.Error()}}
			}
			return pc.Probe(ctx, team, time.Now())
		})
	}
	results := make([][]sources.Check, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Go(func() { results[i] = p() })
	}
	wg.Wait()
	var out []sources.Check
	for _, r := range results {
		out = append(out, r...)
	}
	return out
}

// printDoctor prints the context line and one line per check; it returns the number of
// failed checks.
func printDoctor(w io.Writer, res *config.Resolved, checks []sources.Check) int {
	head := fmt.Sprintf("context %s (%s)", res.ContextName(), res.Context.Environment)
	if res.Team != nil {
		head += ", team " + res.Team.Name
	}
	if res.Context.ReadOnly {
		head += ", read-only"
	}
	fmt.Fprintln(w, termtext.Line(head))
	failed := 0
	for _, c := range checks {
		fmt.Fprintln(w, c.String())
		if !c.OK {
			failed++
		}
	}
	for _, s := range []struct {
		name string
		set  bool
	}{{"prometheus", res.Context.Prometheus != nil}, {"alertmanager", res.Context.Alertmanager != nil},
		{"loki", res.Context.Loki != nil}, {"platform", res.Context.Platform != nil && res.Context.Platform.URL != nil}} {
		if !s.set {
			fmt.Fprintf(w, "-    %-12s not configured in this context\n", s.name)
		}
	}
	return failed
}
