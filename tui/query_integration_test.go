//go:build integration

package tui

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigie-dev/vigie/internal/stackenv"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/sources/platform"
	"github.com/vigie-dev/vigie/views"
)

// platformAs is the platform API client of a user of the local platform (alice, bob,
// lena), with their token.
func platformAs(t *testing.T, env *stackenv.Env, user string) *platform.Client {
	t.Helper()
	token, err := os.ReadFile(env.MustGet(t, "VIGIE_STACK_"+strings.ToUpper(user)+"_PLATFORM_TOKEN_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := platform.New(platform.Options{URL: env.MustGet(t, "VIGIE_STACK_PLATFORM_URL"), Token: strings.TrimSpace(string(token))})
	if err != nil {
		t.Fatal(err)
	}
	return pc
}

// withPlatformTeam gives the session the platform API of pc and, as vigie does when it
// starts, the team's databases and production flag from GET /v1/teams.
func withPlatformTeam(t *testing.T, pc *platform.Client) func(*Session) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	teams, err := pc.Teams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return func(s *Session) {
		s.Platform = pc
		for _, tm := range teams {
			if tm.Name != s.Team {
				continue
			}
			s.Databases = tm.Databases
			for _, n := range tm.Namespaces {
				s.Production = s.Production || n.Environment == api.EnvProduction
			}
		}
		if len(s.Databases) == 0 {
			t.Fatalf("the platform API lists no database for team %s: %+v", s.Team, teams)
		}
	}
}

// typeInto sends text as key presses.
func typeInto(tm *term, text string) {
	for _, r := range text {
		tm.send(press(string(r)))
	}
}

// A payments on-call runs the saved query table-sizes on the team's database through the
// local platform's vigie serve, and sees its real tables with their sizes.
func TestLiveQuerySavedTableSizes(t *testing.T) {
	env := stackenv.MustLoad(t)
	_, tm := liveModel(t, env, views.Route{Screen: views.ScreenQuery}, withPlatformTeam(t, platformAs(t, env, "alice")))
	tm.waitFor(30*time.Second, "saved queries", "table-sizes", "database  payments")
	for _, k := range []string{"j", "j", "j", "enter"} {
		tm.send(press(k))
	}
	s := tm.waitFor(30*time.Second, "table-sizes on payments/payments", "audit aud_", "ESTIMATED_ROWS", "orders", "refunds")
	if !strings.Contains(s, "✓ 2 rows") {
		t.Fatalf("the payments database has two tables (orders, refunds):\n%s", s)
	}
}

// A payments lead runs free SQL from the editor and sees the row, NULL included; a write
// (insert, delete) is refused by the server in its words, with its audit id, the previous
// result stays on screen, and the data is unchanged.
func TestLiveQueryFreeSQLAndRefusedWrites(t *testing.T) {
	env := stackenv.MustLoad(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	orders := func() int64 {
		t.Helper()
		conn, err := pgx.Connect(ctx, strings.Replace(env.MustGet(t, "VIGIE_STACK_PG_DSN"), "/postgres?", "/payments?", 1))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int64
		if err := conn.QueryRow(ctx, "select count(*) from orders").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := orders()
	if before == 0 {
		t.Fatal("the seeded orders table is empty: the stack's seed did not run")
	}

	_, tm := liveModel(t, env, views.Route{Screen: views.ScreenQuery}, withPlatformTeam(t, platformAs(t, env, "lena")))
	tm.waitFor(30*time.Second, "saved queries", "database  payments")
	tm.send(press("e"))
	typeInto(tm, "select 1 as one, null as nothing")
	tm.send(press("ctrl+r"))
	s := tm.waitFor(30*time.Second, "✓ 1 row", "audit aud_", "ONE", "NOTHING", "types: one integer · nothing text")
	if !strings.Contains(s, "NULL") {
		t.Fatalf("the NULL is shown as NULL:\n%s", s)
	}

	for _, c := range []struct{ sql, refused string }{
		{"delete from orders", "DELETE is refused"},
		{"insert into orders (customer_id, amount_cents, status) values (1, 100, 'paid')", "INSERT is refused"},
	} {
		tm.send(press("ctrl+u")) // the editor keeps the keys after a run: clear it
		typeInto(tm, c.sql)
		tm.send(press("ctrl+r"))
		s = tm.waitFor(30*time.Second, c.refused, "previous result: 1 row")
		if !strings.Contains(s, "✖ not allowed:") || !strings.Contains(s, "audit aud_") || !strings.Contains(s, "NOTHING") {
			t.Fatalf("the refusal is shown in the server's words with its audit id, over the previous result:\n%s", s)
		}
	}
	if after := orders(); after != before {
		t.Fatalf("orders changed from %d to %d rows", before, after)
	}
}
