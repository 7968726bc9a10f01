package loki

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/test/lokifake"
)

// t0 is 2024-01-01T00:00:00Z.
var t0 = time.Unix(1704067200, 0)

// recorder keeps the headers of the requests the fake server received.
type recorder struct {
	mu      sync.Mutex
	headers []http.Header
	paths   []string
}

func (r *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.headers = append(r.headers, req.Header.Clone())
		r.paths = append(r.paths, req.URL.Path)
		r.mu.Unlock()
		h.ServeHTTP(w, req)
	})
}

func (r *recorder) all() ([]http.Header, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.headers...), append([]string(nil), r.paths...)
}

type env struct {
	fake *lokifake.Server
	src  *lokifake.MemSource
	srv  *httptest.Server
	rec  *recorder
	c    *Client
}

// newEnv starts the fake on 127.0.0.1 with a MemSource; now is t0+1h.
func newEnv(t *testing.T, fo lokifake.Options, co Options, useTLS bool) *env {
	t.Helper()
	e := &env{src: lokifake.NewMemSource(), rec: &recorder{}}
	fo.Source = e.src
	if fo.Now == nil {
		fo.Now = func() time.Time { return t0.Add(time.Hour) }
	}
	if fo.TailPing == 0 {
		fo.TailPing = 50 * time.Millisecond // exercise pings
	}
	e.fake = lokifake.New(fo)
	e.srv = httptest.NewUnstartedServer(e.rec.wrap(e.fake))
	e.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	if useTLS {
		e.srv.StartTLS()
	} else {
		e.srv.Start()
	}
	t.Cleanup(e.srv.Close)
	co.URL = e.srv.URL
	if co.ReconnectMin == 0 {
		co.ReconnectMin, co.ReconnectMax = 20*time.Millisecond, 100*time.Millisecond
	}
	c, err := New(co)
	if err != nil {
		t.Fatal(err)
	}
	e.c = c
	return e
}

func TestOptionsValidate(t *testing.T) {
	cases := []struct {
		o    Options
		want string
	}{
		{Options{}, "no URL"},
		{Options{URL: "ftp://x"}, "invalid URL"},
		{Options{URL: "http://"}, "invalid URL"},
		{Options{URL: "http://h?x=1"}, "no query"},
		{Options{URL: "http://h", BearerToken: "t", Username: "u"}, "choose one"},
		{Options{URL: "http://h", Password: "p"}, "without a username"},
		{Options{URL: "http://h", Tenant: "a\nb"}, "line break"},
		{Options{URL: "http://h", Timeout: -1}, "negative"},
		{Options{URL: "http://h", TLS: &tls.Config{}, HTTPClient: &http.Client{}}, "both set"},
	}
	for _, c := range cases {
		if _, err := New(c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.o, err, c.want)
		}
	}
	if _, err := New(Options{URL: "http://127.0.0.1:3100"}); err != nil {
		t.Errorf("URL only: %v", err)
	}
}

func TestSecretsStayOut(t *testing.T) {
	c, err := New(Options{URL: "https://bob:hunter2@loki.example:3100/gw/", Tenant: "payments"})
	if err != nil {
		t.Fatal(err)
	}
	if s := c.String(); s != "loki https://loki.example:3100/gw (tenant payments)" {
		t.Errorf("String() = %q", s)
	}
	_, err = New(Options{URL: "ftp://bob:hunter2@h"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error shows the password: %v", err)
	}
	c, _ = New(Options{URL: "http://127.0.0.1:1", BearerToken: "s3cret-token", Timeout: time.Second})
	_, err = c.Labels(context.Background(), time.Time{}, time.Time{})
	if err == nil || strings.Contains(err.Error()+c.String(), "s3cret") {
		t.Errorf("error or String shows the token: %v", err)
	}
}

func TestAuthAndTenantHeaders(t *testing.T) {
	cases := []struct {
		name string
		o    Options
		auth string
	}{
		{"bearer", Options{Tenant: "payments", BearerToken: "tok"}, "Bearer tok"},
		{"basic", Options{Tenant: "payments|search", Username: "alice", Password: "pw"}, "Basic YWxpY2U6cHc="},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, lokifake.Options{Tenant: "payments"}, c.o, false)
			e.src.Append(map[string]string{"app": "api"}, t0, "hello")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			res, err := e.c.QueryRange(ctx, QueryRangeRequest{Query: `{app="api"}`, Start: t0})
			if err != nil || len(res.Streams) != 1 {
				t.Fatalf("query_range: %+v %v", res, err)
			}
			tail := e.c.Tail(ctx, TailRequest{Query: `{app="api"}`, Start: t0})
			if b := <-tail; b.Err != nil || len(b.Records) != 1 {
				t.Fatalf("tail: %+v", b)
			}
			headers, paths := e.rec.all()
			if len(headers) != 2 || paths[1] != "/loki/api/v1/tail" {
				t.Fatalf("requests %v", paths)
			}
			for i, h := range headers {
				if h.Get("Authorization") != c.auth || h.Get("X-Scope-OrgID") != c.o.Tenant {
					t.Errorf("%s: Authorization %q X-Scope-OrgID %q", paths[i], h.Get("Authorization"), h.Get("X-Scope-OrgID"))
				}
			}
		})
	}
	e := newEnv(t, lokifake.Options{Tenant: "payments"}, Options{}, false)
	_, err := e.c.Labels(context.Background(), time.Time{}, time.Time{})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 400 || err.Error() != "loki labels: 400 Bad Request: no org id" {
		t.Errorf("no tenant: %v", err)
	}
}

