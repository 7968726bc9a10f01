package prom

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProbeReportsVersionAndSendsToken(t *testing.T) {
	var gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/status/buildinfo" {
			http.NotFound(w, r)
			return
		}
		gotAuth = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		// Shape documented at prometheus.io/docs/prometheus/latest/querying/api/#build-information
		_, _ = w.Write([]byte(`{"status":"success","data":{"version":"2.42.0","revision":"x","branch":"HEAD","buildUser":"u","buildDate":"d","goVersion":"go1.20"}}`))
	}))
	defer srv.Close()
	api, err := New(Options{URL: srv.URL, BearerToken: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	checks := Probe(context.Background(), api)
	if len(checks) != 1 || !checks[0].OK || checks[0].Detail != "version 2.42.0" {
		t.Fatalf("checks = %+v", checks)
	}
	if gotAuth != "Bearer s3cret" {
		t.Fatalf("Authorization = %q", gotAuth)
	}
	if strings.Contains(checks[0].String(), "s3cret") {
		t.Fatal("token leaked into the check")
	}
}

func TestProbeReportsServerError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream connect error", http.StatusBadGateway)
	}))
	defer srv.Close()
	api, err := New(Options{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	checks := Probe(context.Background(), api)
	if len(checks) != 1 || checks[0].OK || !strings.Contains(checks[0].Detail, "502") {
		t.Fatalf("checks = %+v, want a failed check naming the 502", checks)
	}
}

func TestNewRequiresURL(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Fatal("New with no URL succeeded")
	}
}
