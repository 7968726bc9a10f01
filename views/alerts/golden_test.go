package alerts

import (
	"testing"

	"github.com/vigie-dev/vigie/internal/screentest"
	"github.com/vigie-dev/vigie/themes"
)

func TestGoldenScreens(t *testing.T) {
	cases := []struct {
		name string
		w, h int
		keys []string
	}{
		{"list-80x24", 80, 24, nil},
		{"list-120x40", 120, 40, nil},
		{"detail-80x24", 80, 24, []string{"down", "enter"}},
		{"detail-120x40", 120, 40, []string{"down", "enter"}},
		{"runbook-80x24", 80, 24, []string{"down", "b"}},
		{"stale-80x24", 80, 24, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, themes.Dark())
			if c.name == "stale-80x24" {
				h.feed(stale())
			} else {
				h.feed(fixture())
			}
			h.Press(c.keys...)
			screentest.GoldenScreen(t, c.name, screen(h.v, c.w, c.h), *update)
		})
	}
}
