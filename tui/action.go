package tui

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/sources/platform"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
)

// Actor is the part of the platform API client the TUI acts through.
type Actor interface {
	DryRun(ctx context.Context, req api.ActionRequest) (api.Outcome, error)
	Act(ctx context.Context, req api.ActionRequest) (api.Outcome, error)
}

// RevisionLister lists a Deployment's revisions (the platform client does).
type RevisionLister interface {
	Revisions(ctx context.Context, namespace, name string) (api.RevisionsResponse, error)
}

// minReason is the shortest reason the dialog accepts for a production write (the server
// checks it too).
const minReason = 10

// actionDialog is the confirmation of a guarded action: what will change (the server's
// dry run), where, why (the reason), and a typed confirmation. No is the default: enter
// alone never confirms.
type actionDialog struct {
	req      views.ActionRequested
	prod     bool
	fields   []textinput.Model // [replicas (scale only)], reason, confirm
	focus    int
	preview  *api.Outcome
	previewE string
	err      string
	gen      uint64

	revisions *api.RevisionsResponse // rollback: the Deployment's revisions, from the server
	revErr    string

	job *jobForm // job: the template's parameters (the first fields)
}

type (
	dryRunMsg struct {
		gen uint64
		key string // job: the values asked about
		out api.Outcome
		err error
	}
	actedMsg struct {
		task taskInfo
		out  api.Outcome
		err  error
	}
)

// taskInfo is an action in flight, shown in the status bar.
type taskInfo struct {
	id    string
	what  string
	since time.Time
}

func newActionDialog(req views.ActionRequested, prod bool, gen uint64) *actionDialog {
	d := &actionDialog{req: req, prod: prod, gen: gen}
	mk := func(prompt, placeholder, value string) textinput.Model {
		in := textinput.New()
		in.Prompt, in.Placeholder, in.CharLimit = prompt, placeholder, 200
		in.SetValue(value)
		return in
	}
	switch req.Kind {
	case "scale":
		d.fields = append(d.fields, mk("replicas: ", "a number", strconv.Itoa(int(req.Replicas))))
	case "rollback":
		d.fields = append(d.fields, mk("revision: ", "the revision to go back to", ""))
	case "silence":
		d.fields = append(d.fields, mk("for:      ", "how long: 30m, 2h (capped by the policy)", "2h"))
	}
	reasonHint := "why (kept in the audit log)"
	if prod {
		reasonHint = fmt.Sprintf("why: required in production, %d characters at least", minReason)
	}
	d.fields = append(d.fields, mk("reason:   ", reasonHint, ""))
	confirm := `type "yes" to confirm`
	if prod {
		what := "deployment"
		if req.Kind == "delete-pod" {
			what = "pod"
		}
		if req.Kind == string(api.ActionJob) {
			what = "job"
		}
		confirm = fmt.Sprintf("type the %s's name (%s) to confirm", what, termtext.Line(req.Name))
	}
	d.fields = append(d.fields, mk("confirm:  ", confirm, ""))
	d.fields[0].Focus()
	return d
}

func (d *actionDialog) title() string {
	if d.req.Kind == "silence" {
		return fmt.Sprintf("Silence %s", matcherText(d.req.Matchers))
	}
	if d.req.Kind == "delete-pod" {
		return fmt.Sprintf("Delete pod %s/%s", d.req.Namespace, d.req.Name)
	}
	if d.job != nil {
		return fmt.Sprintf("Run job %s/%s", d.req.Namespace, d.req.Name)
	}
	return fmt.Sprintf("%s deployment %s/%s", strings.ToUpper(d.req.Kind[:1])+d.req.Kind[1:], d.req.Namespace, d.req.Name)
}

// request builds the API request from the fields; an error names what is missing.
func (d *actionDialog) request() (api.ActionRequest, error) {
	r, err := d.draft()
	if err == nil && d.prod && len([]rune(r.Reason)) < minReason {
		return r, fmt.Errorf("reason: %d characters at least in production", minReason)
	}
	return r, err
}

