package query

import (
	"testing"

	"github.com/vigie-dev/vigie/internal/screentest"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/themes"
)

// The screens are compared as a terminal shows them: the rendering replayed through a
// virtual terminal (x/vt).
func TestGoldenScreens(t *testing.T) {
	refused := func(h *harness) {
		h.Press("j", "j", "j", "enter")
		h.srv.answer = func(api.QueryRequest) (api.QueryResult, error) {
			return api.QueryResult{}, &refusal{msg: "not allowed: sql: DELETE is refused: a query runs one read-only statement (SELECT, WITH, EXPLAIN without ANALYZE, SHOW, VALUES or TABLE)",
				audit: "aud_6b040753e1c1a561"}
		}
		h.sql("delete from orders where created_at < now() - interval '1 year'")
	}
	cases := []struct {
		name string
		w, h int
		opts []option
		run  func(h *harness)
	}{
		{"start-80x24", 80, 24, nil, func(*harness) {}},
		{"result-80x24", 80, 24, nil, func(h *harness) { h.Press("j", "j", "j", "enter") }},
		{"result-120x40", 120, 40, nil, func(h *harness) { h.Press("j", "j", "j", "enter") }},
		{"refused-80x24", 80, 24, nil, refused},
		{"refused-120x40", 120, 40, nil, refused},
		{"reason-80x24", 80, 24, []option{production}, func(h *harness) {
			h.Press("enter")
			h.Type("why")
			h.Press("enter")
		}},
		{"wide-120x40", 120, 40, nil, func(h *harness) {
			h.srv.answer = func(api.QueryRequest) (api.QueryResult, error) { return wide(40), nil }
			h.sql("select * from wide")
			h.v.Render(120, 40) // the root draws between keys
			h.Press("esc", "l", "l", "j")
		}},
		{"detail-80x24", 80, 24, nil, func(h *harness) {
			h.srv.answer = func(api.QueryRequest) (api.QueryResult, error) { return wide(3), nil }
			h.sql("select * from wide")
			h.Press("esc", "enter")
		}},
		{"nodb-80x24", 80, 24, []option{noDatabases}, func(*harness) {}},
		{"noapi-80x24", 80, 24, []option{noAPI}, func(*harness) {}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, themes.Dark(), c.opts...)
			c.run(h)
			got, titles := throughVT(t, h.v.Render(c.w, c.h), c.w, c.h)
			if len(titles) > 0 {
				t.Fatalf("the screen set the terminal's title: %q", titles)
			}
			screentest.Golden(t, "testdata", c.name, got+"\n", *update)
		})
	}
}
