//go:build race

package query

// raceEnabled makes the exhaustive size sweep sparser under the race detector, which
// slows rendering tenfold and finds nothing more in single-goroutine rendering.
const raceEnabled = true
