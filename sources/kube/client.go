// Package kube is vigie's Kubernetes source: clients built from a kubeconfig and the team
// scope, and (in later work) informers over the team's namespaces only.
package kube

import (
	"context"
	"fmt"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/vigie-dev/vigie/sources"
)

// Options select a kubeconfig and a context in it. The zero value uses $KUBECONFIG or
// ~/.kube/config and its current context.
type Options struct {
	Kubeconfig string        // path; "" = client-go's default loading rules
	Context    string        // kube context; "" = the kubeconfig's current context
	Timeout    time.Duration // per request; 0 = 15s
	UserAgent  string
}

// RESTConfig loads the client configuration for opts.
func RESTConfig(opts Options) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if opts.Kubeconfig != "" {
		rules.ExplicitPath = opts.Kubeconfig
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: opts.Context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.Timeout = opts.Timeout
	if cfg.Timeout == 0 {
		cfg.Timeout = 15 * time.Second
	}
	if opts.UserAgent != "" {
		cfg.UserAgent = opts.UserAgent
	}
	return cfg, nil
}

// Probe checks what an on-call engineer needs from the cluster: it answers, who we are,
// and whether we may list pods, deployments and events in each of the team's namespaces.
func Probe(ctx context.Context, cs kubernetes.Interface, namespaces []string) []sources.Check {
	const src = "kubernetes"
	var out []sources.Check
	start := time.Now()
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		return append(out, sources.Check{Source: src, Name: "reachable", Detail: err.Error()})
	}
	out = append(out, sources.Check{Source: src, Name: "reachable", OK: true, Detail: v.GitVersion, Latency: time.Since(start)})

	who, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		out = append(out, sources.Check{Source: src, Name: "identity", Detail: err.Error()})
	} else {
		out = append(out, sources.Check{Source: src, Name: "identity", OK: true, Detail: who.Status.UserInfo.Username})
	}
	if len(namespaces) == 0 {
		out = append(out, sources.Check{Source: src, Name: "team scope", Detail: "the team has no namespaces"})
	}
	for _, ns := range namespaces {
		for _, r := range []struct{ group, resource string }{{"", "pods"}, {"apps", "deployments"}, {"", "events"}} {
			name := fmt.Sprintf("list %s in %s", r.resource, ns)
			ok, detail, err := canList(ctx, cs, ns, r.group, r.resource)
			if err != nil {
				out = append(out, sources.Check{Source: src, Name: name, Detail: err.Error()})
				continue
			}
			out = append(out, sources.Check{Source: src, Name: name, OK: ok, Detail: detail})
		}
	}
	return out
}

func canList(ctx context.Context, cs kubernetes.Interface, ns, group, resource string) (bool, string, error) {
	r, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{
		Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{
			Namespace: ns, Verb: "list", Group: group, Resource: resource,
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		return false, "", err
	}
	if r.Status.Allowed {
		return true, "", nil
	}
	if r.Status.Reason != "" {
		return false, "forbidden: " + r.Status.Reason, nil
	}
	return false, "forbidden", nil
}
