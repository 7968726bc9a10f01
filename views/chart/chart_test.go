package chart

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/themes"
)

func TestFormat(t *testing.T) {
	cases := []struct {
		v    float64
		u    Unit
		want string
	}{
		{12.34, UnitPerSec, "12.3/s"},
		{1500, UnitPerSec, "1500/s"},
		{25000, UnitPerSec, "25.0k/s"},
		{0.0125, UnitRatio, "1.25%"},
		{0.2, UnitRatio, "20.0%"},
		{0.00001, UnitRatio, "0.001%"},
		{0.34, UnitSeconds, "340ms"},
		{1.5, UnitSeconds, "1.50s"},
		{0.0002, UnitSeconds, "200µs"},
		{64 * 1024 * 1024, UnitBytes, "64Mi"},
		{math.NaN(), UnitPerSec, "–"},
	}
	for _, c := range cases {
		if got := Format(c.v, c.u); got != c.want {
			t.Errorf("Format(%v, %q) = %q, want %q", c.v, c.u, got, c.want)
		}
	}
}

func TestSparkline(t *testing.T) {
	if got := Sparkline([]float64{0, 1, 2, 3, 4, 5, 6, 7}, 8); got != "▁▂▃▄▅▆▇█" {
		t.Errorf("ramp = %q", got)
	}
	if got := Sparkline([]float64{5, 5}, 4); got != "  ▇▇" && got != "  ██" {
		t.Errorf("two values right-aligned in 4 cells = %q", got)
	}
	if got := Sparkline([]float64{1, math.NaN(), 3}, 3); []rune(got)[1] != ' ' {
		t.Errorf("a NaN is a gap: %q", got)
	}
	if got := Sparkline(nil, 3); got != "   " {
		t.Errorf("no data = %q", got)
	}
}

func TestChartDrawsSeriesAxesMarkersAndCursor(t *testing.T) {
	st := themes.NewStyles(themes.Dark())
	from := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)
	var up, down []Point
	for i := range 61 {
		at := from.Add(time.Duration(i) * time.Minute)
		up = append(up, Point{at, float64(i) / 600})
		down = append(down, Point{at, 0.1 - float64(i)/600})
	}
	c := Chart{Title: "error ratio", From: from, To: from.Add(time.Hour), Unit: UnitRatio, Loc: time.UTC,
		Series:  []Series{{Name: "ledger", Points: up}, {Name: "checkout", Points: down}},
		Markers: []Marker{{At: from.Add(20 * time.Minute), Label: "rev 2"}},
		Cursor:  from.Add(30 * time.Minute)}
	out := c.Render(&st, 80, 12)
	plain := ansi.Strip(out)
	lines := strings.Split(plain, "\n")
	if len(lines) != 12 {
		t.Fatalf("%d lines, want 12:\n%s", len(lines), plain)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > 80 {
			t.Fatalf("line %d is %d wide", i, w)
		}
	}
	for _, want := range []string{"error ratio", "10.5%", "0%", "22:00", "23:00", "▲rev 2", "22:30:00", "ledger 5.00%", "checkout 5.00%"} {
		if !strings.Contains(plain, want) {
			t.Errorf("chart lacks %q:\n%s", want, plain)
		}
	}
	// The rising series starts at the bottom left and ends at the top right.
	plot := lines[1 : len(lines)-2]
	if !strings.ContainsAny(plot[0][len(plot[0])-3:], "⠀⠁⠂⠃⠄⠅⠆⠇⠈⠉⠊⠋⠌⠍⠎⠏⠐⠑⠒⠓⠔⠕⠖⠗⠘⠙⠚⠛⠜⠝⠞⠟⠠⠡⠢⠣⠤⠥⠦⠧⠨⠩⠪⠫⠬⠭⠮⠯⠰⠱⠲⠳⠴⠵⠶⠷⠸⠹⠺⠻⠼⠽⠾⠿⡀⡁⡂⡃⡄⡅⡆⡇⡈⡉⡊⡋⡌⡍⡎⡏⡐⡑⡒⡓⡔⡕⡖⡗⡘⡙⡚⡛⡜⡝⡞⡟⡠⡡⡢⡣⡤⡥⡦⡧⡨⡩⡪⡫⡬⡭⡮⡯⡰⡱⡲⡳⡴⡵⡶⡷⡸⡹⡺⡻⡼⡽⡾⡿⢀⢁⢂⢃⢄⢅⢆⢇⢈⢉⢊⢋⢌⢍⢎⢏⢐⢑⢒⢓⢔⢕⢖⢗⢘⢙⢚⢛⢜⢝⢞⢟⢠⢡⢢⢣⢤⢥⢦⢧⢨⢩⢪⢫⢬⢭⢮⢯⢰⢱⢲⢳⢴⢵⢶⢷⢸⢹⢺⢻⢼⢽⢾⢿⣀⣁⣂⣃⣄⣅⣆⣇⣈⣉⣊⣋⣌⣍⣎⣏⣐⣑⣒⣓⣔⣕⣖⣗⣘⣙⣚⣛⣜⣝⣞⣟⣠⣡⣢⣣⣤⣥⣦⣧⣨⣩⣪⣫⣬⣭⣮⣯⣰⣱⣲⣳⣴⣵⣶⣷⣸⣹⣺⣻⣼⣽⣾⣿") {
		t.Errorf("the top row should have dots at its right end:\n%s", plain)
	}
	empty := Chart{Title: "rate", From: from, To: from.Add(time.Hour), Unit: UnitPerSec}
	if s := ansi.Strip(empty.Render(&st, 60, 8)); !strings.Contains(s, "no data in this window") {
		t.Errorf("an empty chart says so:\n%s", s)
	}
	for _, sz := range [][2]int{{0, 0}, {1, 1}, {15, 3}, {16, 4}, {20, 5}} {
		for _, l := range strings.Split(c.Render(&st, sz[0], sz[1]), "\n") {
			if ansi.StringWidth(l) > sz[0] {
				t.Fatalf("%v: line too wide: %q", sz, ansi.Strip(l))
			}
		}
	}
}
