package prom

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/vigie-dev/vigie/sources"
)

// PollOptions tune Poll; the zero value is usable.
type PollOptions struct {
	Interval time.Duration // between two polls that succeeded; 0 = 10s
	Timeout  time.Duration // of one poll (all services); 0 = 10s
	// MaxBackoff caps the wait after failures, which doubles from Interval; 0 = 2m.
	MaxBackoff time.Duration
	// SLOInterval is how often SLOs are re-evaluated (their 30-day queries are heavier
	// than the signals'); 0 = 1m.
	SLOInterval time.Duration
	Now         func() time.Time // clock; nil = time.Now
}

func (o PollOptions) withDefaults() PollOptions {
	if o.Interval <= 0 {
		o.Interval = 10 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 2 * time.Minute
	}
	o.MaxBackoff = max(o.MaxBackoff, o.Interval)
	if o.SLOInterval <= 0 {
		o.SLOInterval = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// backoff is the wait before the next poll after failures consecutive failed polls.
func (o PollOptions) backoff(failures int) time.Duration {
	return sources.Backoff(o.Interval, o.MaxBackoff, failures)
}

// Snapshot is the state of the polled services after one poll. It is immutable.
type Snapshot struct {
	Seq uint64
	At  time.Time // when this poll ended
	// Services holds the last good Signals of each service by name (absent until its
	// first good poll); Signals.At says how old each is.
	Services map[string]Signals
	// Err is why the last poll failed, as Prometheus worded it (errors wrapping
	// *QueryError); nil when it succeeded.
	Err error
	// StaleSince is when polls started failing; zero while they succeed.
	StaleSince time.Time
	// NextPoll is when the next poll starts (later than usual while backing off).
	NextPoll time.Time
}

// Stale reports whether the data shown is older than the last poll.
func (s Snapshot) Stale() bool { return !s.StaleSince.IsZero() }

// Poll queries the golden signals (and SLOs) of services every opts.Interval, one poll at
// a time, and sends a Snapshot after each poll. After a failure it keeps the last good
// data, sets Err and StaleSince and backs off exponentially. The channel holds at most one
// snapshot (latest wins) and is closed when ctx ends; services with duplicate names give
// a single Snapshot with Err, then the channel closes.
func Poll(ctx context.Context, api promv1.API, services []Service, opts PollOptions) <-chan Snapshot {
	opts = opts.withDefaults()
	out := make(chan Snapshot, 1)
	seen := map[string]bool{}
	for _, s := range services {
		var err error
		switch {
		case s.tmpl == nil:
			err = fmt.Errorf("prom poll: service %q was not built with NewService", s.name)
		case seen[s.name]:
			err = fmt.Errorf("prom poll: service %q listed twice", s.name)
		}
		if err != nil {
			out <- Snapshot{Seq: 1, At: opts.Now(), Err: err}
			close(out)
			return out
		}
		seen[s.name] = true
	}
	p := &poller{api: api, services: services, opts: opts, last: map[string]Signals{}, slo: map[string]sloResult{}}
	go p.loop(ctx, out)
	return out
}

type sloResult struct {
	status SLOStatus
	at     time.Time // when it was evaluated
}

type poller struct {
	api      promv1.API
	services []Service
	opts     PollOptions

	// Owned by the loop goroutine.
	last map[string]Signals
	slo  map[string]sloResult
}

func (p *poller) loop(ctx context.Context, out chan Snapshot) {
	t := sources.PollTiming{Interval: p.opts.Interval, MaxBackoff: p.opts.MaxBackoff, Now: p.opts.Now}
	sources.PollLoop(ctx, out, t, p.pollOnce, func(r sources.PollResult) Snapshot {
		return Snapshot{Seq: r.Seq, At: r.At, Services: maps.Clone(p.last), Err: r.Err, StaleSince: r.StaleSince, NextPoll: r.NextPoll}
	})
}

// pollOnce queries every service. A service whose signal queries all succeed replaces its
// last good Signals; the others keep theirs. A failed SLO evaluation keeps the previous
// SLO status (SLOStatus.At says how old it is).
func (p *poller) pollOnce(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	at := p.opts.Now()
	var errs []error
	for _, svc := range p.services {
		sig, err := SignalsAt(ctx, p.api, svc, at)
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				// The deadline passed: the other services would fail the same way.
				errs = append(errs, fmt.Errorf("prometheus: poll of %d services timed out after %s", len(p.services), p.opts.Timeout))
				break
			}
			continue
		}
		if svc.slo.Objective != 0 {
			r, ok := p.slo[svc.name]
			if !ok || at.Sub(r.at) >= p.opts.SLOInterval {
				st, serr := SLOAt(ctx, p.api, svc, at)
				if serr != nil {
					errs = append(errs, serr) // the previous status, if any, stays
				} else {
					r, ok = sloResult{status: st, at: at}, true
					p.slo[svc.name] = r
				}
			}
			if ok {
				st := r.status
				sig.SLO = &st
			}
		}
		p.last[svc.name] = sig
	}
	return summarise(errs)
}

// summarise flattens joined errors and keeps one error per distinct server message: when
// Prometheus is down, the 7 queries of each service fail with the same words, and the
// status bar needs them once.
func summarise(errs []error) error {
	var flat []error
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		flat = append(flat, e)
	}
	for _, e := range errs {
		walk(e)
	}
	seen := map[string]bool{}
	var out []error
	for _, e := range flat {
		key := e.Error()
		var qe *QueryError
		if errors.As(e, &qe) {
			key = qe.Error()
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, e)
		}
	}
	return errors.Join(out...)
}