// draft is the request as the dialog's fields stand, its reason as typed so far: what a
// dry run asks about (the server wants no reason for a dry run, so what would change
// shows before the user says why).
func (d *actionDialog) draft() (api.ActionRequest, error) {
	r := api.ActionRequest{Kind: api.ActionKind(d.req.Kind), Target: api.Target{Namespace: d.req.Namespace, Name: d.req.Name},
		Expect: &api.Expect{ResourceVersion: d.req.ResourceVersion}}
	i := 0
	if d.job != nil {
		vals, err := d.job.values(d.fields)
		r.Expect = nil
		if err != nil {
			return r, err
		}
		r.Params.Values = vals
		i = d.job.n()
	}
	switch d.req.Kind {
	case "scale":
		n, err := strconv.Atoi(strings.TrimSpace(d.fields[0].Value()))
		if err != nil || n < 0 {
			return r, errors.New("replicas: a number of 0 or more")
		}
		n32 := int32(n)
		r.Params.Replicas = &n32
		i++
	case "silence":
		dur := strings.TrimSpace(d.fields[0].Value())
		if _, err := time.ParseDuration(dur); err != nil {
			return r, errors.New("for: a duration such as 30m or 2h")
		}
		r.Target = api.Target{Namespace: d.req.Namespace}
		r.Expect = nil
		r.Params.Duration = dur
		names := make([]string, 0, len(d.req.Matchers))
		for n := range d.req.Matchers {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			r.Params.Matchers = append(r.Params.Matchers, api.Matcher{Name: n, Value: d.req.Matchers[n]})
		}
		i++
	case "rollback":
		if d.revisions == nil {
			return r, errors.New("revision: waiting for the revisions from the server")
		}
		n, err := strconv.ParseInt(strings.TrimSpace(d.fields[0].Value()), 10, 64)
		if err != nil || d.revision(n) == nil || d.revision(n).Current {
			return r, errors.New("revision: one of the earlier revisions listed above")
		}
		r.Params.ToRevision = n
		r.Expect = &api.Expect{ResourceVersion: d.revisions.ResourceVersion, Revision: d.revisions.Current}
		i++
	}
	r.Reason = strings.TrimSpace(d.fields[i].Value())
	return r, nil
}

func (d *actionDialog) confirmed() bool {
	v := strings.TrimSpace(d.fields[len(d.fields)-1].Value())
	if d.prod {
		return v == d.req.Name
	}
	return strings.EqualFold(v, "yes") || strings.EqualFold(v, "y")
}

// revision returns revision n of the listed ones.
func (d *actionDialog) revision(n int64) *api.Revision {
	if d.revisions == nil {
		return nil
	}
	for i := range d.revisions.Revisions {
		if d.revisions.Revisions[i].Revision == n {
			return &d.revisions.Revisions[i]
		}
	}
	return nil
}

type revisionsMsg struct {
	gen  uint64
	resp api.RevisionsResponse
	err  error
}

// fetchRevisions asks the server for the Deployment's revisions.
func (m *Model) fetchRevisions() tea.Cmd {
	d := m.action
	lister, ok := m.session.Platform.(RevisionLister)
	if !ok {
		d.revErr = "this platform API lists no revisions"
		return nil
	}
	gen, ns, name := d.gen, d.req.Namespace, d.req.Name
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := lister.Revisions(ctx, ns, name)
		return revisionsMsg{gen: gen, resp: resp, err: err}
	}
}

// gotRevisions fills the rollback dialog: the previous revision is proposed.
func (m *Model) gotRevisions(msg revisionsMsg) tea.Cmd {
	d := m.action
	if d == nil || msg.gen != d.gen {
		return nil
	}
	if msg.err != nil {
		d.revErr = msg.err.Error()
		return nil
	}
	resp := msg.resp
	d.revisions = &resp
	for _, r := range resp.Revisions { // newest first: the first one older than the current
		if !r.Current && (resp.Current == 0 || r.Revision < resp.Current) {
			d.fields[0].SetValue(strconv.FormatInt(r.Revision, 10))
			break
		}
	}
	return m.dryRun()
}

