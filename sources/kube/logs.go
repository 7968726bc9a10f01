package kube

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/vigie-dev/vigie/sources"
)

// LogsRequest says whose logs to follow: the pods of a namespace matching a selector (a
// workload), or one pod.
type LogsRequest struct {
	Namespace string
	Selector  string // label selector of the pods; ignored when Pod is set
	Pod       string // one pod
	Container string // "" = every container of each pod
	// Since starts at this age (default 5m); TailLines caps the backlog per container
	// (default 1000). Follow keeps streaming new lines.
	Since     time.Duration
	TailLines int64
	Follow    bool
	// Previous reads the logs of the previous (crashed) instance of each container; it
	// never follows.
	Previous bool
	// MaxStreams bounds the number of concurrent log streams (default 8): beyond it,
	// containers wait for a free slot, and the batch Notice says so.
	MaxStreams int
	// FlushEvery is how often merged lines are sent (default 100ms).
	FlushEvery time.Duration
	// Reorder holds lines this long before sending them (default 1s), so that lines of
	// several pods arriving late still come out in time order.
	Reorder time.Duration
}

func (r *LogsRequest) validate() error {
	if r.Namespace == "" {
		return errors.New("kube logs: no namespace")
	}
	if r.Pod == "" {
		if _, err := labels.Parse(r.Selector); err != nil {
			return fmt.Errorf("kube logs: label selector %q: %w", r.Selector, err)
		}
		if r.Selector == "" {
			return errors.New("kube logs: a pod or a label selector is required (vigie never follows a whole namespace)")
		}
	}
	if r.Since <= 0 {
		r.Since = 5 * time.Minute
	}
	if r.TailLines <= 0 {
		r.TailLines = 1000
	}
	if r.MaxStreams <= 0 {
		r.MaxStreams = 8
	}
	if r.FlushEvery <= 0 {
		r.FlushEvery = 100 * time.Millisecond
	}
	if r.Reorder <= 0 {
		r.Reorder = time.Second
	}
	if r.Previous {
		r.Follow = false
	}
	return nil
}

// Logs streams the logs of the pods of r, merged by timestamp in batches: pods that
// appear while following join, pods that go away leave. The channel is closed when ctx
// ends, or when every stream ended and r.Follow is false.
func Logs(ctx context.Context, cs kubernetes.Interface, r LogsRequest) (<-chan sources.LogBatch, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	out := make(chan sources.LogBatch, 4)
	f := &follower{cs: cs, req: r, out: out, active: map[string]bool{}, seen: map[string]time.Time{}, slots: make(chan struct{}, r.MaxStreams)}
	go f.run(ctx)
	return out, nil
}

type follower struct {
	cs  kubernetes.Interface
	req LogsRequest
	out chan sources.LogBatch
	wg  sync.WaitGroup

	mu      sync.Mutex
	pending []sources.LogRecord
	errs    []string
	active  map[string]bool      // "pod/container" streams started
	seen    map[string]time.Time // newest line per "pod/container": a restarted stream resumes after it
	waiting int                  // streams waiting for a slot
	slots   chan struct{}
}

func (f *follower) run(ctx context.Context) {
	defer close(f.out)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		f.discover(ctx)
		f.wg.Wait()
		close(done)
	}()
	tick := time.NewTicker(f.req.FlushEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			f.flush(ctx, time.Time{})
			return
		case <-tick.C:
			f.flush(ctx, time.Now().Add(-f.req.Reorder))
		}
	}
}

// flush sends, sorted by time, the lines that arrived up to the watermark (all of them
// when it is zero); later ones wait for the next flush, so lines of several pods that
// arrive a little late still come out in order.
func (f *follower) flush(ctx context.Context, watermark time.Time) {
	f.mu.Lock()
	slices.SortStableFunc(f.pending, func(a, b sources.LogRecord) int { return a.At.Compare(b.At) })
	n := len(f.pending)
	if !watermark.IsZero() {
		n, _ = slices.BinarySearchFunc(f.pending, watermark, func(r sources.LogRecord, t time.Time) int {
			if r.At.After(t) {
				return 1
			}
			return -1
		})
	}
	recs := slices.Clone(f.pending[:n])
	f.pending = slices.Delete(f.pending, 0, n)
	errs, waiting := f.errs, f.waiting
	f.errs = nil
	f.mu.Unlock()
	if len(recs) == 0 && len(errs) == 0 {
		return
	}
	b := sources.LogBatch{Records: recs, Live: f.req.Follow}
	if len(errs) > 0 {
		b.Err = errors.New(strings.Join(errs, "; "))
	}
	if waiting > 0 {
		b.Notice = fmt.Sprintf("%d container streams wait for a slot (max %d concurrent)", waiting, f.req.MaxStreams)
	}
	select {
	case f.out <- b:
	case <-ctx.Done():
	}
}

func (f *follower) fail(err error) {
	f.mu.Lock()
	f.errs = append(f.errs, err.Error())
	f.mu.Unlock()
}

