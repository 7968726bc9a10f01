package alertmanager

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// A /api/v2/status answer as Alertmanager 0.25 sends it (recorded from the local platform).
const statusJSON = `{"cluster":{"peers":[],"status":"disabled"},"config":{"original":"route: {}"},"uptime":"2026-11-26T01:00:00.000Z","versionInfo":{"branch":"debian/sid","buildDate":"20230220","buildUser":"team","goVersion":"go1.19.6","revision":"0.25.0-1","version":"0.25.0"}}`

func TestProbeReportsVersion(t *testing.T) {
	var gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/am/api/v2/status" {
			http.NotFound(w, r)
			return
		}
		gotAuth = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(statusJSON))
	}))
	defer srv.Close()
	c, err := New(Options{URL: srv.URL + "/am", BearerToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	checks := c.Probe(context.Background())
	if len(checks) != 1 || !checks[0].OK || checks[0].Detail != "version 0.25.0" {
		t.Fatalf("checks = %+v", checks)
	}
	if gotAuth != "Bearer tok" {
		t.Fatalf("Authorization = %q", gotAuth)
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:9093", "ftp://x", "http://"} {
		if _, err := New(Options{URL: u}); err == nil {
			t.Errorf("New(%q) succeeded", u)
		}
	}
}

func TestProbeUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, err := New(Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	if checks := c.Probe(context.Background()); len(checks) != 1 || checks[0].OK || checks[0].Detail == "" {
		t.Fatalf("checks = %+v, want one failed check with the error", checks)
	}
}
