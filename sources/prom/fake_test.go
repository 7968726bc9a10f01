package prom

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// fakeProm answers the Prometheus HTTP API (the JSON shapes of
// prometheus.io/docs/prometheus/latest/querying/api/) from a function of the request.
type fakeProm struct {
	mu      sync.Mutex
	answer  func(path string, form url.Values) (status int, body string)
	queries []string // the query parameter of each /query and /query_range
	forms   []url.Values
}

func newFakeProm(t *testing.T, answer func(path string, form url.Values) (int, string)) (*fakeProm, promv1.API) {
	t.Helper()
	f := &fakeProm{answer: answer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.queries = append(f.queries, r.Form.Get("query"))
		f.forms = append(f.forms, r.Form)
		answer := f.answer
		f.mu.Unlock()
		status, body := answer(r.URL.Path, r.Form)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	api, err := New(Options{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return f, api
}

func (f *fakeProm) set(answer func(path string, form url.Values) (int, string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = answer
}

func (f *fakeProm) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.queries...)
}

// vector is a success answer with one sample per value (no labels); "" values give an
// empty vector.
func vector(ts float64, values ...string) string {
	var rs []string
	for _, v := range values {
		rs = append(rs, fmt.Sprintf(`{"metric":{},"value":[%v,%q]}`, ts, v))
	}
	return `{"status":"success","data":{"resultType":"vector","result":[` + strings.Join(rs, ",") + `]}}`
}

func apiError(typ, msg string) string {
	b, _ := json.Marshal(map[string]string{"status": "error", "errorType": typ, "error": msg})
	return string(b)
}

// bySignal answers an instant query with a value chosen by which golden signal it is.
func bySignal(values map[Signal]string) func(string, url.Values) (int, string) {
	return func(path string, form url.Values) (int, string) {
		q := form.Get("query")
		var sig Signal
		switch {
		case strings.Contains(q, `code=~"5.."`):
			sig = ErrorRatio
		case strings.HasPrefix(q, "histogram_quantile(0.5,"):
			sig = LatencyP50
		case strings.HasPrefix(q, "histogram_quantile(0.95,"):
			sig = LatencyP95
		case strings.HasPrefix(q, "histogram_quantile(0.99,"):
			sig = LatencyP99
		case strings.Contains(q, "container_cpu"):
			sig = CPU
		case strings.Contains(q, "container_memory"):
			sig = Memory
		default:
			sig = Rate
		}
		v, ok := values[sig]
		if !ok || v == "" {
			return 200, vector(0)
		}
		return 200, vector(1795660898.66, v)
	}
}
