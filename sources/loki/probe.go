package loki

import (
	"context"
	"fmt"
	"time"

	"github.com/vigie-dev/vigie/sources"
)

// Probe checks Loki for `vigie doctor`: it answers a label query over the last five
// minutes (with the tenant and credentials of the context).
func (c *Client) Probe(ctx context.Context, now time.Time) []sources.Check {
	t0 := time.Now()
	labels, err := c.Labels(ctx, now.Add(-5*time.Minute), now)
	if err != nil {
		return []sources.Check{{Source: "loki", Name: "reachable", Detail: err.Error()}}
	}
	return []sources.Check{{Source: "loki", Name: "reachable", OK: true, Latency: time.Since(t0),
		Detail: fmt.Sprintf("%d labels in the last 5 minutes", len(labels))}}
}
