// Package lokifake is a Loki wire-format server for tests and demos: it answers Loki's
// documented HTTP API (query_range, query, labels, label values, series, and the tail
// WebSocket; see ../shared/LOKI-API.md) for a LogQL subset (stream selectors, line filters,
// count_over_time and rate, optionally summed by labels), from a Source: the local
// platform simulator's log files (DirSource) or entries added by a test (MemSource).
//
// It contains no Grafana Loki code. Tests can make the next request fail (FailNext,
// TimeoutNext), drop or close tail connections (DropTails, CloseTails) and make tailers
// drop entries (DropNextTailEntries).
package lokifake

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// TimeoutText is Loki's answer (504) when a query runs past its deadline.
const TimeoutText = "request timed out, decrease the duration of the request or add more label matchers"

// Options configure a Server. The zero value serves an empty MemSource.
type Options struct {
	Source Source
	// Tenant, when set, makes X-Scope-OrgID required (400 "no org id" without it, as LOKI-API.md records); a
	// request for another tenant sees no data, as in a multi-tenant Loki.
	Tenant string
	// Now is the clock for default windows; nil = time.Now.
	Now func() time.Time
	// MaxEntriesLimit is max_entries_limit_per_query; 0 = 5000.
	MaxEntriesLimit int
	// MaxTails is max_concurrent_tail_requests; 0 = 10.
	MaxTails int
	// TailPoll is how often tailers look for new entries of a Source that is not a
	// Notifier; 0 = 100ms.
	TailPoll time.Duration
	// TailBuffer is how many entries a tailer holds for a client that reads slowly before
	// it drops new ones (reported as dropped_entries); 0 = 10000.
	TailBuffer int
	// TailPing is the interval of the server's ping frames; 0 = 30s.
	TailPing time.Duration
	// Warnings are added to every query answer ("warnings": [...]).
	Warnings []string
}

// Server is an http.Handler answering Loki's API under /loki/api/v1/.
type Server struct {
	opts Options
	mux  *http.ServeMux

	mu        sync.Mutex
	failNext  []failure
	dropNext  int
	tails     map[*tailConn]struct{} // open tail connections
	tailSlots int                    // tails open or being opened
}

type failure struct {
	status int
	body   string
}

// New returns a server for opts.
func New(opts Options) *Server {
	if opts.Source == nil {
		opts.Source = NewMemSource()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxEntriesLimit <= 0 {
		opts.MaxEntriesLimit = 5000
	}
	if opts.MaxTails <= 0 {
		opts.MaxTails = 10
	}
	if opts.TailPoll <= 0 {
		opts.TailPoll = 100 * time.Millisecond
	}
	if opts.TailBuffer <= 0 {
		opts.TailBuffer = 10000
	}
	if opts.TailPing <= 0 {
		opts.TailPing = 30 * time.Second
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), tails: map[*tailConn]struct{}{}}
	const p = "/loki/api/v1/"
	for _, m := range []string{"GET ", "POST "} {
		s.mux.HandleFunc(m+p+"query_range", s.handleQueryRange)
		s.mux.HandleFunc(m+p+"query", s.handleQuery)
		s.mux.HandleFunc(m+p+"labels", s.handleLabels)
		s.mux.HandleFunc(m+p+"label/{name}/values", s.handleLabelValues)
		s.mux.HandleFunc(m+p+"series", s.handleSeries)
	}
	s.mux.HandleFunc("GET "+p+"tail", s.handleTail)
	s.mux.HandleFunc("GET /ready", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ready\n")) })
	return s
}

// FailNext makes the next request (any endpoint, tail included) answer status with body
// as plain text. Calls queue up.
func (s *Server) FailNext(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, failure{status, body})
}

// TimeoutNext makes the next request answer 504 with Loki's timeout text.
func (s *Server) TimeoutNext() { s.FailNext(http.StatusGatewayTimeout, TimeoutText) }

// DropNextTailEntries makes tailers drop the next n live entries they would send,
// reporting them in dropped_entries as Loki does for a client that reads too slowly.
func (s *Server) DropNextTailEntries(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropNext += n
}

