package kube

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Scope is the team's part of the cluster: vigie never watches outside it.
type Scope struct {
	Namespaces []string
	Selector   string // label selector for pods and deployments; "" = all of them
}

func (s Scope) validate() error {
	if len(s.Namespaces) == 0 {
		return fmt.Errorf("kube watch: the team has no namespaces")
	}
	if _, err := labels.Parse(s.Selector); err != nil {
		return fmt.Errorf("kube watch: label selector %q: %w", s.Selector, err)
	}
	return nil
}

// WatchOptions tune a Watch; the zero value is usable.
type WatchOptions struct {
	// MinInterval is the shortest time between two snapshots (changes in between are
	// coalesced). 0 = 100ms.
	MinInterval time.Duration
	// RecheckInterval is how often a failing watch is re-probed to notice recovery.
	// 0 = 2s.
	RecheckInterval time.Duration
	Now             func() time.Time // clock; nil = time.Now
}

// Problem is why part of the scope is not live: forbidden by RBAC, or a connection error.
type Problem struct {
	Namespace, Resource string
	Forbidden           bool
	Err                 string
	Since               time.Time
}

// Snapshot is the state of the team's workloads at one moment. It is immutable: the
// objects are shared with the informers' caches and must never be modified.
type Snapshot struct {
	Seq         uint64
	At          time.Time
	Synced      bool // every permitted watch has listed once
	Deployments []*appsv1.Deployment
	ReplicaSets []*appsv1.ReplicaSet // the rollout history: deploy markers and revisions
	Pods        []*corev1.Pod
	Events      []*corev1.Event // newest first
	Problems    []Problem       // sorted by namespace, resource
}

// Stale reports whether some watch of the scope is failing for a reason other than RBAC:
// the data shown is the last that arrived.
func (s Snapshot) Stale() bool {
	return slices.ContainsFunc(s.Problems, func(p Problem) bool { return !p.Forbidden })
}

// Forbidden reports whether listing resource in ns is refused by RBAC.
func (s Snapshot) Forbidden(ns, resource string) bool {
	return slices.ContainsFunc(s.Problems, func(p Problem) bool {
		return p.Forbidden && p.Namespace == ns && p.Resource == resource
	})
}

// StripForDisplay is the informers' transform: it drops what vigie never shows
// (managedFields, the last-applied-configuration annotation) to keep memory low.
func StripForDisplay(obj any) (any, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return obj, nil // tombstones and other non-objects pass through
	}
	m.SetManagedFields(nil)
	if a := m.GetAnnotations(); a != nil {
		if _, ok := a[corev1.LastAppliedConfigAnnotation]; ok {
			delete(a, corev1.LastAppliedConfigAnnotation)
			m.SetAnnotations(a)
		}
	}
	return obj, nil
}

type watched struct {
	ns, resource string
	informer     cache.SharedIndexInformer
	lister       func() []any
	list         func(ctx context.Context) error // a cheap List to notice recovery
}

// Watch starts informers over the scope's namespaces only and sends a Snapshot after each
// burst of changes. The channel holds at most one snapshot: a slow reader gets the newest.
// It is closed when ctx ends.
func Watch(ctx context.Context, cs kubernetes.Interface, scope Scope, opts WatchOptions) (<-chan Snapshot, error) {
	if err := scope.validate(); err != nil {
		return nil, err
	}
	if opts.MinInterval == 0 {
		opts.MinInterval = 100 * time.Millisecond
	}
	if opts.RecheckInterval == 0 {
		opts.RecheckInterval = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	w := &watcher{opts: opts, kick: make(chan struct{}, 1), problems: map[[2]string]Problem{}}
	sel := func(o *metav1.ListOptions) { o.LabelSelector = scope.Selector }
	for _, ns := range scope.Namespaces {
		withSel := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(ns),
			informers.WithTweakListOptions(sel), informers.WithTransform(StripForDisplay))
		all := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(ns),
			informers.WithTransform(StripForDisplay))
		lim := metav1.ListOptions{Limit: 1, LabelSelector: scope.Selector}
		w.add(ns, "pods", withSel.Core().V1().Pods().Informer(), func(ctx context.Context) error {
			_, err := cs.CoreV1().Pods(ns).List(ctx, lim)
			return err
		})
		w.add(ns, "deployments", withSel.Apps().V1().Deployments().Informer(), func(ctx context.Context) error {
			_, err := cs.AppsV1().Deployments(ns).List(ctx, lim)
			return err
		})
		w.add(ns, "replicasets", withSel.Apps().V1().ReplicaSets().Informer(), func(ctx context.Context) error {
			_, err := cs.AppsV1().ReplicaSets(ns).List(ctx, lim)
			return err
		})
		w.add(ns, "events", all.Core().V1().Events().Informer(), func(ctx context.Context) error {
			_, err := cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{Limit: 1})
			return err
		})
	}
	for _, x := range w.watched {
		go x.informer.RunWithContext(ctx)
	}
	out := make(chan Snapshot, 1)
	go w.loop(ctx, out)
	return out, nil
}

type watcher struct {
	opts    WatchOptions
	watched []*watched
	kick    chan struct{}

	turn int // the healthy watch probed next (recheck runs on the loop goroutine only)

	mu       sync.Mutex
	problems map[[2]string]Problem
}

