package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views/table"
)

// detail is the pane of one record. Records never change once written: it keeps its copy.
type detail struct {
	rec         api.AuditRecord
	top, height int
}

func (d *detail) scroll(n int) { d.top = max(0, d.top+n) }

func (d *detail) wheel(msg tea.MouseWheelMsg) {
	switch msg.Button {
	case tea.MouseWheelUp:
		d.scroll(-3)
	case tea.MouseWheelDown:
		d.scroll(3)
	}
}

// scrollKey scrolls the pane with the table's navigation keys; it reports whether it did.
func (d *detail) scrollKey(msg tea.KeyPressMsg, t keymaps.TableKeyMap) bool {
	page := max(1, d.height)
	switch {
	case key.Matches(msg, t.Up):
		d.scroll(-1)
	case key.Matches(msg, t.Down):
		d.scroll(1)
	case key.Matches(msg, t.Top):
		d.top = 0
	case key.Matches(msg, t.Bottom):
		d.top = 1 << 30 // clamped at render
	case key.Matches(msg, t.PageUp):
		d.scroll(-page)
	case key.Matches(msg, t.PageDown):
		d.scroll(page)
	case key.Matches(msg, t.HalfPageUp):
		d.scroll(-page / 2)
	case key.Matches(msg, t.HalfPageDown):
		d.scroll(page / 2)
	default:
		return false
	}
	return true
}

// line is one logical line of the pane: a muted key column (or an indent) and a text
// wrapped at render time.
type line struct {
	indent int    // width of the key column, or of the indent
	key    string // the field's name, drawn muted in the key column
	text   string
	tone   table.Tone
	title  bool // a section title
}

const keyWidth = 12

func kv(k, text string, tone table.Tone) line {
	return line{indent: keyWidth, key: k, text: text, tone: tone}
}

func indented(text string, tone table.Tone) line { return line{indent: 2, text: text, tone: tone} }

func title(text string) line { return line{text: text, title: true} }

// field is kv for a value from the server: sanitised, "-" when empty (muted).
func field(k, value string) line {
	if value == "" {
		return kv(k, "-", table.ToneMuted)
	}
	return kv(k, termtext.Line(value), table.ToneNone)
}

// shortHash shows the first 12 hex characters of a hash.
func shortHash(h string) string {
	if len(h) > 12 {
		h = h[:12] + "…"
	}
	return h
}

// detailLines is every field of the open record. Every string from the server goes
// through termtext.
func (v *View) detailLines() []line {
	r := v.detail.rec
	text, _, tone := outcome(r)
	out := []line{
		kv("Outcome", text, tone),
		kv("Seq", strconv.FormatInt(r.Seq, 10), table.ToneNone),
		field("ID", r.ID),
		kv("Time", v.when(r), table.ToneNone),
		field("Type", r.Type),
		field("Request ID", r.RequestID),
		field("Action ID", r.ActionID),
		field("User", r.User),
		field("Token ID", r.TokenID),
		field("Team", r.Team),
		field("Role", string(r.Role)),
		kv("Kind", kindText(r), table.ToneNone),
		kv("Target", targetText(r), table.ToneNone),
		kv("Params", params(r.Params), table.ToneNone),
		field("Reason", r.Reason),
	}
	status := field("Status", r.Status)
	if r.Status != "" {
		status.tone = tone
	}
	out = append(out, status, field("Code", r.Code))
	if msg := strings.TrimRight(r.Message, "\n"); msg == "" {
		out = append(out, field("Message", ""))
	} else {
		for i, l := range strings.Split(termtext.Sanitize(msg, true), "\n") {
			k := ""
			if i == 0 {
				k = "Message"
			}
			out = append(out, kv(k, l, table.ToneNone))
		}
	}
	out = append(out, line{}, title("Changes"))
	if len(r.Changes) == 0 {
		out = append(out, indented("none recorded", table.ToneMuted))
	}
	for _, c := range r.Changes {
		out = append(out, indented(termtext.Line(c.Field)+": "+orDash(termtext.Line(c.From))+" → "+orDash(termtext.Line(c.To)), table.ToneNone))
	}
	out = append(out, line{}, title("Hash chain"),
		field("Prev hash", shortHash(r.PrevHash)),
		field("Hash", shortHash(r.Hash)))
	return out
}

