package sources

import (
	"testing"
	"time"
)

func TestCheckStringNeutralisesRemoteText(t *testing.T) {
	c := Check{Source: "prometheus", Name: "reachable", Detail: "bad gateway\x1b[2J\x1b]52;c;eA==\x07", Latency: 1500 * time.Microsecond}
	want := "FAIL prometheus   reachable: bad gateway^[[2J^[]52;c;eA==^G (2ms)"
	if got := c.String(); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	ok := Check{Source: "kubernetes", Name: "identity", OK: true, Detail: "alice"}
	if got := ok.String(); got != "ok   kubernetes   identity: alice" {
		t.Fatalf("got %q", got)
	}
}
