// Package actions runs the platform's actions on Kubernetes with the server's own
// credentials (never the caller's): scale and restart a Deployment. Every call has a
// deadline, refuses to act when the Deployment changed since the caller saw it (the
// resourceVersion precondition), only touches Deployments carrying the owning team's
// labels, and can run as a server-side dry run that reports what would change.
package actions

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

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
type Runner struct{ o Options }

// New returns a Runner.
func New(o Options) (*Runner, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	return &Runner{o: o}, nil
}

// Timeout is the deadline of one action.
func (r *Runner) Timeout() time.Duration { return r.o.Timeout }

// Request is one action to run. The server has authorised and validated it.
type Request struct {
	Kind     api.ActionKind
	Target   api.Target
	Replicas int32  // scale
	Expect   string // resourceVersion the caller saw; "" = no precondition
	DryRun   bool
	Selector string // the owning team's label selector; "" = none
}

// Result is what an action changed (or would change, in a dry run).
type Result struct {
	Message         string
	Changes         []api.Change
	ResourceVersion string
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

// Run runs req with the runner's deadline.
func (r *Runner) Run(ctx context.Context, req Request) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
	defer cancel()
	sel := labels.Everything()
	if req.Selector != "" {
		var err error
		if sel, err = labels.Parse(req.Selector); err != nil {
			return Result{}, &Error{Code: api.CodeInternal, Msg: fmt.Sprintf("team selector %q: %v", req.Selector, err)}
		}
	}
	// Without a precondition, a conflict with another writer (often the controller
	// updating the status) is retried on the fresh object; with one, it is the answer.
	attempts := 3
	if req.Expect != "" {
		attempts = 1
	}
	var res Result
	var err error
	for range attempts {
		res, err = r.once(ctx, req, sel)
		var ae *Error
		if !errors.As(err, &ae) || ae.Code != api.CodeConflict || req.Expect != "" || ae.Err == nil || !apierrors.IsConflict(ae.Err) {
			break
		}
	}
	return res, err
}

func (r *Runner) once(ctx context.Context, req Request, sel labels.Selector) (Result, error) {
	what := "deployment " + req.Target.String()
	dc := r.o.Client.AppsV1().Deployments(req.Target.Namespace)
	cur, err := dc.Get(ctx, req.Target.Name, metav1.GetOptions{})
	if err != nil {
		return Result{}, kubeError(ctx, what, err)
	}
	if !sel.Matches(labels.Set(cur.Labels)) {
		return Result{}, &Error{Code: api.CodeForbidden, Msg: fmt.Sprintf("%s does not carry the owning team's labels (%s): vigie acts only on the team's own objects", what, sel)}
	}
	if req.Expect != "" && cur.ResourceVersion != req.Expect {
		return Result{}, &Error{Code: api.CodeConflict, Msg: fmt.Sprintf(
			"%s changed since you saw it (resourceVersion %s, now %s): look at it again and retry", what, req.Expect, cur.ResourceVersion)}
	}
	next := cur.DeepCopy()
	var change api.Change
	switch req.Kind {
	case api.ActionScale:
		from := int32(1)
		if cur.Spec.Replicas != nil {
			from = *cur.Spec.Replicas
		}
		if from == req.Replicas {
			return Result{Message: fmt.Sprintf("%s already has %d replicas: nothing to do", what, from), ResourceVersion: cur.ResourceVersion}, nil
		}
		n := req.Replicas
		next.Spec.Replicas = &n
		change = api.Change{Field: "spec.replicas", From: strconv.Itoa(int(from)), To: strconv.Itoa(int(n))}
	case api.ActionRestart:
		if cur.Spec.Paused {
			return Result{}, &Error{Code: api.CodeConflict, Msg: what + " is paused: a restart would not roll out until it is resumed"}
		}
		if next.Spec.Template.Annotations == nil {
			next.Spec.Template.Annotations = map[string]string{}
		}
		at := r.o.Now().UTC().Format(time.RFC3339)
		change = api.Change{Field: "spec.template.metadata.annotations[" + RestartedAtAnnotation + "]",
			From: cur.Spec.Template.Annotations[RestartedAtAnnotation], To: at}
		next.Spec.Template.Annotations[RestartedAtAnnotation] = at
	default:
		return Result{}, &Error{Code: api.CodeInvalid, Msg: fmt.Sprintf("unknown action %q", req.Kind)}
	}
	opts := metav1.UpdateOptions{FieldManager: FieldManager}
	if req.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	// next carries cur's resourceVersion: the apiserver refuses the update if the
	// Deployment changed after the Get.
	updated, err := dc.Update(ctx, next, opts)
	if err != nil {
		return Result{}, kubeError(ctx, what, err)
	}
	return Result{Message: message(req, what, change), Changes: []api.Change{change}, ResourceVersion: updated.ResourceVersion}, nil
}

func message(req Request, what string, c api.Change) string {
	switch {
	case req.Kind == api.ActionScale && req.DryRun:
		return fmt.Sprintf("would scale %s from %s to %s replicas", what, c.From, c.To)
	case req.Kind == api.ActionScale:
		return fmt.Sprintf("scaled %s from %s to %s replicas", what, c.From, c.To)
	case req.DryRun:
		return fmt.Sprintf("would restart %s (rollout restart at %s)", what, c.To)
	}
	return fmt.Sprintf("restarted %s (rollout restart at %s)", what, c.To)
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