// openAction opens the dialog of a requested action, or says why it cannot run.
func (m *Model) openAction(req views.ActionRequested) tea.Cmd {
	switch {
	case m.session.ReadOnly:
		return m.setFlash(views.Flash{Level: views.FlashWarning, Text: "read-only context: no action"})
	case m.session.Platform == nil:
		return m.setFlash(views.Flash{Level: views.FlashWarning, Text: "actions go through the platform API: none is configured for this context (platform: in the config)"})
	}
	if req.Kind == string(api.ActionJob) {
		return m.openJob(req)
	}
	m.actionGen++
	m.action = newActionDialog(req, strings.EqualFold(m.session.Environment, "production"), m.actionGen)
	if req.Kind == "rollback" {
		return m.fetchRevisions()
	}
	return m.dryRun()
}

// dryRun asks the server what the action would change.
func (m *Model) dryRun() tea.Cmd {
	d := m.action
	req, err := d.draft()
	if err != nil {
		d.preview, d.previewE = nil, ""
		return nil
	}
	var key string
	if d.job != nil { // one dry run per set of values
		if key = valuesKey(req.Params.Values); key == d.job.asked {
			return nil
		}
		d.job.asked = key
	}
	actor, gen := m.session.Platform, d.gen
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := actor.DryRun(ctx, req)
		return dryRunMsg{gen: gen, key: key, out: out, err: err}
	}
}

// gotDryRun shows a dry run's answer in the dialog that asked for it (for a job: the
// answer about the values asked last).
func (m *Model) gotDryRun(msg dryRunMsg) tea.Cmd {
	d := m.action
	if d == nil || msg.gen != d.gen || (d.job != nil && msg.key != d.job.asked) {
		return nil
	}
	if d.job != nil {
		d.job.shown = msg.key
	}
	if msg.err != nil {
		d.preview, d.previewE = nil, msg.err.Error()
	} else {
		out := msg.out
		d.preview, d.previewE = &out, ""
	}
	return nil
}

func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// actionKey handles a key in the dialog.
func (m *Model) actionKey(msg tea.KeyPressMsg) tea.Cmd {
	d := m.action
	if d.paramKey(msg) {
		return nil
	}
	var dry tea.Cmd // a job asks the server again when the focus moves
	switch msg.String() {
	case "esc", "ctrl+c":
		m.action = nil
		return m.setFlash(views.Flash{Text: "cancelled: nothing was done"})
	case "tab", "down":
		d.leaveParam()
		d.fields[d.focus].Blur()
		d.focus = (d.focus + 1) % len(d.fields)
		if d.job != nil {
			dry = m.dryRun()
		}
		return tea.Batch(d.fields[d.focus].Focus(), dry)
	case "shift+tab", "up":
		d.leaveParam()
		d.fields[d.focus].Blur()
		d.focus = (d.focus + len(d.fields) - 1) % len(d.fields)
		if d.job != nil {
			dry = m.dryRun()
		}
		return tea.Batch(d.fields[d.focus].Focus(), dry)
	case "enter":
		if d.focus < len(d.fields)-1 { // enter moves on; only the confirmation field submits
			d.leaveParam()
			d.fields[d.focus].Blur()
			d.focus++
			return tea.Batch(d.fields[d.focus].Focus(), m.dryRun())
		}
		req, err := d.request()
		if err != nil {
			if d.job != nil {
				for i := range d.job.touched {
					d.job.touched[i] = true
				}
			}
			d.err = err.Error()
			return nil
		}
		if !d.confirmed() {
			d.err = "not confirmed: " + d.fields[len(d.fields)-1].Placeholder
			return nil
		}
		req.IdempotencyKey = newKey()
		return m.submit(req, d.title())
	}
	var cmd tea.Cmd
	d.fields[d.focus], cmd = d.fields[d.focus].Update(msg)
	d.err = ""
	return cmd
}

