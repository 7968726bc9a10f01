package tui

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/jobs"
)

// The job's run form: the parameters part of the action dialog of kind "job", one field
// per parameter of the template, in its order (the dialog's first fields). The checks
// mirror the server's (platform/policy's Resolve) so that a mistake shows at once, next
// to its field; the server checks again and stays the authority: its refusal is shown
// as it words it.

// jobForm is the state of the parameters of a job's dialog.
type jobForm struct {
	tpl     api.JobTemplate
	choice  []string         // enum and bool parameters: their value (kept apart from the text input, which filters text)
	res     []*regexp.Regexp // string parameters: their anchored pattern (PatternRE)
	touched []bool           // the user left the field (or tried to run): its problem is shown even when empty
	asked   string           // the values of the last dry run asked ("" = none)
	shown   string           // the values of the dry run on screen
}

// newJobDialog is the action dialog of a job template: its parameters, prefilled with
// values (a run's, to run it again) or the defaults, then the reason and the confirmation.
func newJobDialog(req views.ActionRequested, tpl api.JobTemplate, prod bool, gen uint64) *actionDialog {
	d := newActionDialog(req, prod, gen)
	d.fields[0].Blur()
	n := len(tpl.Params)
	f := &jobForm{tpl: tpl, choice: make([]string, n), res: make([]*regexp.Regexp, n), touched: make([]bool, n)}
	w := 10 // the width of "reason:   "
	for _, p := range tpl.Params {
		w = max(w, utf8.RuneCountInString(p.Name)+3)
	}
	inputs := make([]textinput.Model, 0, len(tpl.Params)+len(d.fields))
	for i, p := range tpl.Params {
		if p.Type == api.JobParamString {
			f.res[i], _ = p.PatternRE() // nil when it does not compile: CheckValue says so
		}
		name := termtext.Line(p.Name)
		if p.Required {
			name += "*"
		}
		in := textinput.New()
		in.Prompt = fmt.Sprintf("%-*s", w, name+":")
		in.CharLimit = api.MaxJobValue
		in.Placeholder = placeholder(p)
		value, ok := req.Values[p.Name]
		if !ok {
			value = p.Default
		}
		switch p.Type {
		case api.JobParamEnum, api.JobParamBool:
			f.choice[i] = value
		default:
			in.SetValue(value)
		}
		inputs = append(inputs, in)
	}
	d.job = f
	d.fields = append(inputs, d.fields...)
	d.fields[0].Focus()
	return d
}

func placeholder(p api.JobParam) string {
	switch {
	case p.Required:
		return "(required)"
	case p.Default != "":
		return "empty: the default, " + termtext.Line(p.Default)
	}
	return ""
}

// n is the number of parameters (the dialog's first n fields).
func (f *jobForm) n() int { return len(f.tpl.Params) }

// value is the value of parameter i as it would be sent: strings as typed, the others
// trimmed.
func (f *jobForm) value(fields []textinput.Model, i int) string {
	switch f.tpl.Params[i].Type {
	case api.JobParamString:
		return fields[i].Value()
	case api.JobParamEnum, api.JobParamBool:
		return f.choice[i]
	}
	return strings.TrimSpace(fields[i].Value())
}

// check says what is wrong with value v of parameter i ("" = nothing the client can see).
func (f *jobForm) check(i int, v string) string {
	p := f.tpl.Params[i]
	if v == "" && p.Type != api.JobParamString {
		if p.Required {
			return "required"
		}
		return "" // not sent: the server uses the default
	}
	if v == "" && p.Required {
		return "required"
	}
	if err := p.CheckValue(v, f.res[i]); err != nil {
		return termtext.Line(err.Error())
	}
	return ""
}

// values are the parameters to send; the error names the first one the client refuses
// (every field's problem is then shown).
func (f *jobForm) values(fields []textinput.Model) (map[string]string, error) {
	out := map[string]string{}
	var first error
	for i, p := range f.tpl.Params {
		v := f.value(fields, i)
		if msg := f.check(i, v); msg != "" {
			if first == nil {
				first = fmt.Errorf("%s: %s", termtext.Line(p.Name), msg)
			}
			continue
		}
		if v == "" && p.Type != api.JobParamString {
			continue
		}
		out[p.Name] = v
	}
	if first != nil {
		return nil, first
	}
	return out, nil
}

