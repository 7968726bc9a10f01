package logs

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/sources"
	"github.com/vigie-dev/vigie/views"
)

// Options say what a logs screen shows; Selector is the pods' label selector when the
// route is a deployment (the root knows it from the snapshot).
type Options struct {
	Selector string
	Since    time.Duration // default 15m
	SaveDir  string        // where ctrl+s writes; "" = the working directory
}

// View is the logs screen.
type View struct {
	env   views.Env
	route views.Route
	opts  Options

	ring   *ring
	shown  []uint64 // sequence numbers of the records that pass the filter, in order
	srvDrp uint64   // lines the server said it dropped
	err    string   // the source's last error ("" = fine)
	notice string
	live   bool // the source follows
	ended  bool

	gen    uint64
	cancel context.CancelFunc

	follow bool // stick to the newest line
	cursor int  // index into shown
	top    int  // first index of shown drawn (when not following)
	height int
	width  int
	left   int // horizontal scroll (wrap off)
	wrap   bool
	stamps bool
	pods   bool
	zoomed bool
	// recenter puts the cursor a third down the screen at the next render (after a jump
	// to a match, so that the lines before it are in view too).
	recenter bool

	volume    []views.VolumeBucket // lines per step over the window (Loki)
	volumeErr string
	bucket    int // the selected volume bucket; -1 = none

	from, to time.Time     // a fixed window (to non-zero), instead of following
	since    time.Duration // how far back a followed feed starts

	prompt     textinput.Model
	promptKind byte // 0 none, '/' search, '&' filter
	search     *regexp.Regexp
	searchText string
	include    *regexp.Regexp
	exclude    *regexp.Regexp
	filterText string
}

// New returns the logs screen of a route (a pod or a deployment).
func New(env views.Env, r views.Route, o Options) *View {
	in := textinput.New()
	in.CharLimit = 256
	if o.Since <= 0 {
		o.Since = 15 * time.Minute
	}
	v := &View{env: env, route: r, opts: o, ring: newRing(env.RingSize), follow: true, stamps: true,
		pods: r.Kind != "Pod", prompt: in, bucket: -1, since: o.Since}
	if r.Filter != "" {
		v.setFilter(r.Filter)
	}
	return v
}

// Messages of the feed, tagged with the generation that asked for them.
type (
	feedStarted struct {
		gen uint64
		ch  <-chan sources.LogBatch
		err error
	}
	feedBatch struct {
		gen   uint64
		batch sources.LogBatch
		ch    <-chan sources.LogBatch
	}
	feedEnded struct{ gen uint64 }
	saved     struct {
		gen  uint64
		path string
		n    int
		err  error
	}
)

