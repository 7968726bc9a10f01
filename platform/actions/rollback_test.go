package actions

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/vigie-dev/vigie/platform/actions/actionstest"
	"github.com/vigie-dev/vigie/platform/api"
)

var deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

var ledgerLabels = map[string]string{"app": "ledger", "team": "payments"}

func env(name, value string) corev1.EnvVar { return corev1.EnvVar{Name: name, Value: value} }

// ledger returns templates like the seeded ledger: revision 1 is good, revision 2 is a bad
// release (the simulator's error-ratio annotation), and, with three, revision 3 a newer
// image with more CPU.
func ledger(n int) []corev1.PodTemplateSpec {
	good := actionstest.Template("registry.local/payments/ledger:2.7.0", ledgerLabels, nil,
		env("TEAM", "payments"), env("DB_PASSWORD", "hunter2"), env("LOG_LEVEL", "info"))
	good.Spec.Containers[0].Resources = corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}
	bad := *good.DeepCopy()
	bad.Spec.Containers[0].Image = "registry.local/payments/ledger:2.8.0"
	bad.Annotations = map[string]string{"sim.vigie.dev/error-ratio": "0.4"}
	bad.Spec.Containers[0].Env = []corev1.EnvVar{env("TEAM", "payments"), env("DB_PASSWORD", "correct-horse"), env("LOG_LEVEL", "debug"), env("API_TOKEN", "s3cr3t")}
	newer := *bad.DeepCopy()
	newer.Spec.Containers[0].Image = "registry.local/payments/ledger:2.8.1"
	newer.Spec.Containers[0].Resources.Limits[corev1.ResourceCPU] = resource.MustParse("2")
	return []corev1.PodTemplateSpec{good, bad, newer}[:n]
}

func ledgerKube(n int, extra ...runtime.Object) *actionstest.Kube {
	return actionstest.New(append(actionstest.History("payments", "ledger", 2, ledgerLabels, ledger(n)...), extra...)...)
}

var ledgerTarget = api.Target{Namespace: "payments", Name: "ledger"}

func changeMap(cs []api.Change) map[string]api.Change {
	m := map[string]api.Change{}
	for _, c := range cs {
		m[c.Field] = c
	}
	return m
}

const (
	imageField = "spec.template.spec.containers[app].image"
	ratioField = "spec.template.metadata.annotations[sim.vigie.dev/error-ratio]"
	envField   = "spec.template.spec.containers[app].env"
)

