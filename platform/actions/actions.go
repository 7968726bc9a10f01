// Package actions runs the platform's actions on Kubernetes with the server's own
// credentials (never the caller's): scale, restart and roll back a Deployment, delete
// one of its pods; and lists a Deployment's revisions. Every call has a deadline,
// refuses to act when the target changed since the caller saw it (the resourceVersion
// and, for a rollback, revision preconditions), only touches objects carrying the owning
// team's labels, and can run as a server-side dry run that reports what would change.
// It also creates and expires a team's Alertmanager silences (silence.go), always with
// the team's own alert matchers.
package actions

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/vigie-dev/vigie/platform/api"
)

// RestartedAtAnnotation is the pod template annotation `kubectl rollout restart` sets.
const RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"

// FieldManager names vigie in the Deployment's managed fields.
const FieldManager = "vigie-serve"

// DefaultTimeout is the deadline of one action when Options.Timeout is 0.
const DefaultTimeout = 30 * time.Second

// Options configure a Runner. Client is required.
type Options struct {
	Client  kubernetes.Interface // built from the server's kubeconfig or service account
	Timeout time.Duration        // per action; 0: DefaultTimeout
	Now     func() time.Time     // nil: time.Now
	// Alertmanager is the URL of the Alertmanager silences are made in (its api/v2);
	// "": silence and expire-silence fail, saying none is configured.
	Alertmanager string
}