// discover lists the pods and, when following, watches for new ones.
func (f *follower) discover(ctx context.Context) {
	pods := f.cs.CoreV1().Pods(f.req.Namespace)
	opts := metav1.ListOptions{LabelSelector: f.req.Selector}
	if f.req.Pod != "" {
		opts = metav1.ListOptions{FieldSelector: "metadata.name=" + f.req.Pod}
	}
	list, err := pods.List(ctx, opts)
	if err != nil {
		f.fail(fmt.Errorf("kube logs: list pods in %s: %w", f.req.Namespace, err))
		return
	}
	if len(list.Items) == 0 {
		f.fail(fmt.Errorf("kube logs: no pod matches in %s", f.req.Namespace))
	}
	for i := range list.Items {
		f.startPod(ctx, &list.Items[i])
	}
	if !f.req.Follow {
		return
	}
	opts.ResourceVersion = list.ResourceVersion
	for ctx.Err() == nil {
		w, err := pods.Watch(ctx, opts)
		if err != nil {
			f.fail(fmt.Errorf("kube logs: watch pods: %w", err))
			if !sleep(ctx, 2*time.Second) {
				return
			}
			opts.ResourceVersion = ""
			continue
		}
		for ev := range w.ResultChan() {
			if p, ok := ev.Object.(*corev1.Pod); ok && (ev.Type == watch.Added || ev.Type == watch.Modified) {
				f.startPod(ctx, p)
			}
		}
		w.Stop()
		opts.ResourceVersion = ""
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// startPod starts a stream per container that has started (or has a previous instance).
func (f *follower) startPod(ctx context.Context, p *corev1.Pod) {
	if p.DeletionTimestamp != nil {
		return
	}
	for _, st := range p.Status.ContainerStatuses {
		if f.req.Container != "" && st.Name != f.req.Container {
			continue
		}
		started := st.State.Running != nil || st.State.Terminated != nil || st.LastTerminationState.Terminated != nil
		if f.req.Previous {
			started = st.LastTerminationState.Terminated != nil || st.RestartCount > 0
		}
		if !started {
			continue
		}
		key := p.Name + "/" + st.Name
		f.mu.Lock()
		if f.active[key] {
			f.mu.Unlock()
			continue
		}
		f.active[key] = true
		f.waiting++
		f.mu.Unlock()
		f.wg.Add(1)
		go f.stream(ctx, p.Name, st.Name, key)
	}
}

// stream copies one container's log into the pending batch, timestamps parsed.
func (f *follower) stream(ctx context.Context, pod, container, key string) {
	defer f.wg.Done()
	select {
	case f.slots <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-f.slots }()
	f.mu.Lock()
	f.waiting--
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.active, key) // a pod that restarts its container can be picked up again
		f.mu.Unlock()
	}()
	f.mu.Lock()
	after := f.seen[key]
	f.mu.Unlock()
	since := metav1.NewTime(time.Now().Add(-f.req.Since))
	if !after.IsZero() {
		since = metav1.NewTime(after) // seconds precision: lines up to after are skipped below
	}
	opts := &corev1.PodLogOptions{Container: container, Follow: f.req.Follow, Timestamps: true,
		Previous: f.req.Previous, TailLines: &f.req.TailLines}
	if !f.req.Previous {
		opts.SinceTime = &since
	}
	rc, err := f.cs.CoreV1().Pods(f.req.Namespace).GetLogs(pod, opts).Stream(ctx)
	if err != nil {
		if ctx.Err() == nil {
			f.fail(fmt.Errorf("kube logs %s/%s: %w", pod, container, err))
		}
		return
	}
	defer rc.Close()
	f.read(rc, pod, container, key, after)
}

// read copies a stream's lines into the pending batch. Lines are handed on in groups
// while more are already buffered (a chatty pod), and at once when the stream has nothing
// more for now: a pod that logs one line and goes quiet shows it.
func (f *follower) read(r io.Reader, pod, container, key string, after time.Time) {
	br := bufio.NewReaderSize(r, 64*1024)
	lbl := map[string]string{"namespace": f.req.Namespace, "pod": pod, "container": container}
	var batch []sources.LogRecord
	push := func() {
		if len(batch) == 0 {
			return
		}
		f.mu.Lock()
		f.pending = append(f.pending, batch...)
		if n := len(batch); batch[n-1].At.After(f.seen[key]) {
			f.seen[key] = batch[n-1].At
		}
		f.mu.Unlock()
		batch = nil
	}
	for {
		raw, err := readLine(br, maxLogLine)
		if len(raw) > 0 || err == nil {
			at, line := SplitTimestamp(raw)
			if after.IsZero() || at.After(after) { // else delivered before the stream restarted
				batch = append(batch, sources.LogRecord{At: at, Line: line, Labels: lbl, Pod: pod, Container: container})
			}
		}
		if err != nil {
			break
		}
		if len(batch) >= 256 || br.Buffered() == 0 {
			push()
		}
	}
	push()
}

// maxLogLine is the longest line kept; the rest of a longer line is dropped.
const maxLogLine = 1 << 20

// readLine reads one line without its end of line, at most max bytes of it. The error
// is the reader's (io.EOF at the end), with the last, unterminated line.
func readLine(br *bufio.Reader, max int) (string, error) {
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if room := max - len(long); room > 0 {
				long = append(long, chunk[:min(len(chunk), room)]...)
			}
			continue
		}
		if long != nil {
			if room := max - len(long); room > 0 {
				long = append(long, chunk[:min(len(chunk), room)]...)
			}
			chunk = long
		}
		line := strings.TrimRight(string(chunk), "\r\n")
		return line, err
	}
}

// SplitTimestamp splits a line of `kubectl logs --timestamps` into its RFC3339Nano time
// and the text; a line without one keeps its text and gets the zero time.
func SplitTimestamp(s string) (time.Time, string) {
	ts, rest, ok := strings.Cut(s, " ")
	if !ok {
		return time.Time{}, s
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, s
	}
	return t, rest
}
