package audit

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
		{"detail-80x24", 80, 24, []string{"enter"}},
		{"detail-120x40", 120, 40, []string{"down", "down", "down", "down", "down", "down", "enter"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, themes.Dark(), fixture())
			h.enter()
			h.tick(3)
			h.Press(c.keys...)
			screentest.GoldenScreen(t, c.name, screen(h.v, c.w, c.h), *update)
		})
	}
}
