package platform

import (
	"testing"
	"time"
)

func TestUntilText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		720 * time.Hour: "30d", 47 * time.Hour: "47h", 90 * time.Minute: "90m", 0: "no time (expired)",
	} {
		if got := untilText(d); got != want {
			t.Errorf("untilText(%v) = %q, want %q", d, got, want)
		}
	}
}
