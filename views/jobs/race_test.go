//go:build race

package jobs

// raceEnabled makes the size sweep sparser under the race detector.
const raceEnabled = true
