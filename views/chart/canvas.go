package chart

import (
	"math"
	"strings"
)

// canvas is a braille dot grid: each cell holds 2×4 dots.
type canvas struct {
	w, h  int // in cells
	cells []cellDots
}

type cellDots struct {
	bits  uint8
	color int
}

func newCanvas(w, h int) *canvas { return &canvas{w: w, h: h, cells: make([]cellDots, w*h)} }

// dotBits is the braille bit of the dot at (x%2, y%4).
var dotBits = [2][4]uint8{{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}}

func (c *canvas) dot(x, y, color int) {
	if x < 0 || y < 0 || x >= c.w*2 || y >= c.h*4 {
		return
	}
	cell := &c.cells[(y/4)*c.w+x/2]
	cell.bits |= dotBits[x%2][y%4]
	cell.color = color
}

// line draws the dots between two points (Bresenham).
func (c *canvas) line(x0, y0, x1, y1, color int) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	err := dx + dy
	for {
		c.dot(x0, y0, color)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * err
		if e2 >= dy {
			err += dy
			x0 += sx
		}
		if e2 <= dx {
			err += dx
			y0 += sy
		}
	}
}

func (c *canvas) cell(col, row int) cellDots { return c.cells[row*c.w+col] }

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// sparkBlocks are the eight heights of a sparkline.
var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws values in w cells (the newest on the right), each cell the mean of the
// values it covers, scaled from 0 (or the minimum when negative) to the maximum. NaN
// values are gaps.
func Sparkline(values []float64, w int) string {
	if w <= 0 {
		return ""
	}
	if len(values) == 0 {
		return strings.Repeat(" ", w)
	}
	cells := make([]float64, w)
	for i := range cells {
		from := i * len(values) / w
		to := max(from+1, (i+1)*len(values)/w)
		if len(values) < w { // fewer values than cells: right-align them
			j := i - (w - len(values))
			if j < 0 {
				cells[i] = math.NaN()
				continue
			}
			from, to = j, j+1
		}
		sum, n := 0.0, 0
		for _, v := range values[from:min(to, len(values))] {
			if !math.IsNaN(v) {
				sum += v
				n++
			}
		}
		cells[i] = math.NaN()
		if n > 0 {
			cells[i] = sum / float64(n)
		}
	}
	lo, hi := 0.0, math.Inf(-1)
	for _, v := range cells {
		if !math.IsNaN(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	var b strings.Builder
	for _, v := range cells {
		switch {
		case math.IsNaN(v):
			b.WriteByte(' ')
		case hi <= lo:
			b.WriteRune(sparkBlocks[0])
		default:
			i := int((v - lo) / (hi - lo) * float64(len(sparkBlocks)-1))
			b.WriteRune(sparkBlocks[max(0, min(i, len(sparkBlocks)-1))])
		}
	}
	return b.String()
}