func TestRevisions(t *testing.T) {
	// A ReplicaSet another Deployment controls, selected by the same labels, is not ledger's.
	stranger := actionstest.History("payments", "ledger-canary", 1, ledgerLabels, ledger(1)...)[1].(*appsv1.ReplicaSet)
	stranger.Labels = map[string]string{"app": "ledger"}
	k := ledgerKube(3, stranger)
	res, err := runner(t, k).Revisions(context.Background(), ledgerTarget, "team=payments")
	if err != nil {
		t.Fatal(err)
	}
	if res.Current != 3 || res.ResourceVersion != "10" || res.Replicas != 2 || len(res.Revisions) != 3 {
		t.Fatalf("%+v", res)
	}
	for i, want := range []int64{3, 2, 1} {
		r := res.Revisions[i]
		if r.Revision != want || r.Current != (want == 3) || r.ReplicaSet != actionstest.ReplicaSetName("ledger", int(want)) || r.Created.IsZero() {
			t.Errorf("revision %d: %+v", i, r)
		}
	}
	if cur := res.Revisions[0]; len(cur.Changes) != 0 || cur.Replicas != 2 || cur.Images[0] != "registry.local/payments/ledger:2.8.1" || cur.ChangeCause != "release 3" {
		t.Errorf("current: %+v", cur)
	}
	// Revision 2 differs from the current one by its image and CPU limit only: the
	// secret-looking variables are the same, so they are not listed.
	if got := changeMap(res.Revisions[1].Changes); len(got) != 2 ||
		got[imageField] != (api.Change{Field: imageField, From: "registry.local/payments/ledger:2.8.1", To: "registry.local/payments/ledger:2.8.0"}) ||
		got["spec.template.spec.containers[app].resources.limits.cpu"].To != "1" {
		t.Errorf("revision 2 changes: %+v", res.Revisions[1].Changes)
	}
	got := changeMap(res.Revisions[2].Changes)
	for field, want := range map[string][2]string{
		imageField:                 {"registry.local/payments/ledger:2.8.1", "registry.local/payments/ledger:2.7.0"},
		ratioField:                 {"0.4", ""},
		envField + "[LOG_LEVEL]":   {"debug", "info"},
		envField + "[DB_PASSWORD]": {api.SecretChanged, api.SecretChanged},
		envField + "[API_TOKEN]":   {api.SecretChanged, ""},
		"spec.template.spec.containers[app].resources.limits.cpu": {"2", "1"},
	} {
		if c, ok := got[field]; !ok || c.From != want[0] || c.To != want[1] {
			t.Errorf("%s: %+v, want %q -> %q", field, c, want[0], want[1])
		}
	}
	if len(got) != 6 {
		t.Errorf("revision 1 changes: %+v", res.Revisions[2].Changes)
	}
	b, _ := json.Marshal(res)
	for _, secret := range []string{"hunter2", "correct-horse", "s3cr3t"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("the revisions show the value of a secret-looking variable: %s", b)
		}
	}
	if strings.Contains(string(b), "pod-template-hash") {
		t.Errorf("the pod-template-hash label is part of the diff: %s", b)
	}

	_, err = runner(t, k).Revisions(context.Background(), ledgerTarget, "team=search")
	if ae := (*Error)(nil); !errors.As(err, &ae) || ae.Code != api.CodeForbidden {
		t.Errorf("another team's selector: %v", err)
	}
	_, err = runner(t, k).Revisions(context.Background(), api.Target{Namespace: "payments", Name: "nope"}, "")
	if ae := (*Error)(nil); !errors.As(err, &ae) || ae.Code != api.CodeNotFound {
		t.Errorf("missing: %v", err)
	}
}

func TestRollbackToPrevious(t *testing.T) {
	k := ledgerKube(2)
	r := runner(t, k)
	req := Request{Kind: api.ActionRollback, Target: ledgerTarget, Expect: "10", ExpectRevision: 2, Selector: "team=payments", DryRun: true}
	res, err := r.Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := "would roll back deployment payments/ledger from revision 2 to revision 1; warning: replicas are not reverted (2 now)"
	if res.Message != want || !slices.Equal(res.Warnings, []string{"replicas are not reverted (2 now)"}) {
		t.Errorf("dry run message %q, warnings %q", res.Message, res.Warnings)
	}
	got := changeMap(res.Changes)
	if got[ratioField].From != "0.4" || got[ratioField].To != "" || got[imageField].To != "registry.local/payments/ledger:2.7.0" ||
		got["metadata.annotations[kubernetes.io/change-cause]"].To != "release 1" {
		t.Errorf("dry run changes %+v", res.Changes)
	}
	if k.Updates.Load() != 0 || k.Get("payments", "ledger").Spec.Template.Annotations["sim.vigie.dev/error-ratio"] != "0.4" {
		t.Fatal("the dry run changed the deployment")
	}

	req.DryRun = false
	res, err = r.Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Message, "rolled back deployment payments/ledger from revision 2 to revision 1 (it becomes revision 3)") || res.ResourceVersion != "11" {
		t.Errorf("result %+v", res)
	}
	d := k.Get("payments", "ledger")
	good := ledger(1)[0]
	if !equalIgnoreHash(&d.Spec.Template, &good) || d.Spec.Template.Labels[PodTemplateHashLabel] != "" {
		t.Errorf("template after the rollback: %+v", d.Spec.Template)
	}
	if d.Annotations[ChangeCauseAnnotation] != "release 1" || d.Annotations[RevisionAnnotation] != "2" || *d.Spec.Replicas != 2 {
		t.Errorf("deployment after the rollback: annotations %v replicas %d", d.Annotations, *d.Spec.Replicas)
	}
}

