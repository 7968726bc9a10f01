package logs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/sources"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/timewin"
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

func (v *View) move(d int) {
	if len(v.shown) == 0 {
		return
	}
	v.cursor = max(0, min(len(v.shown)-1, v.cursor+d))
	v.follow = v.cursor == len(v.shown)-1 && d > 0 && v.live
	if d < 0 {
		v.follow = false
	}
}

func (v *View) key(msg tea.KeyPressMsg) tea.Cmd {
	k, t := v.env.Keys.Logs, v.env.Keys.Table
	page := max(1, v.height-1)
	switch {
	case key.Matches(msg, t.Up):
		v.move(-1)
	case key.Matches(msg, t.Down):
		v.move(1)
	case key.Matches(msg, t.PageUp):
		v.move(-page)
	case key.Matches(msg, t.PageDown):
		v.move(page)
	case key.Matches(msg, t.HalfPageUp):
		v.move(-page / 2)
	case key.Matches(msg, t.HalfPageDown):
		v.move(page / 2)
	case key.Matches(msg, t.Top):
		v.cursor, v.follow = 0, false
	case key.Matches(msg, t.Bottom):
		v.cursor, v.follow = len(v.shown)-1, v.live
	case key.Matches(msg, k.Follow):
		v.follow = !v.follow
		if v.follow {
			v.cursor = len(v.shown) - 1
		}
	case key.Matches(msg, k.Wrap):
		v.wrap, v.left = !v.wrap, 0
	case key.Matches(msg, k.Timestamps):
		v.stamps = !v.stamps
	case key.Matches(msg, k.Pods):
		v.pods = !v.pods
	case key.Matches(msg, k.Left):
		v.left = max(0, v.left-max(8, v.width/4))
	case key.Matches(msg, k.Right):
		if !v.wrap {
			v.left += max(8, v.width/4)
		}
	case key.Matches(msg, k.Zoom):
		v.zoomed = !v.zoomed
	case key.Matches(msg, k.Search):
		return v.openPrompt('/', v.searchText)
	case key.Matches(msg, k.Window):
		return v.openPrompt('T', "")
	case key.Matches(msg, k.Jump):
		return v.openPrompt('@', "")
	case key.Matches(msg, k.BucketPrev):
		v.selectBucket(-1)
	case key.Matches(msg, k.BucketNext):
		v.selectBucket(1)
	case key.Matches(msg, k.Filter):
		return v.openPrompt('&', v.filterText)
	case key.Matches(msg, k.NextMatch):
		return v.jump(1)
	case key.Matches(msg, k.PrevMatch):
		return v.jump(-1)
	case key.Matches(msg, k.Copy):
		return v.copyLine()
	case key.Matches(msg, k.Save):
		return v.save()
	case key.Matches(msg, k.Previous):
		if v.route.Previous {
			return nil
		}
		r := v.route
		r.Previous, r.Filter = true, ""
		return func() tea.Msg { return views.Navigate{Route: r} }
	}
	return nil
}

func (v *View) openPrompt(kind byte, value string) tea.Cmd {
	v.promptKind = kind
	v.prompt.Prompt = string(kind)
	v.prompt.Placeholder = map[byte]string{'/': "search (regex, smart case)", '&': "keep lines matching a regex; !regex drops them",
		'T': "2026-11-24 22:10..23:40, 22:10..23:40, or 2h to follow from 2h ago", '@': "22:31 or 2026-11-24 22:31"}[kind]
	v.prompt.Prompt = map[byte]string{'/': "/", '&': "&", 'T': "window: ", '@': "jump to: "}[kind]
	v.prompt.SetValue(value)
	v.prompt.CursorEnd()
	return v.prompt.Focus()
}

func (v *View) promptKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		v.promptKind = 0
		v.prompt.Blur()
		return nil
	case "enter":
		kind, text := v.promptKind, v.prompt.Value()
		v.promptKind = 0
		v.prompt.Blur()
		switch kind {
		case 'T':
			return v.setWindow(text)
		case '@':
			return v.jumpTo(text)
		}
		if kind == '&' {
			if err := v.setFilter(text); err != nil {
				return views.FlashCmd(views.FlashError, "filter: "+err.Error())
			}
			if v.pushDown() { // ask Loki again, filtered: history beyond the ring too
				v.ring = newRing(v.env.RingSize)
				v.shown, v.cursor, v.top, v.follow = nil, 0, 0, true
				return v.Enter()
			}
			return nil
		}
		if text == "" {
			v.search, v.searchText = nil, ""
			return nil
		}
		re, err := compile(text)
		if err != nil {
			return views.FlashCmd(views.FlashError, "search: "+err.Error())
		}
		v.search, v.searchText = re, text
		if v.cursor >= 0 && v.cursor < len(v.shown) && v.matches(v.cursor) {
			v.follow, v.recenter = false, true
			return nil
		}
		return v.jump(-1) // the newest match before the cursor: at the end, that is the latest
	}
	var cmd tea.Cmd
	v.prompt, cmd = v.prompt.Update(msg)
	return cmd
}

