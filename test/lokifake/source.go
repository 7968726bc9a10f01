package lokifake

import (
	"maps"
	"sort"
	"strings"
	"sync"
	"time"
)

// Entry is one log line of one stream. Labels are shared between entries of a stream and
// must not be modified.
type Entry struct {
	Labels map[string]string
	At     time.Time
	Line   string
	key    string // labelsKey(Labels), set by the sources that know it
}

// streamKey identifies the entry's stream.
func (e Entry) streamKey() string {
	if e.key != "" {
		return e.key
	}
	return labelsKey(e.Labels)
}

// Source supplies the entries the server answers from. Entries arrive in an order (for a
// file: as lines are appended) that is not necessarily time order, like pushes to Loki.
type Source interface {
	// Entries returns the entries that arrived after cursor (0: all of them), in arrival
	// order, and the cursor to pass next time. The slice must not be modified.
	Entries(cursor uint64) ([]Entry, uint64, error)
}

// Notifier is implemented by sources that announce new entries; the server polls the
// others (Options.TailPoll).
type Notifier interface {
	// Changed returns a channel closed at the next arrival.
	Changed() <-chan struct{}
}

// MemSource is an in-memory Source for tests. It is safe for concurrent use; Append
// wakes up the server's tailers.
type MemSource struct {
	mu      sync.Mutex
	entries []Entry
	changed chan struct{}
}

// NewMemSource returns an empty MemSource.
func NewMemSource() *MemSource { return &MemSource{changed: make(chan struct{})} }

// Append adds one line of the stream with these labels (copied).
func (m *MemSource) Append(labels map[string]string, at time.Time, line string) {
	m.AppendEntries(Entry{Labels: labels, At: at, Line: line})
}

// AppendEntries adds entries in this arrival order. Labels maps are copied.
func (m *MemSource) AppendEntries(es ...Entry) {
	if len(es) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range es {
		e.Labels = maps.Clone(e.Labels)
		e.key = labelsKey(e.Labels)
		m.entries = append(m.entries, e)
	}
	close(m.changed)
	m.changed = make(chan struct{})
}

// Entries implements Source.
func (m *MemSource) Entries(cursor uint64) ([]Entry, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := uint64(len(m.entries))
	if cursor > n {
		cursor = n
	}
	return m.entries[cursor:n:n], n, nil
}

// Changed implements Notifier.
func (m *MemSource) Changed() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changed
}

// labelsKey is the canonical text of a label set: {a="1", b="2"} with sorted names.
func labelsKey(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteString(`="`)
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(l[k]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}