// submit runs the action in a command and tracks it in the status bar; the watch shows
// the real new state (no optimistic change).
func (m *Model) submit(req api.ActionRequest, what string) tea.Cmd {
	m.action = nil
	t := taskInfo{id: req.IdempotencyKey, what: what, since: m.opts.Now()}
	m.tasks = append(m.tasks, t)
	actor := m.session.Platform
	m.opts.Log.Info("action requested", "kind", req.Kind, "namespace", req.Target.Namespace, "name", req.Target.Name)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, err := actor.Act(ctx, req)
		return actedMsg{task: t, out: out, err: err}
	}
}

// acted records an action's outcome.
func (m *Model) acted(msg actedMsg) tea.Cmd {
	for i, t := range m.tasks {
		if t.id == msg.task.id {
			m.tasks = append(m.tasks[:i], m.tasks[i+1:]...)
			break
		}
	}
	if msg.err != nil {
		m.opts.Log.Warn("action refused or failed", "what", msg.task.what, "err", msg.err)
		var pe *platform.Error
		text := msg.err.Error()
		if errors.As(msg.err, &pe) && pe.AuditID() != "" {
			text += "\n\n(audit record " + pe.AuditID() + ")"
		}
		m.dialog = errorDialog(msg.task.what+": not done", text)
		if m.quitting {
			return tea.Quit
		}
		return nil
	}
	text := msg.task.what + ": " + msg.out.Status
	if msg.out.Status == "pending_approval" {
		text += " (someone with the right role must approve it)"
	}
	if started, ok := jobOutcome(msg.out); ok {
		text = started
	}
	cmd := m.setFlash(views.Flash{Text: termtext.Line(text)})
	if m.quitting && len(m.tasks) == 0 {
		return tea.Quit
	}
	return cmd
}

// tasksLine is the status bar's list of actions in flight.
func (m *Model) tasksLine() string {
	if len(m.tasks) == 0 {
		return ""
	}
	parts := make([]string, len(m.tasks))
	for i, t := range m.tasks {
		parts[i] = "⏳ " + t.what
	}
	return strings.Join(parts, "  ")
}

// renderAction draws the dialog.
func (d *actionDialog) render(s *themes.Styles, sess Session, w, h int) string {
	box := s.DialogDanger
	inner := max(10, min(w-box.GetHorizontalFrameSize(), 110))
	env := sess.Environment
	if d.job != nil && d.job.tpl.Environment != "" {
		env = d.job.tpl.Environment // the template's namespace's class
	}
	where := fmt.Sprintf("context %s · namespace %s · %s", termtext.Line(sess.Context), termtext.Line(d.req.Namespace), termtext.Line(strings.ToUpper(env)))
	lines := []string{s.DialogTitle.Render(termtext.Line(d.title())), s.Muted.Render(where)}
	if d.prod {
		lines = append(lines, s.Production.Render("▲ PRODUCTION"))
	}
	lines = append(lines, "")
	if d.req.Kind == "rollback" {
		lines = append(lines, d.revisionLines(s)...)
		lines = append(lines, "")
	}
	switch {
	case d.job != nil:
		lines = append(lines, d.jobPreview(s, inner)...)
	case d.previewE != "":
		lines = append(lines, s.Danger.Render("dry run refused: "+termtext.Line(d.previewE)))
	case d.preview != nil && len(d.preview.Changes) > 0:
		lines = append(lines, s.Primary.Render("What will change (server dry run):"))
		for _, c := range d.preview.Changes {
			lines = append(lines, fmt.Sprintf("  %s: %s → %s", termtext.Line(c.Field), s.Muted.Render(termtext.Line(c.From)), s.Warning.Render(termtext.Line(c.To))))
		}
	case d.preview != nil:
		lines = append(lines, s.Muted.Render("dry run: "+termtext.Line(d.preview.Message)))
	default:
		lines = append(lines, s.Muted.Render("asking the server what will change…"))
	}
	lines = append(lines, "")
	first, keys := 0, "tab next field · enter on confirm runs it · esc cancels (nothing is done)"
	if d.job != nil {
		first, keys = d.job.n(), "tab next field · ←/→ choose · space toggles · enter on confirm runs · esc cancels"
		// What is left for the parameters once the rest of the dialog is drawn.
		room := h - box.GetVerticalFrameSize() - len(lines) - (len(d.fields) - first) - 2
		if d.err != "" {
			room--
		}
		lines = append(lines, d.paramLines(s, inner, room)...)
	}
	for i := first; i < len(d.fields); i++ {
		d.fields[i].SetWidth(max(10, inner-12))
		mark := ""
		if d.job != nil { // aligned with the parameters, the focused one marked
			d.fields[i].SetWidth(max(10, inner-14))
			mark = "  "
			if d.focus == i {
				mark = s.Primary.Render("▸ ")
			}
		}
		lines = append(lines, mark+d.fields[i].View())
	}
	if d.err != "" {
		lines = append(lines, s.FlashError.Render(termtext.Line(d.err)))
	}
	lines = append(lines, "", s.Muted.Render(keys))
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, inner, "…")
	}
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, box.Render(strings.Join(lines, "\n")))
}

