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