// missing names the required parameters still empty.
func (f *jobForm) missing(fields []textinput.Model) []string {
	var out []string
	for i, p := range f.tpl.Params {
		if p.Required && f.value(fields, i) == "" {
			out = append(out, termtext.Line(p.Name))
		}
	}
	return out
}

// anyTouched reports whether the user left a parameter's field yet.
func (f *jobForm) anyTouched() bool {
	return slices.Contains(f.touched, true)
}

// valuesKey identifies a set of values (the dry run on screen is of these values or not).
func valuesKey(v map[string]string) string {
	b, _ := json.Marshal(v) // sorted keys
	return string(b)
}

// paramKey handles the keys of an enum or bool field: left and right choose, space
// toggles or moves on; other text keys do nothing there. It reports whether it used msg.
func (d *actionDialog) paramKey(msg tea.KeyPressMsg) bool {
	f := d.job
	if f == nil || d.focus >= f.n() {
		return false
	}
	p := f.tpl.Params[d.focus]
	if p.Type != api.JobParamEnum && p.Type != api.JobParamBool {
		return false
	}
	switch msg.String() {
	case "tab", "shift+tab", "enter", "esc", "ctrl+c", "up", "down":
		return false
	case "left", "right", "space":
		choices := p.Values
		if p.Type == api.JobParamBool {
			choices = []string{"false", "true"}
		}
		step := 1
		if msg.String() == "left" {
			step = -1
		}
		i := slices.Index(choices, f.choice[d.focus])
		switch {
		case i < 0 && step > 0:
			i = 0
		case i < 0:
			i = len(choices) - 1
		default:
			i = (i + step + len(choices)) % len(choices)
		}
		if len(choices) > 0 {
			f.choice[d.focus] = choices[i]
		}
		d.err = ""
	}
	return true
}

// leaveParam marks the focused field as visited before the focus moves.
func (d *actionDialog) leaveParam() {
	if f := d.job; f != nil && d.focus < f.n() {
		f.touched[d.focus] = true
	}
}

// paramLines draws the parameters: one line each ("▸" on the focused one, with its
// problem after it), and under the focused one its type, description and keys. When
// they do not fit in room lines, a window around the focused one.
func (d *actionDialog) paramLines(s *themes.Styles, inner, room int) []string {
	f := d.job
	var lines []string
	focusAt := 0
	for i, p := range f.tpl.Params {
		in := &d.fields[i]
		mark := "  "
		if d.focus == i {
			mark, focusAt = s.Primary.Render("▸ "), len(lines)
		}
		var field string
		switch p.Type {
		case api.JobParamEnum, api.JobParamBool:
			field = in.Prompt + choiceText(s, p, f.choice[i], d.focus == i)
		default:
			in.SetWidth(max(10, min(40, inner-len(in.Prompt)-4)))
			field = in.View()
		}
		v := f.value(d.fields, i)
		if msg := f.check(i, v); msg != "" && (f.touched[i] || v != "") {
			field += "  " + s.FlashError.Render("✗ "+msg)
		}
		lines = append(lines, mark+field)
		if d.focus == i {
			lines = append(lines, s.Muted.Render("    "+paramHint(p)))
		}
	}
	if room <= 0 || len(lines) <= room {
		return lines
	}
	room = max(room, 3)
	start := min(max(0, focusAt-room/2), len(lines)-room)
	win := slices.Clone(lines[start : start+room])
	if start > 0 {
		win[0] = s.Muted.Render(fmt.Sprintf("  … %d more above", start))
	}
	if below := len(lines) - start - room; below > 0 {
		win[len(win)-1] = s.Muted.Render(fmt.Sprintf("  … %d more below", below+1))
	}
	return win
}

// choiceText draws an enum or bool value: ◀ ledger ▶, [x] true.
func choiceText(s *themes.Styles, p api.JobParam, v string, focused bool) string {
	v = termtext.Line(v)
	style := s.Muted
	if focused {
		style = s.Highlight
	}
	if p.Type == api.JobParamBool {
		switch v {
		case "true":
			return style.Render("[x] true")
		case "false":
			return style.Render("[ ] false")
		}
		return style.Render("[ ] " + orWord(v, "(choose with space)"))
	}
	return style.Render("◀ " + orWord(v, "choose") + " ▶")
}

