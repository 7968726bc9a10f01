//go:build integration

package server

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	httptransport "github.com/go-openapi/runtime/client"
	"github.com/go-openapi/strfmt"
	amclient "github.com/prometheus/alertmanager/api/v2/client"
	"github.com/prometheus/alertmanager/api/v2/client/general"
	"github.com/prometheus/alertmanager/api/v2/client/silence"
	"github.com/prometheus/alertmanager/api/v2/models"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/vigie-dev/vigie/internal/stackenv"
	"github.com/vigie-dev/vigie/platform/actions"
	"github.com/vigie-dev/vigie/platform/api"
)

// actionRows is the matrix of POST /v1/actions, one row per kind, and a few requests
// that try more than their role or team allows (tweak changes the kind's request): a
// malformed one (the policy is decided before the input is validated, so only those
// whom the policy lets through learn that it is malformed), a silence of the other
// team's alerts, an expiry of payments' silence through the other team's namespace. An
// oncall's scale needs an approval: 202, and nothing changes until someone approves it
// (matrix_approvals_integration_test.go).
var actionRows = []struct {
	want  statuses
	name  string
	kind  api.ActionKind
	tweak func(*api.ActionRequest)
}{
	//        none bad  exp  othr mbr  onc  lead adm  r-o
	{statuses{401, 401, 401, 403, 403, 202, 200, 200, 403}, "scale", api.ActionScale, nil},
	{statuses{401, 401, 401, 403, 403, 400, 400, 400, 403}, "scale to -1 (malformed)", api.ActionScale, func(r *api.ActionRequest) { r.Params.Replicas = new(int32(-1)) }},
	{statuses{401, 401, 401, 403, 403, 200, 200, 200, 403}, "restart", api.ActionRestart, nil},
	{statuses{401, 401, 401, 403, 403, 403, 200, 200, 403}, "rollback", api.ActionRollback, nil},
	{statuses{401, 401, 401, 403, 403, 200, 200, 200, 403}, "delete-pod", api.ActionDeletePod, nil},
	{statuses{401, 401, 401, 403, 403, 200, 200, 200, 403}, "silence", api.ActionSilence, nil},
	{statuses{401, 401, 401, 403, 403, 403, 403, 403, 403}, "silence of search's alerts", api.ActionSilence, func(r *api.ActionRequest) {
		r.Params.Matchers = append(r.Params.Matchers, api.Matcher{Name: "team", Value: "search"})
	}},
	{statuses{401, 401, 401, 403, 403, 200, 200, 200, 403}, "expire-silence", api.ActionExpireSilence, nil},
	{statuses{401, 401, 401, 403, 403, 403, 403, 403, 403}, "expire-silence of payments' through search", api.ActionExpireSilence, func(r *api.ActionRequest) { r.Target.Namespace = "search" }},
	{statuses{401, 401, 401, 403, 403, 202, 200, 200, 403}, "job", api.ActionJob, nil},
	{statuses{401, 401, 401, 403, 403, 400, 400, 400, 403}, "job with a value its pattern refuses", api.ActionJob, func(r *api.ActionRequest) {
		r.Params.Values = map[string]string{"ticket": "x; rm -rf /"}
	}},
	{statuses{401, 401, 401, 403, 403, 403, 403, 403, 403}, "search's job template through payments", api.ActionJob, func(r *api.ActionRequest) {
		r.Target.Name, r.Params.Values = "search-check", nil
	}},
}

// matrixAlertmanager is a client of the local platform's Alertmanager; the test fails
// (never skips) when it does not answer. (silence_integration_test.go has its own, built
// only with the disruptive tests.)
func matrixAlertmanager(t *testing.T) (string, *amclient.AlertmanagerAPI) {
	t.Helper()
	raw := stackenv.MustLoad(t).MustGet(t, "VIGIE_STACK_AM_URL")
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	c := amclient.New(httptransport.New(u.Host, strings.TrimSuffix(u.Path, "/")+"/api/v2", []string{u.Scheme}), strfmt.Default)
	if _, err := c.General.GetStatus(general.NewGetStatusParams().WithTimeout(5 * time.Second)); err != nil {
		t.Fatalf("the local platform's Alertmanager at %s does not answer (start it with %q): %v", raw, stackenv.StartCommand, err)
	}
	return raw, c
}

// actionsMatrix is the state the action rows act on: a throw-away Deployment of
// payments, and the silences of this run, which match only an alert name of its own
// (marker), so no alert of the local platform is silenced.
type actionsMatrix struct {
	e      *env
	cs     kubernetes.Interface
	am     *amclient.AlertmanagerAPI
	name   string // the Deployment
	marker string // alertname of this run's silences
	why    string
	target string // an active silence of payments for expire-silence ("" once expired)
}

func (m *actionsMatrix) silencesOfRun(t *testing.T) []*models.GettableSilence {
	t.Helper()
	res, err := m.am.Silence.GetSilences(silence.NewGetSilencesParams().WithTimeout(5 * time.Second).WithFilter([]string{`alertname="` + m.marker + `"`}))
	if err != nil {
		t.Fatal(err)
	}
	return res.Payload
}

