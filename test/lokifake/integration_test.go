//go:build integration

package lokifake_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/internal/stackenv"
	"github.com/vigie-dev/vigie/sources"
	"github.com/vigie-dev/vigie/sources/loki"
	"github.com/vigie-dev/vigie/test/lokifake"
)

// TestServesTheSimulatorsLogs serves the local platform's simulator log dir and reads it
// through vigie's Loki client: the crash-looping fraud-worker's panic and checkout's
// request lines are in {namespace="payments"}, and a tail follows new lines.
func TestServesTheSimulatorsLogs(t *testing.T) {
	env := stackenv.MustLoad(t)
	dir := env.MustGet(t, "VIGIE_STACK_SIM_LOG_DIR")
	srv := httptest.NewServer(lokifake.New(lokifake.Options{Source: lokifake.DirSource(dir), Tenant: "payments"}))
	defer srv.Close()
	c, err := loki.New(loki.Options{URL: srv.URL, Tenant: "payments"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	sel, err := loki.Selector(map[string]string{"namespace": "payments"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	byApp := map[string][]string{}
	err = c.QueryRangeAll(ctx, loki.QueryRangeRequest{Query: sel, Start: now.Add(-6 * time.Hour), End: now.Add(time.Minute), Limit: 1000}, 50000,
		func(rs []sources.LogRecord) error {
			for _, r := range rs {
				if r.Labels["namespace"] != "payments" || r.Labels["team"] != "payments" || r.Container != "app" || !strings.HasPrefix(r.Pod, r.Labels["app"]+"-") {
					t.Errorf("record labels %v pod %q container %q", r.Labels, r.Pod, r.Container)
					return nil
				}
				byApp[r.Labels["app"]] = append(byApp[r.Labels["app"]], r.Line)
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if !containsLine(byApp["fraud-worker"], "panic: runtime error: invalid memory address or nil pointer dereference") ||
		!containsLine(byApp["fraud-worker"], "model rules not loaded") {
		t.Errorf("fraud-worker lines (%d) lack the crash: %q", len(byApp["fraud-worker"]), head(byApp["fraud-worker"]))
	}
	if !containsLine(byApp["checkout"], "starting checkout") || !containsLine(byApp["checkout"], `"route"`) {
		t.Errorf("checkout lines (%d) lack its start-up or requests: %q", len(byApp["checkout"]), head(byApp["checkout"]))
	}
	if _, ok := byApp["indexer"]; ok {
		t.Error("search's indexer leaked into {namespace=\"payments\"}")
	}

	t.Logf("query_range all: %d fraud-worker, %d checkout lines after %s", len(byApp["fraud-worker"]), len(byApp["checkout"]), time.Since(now))
	// Volume by app over the last minutes, as the log view's sparkline asks for it.
	res, err := c.QueryRange(ctx, loki.QueryRangeRequest{
		Query: `sum by (app) (count_over_time(` + sel + `[1m]))`, Start: now.Add(-10 * time.Minute), End: now, Step: time.Minute,
	})
	if err != nil || res.Type != loki.ResultMatrix || len(res.Matrix) == 0 {
		t.Fatalf("volume: %+v %v", res, err)
	}

	// New checkout lines arrive through the tail (the simulator writes a few a second).
	tctx, tcancel := context.WithTimeout(ctx, 20*time.Second)
	defer tcancel()
	ch := c.Tail(tctx, loki.TailRequest{Query: `{namespace="payments", app="checkout"}`, Start: time.Now()})
	for b := range ch {
		if b.Err != nil {
			t.Fatalf("tail: %v", b.Err)
		}
		if len(b.Records) > 0 && b.Records[0].Labels["app"] == "checkout" {
			t.Logf("tail: first live line after %s", time.Since(now))
			return
		}
	}
	t.Error("no live checkout line within 20s")
}

func containsLine(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

func head(lines []string) []string { return lines[:min(len(lines), 5)] }
