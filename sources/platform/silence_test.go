package platform

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/vigie-dev/vigie/platform/api"
)

// Silences go through Act: the request carries the matchers, duration and reason; the
// answer's silence is decoded; a refusal to silence another team's alerts is an *Error.
func TestSilenceThroughAct(t *testing.T) {
	s := &stub{t: t, status: 200, body: `{"id":"act_1","status":"succeeded","message":"silenced","auditId":"aud_2",
		"changes":[{"field":"silence.id","from":"","to":"5a1b"}],
		"silence":{"id":"5a1b","matchers":[{"name":"team","value":"payments"},{"name":"alertname","value":"HighErrorRatio"}],
		"startsAt":"2026-03-01T12:00:00Z","endsAt":"2026-03-01T14:00:00Z","createdBy":"alice","comment":"INC-7: rollback running","state":"active"}}`}
	c := client(t, s)
	req := api.ActionRequest{Kind: api.ActionSilence, Target: api.Target{Namespace: "payments"}, Reason: "INC-7: rollback running",
		Params: api.Params{Matchers: []api.Matcher{{Name: "alertname", Value: "HighErrorRatio"}}, Duration: "2h"}}
	out, err := c.Act(context.Background(), req)
	if err != nil || out.Silence == nil || out.Silence.ID != "5a1b" || out.Silence.CreatedBy != "alice" || len(out.Silence.Matchers) != 2 ||
		out.Silence.Matchers[0].String() != `team="payments"` || out.Silence.EndsAt.Sub(out.Silence.StartsAt).Hours() != 2 {
		t.Fatalf("Act = %+v, %v", out, err)
	}
	var sent map[string]any
	if err := json.Unmarshal(s.gotB, &sent); err != nil {
		t.Fatal(err)
	}
	params, _ := sent["params"].(map[string]any)
	if sent["kind"] != "silence" || params["duration"] != "2h" || params["matchers"].([]any)[0].(map[string]any)["name"] != "alertname" {
		t.Errorf("sent %s", s.gotB)
	}

	s.status = 403
	s.body = `{"error":{"code":"forbidden","message":"team payments can silence only its own alerts, which match team=\"payments\": the matcher team=\"search\" would change that","details":{"auditId":"aud_3"}}}`
	_, err = c.Act(context.Background(), req)
	var pe *Error
	if !errors.As(err, &pe) || pe.Code != api.CodeForbidden || pe.AuditID() != "aud_3" ||
		pe.Error() != `not allowed: team payments can silence only its own alerts, which match team="payments": the matcher team="search" would change that` {
		t.Errorf("refusal: %v", err)
	}

	s.status = 200
	s.body = `{"id":"act_2","status":"succeeded","message":"expired silence 5a1b","auditId":"aud_4","silence":{"id":"5a1b","matchers":[],"startsAt":"2026-03-01T12:00:00Z","endsAt":"2026-03-01T12:30:00Z","createdBy":"alice","comment":"x","state":"expired"}}`
	out, err = c.Act(context.Background(), api.ActionRequest{Kind: api.ActionExpireSilence, Target: api.Target{Namespace: "payments"}, Params: api.Params{SilenceID: "5a1b"}})
	if err != nil || out.Silence.State != "expired" {
		t.Errorf("expire: %+v %v", out, err)
	}
}