// Enter starts (or restarts) the feed.
func (v *View) Enter() tea.Cmd {
	v.Leave()
	v.gen++
	v.ended = false
	gen, open := v.gen, v.env.Logs
	if open == nil {
		v.err = "no log source: configure Loki, or a Kubernetes context"
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	v.cancel = cancel
	q := views.LogQuery{Namespace: v.route.Namespace, Since: v.since, Previous: v.route.Previous,
		Follow: !v.route.Previous && v.to.IsZero(), From: v.from, To: v.to}
	if v.route.Kind == "Pod" {
		q.Pod = v.route.Name
	} else {
		q.Selector, q.App = v.opts.Selector, v.route.Name
	}
	if !v.route.From.IsZero() {
		q.Since = max(q.Since, v.env.Now().Sub(v.route.From))
	}
	if v.pushDown() { // Loki filters the history too, not only what the ring holds
		if v.include != nil {
			q.Include = v.include.String()
		}
		if v.exclude != nil {
			q.Exclude = v.exclude.String()
		}
	}
	feed := func() tea.Msg {
		ch, err := open(ctx, q)
		return feedStarted{gen: gen, ch: ch, err: err}
	}
	if vol := v.env.LogVolume; vol != nil && !q.Previous {
		now := v.env.Now()
		step := max(time.Second, (q.Since / time.Duration(max(20, v.width-20))).Round(time.Second))
		return tea.Batch(feed, func() tea.Msg {
			b, err := vol(ctx, q, now.Add(-q.Since), now, step)
			return volumeMsg{gen: gen, buckets: b, err: err}
		})
	}
	return feed
}

type volumeMsg struct {
	gen     uint64
	buckets []views.VolumeBucket
	err     error
}

// pushDown reports whether the filter is applied by the source (Loki) rather than only
// on the ring.
func (v *View) pushDown() bool { return v.env.LogsVia == "Loki" && !v.route.Previous }

// Leave stops the feed; its late messages are dropped by generation.
func (v *View) Leave() {
	if v.cancel != nil {
		v.cancel()
		v.cancel = nil
	}
}

func read(gen uint64, ch <-chan sources.LogBatch) tea.Cmd {
	return func() tea.Msg {
		b, ok := <-ch
		if !ok {
			return feedEnded{gen: gen}
		}
		return feedBatch{gen: gen, batch: b, ch: ch}
	}
}

func (v *View) Route() views.Route { return v.route }
func (v *View) Capturing() bool    { return v.promptKind != 0 }

// Title is the breadcrumb.
func (v *View) Title() string {
	what := "logs · " + strings.ToLower(v.route.Kind) + "/" + termtext.Line(v.route.Name)
	if v.route.Previous {
		what += " (previous)"
	}
	return what
}

// Help is built from the logs key map and the table navigation.
func (v *View) Help() keymaps.Screen { return v.env.Keys.LogsHelp() }

// Escape closes the zoom, then clears the search, then the filter.
func (v *View) Escape() (views.View, bool) {
	switch {
	case v.zoomed:
		v.zoomed = false
	case v.search != nil:
		v.search, v.searchText = nil, ""
	case v.include != nil || v.exclude != nil:
		v.setFilter("")
	default:
		return v, false
	}
	return v, true
}

// Update handles the feed and the keys.
func (v *View) Update(msg tea.Msg) (views.View, tea.Cmd) {
	switch msg := msg.(type) {
	case feedStarted:
		if msg.gen != v.gen {
			return v, nil
		}
		if msg.err != nil {
			v.err = msg.err.Error()
			return v, nil
		}
		return v, read(msg.gen, msg.ch)
	case feedBatch:
		if msg.gen != v.gen {
			return v, nil
		}
		v.take(msg.batch)
		return v, read(msg.gen, msg.ch)
	case feedEnded:
		if msg.gen == v.gen {
			v.ended = true
		}
		return v, nil
	case volumeMsg:
		if msg.gen == v.gen {
			v.volume, v.volumeErr = msg.buckets, ""
			if msg.err != nil {
				v.volumeErr = msg.err.Error()
			}
		}
		return v, nil
	case saved:
		if msg.err != nil {
			return v, views.FlashCmd(views.FlashError, "save: "+msg.err.Error())
		}
		return v, views.FlashCmd(views.FlashInfo, fmt.Sprintf("saved %d lines to %s", msg.n, msg.path))
	case tea.PasteMsg:
		if v.promptKind != 0 {
			var cmd tea.Cmd
			v.prompt, cmd = v.prompt.Update(msg)
			return v, cmd
		}
	case tea.MouseWheelMsg:
		if msg.Button == tea.MouseWheelUp {
			v.move(-3)
		} else if msg.Button == tea.MouseWheelDown {
			v.move(3)
		}
	case tea.KeyPressMsg:
		if v.promptKind != 0 {
			return v, v.promptKey(msg)
		}
		return v, v.key(msg)
	}
	return v, nil
}

// take appends a batch: one message per frame at most, whatever the line rate.
func (v *View) take(b sources.LogBatch) {
	v.live = b.Live
	v.notice = b.Notice
	v.srvDrp += uint64(b.Dropped)
	if b.Err != nil {
		v.err = b.Err.Error()
	} else if len(b.Records) > 0 || b.Live {
		v.err = ""
	}
	first := v.ring.received
	v.ring.push(b.Records)
	for seq := first; seq < v.ring.received; seq++ {
		if r, ok := v.ring.get(seq); ok && v.passes(r.Line) {
			v.shown = append(v.shown, seq)
		}
	}
	v.prune()
	if v.follow {
		v.cursor = len(v.shown) - 1
	}
}

// prune forgets shown lines that fell out of the ring, keeping the cursor on its line.
func (v *View) prune() {
	first := v.ring.first()
	cut := 0
	for cut < len(v.shown) && v.shown[cut] < first {
		cut++
	}
	if cut > 0 {
		v.shown = v.shown[cut:]
		v.cursor = max(0, v.cursor-cut)
		v.top = max(0, v.top-cut)
	}
}

func (v *View) passes(line string) bool {
	if v.include != nil && !v.include.MatchString(line) {
		return false
	}
	return v.exclude == nil || !v.exclude.MatchString(line)
}

// setFilter applies "regex" (keep) or "!regex" (drop) to every line held.
func (v *View) setFilter(f string) error {
	var inc, exc *regexp.Regexp
	if f != "" {
		pat, neg := strings.CutPrefix(f, "!")
		re, err := compile(pat)
		if err != nil {
			return err
		}
		if neg {
			exc = re
		} else {
			inc = re
		}
	}
	var cur uint64
	hasCur := v.cursor >= 0 && v.cursor < len(v.shown)
	if hasCur {
		cur = v.shown[v.cursor]
	}
	v.include, v.exclude, v.filterText = inc, exc, f
	v.shown = v.shown[:0]
	for seq := v.ring.first(); seq < v.ring.received; seq++ {
		if r, ok := v.ring.get(seq); ok && v.passes(r.Line) {
			v.shown = append(v.shown, seq)
		}
	}
	// Keep the cursor near the line it was on: the first kept line at or after it.
	v.cursor = len(v.shown) - 1
	if hasCur && !v.follow {
		for i, seq := range v.shown {
			if seq >= cur {
				v.cursor = i
				break
			}
		}
	}
	return nil
}

// compile is smart-case: a pattern without capitals matches any case.
func compile(pat string) (*regexp.Regexp, error) {
	if pat == strings.ToLower(pat) {
		pat = "(?i)" + pat
	}
	return regexp.Compile(pat)
}
