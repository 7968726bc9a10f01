package api

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestValidUserName(t *testing.T) {
	for name, want := range map[string]bool{
		"alice": true, "a": true, "alice.b@corp-x_1": true, strings.Repeat("a", 64): true,
		"": false, "Alice": false, "-alice": false, "alice-": false, "a b": false, "al/ice": false, strings.Repeat("a", 65): false,
	} {
		if got := ValidUserName(name); got != want {
			t.Errorf("ValidUserName(%q) = %v", name, got)
		}
	}
}

// The wire shapes the issue names: {"error":{"code","message","details"}} and an action
// request with kind, target, params, reason, idempotencyKey and expect.
func TestWireShapes(t *testing.T) {
	b, _ := json.Marshal(ErrorResponse{Error: ErrorBody{Code: CodeConflict, Message: "changed", Details: map[string]string{"auditId": "a"}}})
	if string(b) != `{"error":{"code":"conflict","message":"changed","details":{"auditId":"a"}}}` {
		t.Errorf("error: %s", b)
	}
	var req ActionRequest
	in := `{"kind":"scale","target":{"namespace":"payments","name":"checkout"},"params":{"replicas":4},"reason":"INC-1 capacity","idempotencyKey":"k","expect":{"resourceVersion":"42"}}`
	if err := json.Unmarshal([]byte(in), &req); err != nil || *req.Params.Replicas != 4 || req.Expect.ResourceVersion != "42" || req.Target.String() != "payments/checkout" {
		t.Fatalf("request: %+v %v", req, err)
	}
	if out, _ := json.Marshal(req); string(out) != in {
		t.Errorf("round trip:\n%s\n%s", out, in)
	}
	if len(OpenAPI) == 0 || !strings.HasPrefix(string(OpenAPI), "openapi: 3.0") {
		t.Error("openapi.yaml is not embedded")
	}
}

// The rollback request and the revisions answer, as openapi.yaml and docs/platform.md show them.
func TestRollbackWireShapes(t *testing.T) {
	in := `{"kind":"rollback","target":{"namespace":"payments","name":"ledger"},"params":{"toRevision":1},"reason":"INC-7 bad release","expect":{"resourceVersion":"41","revision":2}}`
	var req ActionRequest
	if err := json.Unmarshal([]byte(in), &req); err != nil || req.Kind != ActionRollback || req.Params.ToRevision != 1 || req.Expect.Revision != 2 {
		t.Fatalf("request: %+v %v", req, err)
	}
	if out, _ := json.Marshal(req); string(out) != in {
		t.Errorf("round trip:\n%s\n%s", out, in)
	}
	b, _ := json.Marshal(RevisionsResponse{Namespace: "payments", Name: "ledger", ResourceVersion: "41", Current: 2, Replicas: 2,
		Revisions: []Revision{{Revision: 1, ReplicaSet: "ledger-1", Images: []string{"ledger:2.7.0"}, Changes: []Change{{Field: "f", From: "a"}}}}})
	want := `{"namespace":"payments","name":"ledger","resourceVersion":"41","current":2,"replicas":2,"revisions":[{"revision":1,"replicaSet":"ledger-1","created":"0001-01-01T00:00:00Z","images":["ledger:2.7.0"],"current":false,"replicas":0,"changes":[{"field":"f","from":"a","to":""}]}]}`
	if string(b) != want {
		t.Errorf("revisions:\n%s\nwant\n%s", b, want)
	}
	if len(ActionKinds()) != 7 || ActionKinds()[3] != "delete-pod" || ActionKinds()[4] != "silence" || ActionKinds()[5] != "expire-silence" || ActionKinds()[6] != "job" {
		t.Errorf("kinds %v", ActionKinds())
	}
}

// The silence request and answer, as openapi.yaml and docs/platform.md show them.
func TestSilenceWireShapes(t *testing.T) {
	in := `{"kind":"silence","target":{"namespace":"payments","name":""},"params":{"matchers":[{"name":"alertname","value":"HighErrorRatio"},{"name":"service","value":"ledger|checkout","isRegex":true,"isEqual":false}],"duration":"2h"},"reason":"INC-7 known, rollback running"}`
	var req ActionRequest
	if err := json.Unmarshal([]byte(in), &req); err != nil || req.Kind != ActionSilence || len(req.Params.Matchers) != 2 || req.Params.Duration != "2h" {
		t.Fatalf("request: %+v %v", req, err)
	}
	if m := req.Params.Matchers[0]; !m.Equal() || m.Op() != "=" {
		t.Errorf("isEqual absent: %+v %s", m, m.Op())
	}
	if m := req.Params.Matchers[1]; m.Equal() || m.Op() != "!~" {
		t.Errorf("isEqual false, isRegex: %+v %s", m, m.Op())
	}
	if out, _ := json.Marshal(req); string(out) != in {
		t.Errorf("round trip:\n%s\n%s", out, in)
	}
	no := false
	if (Matcher{IsEqual: &no}).Op() != "!=" || (Matcher{IsRegex: true}).Op() != "=~" {
		t.Error("ops")
	}
	if !SilenceKind(ActionSilence) || !SilenceKind(ActionExpireSilence) || SilenceKind(ActionScale) {
		t.Error("SilenceKind")
	}
}

