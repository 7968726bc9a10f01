package policy

import (
	"strings"
	"testing"
	"time"
)

func TestApprovalTTL(t *testing.T) {
	c, err := Parse("server.yaml", []byte(exampleConfig))
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits.ApprovalTTL != DefaultApprovalTTL || DefaultApprovalTTL != time.Hour {
		t.Errorf("default approvalTTL %v, want 1h", c.Limits.ApprovalTTL)
	}
	c, err = Parse("server.yaml", []byte(exampleConfig+"  approvalTTL: 20m\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits.ApprovalTTL != 20*time.Minute {
		t.Errorf("approvalTTL %v, want 20m", c.Limits.ApprovalTTL)
	}
	for in, want := range map[string]string{
		"30s":  "limits.approvalTTL: 30s is out of range [1m0s, 168h0m0s]",
		"200h": "limits.approvalTTL: 200h0m0s is out of range",
		"soon": `limits.approvalTTL: "soon" is not a duration`,
		"3600": "limits.approvalTTL: expected a string, got a number",
	} {
		_, err := Parse("server.yaml", []byte(exampleConfig+"  approvalTTL: "+in+"\n"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("approvalTTL %s: %v, want %q", in, err, want)
		}
	}
}