func (w *watcher) poke() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *watcher) add(ns, resource string, inf cache.SharedIndexInformer, list func(context.Context) error) {
	x := &watched{ns: ns, resource: resource, informer: inf, lister: inf.GetStore().List, list: list}
	// Data arriving proves the watch works again (after a network error, or after RBAC
	// was granted while the informer kept retrying): clear its problem.
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { w.setProblem(x, nil); w.poke() },
		UpdateFunc: func(any, any) { w.setProblem(x, nil); w.poke() },
		DeleteFunc: func(any) { w.setProblem(x, nil); w.poke() },
	})
	_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		w.setProblem(x, err)
	})
	w.watched = append(w.watched, x)
}

func (w *watcher) setProblem(x *watched, err error) {
	k := [2]string{x.ns, x.resource}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err == nil {
		if _, ok := w.problems[k]; ok {
			delete(w.problems, k)
			w.poke()
		}
		return
	}
	p, ok := w.problems[k]
	if !ok {
		p.Since = w.opts.Now()
	}
	p.Namespace, p.Resource, p.Forbidden, p.Err = x.ns, x.resource, apierrors.IsForbidden(err), err.Error()
	w.problems[k] = p
	w.poke()
}

func (w *watcher) loop(ctx context.Context, out chan Snapshot) {
	defer close(out)
	recheck := time.NewTicker(w.opts.RecheckInterval)
	defer recheck.Stop()
	var seq uint64
	var last time.Time
	synced := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-recheck.C:
			w.recheck(ctx)
			if !synced {
				w.poke()
			}
			continue
		case <-w.kick:
		}
		if wait := w.opts.MinInterval - w.opts.Now().Sub(last); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		seq++
		last = w.opts.Now()
		s := w.snapshot(seq, last)
		synced = s.Synced
		select { // latest wins: replace an unread snapshot
		case <-out:
		default:
		}
		out <- s
	}
}

// recheck probes each watch failing on a connection error with a cheap List, so recovery
// is noticed even when nothing changed in the cluster meanwhile. Forbidden watches are not
// re-probed: the informer keeps retrying with backoff and its first data clears them.
//
// When nothing is failing it probes one healthy watch (in turn): client-go's reflectors
// retry a refused connection quietly, without calling the watch error handler, so a
// stopped apiserver would otherwise look live forever. A failed probe marks every healthy
// watch of the scope, since they share the connection.
func (w *watcher) recheck(ctx context.Context) {
	w.mu.Lock()
	var failing, healthy []*watched
	for _, x := range w.watched {
		p, ok := w.problems[[2]string{x.ns, x.resource}]
		switch {
		case !ok:
			healthy = append(healthy, x)
		case !p.Forbidden:
			failing = append(failing, x)
		}
	}
	w.mu.Unlock()
	probe := func(x *watched) error {
		c, cancel := context.WithTimeout(ctx, w.opts.RecheckInterval)
		defer cancel()
		return x.list(c)
	}
	for _, x := range failing {
		err := probe(x)
		if ctx.Err() != nil {
			return
		}
		w.setProblem(x, err)
	}
	if len(failing) > 0 || len(healthy) == 0 {
		return
	}
	w.turn = (w.turn + 1) % len(healthy)
	err := probe(healthy[w.turn])
	if err == nil || ctx.Err() != nil {
		return
	}
	if apierrors.IsForbidden(err) {
		w.setProblem(healthy[w.turn], err)
		return
	}
	for _, x := range healthy {
		w.setProblem(x, err)
	}
}

func (w *watcher) snapshot(seq uint64, at time.Time) Snapshot {
	s := Snapshot{Seq: seq, At: at, Synced: true}
	w.mu.Lock()
	for _, p := range w.problems {
		s.Problems = append(s.Problems, p)
	}
	w.mu.Unlock()
	slices.SortFunc(s.Problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Resource, b.Resource))
	})
	for _, x := range w.watched {
		if !x.informer.HasSynced() && !s.Forbidden(x.ns, x.resource) {
			s.Synced = false
		}
		for _, o := range x.lister() {
			switch v := o.(type) {
			case *corev1.Pod:
				s.Pods = append(s.Pods, v)
			case *appsv1.Deployment:
				s.Deployments = append(s.Deployments, v)
			case *appsv1.ReplicaSet:
				s.ReplicaSets = append(s.ReplicaSets, v)
			case *corev1.Event:
				s.Events = append(s.Events, v)
			}
		}
	}
	byName := func(a, b metav1.Object) int {
		return cmp.Or(cmp.Compare(a.GetNamespace(), b.GetNamespace()), cmp.Compare(a.GetName(), b.GetName()))
	}
	slices.SortFunc(s.Pods, func(a, b *corev1.Pod) int { return byName(a, b) })
	slices.SortFunc(s.Deployments, func(a, b *appsv1.Deployment) int { return byName(a, b) })
	slices.SortFunc(s.ReplicaSets, func(a, b *appsv1.ReplicaSet) int { return byName(a, b) })
	slices.SortFunc(s.Events, func(a, b *corev1.Event) int {
		return cmp.Or(eventTime(b).Compare(eventTime(a)), byName(a, b))
	})
	return s
}

// eventTime is when an event last happened, whichever field its emitter filled.
func eventTime(e *corev1.Event) time.Time {
	for _, t := range []time.Time{e.LastTimestamp.Time, e.EventTime.Time, e.FirstTimestamp.Time, e.CreationTimestamp.Time} {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}