// The job request, run and template as openapi.yaml and docs/platform.md show them.
func TestJobWireShapes(t *testing.T) {
	in := `{"kind":"job","target":{"namespace":"payments-dev","name":"flush-cache"},"params":{"values":{"batch":"250","ticket":"INC-42"}},"reason":"INC-42: stale reads"}`
	var req ActionRequest
	if err := json.Unmarshal([]byte(in), &req); err != nil || req.Kind != ActionJob || req.Params.Values["ticket"] != "INC-42" {
		t.Fatalf("request: %+v %v", req, err)
	}
	if out, _ := json.Marshal(req); string(out) != in {
		t.Errorf("round trip:\n%s\n%s", out, in)
	}
	one := int64(1)
	b, _ := json.Marshal(Team{Name: "payments", Role: RoleMember, PrometheusMatchers: map[string]string{"cluster": "eu"}, LokiMatchers: map[string]string{"cluster": "eu"},
		OncallSchedule: "payments-primary", Jobs: []JobTemplate{{Name: "flush-cache", Namespace: "payments-dev", Environment: EnvDev, Image: "i", Command: []string{"/bin/x", "--b={{batch}}"},
			Params: []JobParam{{Name: "batch", Type: JobParamInt, Min: &one, Default: "100"}}, Timeout: "10m"}}})
	want := `{"name":"payments","role":"member","namespaces":null,"prometheusMatchers":{"cluster":"eu"},"lokiMatchers":{"cluster":"eu"},` +
		`"jobs":[{"name":"flush-cache","namespace":"payments-dev","environment":"dev","image":"i","command":["/bin/x","--b={{batch}}"],` +
		`"params":[{"name":"batch","type":"int","default":"100","min":1}],"timeout":"10m"}],"oncallSchedule":"payments-primary"}`
	if string(b) != want {
		t.Errorf("team:\n%s\nwant\n%s", b, want)
	}
	var o Outcome
	if err := json.Unmarshal([]byte(`{"id":"act_1","status":"succeeded","message":"started job payments-dev/flush-cache-x7k2p (template flush-cache)","auditId":"aud_1",
		"job":{"namespace":"payments-dev","name":"flush-cache-x7k2p","template":"flush-cache","user":"alice","command":["/bin/x"],"status":"running",
		"created":"2026-03-01T12:00:00Z","started":"2026-03-01T12:00:01Z","pods":["flush-cache-x7k2p-abcde"],"actionId":"act_1"}}`), &o); err != nil ||
		o.Job == nil || o.Job.Status != JobRunning || o.Job.Started == nil || o.Job.Finished != nil || o.Job.Pods[0] != "flush-cache-x7k2p-abcde" {
		t.Errorf("outcome %+v %v", o, err)
	}
}

// One check of job values serves the server and vigie's form: type, bounds, pattern
// (anchored), enum, and text that must never reach argv.
func TestJobParamCheckValue(t *testing.T) {
	lo, hi := int64(1), int64(1000)
	batch := JobParam{Name: "batch", Type: JobParamInt, Min: &lo, Max: &hi}
	ticket := JobParam{Name: "ticket", Type: JobParamString, Pattern: "[A-Z]+-[0-9]+"}
	free := JobParam{Name: "note", Type: JobParamString}
	svc := JobParam{Name: "service", Type: JobParamEnum, Values: []string{"ledger", "checkout"}}
	dry := JobParam{Name: "dry", Type: JobParamBool}
	for _, c := range []struct {
		p    JobParam
		v    string
		want string // "" = accepted; else a part of the message
	}{
		{batch, "100", ""}, {batch, "0", "out of range [1, 1000]"}, {batch, "1001", "out of range"},
		{batch, "+5", "not a whole number"}, {batch, "1e3", "not a whole number"}, {batch, "99999999999999999999", "not a whole number"},
		{ticket, "INC-42", ""}, {ticket, "xINC-42", "does not match [A-Z]+-[0-9]+"}, {ticket, "INC-42; rm -rf /", "does not match"},
		{free, "v1.2.3", ""}, {free, "a b", "does not match " + DefaultJobPattern}, {free, "$(reboot)", "does not match"},
		{svc, "ledger", ""}, {svc, "ledger checkout", "want one of ledger, checkout"},
		{dry, "true", ""}, {dry, "yes", "want true or false"},
		{free, "a\x1b]0;x\x07", "control characters"}, {free, "\xff", "UTF-8"}, {ticket, strings.Repeat("A", MaxJobValue+1), "at most 1024"},
	} {
		err := c.p.CheckValue(c.v, nil)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s=%q refused: %v", c.p.Name, c.v, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s=%q: %v, want %q", c.p.Name, c.v, err, c.want)
		}
	}
}
