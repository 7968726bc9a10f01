package jobs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/views/pane"
	"github.com/vigie-dev/vigie/views/table"
)

// Render draws the status line, the templates, then the runs; or the open run's details.
func (v *View) Render(width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	if v.detail != nil {
		return v.renderDetail(width, height)
	}
	s := v.env.Styles
	lines := strings.Split(v.status(width), "\n")
	if v.env.Jobs == nil {
		for _, l := range pane.Wrap(NoAPI, width) {
			lines = append(lines, s.Muted.Render(table.Fit(l, width)))
		}
		return strings.Join(firstN(lines, height), "\n")
	}
	if prompt := v.focused().PromptLine(s, width); prompt != "" {
		lines = append(lines, prompt)
	}
	rest := height - len(lines)
	if rest <= 0 {
		return strings.Join(firstN(lines, height), "\n")
	}
	// The templates get what they need up to two fifths of the room; the runs the rest.
	var tpl []string
	if v.templates.Total() == 0 {
		for _, l := range pane.Wrap(NoTemplates, width) {
			tpl = append(tpl, s.Muted.Render(table.Fit(l, width)))
		}
		tpl = firstN(tpl, max(1, rest/3))
	} else {
		h := min(v.templates.Len()+1, max(2, (rest-2)*2/5))
		tpl = strings.Split(v.renderList(&v.templates, focusTemplates, width, h, "no template matches"), "\n")
	}
	lines = append(lines, v.section(fmt.Sprintf("Templates (%d)", v.templates.Total()), focusTemplates, width))
	lines = append(lines, tpl...)
	lines = append(lines, v.section(v.runsTitle(), focusRuns, width))
	if runH := height - len(lines); runH > 0 {
		lines = append(lines, strings.Split(v.renderList(&v.runs, focusRuns, width, runH, v.emptyRuns()), "\n")...)
	}
	return strings.Join(firstN(lines, height), "\n")
}

// renderList draws a list; the one without the keys draws its cursor row plainly.
func (v *View) renderList(l *table.List, which, width, height int, empty string) string {
	s := v.env.Styles
	if v.focus != which {
		plain := *s
		plain.SelectedRow = s.Cell
		s = &plain
	}
	return l.Render(s, width, height, empty)
}

// section is a list's title; the focused one is marked.
func (v *View) section(title string, which, width int) string {
	s := v.env.Styles
	if v.focus == which {
		return table.Fit(s.Primary.Render("▸ "+title), width)
	}
	return table.Fit(s.Muted.Render("  "+title), width)
}

func (v *View) runsTitle() string {
	shown, total := v.runs.Len(), v.runs.Total()
	if shown != total {
		return fmt.Sprintf("Recent runs (%d of %d)", shown, total)
	}
	return fmt.Sprintf("Recent runs (%d)", total)
}

func (v *View) emptyRuns() string {
	switch {
	case v.at.IsZero() && v.err != nil:
		return "no runs: " + errText(v.err)
	case v.at.IsZero():
		return "loading the runs…"
	case v.templates.Total() > 0:
		return "no run yet: enter on a template runs it"
	}
	return "no run yet"
}

// status is the first line: what the screen holds and whether it is live or stale.
func (v *View) status(width int) string {
	s := v.env.Styles
	parts := []string{s.Primary.Render("jobs"), s.Muted.Render("[" + plural(v.templates.Total(), "template") + " · " + plural(v.runs.Total(), "run") + "]")}
	state, stale := pane.Polled{API: v.env.Jobs != nil, At: v.at, Err: v.err}.State(s, v.env.Now())
	if state != "" {
		parts = append(parts, state)
	}
	return pane.StatusLine(strings.Join(parts, " "), stale, width)
}