func orWord(s, word string) string {
	if s == "" {
		return word
	}
	return s
}

// paramHint is the line under the focused parameter.
func paramHint(p api.JobParam) string {
	parts := []string{jobs.ParamType(p)}
	if p.Description != "" {
		parts = append(parts, termtext.Line(p.Description))
	}
	if p.Default != "" {
		parts = append(parts, "default "+termtext.Line(p.Default))
	}
	switch p.Type {
	case api.JobParamEnum:
		parts = append(parts, "←/→ choose")
	case api.JobParamBool:
		parts = append(parts, "space toggles")
	}
	return strings.Join(parts, " · ")
}

// jobPreview is what the server's dry run says the job would run: the argv, where, with
// which image; or its refusal in its words.
func (d *actionDialog) jobPreview(s *themes.Styles, inner int) []string {
	f := d.job
	vals, err := f.values(d.fields)
	switch {
	case err != nil && len(f.missing(d.fields)) > 0 && !f.anyTouched():
		// Just opened: nothing is wrong yet, something is to be filled in.
		return []string{s.Muted.Render("fill in " + strings.Join(f.missing(d.fields), ", ") + " to see what would run")}
	case err != nil:
		return []string{s.Warning.Render("✗ " + err.Error() + " — fix it first (the server checks again)")}
	case d.previewE != "" && f.shown == valuesKey(vals):
		var out []string
		for _, l := range strings.Split(ansi.Wrap("dry run refused: "+termtext.Line(d.previewE), inner, " "), "\n") {
			out = append(out, s.Danger.Render(l))
		}
		return firstN(out, 4)
	case d.preview == nil || f.shown != valuesKey(vals):
		if f.asked == valuesKey(vals) {
			return []string{s.Muted.Render("asking the server what would run…")}
		}
		return []string{s.Muted.Render("values changed: tab or enter asks the server again")}
	}
	run := d.preview.Job
	if run == nil {
		return []string{s.Muted.Render("dry run: " + termtext.Line(d.preview.Message))}
	}
	where := fmt.Sprintf("  in     %s (%s) · image %s", termtext.Line(run.Namespace), termtext.Line(orWord(f.tpl.Environment, "?")), termtext.Line(f.tpl.Image))
	if f.tpl.Timeout != "" {
		where += " · timeout " + termtext.Line(f.tpl.Timeout)
	}
	return []string{s.Primary.Render("Would run (server dry run):"),
		"  argv   " + s.Warning.Render(argvText(run.Command)), s.Muted.Render(where)}
}

func firstN(lines []string, n int) []string {
	if len(lines) > n {
		return lines[:n]
	}
	return lines
}

// argvText writes an argv on one line; an element that is empty or holds a space or a
// quote is quoted, so each element reads as one.
func argvText(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsFunc(a, func(r rune) bool { return unicode.IsSpace(r) || r == '"' || r == '\'' || r == '\\' }) {
			a = strconv.Quote(a)
		}
		parts[i] = termtext.Line(a)
	}
	return strings.Join(parts, " ")
}

// jobTemplate finds one of the team's templates.
func (m *Model) jobTemplate(namespace, name string) (api.JobTemplate, bool) {
	for _, t := range m.session.Jobs {
		if t.Namespace == namespace && t.Name == name {
			return t, true
		}
	}
	return api.JobTemplate{}, false
}

// openJob opens the run form of a job template of the team.
func (m *Model) openJob(req views.ActionRequested) tea.Cmd {
	tpl, ok := m.jobTemplate(req.Namespace, req.Name)
	if !ok {
		return m.setFlash(views.Flash{Level: views.FlashWarning, Text: termtext.Line("job template " + req.Namespace + "/" + req.Name + " is not one of the team's")})
	}
	m.actionGen++
	prod := strings.EqualFold(m.session.Environment, api.EnvProduction) || jobs.Production(tpl)
	m.action = newJobDialog(req, tpl, prod, m.actionGen)
	return m.dryRun()
}

// jobOutcome is the flash of a job's outcome: "started job NS/NAME".
func jobOutcome(out api.Outcome) (string, bool) {
	if out.Job == nil || out.Job.Name == "" || out.Status == api.StatusPendingApproval {
		return "", false
	}
	return termtext.Line("started job " + out.Job.Namespace + "/" + out.Job.Name), true
}
