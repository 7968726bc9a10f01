package logs

// Keys of the logs screen: moving, prompts (search, filter, window, jump), search
// jumps that keep the lines around a match, copy and save.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/sources"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/timewin"
)

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