func TestRollbackToAChosenRevision(t *testing.T) {
	k := ledgerKube(3)
	r := runner(t, k)
	res, err := r.Run(context.Background(), Request{Kind: api.ActionRollback, Target: ledgerTarget, ToRevision: 1})
	if err != nil {
		t.Fatal(err)
	}
	if d := k.Get("payments", "ledger"); d.Spec.Template.Spec.Containers[0].Image != "registry.local/payments/ledger:2.7.0" ||
		!strings.Contains(res.Message, "from revision 3 to revision 1 (it becomes revision 4)") {
		t.Errorf("image %s, message %q", d.Spec.Template.Spec.Containers[0].Image, res.Message)
	}
	// Now the template is revision 1's, whose ReplicaSet still says 1 (the fake has no
	// controller): rolling back to it again is nothing to do.
	res, err = r.Run(context.Background(), Request{Kind: api.ActionRollback, Target: ledgerTarget, ToRevision: 1})
	if err != nil || res.Message != "deployment payments/ledger is already at revision 1: nothing to do" || k.Updates.Load() != 1 {
		t.Errorf("rollback to the current revision: %+v %v", res, err)
	}
	_, err = r.Run(context.Background(), Request{Kind: api.ActionRollback, Target: ledgerTarget, ToRevision: 9})
	if ae := (*Error)(nil); !errors.As(err, &ae) || ae.Code != api.CodeNotFound || !strings.Contains(ae.Msg, "has no revision 9 (its revisions: 1, 2, 3)") {
		t.Errorf("unknown revision: %v", err)
	}
	_, err = runner(t, ledgerKube(1)).Run(context.Background(), Request{Kind: api.ActionRollback, Target: ledgerTarget})
	if ae := (*Error)(nil); !errors.As(err, &ae) || ae.Code != api.CodeNotFound || !strings.Contains(ae.Msg, "no revision before 1") {
		t.Errorf("no previous revision: %v", err)
	}
}

// The Deployment moved on (revision 3 was rolled out) after the user saw revision 2:
// the rollback is refused, whatever resourceVersion precondition comes with it.
func TestRollbackRefusedWhenTheRevisionChanged(t *testing.T) {
	k := ledgerKube(3)
	r := runner(t, k)
	for _, c := range []struct {
		name string
		req  Request
		msg  string
	}{
		{"revision", Request{ExpectRevision: 2}, "deployment payments/ledger changed since you saw it (revision 2, now 3): look at its revisions again and retry"},
		{"revision and current resourceVersion", Request{ExpectRevision: 2, Expect: "10"}, "(revision 2, now 3)"},
		{"resourceVersion", Request{ExpectRevision: 3, Expect: "9"}, "changed since you saw it (resourceVersion 9, now 10)"},
	} {
		c.req.Kind, c.req.Target = api.ActionRollback, ledgerTarget
		_, err := r.Run(context.Background(), c.req)
		if ae := (*Error)(nil); !errors.As(err, &ae) || ae.Code != api.CodeConflict || !strings.Contains(ae.Msg, c.msg) {
			t.Errorf("%s: got %v, want a conflict %q", c.name, err, c.msg)
		}
	}
	paused := ledgerKube(2)
	d := paused.Get("payments", "ledger").DeepCopy()
	d.Spec.Paused = true
	if err := paused.Tracker().Update(deploymentsGVR, d, "payments"); err != nil {
		t.Fatal(err)
	}
	_, err := runner(t, paused).Run(context.Background(), Request{Kind: api.ActionRollback, Target: ledgerTarget})
	if ae := (*Error)(nil); !errors.As(err, &ae) || ae.Code != api.CodeConflict || !strings.Contains(ae.Msg, "is paused") {
		t.Errorf("paused: %v", err)
	}
	if k.Updates.Load()+paused.Updates.Load() != 0 {
		t.Error("a refused rollback changed the deployment")
	}
}

