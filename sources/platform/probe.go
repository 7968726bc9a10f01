package platform

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/sources"
)

// Probe checks the platform API for `vigie doctor`: reachable and ready, whose the token
// is (and whether it is read-only, and when it expires), and what the server knows of team
// (the caller's role in it and its scope): actions are refused when the server does not
// count the caller in the team.
func (c *Client) Probe(ctx context.Context, team string, now time.Time) []sources.Check {
	const src = "platform"
	var out []sources.Check
	t0 := time.Now()
	var h api.Health
	err := c.call(ctx, http.MethodGet, "/readyz", nil, nil, &h)
	if err != nil {
		return append(out, sources.Check{Source: src, Name: "reachable", Detail: err.Error()})
	}
	out = append(out, sources.Check{Source: src, Name: "reachable", OK: true, Detail: "ready", Latency: time.Since(t0)})

	me, err := c.Me(ctx)
	if err != nil {
		return append(out, sources.Check{Source: src, Name: "identity", Detail: err.Error()})
	}
	who := me.User
	if me.ReadOnly {
		who += " (read-only token)"
	}
	if me.ExpiresAt != nil {
		left := me.ExpiresAt.Sub(now)
		who += ", token expires in " + untilText(left)
		if left < 7*24*time.Hour {
			who += ": ask for a new one soon"
		}
	}
	out = append(out, sources.Check{Source: src, Name: "identity", OK: true, Detail: who})
	if team == "" {
		return out
	}
	teams, err := c.Teams(ctx)
	if err != nil {
		return append(out, sources.Check{Source: src, Name: "team " + team, Detail: err.Error()})
	}
	for _, t := range teams {
		if t.Name != team {
			continue
		}
		var ns []string
		for _, n := range t.Namespaces {
			ns = append(ns, n.Name+" ("+n.Environment+")")
		}
		detail := fmt.Sprintf("role %s; namespaces %s; %d database(s), %d job template(s)", t.Role, strings.Join(ns, ", "), len(t.Databases), len(t.Jobs))
		return append(out, sources.Check{Source: src, Name: "team " + team, OK: true, Detail: detail})
	}
	var names []string
	for _, t := range teams {
		names = append(names, t.Name)
	}
	return append(out, sources.Check{Source: src, Name: "team " + team,
		Detail: fmt.Sprintf("%s is not a member of team %s on the platform (member of: %s): its actions will be refused", me.User, team, orNone(names))})
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// untilText words a time left: "29d", "36h", "45m", or "expired".
func untilText(d time.Duration) string {
	switch {
	case d <= 0:
		return "no time (expired)"
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dm", int(d/time.Minute))
}