func (v *View) when(t *time.Time) pane.Line {
	if t == nil || t.IsZero() {
		return pane.Line{}
	}
	now := v.env.Now()
	rel := duration.HumanDuration(now.Sub(*t)) + " ago"
	if t.After(now) {
		rel = "in " + duration.HumanDuration(t.Sub(now))
	}
	return pane.KV("", t.In(v.loc()).Format("2006-01-02 15:04:05 MST")+" ("+rel+")", table.ToneNone)
}

// detailLines is every field of the open run: the argv as run (one element a line, so
// an element with spaces reads as one), the values, who and why, the status and its
// message, the pods and the times.
func (v *View) detailLines() []pane.Line {
	r := v.detail.run
	status := pane.Field("Status", r.Status)
	status.Tone = StatusTone(r.Status)
	out := []pane.Line{status}
	if msg := strings.TrimRight(r.Message, "\n"); msg == "" {
		out = append(out, pane.Field("Message", ""))
	} else {
		for i, l := range strings.Split(termtext.Sanitize(msg, true), "\n") {
			k := ""
			if i == 0 {
				k = "Message"
			}
			out = append(out, pane.KV(k, l, table.ToneNone))
		}
	}
	out = append(out, pane.Field("Template", r.Template), pane.Field("Namespace", r.Namespace), pane.Field("Job", r.Name),
		pane.Field("User", r.User), pane.Field("Approver", r.Approver), pane.Field("Reason", r.Reason))
	for _, t := range []struct {
		k string
		t *time.Time
	}{{"Created", &r.Created}, {"Started", r.Started}, {"Finished", r.Finished}} {
		l := v.when(t.t)
		if l.Indent == 0 {
			l = pane.Field("", "")
		}
		l.Key = t.k
		out = append(out, l)
	}
	if text, _ := took(r, v.env.Now()); text != "-" {
		out = append(out, pane.KV("Took", text, table.ToneNone))
	}
	out = append(out, pane.Field("Action ID", r.ActionID), pane.Line{}, pane.Title("Command (argv as run)"))
	if len(r.Command) == 0 {
		out = append(out, pane.Indented("none recorded", table.ToneMuted))
	}
	for i, a := range r.Command {
		out = append(out, pane.Line{Indent: 6, Key: "[" + strconv.Itoa(i) + "]", Text: termtext.Line(a)})
	}
	out = append(out, pane.Line{}, pane.Title("Values"))
	if len(r.Values) == 0 {
		out = append(out, pane.Indented("none", table.ToneMuted))
	}
	for _, part := range valuesList(r.Values, v.template(r)) {
		out = append(out, pane.Indented(part, table.ToneNone))
	}
	out = append(out, pane.Line{}, pane.Title("Pods (l: their logs)"))
	if len(r.Pods) == 0 {
		out = append(out, pane.Indented("none yet", table.ToneMuted))
	}
	for _, p := range r.Pods {
		out = append(out, pane.Indented(termtext.Line(p), table.ToneNone))
	}
	return out
}

// renderDetail draws the pane: a header line, then the fields, scrolled.
func (v *View) renderDetail(width, height int) string {
	s := v.env.Styles
	r := v.detail.run
	head := s.Primary.Render("job "+termtext.Line(r.Namespace+"/"+r.Name)+" · "+orDash(termtext.Line(r.Template))) + "  " +
		table.ToneStyle(s, StatusTone(r.Status)).Render(orDash(termtext.Line(r.Status)))
	if v.err != nil && !v.at.IsZero() {
		head += "  " + s.Stale.Render("STALE ⚠ last data "+duration.HumanDuration(v.env.Now().Sub(v.at))+" ago: "+errText(v.err))
	}
	return v.detail.pane.Render(s, head, v.detailLines(), width, height)
}

// plural is "1 run", "2 runs".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// errText is the first line of an error, made safe to draw.
func errText(err error) string { return pane.ErrText(err) }

func firstN(lines []string, n int) []string {
	if len(lines) > n {
		return slices.Clone(lines[:n])
	}
	return lines
}
