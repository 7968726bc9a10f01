package logs

import (
	"fmt"
	"testing"

	"github.com/vigie-dev/vigie/sources"
)

// BenchmarkIngest measures taking a batch of 1,000 lines into a full 100,000-line ring:
// the per-line cost of a chatty deployment (nothing is styled on arrival).
func BenchmarkIngest(b *testing.B) {
	v := newView(&testing.T{}, 0)
	batch := recs(0, 1000, func(i int) string { return fmt.Sprintf(`{"level":"info","msg":"request handled","n":%d}`, i) })
	for range 100 {
		feed(v, sources.LogBatch{Live: true, Records: batch})
	}
	b.ReportAllocs()
	for b.Loop() {
		feed(v, sources.LogBatch{Live: true, Records: batch})
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/line")
}

// BenchmarkFrame measures one frame of a following logs screen at 120×40 with a full ring
// and a search highlighted.
func BenchmarkFrame(b *testing.B) {
	v := newView(&testing.T{}, 0)
	for i := range 100 {
		feed(v, sources.LogBatch{Live: true, Records: recs(i*1000, 1000, func(i int) string {
			return fmt.Sprintf(`ts=2026-11-26T03:00:00Z level=info msg="request handled" route=/pay status=200 n=%d`, i)
		})})
	}
	v.searchText = "status=200"
	v.search, _ = compile(v.searchText)
	b.ReportAllocs()
	for b.Loop() {
		_ = v.Render(120, 40)
	}
}