// jump moves the cursor to the next (dir 1) or previous (-1) line matching the search;
// the lines around it stay on screen: search never hides lines.
func (v *View) jump(dir int) tea.Cmd {
	if v.search == nil || len(v.shown) == 0 {
		return nil
	}
	n := len(v.shown)
	start := v.cursor
	for i := 1; i <= n; i++ {
		idx := ((start+dir*i)%n + n) % n
		if v.matches(idx) {
			v.cursor, v.follow, v.recenter = idx, false, true
			return nil
		}
	}
	return views.FlashCmd(views.FlashWarning, "no line matches "+termtext.Line(v.searchText))
}

func (v *View) matches(i int) bool {
	r, ok := v.ring.get(v.shown[i])
	return ok && v.search.MatchString(r.Line)
}

func (v *View) current() (*sources.LogRecord, bool) {
	if v.cursor < 0 || v.cursor >= len(v.shown) {
		return nil, false
	}
	return v.ring.get(v.shown[v.cursor])
}

// copyLine puts the cursor's line on the clipboard with OSC 52 (works over SSH).
func (v *View) copyLine() tea.Cmd {
	r, ok := v.current()
	if !ok {
		return nil
	}
	return tea.Batch(tea.SetClipboard(termtext.Line(r.Line)), views.FlashCmd(views.FlashInfo, "line copied to the clipboard (OSC 52)"))
}

// save writes the lines shown (filter applied) to a file, in a command.
func (v *View) save() tea.Cmd {
	lines := make([]string, 0, len(v.shown))
	for _, seq := range v.shown {
		if r, ok := v.ring.get(seq); ok {
			lines = append(lines, r.At.UTC().Format(time.RFC3339Nano)+" "+r.Pod+" "+r.Line)
		}
	}
	name := fmt.Sprintf("vigie-logs-%s-%s-%s.log", v.route.Namespace, v.route.Name, v.env.Now().UTC().Format("20060102T150405Z"))
	path := filepath.Join(v.opts.SaveDir, sanitizeFileName(name))
	gen := v.gen
	return func() tea.Msg {
		err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
		if abs, aerr := filepath.Abs(path); aerr == nil {
			path = abs
		}
		return saved{gen: gen, path: path, n: len(lines), err: err}
	}
}

func sanitizeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, s)
}

func (v *View) loc() *time.Location {
	if v.env.Loc != nil {
		return v.env.Loc
	}
	return time.Local
}

// setWindow reads a typed window: a fixed one is queried as a whole (no following); a
// span follows from that long ago.
func (v *View) setWindow(text string) tea.Cmd {
	from, to, live, err := timewin.ParseWindow(text, v.env.Now(), v.loc())
	if err != nil {
		return views.FlashCmd(views.FlashError, err.Error())
	}
	if live {
		v.from, v.to, v.since = time.Time{}, time.Time{}, to.Sub(from)
	} else {
		v.from, v.to = from, to
	}
	v.ring = newRing(v.env.RingSize)
	v.shown, v.cursor, v.top, v.follow, v.volume, v.bucket = nil, 0, 0, live, nil, -1
	return v.Enter()
}

// jumpTo moves the cursor to the first line at or after a typed time.
func (v *View) jumpTo(text string) tea.Cmd {
	t, err := timewin.ParseInstant(text, v.env.Now(), v.loc())
	if err != nil {
		return views.FlashCmd(views.FlashError, err.Error())
	}
	if !v.jumpToTime(t) {
		return views.FlashCmd(views.FlashWarning, "no line at or after "+t.In(v.loc()).Format("2006-01-02 15:04:05")+" in what vigie holds")
	}
	return nil
}

func (v *View) jumpToTime(t time.Time) bool {
	for i, seq := range v.shown {
		if r, ok := v.ring.get(seq); ok && !r.At.Before(t) {
			v.cursor, v.follow, v.recenter = i, false, true
			return true
		}
	}
	return false
}

// selectBucket moves the volume selection and jumps to the bucket's first line.
func (v *View) selectBucket(d int) {
	if len(v.volume) == 0 {
		return
	}
	if v.bucket < 0 {
		v.bucket = len(v.volume)
	}
	v.bucket = max(0, min(len(v.volume)-1, v.bucket+d))
	v.jumpToTime(v.volume[v.bucket].At)
}