// revisionLines lists the revisions, newest first, and what going back to the chosen one
// changes in the pod template.
func (d *actionDialog) revisionLines(s *themes.Styles) []string {
	switch {
	case d.revErr != "":
		return []string{s.Danger.Render("revisions: " + termtext.Line(d.revErr))}
	case d.revisions == nil:
		return []string{s.Muted.Render("asking the server for the revisions…")}
	}
	chosen, _ := strconv.ParseInt(strings.TrimSpace(d.fields[0].Value()), 10, 64)
	out := []string{s.Primary.Render("Revisions (newest first):")}
	for i, r := range d.revisions.Revisions {
		if i >= 6 {
			out = append(out, s.Muted.Render(fmt.Sprintf("  … %d older", len(d.revisions.Revisions)-i)))
			break
		}
		mark := "  "
		if r.Revision == chosen {
			mark = "▶ "
		}
		text := fmt.Sprintf("%srev %d  %s  %s", mark, r.Revision, r.Created.Format("2006-01-02 15:04"), termtext.Line(strings.Join(r.Images, ",")))
		if r.Current {
			text += "  (current)"
		}
		if r.ChangeCause != "" {
			text += "  " + termtext.Line(r.ChangeCause)
		}
		if r.Revision == chosen {
			out = append(out, s.Highlight.Render(text))
		} else {
			out = append(out, s.Muted.Render(text))
		}
	}
	if r := d.revision(chosen); r != nil && !r.Current {
		out = append(out, s.Primary.Render(fmt.Sprintf("Going back to rev %d changes:", r.Revision)))
		for _, c := range r.Changes { // two lines each: paths and images are long
			out = append(out, "  "+termtext.Line(c.Field), "      "+s.Muted.Render(orAbsent(c.From))+" → "+s.Warning.Render(orAbsent(c.To)))
		}
		out = append(out, s.Muted.Render(fmt.Sprintf("replicas stay at %d; ConfigMaps and Secrets are not part of a revision", d.revisions.Replicas)))
	}
	return out
}

func orAbsent(v string) string {
	if v == "" {
		return "(absent)"
	}
	return termtext.Line(v)
}

// matcherText writes matchers as Alertmanager does: {alertname="X", service="y"}.
func matcherText(ms map[string]string) string {
	names := make([]string, 0, len(ms))
	for n := range ms {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%q", n, ms[n])
	}
	return termtext.Line("{" + strings.Join(parts, ", ") + "}")
}