func TestRollbackWarnsAboutConfigMapsAndSecrets(t *testing.T) {
	tpls := ledger(2)
	old := &tpls[0].Spec
	old.Containers[0].EnvFrom = []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "ledger-config"}}}}
	old.Containers[0].Env = append(old.Containers[0].Env, corev1.EnvVar{Name: "DB_USER", ValueFrom: &corev1.EnvVarSource{
		SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "ledger-db"}, Key: "user"}}})
	old.Volumes = []corev1.Volume{
		{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "ledger-tls"}}},
		{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "ledger-config"}}}},
	}
	k := actionstest.New(actionstest.History("payments", "ledger", 4, ledgerLabels, tpls...)...)
	res, err := runner(t, k).Run(context.Background(), Request{Kind: api.ActionRollback, Target: ledgerTarget, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"replicas are not reverted (4 now)",
		"ConfigMaps/Secrets referenced by the template are not reverted: configmap/ledger-config, secret/ledger-db, secret/ledger-tls"}
	if !slices.Equal(res.Warnings, want) || !strings.HasSuffix(res.Message, "; warning: "+want[0]+"; warning: "+want[1]) {
		t.Errorf("warnings %q, message %q", res.Warnings, res.Message)
	}
	got := changeMap(res.Changes)
	if got[envField+"[DB_USER]"].To != "secret ledger-db key user" || got["spec.template (other fields)"].To != "(changed)" {
		t.Errorf("changes %+v", res.Changes)
	}
}

func TestEnvMasking(t *testing.T) {
	for _, c := range []struct {
		from, to []corev1.EnvVar
		want     []api.Change
	}{
		{[]corev1.EnvVar{env("GITHUB_TOKEN", "a")}, []corev1.EnvVar{env("GITHUB_TOKEN", "b")},
			[]api.Change{{Field: "e[GITHUB_TOKEN]", From: "(changed)", To: "(changed)"}}},
		{nil, []corev1.EnvVar{env("aws_secret_access_key", "a")}, []api.Change{{Field: "e[aws_secret_access_key]", From: "", To: "(changed)"}}},
		{[]corev1.EnvVar{env("Db_Password", "a")}, nil, []api.Change{{Field: "e[Db_Password]", From: "(changed)", To: ""}}},
		{[]corev1.EnvVar{env("SIGNING_KEY", "a"), env("CREDENTIALS_FILE", "x")}, []corev1.EnvVar{env("SIGNING_KEY", "a"), env("CREDENTIALS_FILE", "x")}, nil},
		{[]corev1.EnvVar{env("MODE", "a")}, []corev1.EnvVar{env("MODE", "b")}, []api.Change{{Field: "e[MODE]", From: "a", To: "b"}}},
		// The last definition of a name wins.
		{[]corev1.EnvVar{env("MODE", "a"), env("MODE", "b")}, []corev1.EnvVar{env("MODE", "b")}, nil},
	} {
		if got := envChanges("e", c.from, c.to); !slices.Equal(got, c.want) {
			t.Errorf("envChanges(%v, %v) = %+v, want %+v", c.from, c.to, got, c.want)
		}
	}
	secret := env("PASSWD", "x")
	if envShown(secret, true, secret, true) != api.SecretSame || envShown(secret, true, env("PASSWD", "y"), true) != api.SecretChanged {
		t.Error("(same)/(changed)")
	}
	long := strings.Repeat("é", 300)
	if got := envChanges("e", nil, []corev1.EnvVar{env("NOTE", long)}); len([]rune(got[0].To)) != maxShown+1 {
		t.Errorf("a long value is not clipped: %d", len([]rune(got[0].To)))
	}
}