func (o *Options) validate() error {
	if o.Client == nil {
		return errors.New("actions: no Kubernetes client")
	}
	if o.Timeout < 0 {
		return fmt.Errorf("actions: negative timeout %v", o.Timeout)
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Runner runs actions.
type Runner struct {
	o  Options
	am *alertmanager // nil: none configured
}

// New returns a Runner.
func New(o Options) (*Runner, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	am, err := newAlertmanager(o.Alertmanager)
	if err != nil {
		return nil, err
	}
	return &Runner{o: o, am: am}, nil
}

// Timeout is the deadline of one action.
func (r *Runner) Timeout() time.Duration { return r.o.Timeout }

// Request is one action to run. The server has authorised and validated it.
type Request struct {
	Kind           api.ActionKind
	Target         api.Target // a Deployment; a pod for delete-pod
	Replicas       int32      // scale
	ToRevision     int64      // rollback: 0 = the previous revision
	Expect         string     // resourceVersion the caller saw; "" = no precondition
	ExpectRevision int64      // rollback: the Deployment's revision the caller saw; 0 = no precondition
	DryRun         bool
	Selector       string // the owning team's label selector; "" = none
	Silence        Silence
	Job            *Job // job: what to create (job.go)
}

// Result is what an action changed (or would change, in a dry run).
type Result struct {
	Message         string
	Changes         []api.Change
	Warnings        []string // what the action does not do (also in Message)
	ResourceVersion string
	Silence         *api.Silence // silence, expire-silence
	Job             *api.JobRun  // job: the run created (in a dry run, what would be)
}

// Error is an action that did not happen; Code is an api error code (CodeNotFound,
// CodeConflict, CodeForbidden, CodeTimeout, CodeActionFailed).
type Error struct {
	Code string
	Msg  string
	Err  error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

func teamSelector(selector string) (labels.Selector, error) {
	if selector == "" {
		return labels.Everything(), nil
	}
	sel, err := labels.Parse(selector)
	if err != nil {
		return nil, &Error{Code: api.CodeInternal, Msg: fmt.Sprintf("team selector %q: %v", selector, err)}
	}
	return sel, nil
}

// Run runs req with the runner's deadline.
func (r *Runner) Run(ctx context.Context, req Request) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
	defer cancel()
	if api.SilenceKind(req.Kind) {
		return r.silence(ctx, req)
	}
	if req.Kind == api.ActionJob {
		return r.runJob(ctx, req) // never retried: each create is a new run
	}
	sel, err := teamSelector(req.Selector)
	if err != nil {
		return Result{}, err
	}
	if req.Kind == api.ActionDeletePod {
		// Never retried: after a conflict, the pod of that name may be another one.
		return r.deletePod(ctx, req, sel)
	}
	// Without a precondition, a conflict with another writer (often the controller
	// updating the status) is retried on the fresh object; with one, it is the answer.
	// (A rollback's revision precondition is checked again on the fresh object.)
	attempts := 3
	if req.Expect != "" {
		attempts = 1
	}
	var res Result
	for range attempts {
		res, err = r.once(ctx, req, sel)
		var ae *Error
		if !errors.As(err, &ae) || ae.Code != api.CodeConflict || req.Expect != "" || ae.Err == nil || !apierrors.IsConflict(ae.Err) {
			break
		}
	}
	return res, err
}

// deployment gets the target Deployment and checks it carries the team's labels.
func (r *Runner) deployment(ctx context.Context, t api.Target, sel labels.Selector) (*appsv1.Deployment, error) {
	what := "deployment " + t.String()
	d, err := r.o.Client.AppsV1().Deployments(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return nil, kubeError(ctx, what, err)
	}
	if !sel.Matches(labels.Set(d.Labels)) {
		return nil, &Error{Code: api.CodeForbidden, Msg: fmt.Sprintf("%s does not carry the owning team's labels (%s): vigie acts only on the team's own objects", what, sel)}
	}
	return d, nil
}

// plan is what one action on a Deployment will do: the object to store, the changes,
// and the messages. noop set: nothing to store, noop is the answer.
type plan struct {
	next       *appsv1.Deployment
	changes    []api.Change
	warnings   []string
	did, would string
	noop       string
}

func (r *Runner) once(ctx context.Context, req Request, sel labels.Selector) (Result, error) {
	what := "deployment " + req.Target.String()
	cur, err := r.deployment(ctx, req.Target, sel)
	if err != nil {
		return Result{}, err
	}
	if req.Expect != "" && cur.ResourceVersion != req.Expect {
		return Result{}, &Error{Code: api.CodeConflict, Msg: fmt.Sprintf(
			"%s changed since you saw it (resourceVersion %s, now %s): look at it again and retry", what, req.Expect, cur.ResourceVersion)}
	}
	var p plan
	switch req.Kind {
	case api.ActionScale:
		p = r.planScale(req, cur, what)
	case api.ActionRestart:
		p, err = r.planRestart(cur, what)
	case api.ActionRollback:
		p, err = r.planRollback(ctx, req, cur, what)
	default:
		err = &Error{Code: api.CodeInvalid, Msg: fmt.Sprintf("unknown action %q", req.Kind)}
	}
	if err != nil {
		return Result{}, err
	}
	if p.noop != "" {
		return Result{Message: p.noop, ResourceVersion: cur.ResourceVersion}, nil
	}
	opts := metav1.UpdateOptions{FieldManager: FieldManager}
	msg := p.did
	if req.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
		msg = p.would
	}
	// p.next carries cur's resourceVersion: the apiserver refuses the update if the
	// Deployment changed after the Get.
	updated, err := r.o.Client.AppsV1().Deployments(req.Target.Namespace).Update(ctx, p.next, opts)
	if err != nil {
		return Result{}, kubeError(ctx, what, err)
	}
	rv := updated.ResourceVersion
	if req.DryRun {
		rv = cur.ResourceVersion // what the dry run was computed against: the next call's expect
	}
	return Result{Message: withWarnings(msg, p.warnings), Changes: p.changes, Warnings: p.warnings, ResourceVersion: rv}, nil
}

func withWarnings(msg string, warnings []string) string {
	for _, w := range warnings {
		msg += "; warning: " + w
	}
	return msg
}

func (r *Runner) planScale(req Request, cur *appsv1.Deployment, what string) plan {
	from := replicasOf(cur)
	if from == req.Replicas {
		return plan{noop: fmt.Sprintf("%s already has %d replicas: nothing to do", what, from)}
	}
	next := cur.DeepCopy()
	n := req.Replicas
	next.Spec.Replicas = &n
	c := api.Change{Field: "spec.replicas", From: strconv.Itoa(int(from)), To: strconv.Itoa(int(n))}
	return plan{next: next, changes: []api.Change{c},
		did:   fmt.Sprintf("scaled %s from %s to %s replicas", what, c.From, c.To),
		would: fmt.Sprintf("would scale %s from %s to %s replicas", what, c.From, c.To)}
}

func (r *Runner) planRestart(cur *appsv1.Deployment, what string) (plan, error) {
	if cur.Spec.Paused {
		return plan{}, &Error{Code: api.CodeConflict, Msg: what + " is paused: a restart would not roll out until it is resumed"}
	}
	next := cur.DeepCopy()
	if next.Spec.Template.Annotations == nil {
		next.Spec.Template.Annotations = map[string]string{}
	}
	at := r.o.Now().UTC().Format(time.RFC3339)
	c := api.Change{Field: "spec.template.metadata.annotations[" + RestartedAtAnnotation + "]",
		From: cur.Spec.Template.Annotations[RestartedAtAnnotation], To: at}
	next.Spec.Template.Annotations[RestartedAtAnnotation] = at
	return plan{next: next, changes: []api.Change{c},
		did:   fmt.Sprintf("restarted %s (rollout restart at %s)", what, at),
		would: fmt.Sprintf("would restart %s (rollout restart at %s)", what, at)}, nil
}

// replicasOf is the Deployment's spec.replicas (1 when unset, as the apiserver defaults).
func replicasOf(d *appsv1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}

// kubeError words an apiserver error for the caller. Messages name the object, never
// the server's credentials.
func kubeError(ctx context.Context, what string, err error) error {
	switch {
	case apierrors.IsNotFound(err):
		return &Error{Code: api.CodeNotFound, Msg: what + " does not exist", Err: err}
	case apierrors.IsConflict(err):
		return &Error{Code: api.CodeConflict, Msg: what + " changed while the action ran: look at it again and retry", Err: err}
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err):
		return &Error{Code: api.CodeTimeout, Msg: fmt.Sprintf("%s: the cluster did not answer in time", what), Err: err}
	case apierrors.IsForbidden(err):
		return &Error{Code: api.CodeActionFailed, Msg: fmt.Sprintf("%s: the platform's own Kubernetes identity may not do this (ask the platform's operators)", what), Err: err}
	case apierrors.IsInvalid(err):
		return &Error{Code: api.CodeActionFailed, Msg: fmt.Sprintf("%s: the cluster refused the change: %v", what, err), Err: err}
	}
	return &Error{Code: api.CodeActionFailed, Msg: fmt.Sprintf("%s: %v", what, err), Err: err}
}