// params lists the action's parameters as the wire names them ("replicas=5"), "-" when
// there are none. They are read through their JSON form, so that a parameter added to
// api.Params shows without a change here.
func params(p *api.Params) string {
	if p == nil {
		return "-"
	}
	b, err := json.Marshal(p)
	if err != nil {
		return "-"
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil || len(m) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, termtext.Line(k+"="+fmt.Sprint(m[k])))
	}
	return strings.Join(parts, " ")
}

// when is the record's time in the user's zone with its age: "2026-11-26 02:58:12.345
// UTC (2m ago)".
func (v *View) when(r api.AuditRecord) string {
	if r.Time.IsZero() {
		return "-"
	}
	now := v.env.Now()
	rel := age(r.Time, now) + " ago"
	if r.Time.After(now) {
		rel = "in " + age(now, r.Time)
	}
	return r.Time.In(v.loc()).Format("2006-01-02 15:04:05.000 MST") + " (" + rel + ")"
}

// renderDetail draws the pane: a header line, then the fields, scrolled.
func (v *View) renderDetail(width, height int) string {
	d, s := v.detail, v.env.Styles
	r := d.rec
	text, _, tone := outcome(r)
	head := s.Primary.Render("audit #"+strconv.FormatInt(r.Seq, 10)+" · "+orDash(termtext.Line(r.User))+" · "+kindText(r)+" "+targetText(r)) +
		"  " + table.ToneStyle(s, tone).Render(text)
	if v.err != nil && !v.partial && !v.at.IsZero() {
		head += "  " + s.Stale.Render("STALE ⚠ last data "+age(v.at, v.env.Now())+" ago: "+errText(v.err))
	}
	rows := layout(v.detailLines(), width)
	d.height = max(0, height-1)
	d.top = max(0, min(d.top, len(rows)-max(1, d.height)))
	var b strings.Builder
	b.WriteString(table.Fit(head, width))
	end := min(len(rows), d.top+d.height)
	for _, r := range rows[d.top:end] {
		b.WriteByte('\n')
		b.WriteString(r.draw(s, width))
	}
	return b.String()
}

// row is one screen line of the pane, styled only when drawn.
type row struct {
	key   string // the key column, padded (muted)
	text  string
	tone  table.Tone
	title bool
}

func (r row) draw(st *themes.Styles, width int) string {
	if r.title {
		return st.Primary.Render(table.Fit(r.text, width))
	}
	kw := ansi.StringWidth(r.key)
	k := r.key
	if strings.TrimSpace(k) != "" {
		k = st.Muted.Render(k)
	}
	text := table.Fit(r.text, width-kw)
	if r.tone != table.ToneNone {
		text = table.ToneStyle(st, r.tone).Render(text)
	}
	return k + text
}

// layout wraps the logical lines to width.
func layout(lines []line, width int) []row {
	var out []row
	for _, l := range lines {
		if l.title {
			out = append(out, row{text: l.text, title: true})
			continue
		}
		kw := l.indent
		if width-kw < 12 { // too narrow for a key column: the key on a line of its own
			if l.key != "" {
				out = append(out, row{key: table.Fit(l.key, width)})
			}
			kw = 0
		}
		parts := wrap(l.text, width-kw)
		if len(parts) == 0 {
			parts = []string{""}
		}
		for i, p := range parts {
			k := strings.Repeat(" ", kw)
			if i == 0 && kw > 0 {
				k = pad(l.key, kw)
			}
			out = append(out, row{key: k, text: p, tone: l.tone})
		}
	}
	return out
}

// wrap breaks plain text into lines of at most width cells, at spaces when it can.
func wrap(s string, width int) []string {
	if width <= 0 {
		return nil
	}
	if ansi.StringWidth(s) <= width {
		return []string{s}
	}
	return strings.Split(ansi.Wrap(s, width, ""), "\n")
}

// pad pads plain text with spaces to w cells (never cuts it).
func pad(s string, w int) string {
	return s + strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
}
