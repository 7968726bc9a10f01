//go:build integration

package integration

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	amclient "github.com/prometheus/alertmanager/api/v2/client"
	amalert "github.com/prometheus/alertmanager/api/v2/client/alert"
	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/vigie-dev/vigie/internal/stackenv"
	"github.com/vigie-dev/vigie/sources/kube"
)

const simSelector = "sim.vigie.dev/simulate=true"

func kubeClient(t *testing.T, env *stackenv.Env, kubeContext string) *kubernetes.Clientset {
	t.Helper()
	cfg, err := kube.RESTConfig(kube.Options{Kubeconfig: env.MustGet(t, "KUBECONFIG"), Context: kubeContext})
	if err != nil {
		t.Fatalf("kubeconfig context %s: %v", kubeContext, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func ctx(t *testing.T, d time.Duration) context.Context {
	c, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return c
}

func runningSimPods(t *testing.T, cs *kubernetes.Clientset, ns string) []corev1.Pod {
	t.Helper()
	pods, err := cs.CoreV1().Pods(ns).List(ctx(t, 10*time.Second), metav1.ListOptions{LabelSelector: simSelector})
	if err != nil {
		t.Fatalf("list pods in %s: %v", ns, err)
	}
	var out []corev1.Pod
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}

// The seeded deployments run in both team namespaces, with history and a crash-looping pod.
func TestSeededWorkloadsAreRunning(t *testing.T) {
	env := stackenv.MustLoad(t)
	cs := kubeClient(t, env, "local-admin")
	want := map[string][]string{
		"payments": {"checkout", "ledger", "fraud-worker"},
		"search":   {"search-api", "indexer"},
	}
	for ns, deploys := range want {
		pods := runningSimPods(t, cs, ns)
		if len(pods) == 0 {
			t.Fatalf("no Running simulated pod in %s", ns)
		}
		for _, d := range deploys {
			if !slices.ContainsFunc(pods, func(p corev1.Pod) bool { return p.Labels["app"] == d }) {
				t.Errorf("%s/%s has no Running pod", ns, d)
			}
		}
	}

	rss, err := cs.AppsV1().ReplicaSets("payments").List(ctx(t, 10*time.Second), metav1.ListOptions{LabelSelector: "app=checkout"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rss.Items) < 3 {
		t.Errorf("payments/checkout has %d ReplicaSets, want 3+ revisions of history", len(rss.Items))
	}

	crash := runningSimPods(t, cs, "payments")
	found := false
	for _, p := range crash {
		if p.Labels["app"] != "fraud-worker" {
			continue
		}
		for _, s := range p.Status.ContainerStatuses {
			if s.State.Waiting != nil && s.State.Waiting.Reason == "CrashLoopBackOff" && s.RestartCount > 0 {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("payments/fraud-worker has no pod in CrashLoopBackOff with restarts")
	}
}

// RBAC: a team member lists pods in their own namespace and is refused in the other team's.
func TestTeamMembersAreScopedToTheirNamespace(t *testing.T) {
	env := stackenv.MustLoad(t)
	for _, c := range []struct{ kctx, own, other string }{
		{"local-payments", "payments", "search"},
		{"local-search", "search", "payments"},
	} {
		cs := kubeClient(t, env, c.kctx)
		if pods := runningSimPods(t, cs, c.own); len(pods) == 0 {
			t.Errorf("%s sees no Running pod in its own namespace %s", c.kctx, c.own)
		}
		_, err := cs.CoreV1().Pods(c.other).List(ctx(t, 10*time.Second), metav1.ListOptions{})
		if !apierrors.IsForbidden(err) {
			t.Errorf("%s listing pods in %s: got %v, want Forbidden", c.kctx, c.other, err)
		}
	}
}

// Prometheus has scraped the simulator: one http_requests_total series set per Running pod,
// and the bad release of payments/ledger shows a high error ratio.
func TestPrometheusScrapesSimulatedPods(t *testing.T) {
	env := stackenv.MustLoad(t)
	cs := kubeClient(t, env, "local-admin")
	client, err := promapi.NewClient(promapi.Config{Address: env.MustGet(t, "VIGIE_STACK_PROM_URL")})
	if err != nil {
		t.Fatal(err)
	}
	api := promv1.NewAPI(client)
	for _, ns := range []string{"payments", "search"} {
		q := fmt.Sprintf(`sum by (pod) (http_requests_total{namespace=%q})`, ns)
		var vec model.Vector
		pods := runningSimPods(t, cs, ns)
		if !slices.ContainsFunc(pods, podReady) {
			t.Fatalf("%s: no Ready simulated pod", ns)
		}
		// A pod that started seconds ago may not be scraped yet: poll briefly.
		deadline := time.Now().Add(30 * time.Second)
		for {
			v, _, _, err := api.Query(ctx(t, 10*time.Second), q, time.Now())
			if err != nil {
				t.Fatalf("query %s: %v", q, err)
			}
			vec, _ = v.(model.Vector)
			if missingPods(vec, pods) == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Second)
		}
		if missing := missingPods(vec, pods); missing != nil {
			t.Errorf("%s: no http_requests_total for Running pods %v", ns, missing)
		}
	}

	q := `sum(rate(http_requests_total{namespace="payments",service="ledger",code=~"5.."}[1m])) / sum(rate(http_requests_total{namespace="payments",service="ledger"}[1m]))`
	v, _, _, err := api.Query(ctx(t, 10*time.Second), q, time.Now())
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	vec, _ := v.(model.Vector)
	if len(vec) != 1 || vec[0].Value < 0.1 {
		t.Errorf("ledger error ratio = %v, want > 10%% (bad release)", vec)
	}
}

func podReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func missingPods(vec model.Vector, pods []corev1.Pod) []string {
	seen := map[string]bool{}
	for _, s := range vec {
		if s.Value > 0 {
			seen[string(s.Metric["pod"])] = true
		}
	}
	var missing []string
	for _, p := range pods {
		// A crash-looping container serves no traffic; every Ready pod does.
		if !seen[p.Name] && podReady(p) {
			missing = append(missing, p.Name)
		}
	}
	return missing
}

// Alertmanager receives the seeded error-ratio alert of the payments team, with the
// labels and annotations that make it actionable.
func TestAlertmanagerHasTheSeededFiringAlert(t *testing.T) {
	env := stackenv.MustLoad(t)
	u, err := url.Parse(env.MustGet(t, "VIGIE_STACK_AM_URL"))
	if err != nil {
		t.Fatal(err)
	}
	am := amclient.NewHTTPClientWithConfig(strfmt.Default, amclient.DefaultTransportConfig().
		WithHost(u.Host).WithBasePath("/api/v2").WithSchemes([]string{u.Scheme}))
	active := true
	params := amalert.NewGetAlertsParams().WithActive(&active).
		WithFilter([]string{`team="payments"`, `alertname="HighErrorRatio"`}).WithTimeout(10 * time.Second)
	deadline := time.Now().Add(90 * time.Second)
	for {
		ok, err := am.Alert.GetAlerts(params)
		if err != nil {
			t.Fatalf("GET /api/v2/alerts: %v", err)
		}
		for _, a := range ok.Payload {
			if a.Labels["service"] != "ledger" || a.Status == nil || a.Status.State == nil || *a.Status.State != "active" {
				continue
			}
			for _, k := range []string{"summary", "description", "runbook_url"} {
				if strings.TrimSpace(a.Annotations[k]) == "" {
					t.Errorf("alert %v has no %s annotation", a.Labels, k)
				}
			}
			if a.Labels["severity"] == "" {
				t.Errorf("alert %v has no severity", a.Labels)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no active HighErrorRatio alert for payments/ledger in Alertmanager after 90s (got %d alerts)", len(ok.Payload))
		}
		time.Sleep(2 * time.Second)
	}
}

// The SELECT-only role reads but cannot write, even when it asks for a read-write
// transaction explicitly.
func TestReadOnlyDatabaseRoleCannotWrite(t *testing.T) {
	env := stackenv.MustLoad(t)
	c := ctx(t, 30*time.Second)
	conn, err := pgx.Connect(c, env.MustGet(t, "VIGIE_STACK_PG_PAYMENTS_RO_DSN"))
	if err != nil {
		t.Fatalf("connect as payments_ro: %v", err)
	}
	defer conn.Close(context.Background())

	var n int
	if err := conn.QueryRow(c, "SELECT count(*) FROM orders").Scan(&n); err != nil || n == 0 {
		t.Fatalf("SELECT count(*) FROM orders = %d, %v; want rows", n, err)
	}
	var calls int
	if err := conn.QueryRow(c, "SELECT count(*) FROM pg_stat_statements").Scan(&calls); err != nil || calls == 0 {
		t.Errorf("pg_stat_statements readable by payments_ro: %d rows, %v", calls, err)
	}

	insert := "INSERT INTO orders DEFAULT VALUES"
	if _, err := conn.Exec(c, insert); sqlState(err) == "" {
		t.Errorf("plain INSERT as payments_ro: got %v, want refused", err)
	}
	for _, steps := range [][]string{
		{"BEGIN READ WRITE", insert},
		{"SET default_transaction_read_only = off", insert},
	} {
		var last error
		for _, s := range steps {
			_, last = conn.Exec(c, s)
		}
		if got := sqlState(last); got != "42501" {
			t.Errorf("%q: got %v (SQLSTATE %q), want permission denied (42501)", strings.Join(steps, "; "), last, got)
		}
		_, _ = conn.Exec(c, "ROLLBACK")
	}
}

func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}