func TestTLS(t *testing.T) {
	e := newEnv(t, lokifake.Options{}, Options{}, true)
	e.src.Append(map[string]string{"app": "api"}, t0, "over tls")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Without the server's CA: refused.
	if _, err := e.c.Labels(ctx, time.Time{}, time.Time{}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("unknown CA: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(e.srv.Certificate())
	c, err := New(Options{URL: e.srv.URL, TLS: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatal(err)
	}
	labels, err := c.Labels(ctx, t0, t0.Add(time.Minute))
	if err != nil || fmt.Sprint(labels) != "[app]" {
		t.Fatalf("labels over TLS: %v %v", labels, err)
	}
	b := <-c.Tail(ctx, TailRequest{Query: `{app="api"}`, Start: t0}) // wss with the same config
	if b.Err != nil || len(b.Records) != 1 || b.Records[0].Line != "over tls" {
		t.Fatalf("tail over wss: %+v", b)
	}
}

func TestErrorsWordedByLoki(t *testing.T) {
	e := newEnv(t, lokifake.Options{}, Options{}, false)
	ctx := context.Background()
	_, err := e.c.QueryRange(ctx, QueryRangeRequest{Query: `{app foo}`})
	var ae *APIError
	want := "loki query_range: 400 Bad Request: parse error at line 1, col 6: syntax error: unexpected IDENTIFIER, expecting = or != or =~ or !~"
	if !errors.As(err, &ae) || ae.Status != 400 || err.Error() != want {
		t.Errorf("parse error:\n got %v\nwant %s", err, want)
	}
	if ae != nil && ae.Body != "parse error at line 1, col 6: syntax error: unexpected IDENTIFIER, expecting = or != or =~ or !~" {
		t.Errorf("Body %q: want Loki's text, trimmed", ae.Body)
	}
	e.fake.TimeoutNext()
	_, err = e.c.QueryRange(ctx, QueryRangeRequest{Query: `{app="a"}`})
	if !errors.As(err, &ae) || ae.Status != 504 || err.Error() != "loki query_range: 504 Gateway Timeout: "+lokifake.TimeoutText {
		t.Errorf("timeout: %v", err)
	}
	_, err = e.c.Query(ctx, QueryRequest{Query: `{app="a"}`})
	if err == nil || !strings.HasSuffix(err.Error(), "log queries are not supported as an instant query type, please change your query to a range query type") {
		t.Errorf("log query on /query: %v", err)
	}
	e.fake.FailNext(500, `{"status":"error","errorType":"internal","error":"rpc error: code = Unavailable"}`)
	_, err = e.c.Series(ctx, []string{`{app="a"}`}, time.Time{}, time.Time{})
	if err == nil || err.Error() != "loki series: 500 Internal Server Error: rpc error: code = Unavailable" {
		t.Errorf("JSON error body: %v", err)
	}
}

func TestQueryResults(t *testing.T) {
	e := newEnv(t, lokifake.Options{Warnings: []string{"only 1 ingester answered"}}, Options{}, false)
	for i := range 6 {
		team := []string{"payments", "search"}[i%2]
		e.src.Append(map[string]string{"app": "api-" + team, "team": team, "pod": "p-" + team, "container": "c"}, t0.Add(time.Duration(i)*time.Second), fmt.Sprint("line ", i))
	}
	ctx := context.Background()
	res, err := e.c.QueryRange(ctx, QueryRangeRequest{Query: `sum by (team) (count_over_time({team=~".+"}[2s]))`, Start: t0.Add(2 * time.Second), End: t0.Add(4 * time.Second), Step: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Type != ResultMatrix || len(res.Matrix) != 2 || fmt.Sprint(res.Warnings) != "[only 1 ingester answered]" {
		t.Fatalf("matrix %+v", res)
	}
	p := res.Matrix[0].Points
	if res.Matrix[0].Metric["team"] != "payments" || len(p) != 2 || !p[0].At.Equal(t0.Add(2*time.Second)) || p[0].Value != 1 || p[1].Value != 1 {
		t.Errorf("payments series %+v", res.Matrix[0])
	}
	res, err = e.c.Query(ctx, QueryRequest{Query: `sum(count_over_time({team=~".+"}[10s]))`, Time: t0.Add(5 * time.Second)})
	if err != nil || res.Type != ResultVector || len(res.Vector) != 1 || res.Vector[0].Value != 6 || !res.Vector[0].At.Equal(t0.Add(5*time.Second)) {
		t.Errorf("vector %+v %v", res, err)
	}
	res, err = e.c.Query(ctx, QueryRequest{Query: `42`})
	if err != nil || res.Type != ResultScalar || res.Scalar.Value != 42 {
		t.Errorf("scalar %+v %v", res, err)
	}
	labels, err := e.c.Labels(ctx, t0, t0.Add(time.Minute))
	if err != nil || fmt.Sprint(labels) != "[app container pod team]" {
		t.Errorf("labels %v %v", labels, err)
	}
	values, err := e.c.LabelValues(ctx, "app", t0, t0.Add(time.Minute), `{team="search"}`)
	if err != nil || fmt.Sprint(values) != "[api-search]" {
		t.Errorf("values %v %v", values, err)
	}
	if _, err := e.c.LabelValues(ctx, "../x", t0, t0, ""); err == nil {
		t.Error("an invalid label name must be refused before any request")
	}
	series, err := e.c.Series(ctx, []string{`{team="payments"}`}, t0, t0.Add(time.Minute))
	if err != nil || len(series) != 1 || series[0]["pod"] != "p-payments" {
		t.Errorf("series %v %v", series, err)
	}
}

// TestDecodeRecordedAnswers decodes answers shaped like a real Loki's, including forms the
// fake never sends: 3-tuple values with categorized labels, float seconds, NaN.
func TestDecodeRecordedAnswers(t *testing.T) {
	streams := `[{"stream":{"app":"api"},"values":[["1704067200000000001","a",{"structuredMetadata":{"trace_id":"abc"},"parsed":{"level":"error"}}],["1704067200000000000","b",{}]]}]`
	res, err := decodeResult(ResultStreams, []byte(streams))
	if err != nil {
		t.Fatal(err)
	}
	es := res.Streams[0].Entries
	if es[0].At.UnixNano() != 1704067200000000001 || es[0].Metadata["trace_id"] != "abc" || es[0].Metadata["level"] != "error" || es[1].Metadata != nil {
		t.Errorf("entries %+v", es)
	}
	recs := records(flatten(res.Streams, Forward))
	if recs[0].Line != "b" || recs[1].Labels["trace_id"] != "abc" || res.Streams[0].Labels["trace_id"] != "" {
		t.Errorf("records %+v", recs)
	}
	matrix := `[{"metric":{},"values":[[1704067200.123,"NaN"],[1704067201,"+Inf"]]}]`
	res, err = decodeResult(ResultMatrix, []byte(matrix))
	if err != nil {
		t.Fatal(err)
	}
	if p := res.Matrix[0].Points; p[0].At.UnixNano() != 1704067200123000000 || p[0].Value == p[0].Value || p[1].Value < 1e308 {
		t.Errorf("points %+v", p)
	}
	for _, bad := range []string{`[{"stream":{},"values":[[1704067200000000000,"number ts"]]}]`, `[{"stream":{},"values":[["x","y"]]}]`, `[{"stream":{},"values":[["1"]]}]`} {
		if _, err := decodeResult(ResultStreams, []byte(bad)); err == nil {
			t.Errorf("%s: want an error", bad)
		}
	}
	if _, err := decodeResult("tensor", []byte(`[]`)); err == nil {
		t.Error("unknown result type: want an error")
	}
}
