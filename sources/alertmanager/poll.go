package alertmanager

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/vigie-dev/vigie/sources"
)

// PollOptions tune Poll; the zero value is usable.
type PollOptions struct {
	Interval time.Duration // between two polls that succeeded; 0 = 10s
	Timeout  time.Duration // of one poll; 0 = the client's timeout
	// MaxBackoff caps the wait after failures, which doubles from Interval; 0 = 2m.
	MaxBackoff time.Duration
	Now        func() time.Time // clock; nil = time.Now
}

func (o PollOptions) withDefaults(c *Client) PollOptions {
	if o.Interval <= 0 {
		o.Interval = 10 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = c.timeout
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 2 * time.Minute
	}
	o.MaxBackoff = max(o.MaxBackoff, o.Interval)
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Snapshot is the team's alerts after one poll. It is immutable: its slices and maps
// are never modified after it is sent.
type Snapshot struct {
	Seq uint64
	At  time.Time // when this poll ended
	// Alerts are the last good alerts (sorted by SortAlerts); AlertsAt is when they were
	// fetched (zero before the first good poll).
	Alerts   []Alert
	AlertsAt time.Time
	// Silences by ID: the team's silences and every silence an alert is silenced by.
	Silences map[string]Silence
	// Err is why the last poll failed (an *APIError, with the server's words); nil when
	// it succeeded.
	Err error
	// StaleSince is when polls started failing; zero while they succeed.
	StaleSince time.Time
	NextPoll   time.Time
}

// Stale reports whether the data shown is older than the last poll.
func (s Snapshot) Stale() bool { return !s.StaleSince.IsZero() }

// Poll fetches the team's alerts and silences every opts.Interval, one poll at a time,
// and sends a Snapshot after each. After a failure it keeps the last good data, sets Err
// and StaleSince, and backs off exponentially. The channel holds at most one snapshot
// (latest wins) and is closed when ctx ends; an invalid filter gives one Snapshot with
// Err, then the channel closes.
func Poll(ctx context.Context, c *Client, f TeamFilter, opts PollOptions) <-chan Snapshot {
	opts = opts.withDefaults(c)
	out := make(chan Snapshot, 1)
	if _, err := f.Filters(); err != nil {
		out <- Snapshot{Seq: 1, At: opts.Now(), Err: err}
		close(out)
		return out
	}
	p := &poller{c: c, f: f, opts: opts, silences: map[string]Silence{}}
	go p.loop(ctx, out)
	return out
}

type poller struct {
	c    *Client
	f    TeamFilter
	opts PollOptions

	// Owned by the loop goroutine.
	alerts   []Alert
	alertsAt time.Time
	silences map[string]Silence
}

func (p *poller) loop(ctx context.Context, out chan Snapshot) {
	t := sources.PollTiming{Interval: p.opts.Interval, MaxBackoff: p.opts.MaxBackoff, Now: p.opts.Now}
	sources.PollLoop(ctx, out, t, p.pollOnce, func(r sources.PollResult) Snapshot {
		return Snapshot{Seq: r.Seq, At: r.At, Alerts: p.alerts, AlertsAt: p.alertsAt, Silences: maps.Clone(p.silences),
			Err: r.Err, StaleSince: r.StaleSince, NextPoll: r.NextPoll}
	})
}

// pollOnce fetches alerts, then silences. Failed alerts keep everything as it was; failed
// silences keep the previous silences next to the new alerts.
func (p *poller) pollOnce(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	alerts, err := p.c.Alerts(ctx, p.f)
	if err != nil {
		return err
	}
	p.alerts, p.alertsAt = alerts, p.opts.Now() // a fresh slice each poll: snapshots share it read-only
	sils, err := p.c.Silences(ctx, p.f)
	if err != nil {
		return err
	}
	byID := make(map[string]Silence, len(sils))
	for _, s := range sils {
		byID[s.ID] = s
	}
	var errs []error
	tried := map[string]bool{}
	for _, a := range alerts {
		for _, id := range a.SilencedBy {
			if _, ok := byID[id]; ok || tried[id] {
				continue
			}
			tried[id] = true
			s, err := p.c.Silence(ctx, id)
			if err != nil {
				if old, ok := p.silences[id]; ok {
					byID[id] = old
				}
				errs = append(errs, err)
				continue
			}
			byID[id] = s
		}
	}
	p.silences = byID
	return errors.Join(errs...)
}