func (s *Server) takeDrop() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dropNext > 0 {
		s.dropNext--
		return true
	}
	return false
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	var f *failure
	if len(s.failNext) > 0 {
		f = &s.failNext[0]
		s.failNext = s.failNext[1:]
	}
	s.mu.Unlock()
	if f != nil {
		http.Error(w, f.body, f.status)
		return
	}
	if s.opts.Tenant != "" && r.Header.Get("X-Scope-OrgID") == "" {
		http.Error(w, "no org id", http.StatusBadRequest)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// tenantOK reports whether the request may see the source's data.
func (s *Server) tenantOK(r *http.Request) bool {
	if s.opts.Tenant == "" {
		return true
	}
	return slices.Contains(strings.Split(r.Header.Get("X-Scope-OrgID"), "|"), s.opts.Tenant)
}

// entries returns all entries the request may see, in arrival order, with the cursor.
func (s *Server) entries(r *http.Request) ([]Entry, uint64, error) {
	es, cur, err := s.opts.Source.Entries(0)
	if err != nil || !s.tenantOK(r) {
		return nil, cur, err
	}
	return es, cur, nil
}

type response struct {
	Status   string   `json:"status"`
	Data     any      `json:"data"`
	Warnings []string `json:"warnings,omitempty"`
}

type queryData struct {
	ResultType string   `json:"resultType"`
	Result     any      `json:"result"`
	Stats      struct{} `json:"stats"`
}

func (s *Server) writeData(w http.ResponseWriter, data any, warnings bool) {
	resp := response{Status: "success", Data: data}
	if warnings {
		resp.Warnings = s.opts.Warnings
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(resp)
}

// writeError answers err as Loki does: plain text, 400 for the user's mistakes.
func writeError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	var br badRequest
	var pe *ParseError
	var ue *UnsupportedError
	if errors.As(err, &br) || errors.As(err, &pe) || errors.As(err, &ue) {
		code = http.StatusBadRequest
	}
	http.Error(w, err.Error(), code)
}

func (s *Server) handleLabels(w http.ResponseWriter, r *http.Request) {
	s.labelSets(w, r, func(set map[string]struct{}, l map[string]string) {
		for k := range l {
			set[k] = struct{}{}
		}
	})
}

func (s *Server) handleLabelValues(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s.labelSets(w, r, func(set map[string]struct{}, l map[string]string) {
		if v, ok := l[name]; ok {
			set[v] = struct{}{}
		}
	})
}

// labelSets answers labels and label values: add collects from each stream's labels in
// the window (default the last 6h) that matches the optional query.
func (s *Server) labelSets(w http.ResponseWriter, r *http.Request, add func(map[string]struct{}, map[string]string)) {
	start, end, err := window(r, s.opts.Now(), 6*time.Hour)
	if err != nil {
		writeError(w, err)
		return
	}
	var q *Query
	if qs := r.FormValue("query"); qs != "" {
		if q, err = ParseQuery(qs); err != nil {
			writeError(w, err)
			return
		}
	}
	es, _, err := s.entries(r)
	if err != nil {
		writeError(w, err)
		return
	}
	set := map[string]struct{}{}
	seen := map[string]bool{}
	for _, e := range es {
		if e.At.Before(start) || e.At.After(end) {
			continue
		}
		k := e.streamKey()
		if seen[k] {
			continue
		}
		seen[k] = true
		if q == nil || q.MatchesLabels(e.Labels) {
			add(set, e.Labels)
		}
	}
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	s.writeData(w, out, false)
}

func (s *Server) handleSeries(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(w, badf("%v", err))
		return
	}
	matches := r.Form["match[]"]
	if len(matches) == 0 {
		writeError(w, badf("0 matchers provided: at least one match[] argument must be provided"))
		return
	}
	var qs []*Query
	for _, m := range matches {
		q, err := ParseQuery(m)
		if err != nil {
			writeError(w, err)
			return
		}
		if !q.IsLog() || len(q.Filters) > 0 {
			writeError(w, badf("only stream selectors are allowed in match[]: %s", m))
			return
		}
		qs = append(qs, q)
	}
	start, end, err := window(r, s.opts.Now(), time.Hour)
	if err != nil {
		writeError(w, err)
		return
	}
	es, _, err := s.entries(r)
	if err != nil {
		writeError(w, err)
		return
	}
	found := map[string]map[string]string{}
	for _, e := range es {
		if e.At.Before(start) || !e.At.Before(end) {
			continue
		}
		k := e.streamKey()
		if _, ok := found[k]; ok {
			continue
		}
		if slices.ContainsFunc(qs, func(q *Query) bool { return q.MatchesLabels(e.Labels) }) {
			found[k] = e.Labels
		}
	}
	keys := make([]string, 0, len(found))
	for k := range found {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]map[string]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, found[k])
	}
	s.writeData(w, out, false)
}