// world is what an action could change, as text: the Deployment's resourceVersion, its
// pods, and this run's silences with their state and end.
func (m *actionsMatrix) world(t *testing.T) string {
	t.Helper()
	d := get(t, m.cs, m.name)
	var parts []string
	for _, p := range m.pods(t) {
		parts = append(parts, p.Name+"/"+string(p.UID))
	}
	for _, s := range m.silencesOfRun(t) {
		parts = append(parts, fmt.Sprintf("silence %s %s until %s", *s.ID, *s.Status.State, time.Time(*s.EndsAt).Format(time.RFC3339Nano)))
	}
	jobs, err := m.cs.BatchV1().Jobs("").List(context.Background(), metav1.ListOptions{LabelSelector: actions.LabelJobTemplate + " in (matrix-check, search-check)"})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs.Items {
		parts = append(parts, "job "+j.Namespace+"/"+j.Name)
	}
	sort.Strings(parts)
	return fmt.Sprintf("deployment rv %s; %s", d.ResourceVersion, strings.Join(parts, "; "))
}

// pods are the Deployment's pods not being deleted.
func (m *actionsMatrix) pods(t *testing.T) []corev1.Pod {
	t.Helper()
	list, err := m.cs.CoreV1().Pods("payments").List(context.Background(), metav1.ListOptions{LabelSelector: "app=" + m.name})
	if err != nil {
		t.Fatal(err)
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// expireTarget is an active silence of payments (matching this run's marker), made in
// Alertmanager directly, for the expire-silence row.
func (m *actionsMatrix) expireTarget(t *testing.T) string {
	t.Helper()
	if m.target != "" {
		return m.target
	}
	now := time.Now()
	starts, ends := strfmt.DateTime(now), strfmt.DateTime(now.Add(10*time.Minute))
	by, comment := "vigie-matrix-test", m.why
	eq, re := true, false
	team, alert := "team", "alertname"
	payments, marker := "payments", m.marker
	res, err := m.am.Silence.PostSilences(silence.NewPostSilencesParams().WithTimeout(5 * time.Second).WithSilence(&models.PostableSilence{
		Silence: models.Silence{CreatedBy: &by, Comment: &comment, StartsAt: &starts, EndsAt: &ends, Matchers: models.Matchers{
			{Name: &team, Value: &payments, IsEqual: &eq, IsRegex: &re}, {Name: &alert, Value: &marker, IsEqual: &eq, IsRegex: &re}}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	m.target = res.Payload.SilenceID
	return m.target
}

// request is the row's request for the Deployment and silences as they are now.
func (m *actionsMatrix) request(t *testing.T, kind api.ActionKind, tweak func(*api.ActionRequest)) api.ActionRequest {
	t.Helper()
	target := api.Target{Namespace: "payments", Name: m.name}
	req := api.ActionRequest{Kind: kind, Target: target, Reason: m.why}
	switch kind {
	case api.ActionScale:
		n := *get(t, m.cs, m.name).Spec.Replicas%5 + 1
		req.Params.Replicas = &n
	case api.ActionDeletePod:
		pods := m.pods(t)
		if len(pods) == 0 {
			t.Fatalf("deployment %s has no pod to delete", m.name)
		}
		req.Target.Name = pods[0].Name
	case api.ActionSilence:
		req.Target.Name = ""
		req.Params = api.Params{Matchers: []api.Matcher{{Name: "alertname", Value: m.marker}}, Duration: "10m"}
	case api.ActionExpireSilence:
		req.Target.Name = ""
		req.Params.SilenceID = m.expireTarget(t)
	case api.ActionJob:
		req.Target.Name = "matrix-check"
		req.Params.Values = map[string]string{"ticket": "MATRIX-1"}
	}
	if tweak != nil {
		tweak(&req)
	}
	return req
}

// checkDone checks what an allowed action did, in the cluster or in Alertmanager.
func (m *actionsMatrix) checkDone(t *testing.T, id identity, req api.ActionRequest, o api.Outcome, before *appsv1.Deployment) {
	t.Helper()
	after := get(t, m.cs, m.name)
	switch req.Kind {
	case api.ActionScale:
		if *after.Spec.Replicas != *req.Params.Replicas {
			t.Errorf("replicas %d, want %d", *after.Spec.Replicas, *req.Params.Replicas)
		}
	case api.ActionRestart:
		at := after.Spec.Template.Annotations[actions.RestartedAtAnnotation]
		if at == "" || at != o.Changes[0].To || at == before.Spec.Template.Annotations[actions.RestartedAtAnnotation] {
			t.Errorf("restartedAt %q, outcome %+v", at, o)
		}
	case api.ActionRollback:
		if after.Generation == before.Generation || len(o.Changes) == 0 {
			t.Errorf("rollback: generation %d -> %d, changes %+v", before.Generation, after.Generation, o.Changes)
		}
	case api.ActionDeletePod:
		p, err := m.cs.CoreV1().Pods("payments").Get(context.Background(), req.Target.Name, metav1.GetOptions{})
		if err == nil && p.DeletionTimestamp == nil {
			t.Errorf("pod %s is still there", req.Target.Name)
		} else if err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
	case api.ActionSilence:
		s := m.silence(t, o.Silence.ID)
		var ms []string
		for _, mt := range s.Matchers {
			ms = append(ms, *mt.Name+"="+*mt.Value)
		}
		if *s.Status.State != "active" || *s.CreatedBy != id.user || *s.Comment != m.why || !slices.Contains(ms, "team=payments") {
			t.Errorf("silence %s: %s by %s (%q), %v", *s.ID, *s.Status.State, *s.CreatedBy, *s.Comment, ms)
		}
	case api.ActionJob:
		if o.Job == nil {
			t.Fatalf("job outcome without its run: %+v", o)
		}
		j, err := m.cs.BatchV1().Jobs(o.Job.Namespace).Get(context.Background(), o.Job.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if j.Annotations[actions.AnnotationRequestedBy] != id.user || !slices.Equal(j.Spec.Template.Spec.Containers[0].Command, []string{"/bin/check", "--ticket=MATRIX-1"}) {
			t.Errorf("job %s: requested by %q, argv %q", j.Name, j.Annotations[actions.AnnotationRequestedBy], j.Spec.Template.Spec.Containers[0].Command)
		}
	case api.ActionExpireSilence:
		if s := m.silence(t, req.Params.SilenceID); *s.Status.State != "expired" {
			t.Errorf("silence %s is %s after expire-silence", req.Params.SilenceID, *s.Status.State)
		}
		m.target = ""
	}
}

func (m *actionsMatrix) silence(t *testing.T, id string) *models.GettableSilence {
	t.Helper()
	for _, s := range m.silencesOfRun(t) {
		if *s.ID == id {
			return s
		}
	}
	t.Fatalf("silence %s is not in Alertmanager", id)
	return nil
}

// TestAuthorizationMatrixActions: POST /v1/actions, every kind × every identity, on the
// real apiserver and Alertmanager. A refusal leaves the Deployment (resourceVersion),
// its pods and this run's silences as they were, and an audit record; an allowed action
// does what it says; a request that needs an approval changes nothing.
func TestAuthorizationMatrixActions(t *testing.T) {
	cs := adminClient(t)
	amURL, am := matrixAlertmanager(t)
	e := matrixEnv(t, cs, amURL)
	why := matrixWhy()
	m := &actionsMatrix{e: e, cs: cs, am: am, name: throwAwayDeployment(t, cs), why: why,
		marker: "VigieMatrix" + strings.Fields(why)[2]}
	t.Cleanup(func() { // leave no silence of this run active
		for _, s := range m.silencesOfRun(t) {
			if *s.Status.State != "expired" {
				_, _ = am.Silence.DeleteSilence(silence.NewDeleteSilenceParams().WithTimeout(5 * time.Second).WithSilenceID(strfmt.UUID(*s.ID)))
			}
		}
	})

	records := 0
	for _, row := range actionRows {
		for i, id := range identities {
			want := row.want[i]
			t.Run(row.name+"/"+id.label, func(t *testing.T) {
				before := settle(t, cs, m.name)
				req := m.request(t, row.kind, row.tweak)
				if row.kind == api.ActionRestart && want == 200 {
					time.Sleep(1100 * time.Millisecond) // restartedAt has a one-second resolution
				}
				world := m.world(t)
				r := e.do("POST", "/v1/actions", id.who, req)
				if r.status != want {
					t.Fatalf("%s by %s: %d %s, want %d", row.name, id.label, r.status, r.body, want)
				}
				switch want {
				case 200:
					o := r.outcome(t)
					m.checkDone(t, id, req, o, before)
					if rec := e.recordByID(o.AuditID); rec.Type != api.AuditOutcome || rec.Status != api.StatusSucceeded || rec.User != id.user || rec.ActionID != o.ID {
						t.Errorf("outcome record %+v", rec)
					}
					records += 2
				case 202:
					o := r.outcome(t)
					if rec := e.recordByID(o.AuditID); o.Status != api.StatusPendingApproval || rec.Type != api.AuditRequested || rec.Status != api.StatusPendingApproval || rec.User != id.user {
						t.Errorf("approval request %+v, record %+v", o, rec)
					}
					if after := m.world(t); after != world {
						t.Errorf("a request waiting for an approval changed:\n before %s\n after  %s", world, after)
					}
					records++
				default:
					checkRefusal(t, e, r, id, row.kind)
					if after := m.world(t); after != world {
						t.Errorf("refused, yet something changed:\n before %s\n after  %s", world, after)
					}
					records++
				}
			})
		}
	}
	if got := len(e.records()); got != records {
		t.Errorf("%d audit records, want %d (one per refusal and approval request, two per action)", got, records)
	}
	e.verify()
}
