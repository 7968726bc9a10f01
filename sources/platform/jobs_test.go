package platform

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/vigie-dev/vigie/platform/api"
)

func TestJobs(t *testing.T) {
	s := &stub{t: t, status: 200, body: `{"runs":[{"namespace":"payments","name":"flush-cache-x7k2p","template":"flush-cache","user":"alice",
		"values":{"service":"ledger"},"command":["/bin/flush-cache","--service=ledger"],"status":"succeeded","created":"2026-03-01T12:00:00Z",
		"started":"2026-03-01T12:00:01Z","finished":"2026-03-01T12:00:09Z","pods":["flush-cache-x7k2p-abcde"],"actionId":"act_1"}]}`}
	c := client(t, s)
	out, err := c.Jobs(context.Background(), JobQuery{Team: "payments", Template: "flush-cache", Limit: 5})
	if err != nil || len(out.Runs) != 1 {
		t.Fatalf("Jobs = %+v, %v", out, err)
	}
	r := out.Runs[0]
	if r.Status != api.JobSucceeded || r.Values["service"] != "ledger" || !slices.Equal(r.Pods, []string{"flush-cache-x7k2p-abcde"}) ||
		r.Finished == nil || r.Finished.Second() != 9 || r.Started.Second() != 1 {
		t.Errorf("run %+v", r)
	}
	if q := s.got.URL.Query(); s.got.Method != "GET" || s.got.URL.Path != "/v1/jobs" || q.Get("team") != "payments" || q.Get("template") != "flush-cache" || q.Get("limit") != "5" {
		t.Errorf("asked %s %s", s.got.Method, s.got.URL)
	}
	if _, err := c.Jobs(context.Background(), JobQuery{}); err != nil || s.got.URL.RawQuery != "" {
		t.Errorf("no query: %v %q", err, s.got.URL.RawQuery)
	}
}

func TestJob(t *testing.T) {
	s := &stub{t: t, status: 200, body: `{"namespace":"payments","name":"flush-cache-x7k2p","template":"flush-cache","user":"alice","command":["/bin/x"],
		"status":"failed","message":"DeadlineExceeded: Job was active longer than specified deadline","created":"2026-03-01T12:00:00Z"}`}
	c := client(t, s)
	r, err := c.Job(context.Background(), "payments", "flush-cache-x7k2p")
	if err != nil || r.Status != api.JobFailed || r.Message == "" || r.Name != "flush-cache-x7k2p" {
		t.Fatalf("Job = %+v, %v", r, err)
	}
	if s.got.URL.Path != "/v1/jobs/payments/flush-cache-x7k2p" {
		t.Errorf("asked %s", s.got.URL)
	}
	// A name stays one path segment.
	if _, err := c.Job(context.Background(), "payments", "../../actions"); err != nil {
		t.Fatal(err)
	}
	if s.got.URL.EscapedPath() != "/v1/jobs/payments/..%2F..%2Factions" {
		t.Errorf("escaped path %s", s.got.URL.EscapedPath())
	}
	if _, err := c.Job(context.Background(), "", "x"); err == nil {
		t.Error("no namespace accepted")
	}
	s.status, s.body = 404, `{"error":{"code":"not_found","message":"job payments/migrate is not a runbook job of vigie's"}}`
	_, err = c.Job(context.Background(), "payments", "migrate")
	var pe *Error
	if !errors.As(err, &pe) || pe.Code != api.CodeNotFound || err.Error() != "job payments/migrate is not a runbook job of vigie's" {
		t.Errorf("not found: %v", err)
	}
}

// Running a template is Act with kind job: the values travel as params.values.
func TestActJob(t *testing.T) {
	s := &stub{t: t, status: 200, body: `{"id":"act_1","status":"succeeded","message":"started job payments/flush-cache-x7k2p (template flush-cache)","auditId":"aud_1",
		"job":{"namespace":"payments","name":"flush-cache-x7k2p","template":"flush-cache","user":"alice","command":["/bin/flush-cache","--batch=5"],"status":"pending","created":"2026-03-01T12:00:00Z"}}`}
	c := client(t, s)
	o, err := c.Act(context.Background(), api.ActionRequest{Kind: api.ActionJob, Target: api.Target{Namespace: "payments", Name: "flush-cache"},
		Params: api.Params{Values: map[string]string{"batch": "5"}}, Reason: "INC-1"})
	if err != nil || o.Job == nil || o.Job.Name != "flush-cache-x7k2p" || o.Job.Command[1] != "--batch=5" {
		t.Fatalf("Act = %+v, %v", o, err)
	}
	var sent map[string]any
	if err := json.Unmarshal(s.gotB, &sent); err != nil || string(s.gotB) != `{"kind":"job","target":{"namespace":"payments","name":"flush-cache"},"params":{"values":{"batch":"5"}},"reason":"INC-1"}` {
		t.Errorf("body %s", s.gotB)
	}
}
