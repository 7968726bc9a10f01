// Package approvals is the approvals screen: the requests of the team's members that the
// policy sent for an approval, and mine waiting. A member whose role may run the action
// approves or rejects it here, with a reason; the platform API then runs it once.
package approvals

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/table"
	"github.com/vigie-dev/vigie/views/workloads"
)

const (
	colAge = iota
	colRequester
	colAction
	colTarget
	colEnv
	colExpires
	colStatus
	colReason
)

func columns() []table.Column {
	return []table.Column{
		colAge:       {Title: "Asked", Min: 5, Right: true},
		colRequester: {Title: "Who", Min: 5, Max: 16},
		colAction:    {Title: "Action", Min: 8, Max: 24},
		colTarget:    {Title: "Target", Min: 12, Max: 40, Flex: true},
		colEnv:       {Title: "Env", Min: 4, Priority: 2},
		colExpires:   {Title: "Expires", Min: 7, Right: true, Priority: 3},
		colStatus:    {Title: "Status", Min: 8},
		colReason:    {Title: "Reason", Min: 12, Flex: true, Priority: 1},
	}
}

// View is the approvals screen.
type View struct {
	env   views.Env
	route views.Route
	list  table.List
	byID  map[string]api.Approval
	err   string
	at    time.Time
	gen   uint64
	ticks int
	stop  context.CancelFunc

	deciding *api.Approval
	fields   [2]textinput.Model // decision, reason
	focus    int
	formErr  string
}

// New returns the approvals screen.
func New(env views.Env, r views.Route) *View {
	v := &View{env: env, route: r, list: table.NewList(columns(), colAge), byID: map[string]api.Approval{}}
	for i, p := range []string{"decision: ", "reason:   "} {
		in := textinput.New()
		in.Prompt, in.CharLimit = p, 1024
		v.fields[i] = in
	}
	v.fields[0].Placeholder = `type "approve" or "reject"`
	v.fields[1].Placeholder = "why (kept in the audit log)"
	return v
}

func (v *View) Route() views.Route   { return v.route }
func (v *View) Title() string        { return "approvals" }
func (v *View) Capturing() bool      { return v.deciding != nil || v.list.Editing() }
func (v *View) Help() keymaps.Screen { return v.env.Keys.ListHelp() }

// Escape closes the decision form, then clears the filter.
func (v *View) Escape() (views.View, bool) {
	if v.deciding != nil {
		v.deciding = nil
		return v, true
	}
	return v, v.list.ClearFilter()
}

type (
	loaded struct {
		gen  uint64
		list []api.Approval
		err  error
	}
	decided struct {
		out api.Approval
		err error
	}
)

// Enter loads the requests; Leave cancels a load in flight.
func (v *View) Enter() tea.Cmd { return v.load() }
func (v *View) Leave() {
	if v.stop != nil {
		v.stop()
		v.stop = nil
	}
}

func (v *View) load() tea.Cmd {
	v.Leave()
	v.gen++
	if v.env.Approvals == nil {
		v.err = "no platform API configured for this context: approvals go through `vigie serve`"
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	v.stop = cancel
	gen, list := v.gen, v.env.Approvals
	return func() tea.Msg {
		defer cancel()
		out, err := list(ctx, "all")
		return loaded{gen: gen, list: out, err: err}
	}
}

// Update handles loads, decisions, keys and the clock.
func (v *View) Update(msg tea.Msg) (views.View, tea.Cmd) {
	switch msg := msg.(type) {
	case loaded:
		if msg.gen != v.gen {
			return v, nil
		}
		if msg.err != nil {
			v.err = msg.err.Error()
			return v, nil
		}
		v.err, v.at = "", v.env.Now()
		v.rows(msg.list)
	case decided:
		if msg.err != nil {
			return v, tea.Batch(views.FlashCmd(views.FlashError, "decision: "+msg.err.Error()), v.load())
		}
		return v, tea.Batch(views.FlashCmd(views.FlashInfo, fmt.Sprintf("%s %s: %s", msg.out.Request.Kind, target(msg.out), msg.out.Status)), v.load())
	case views.Tick:
		if v.ticks++; v.ticks%15 == 0 {
			return v, v.load()
		}
	case tea.KeyPressMsg:
		if v.deciding != nil {
			return v, v.formKey(msg)
		}
		if ok, cmd := v.list.HandleKey(msg, v.env.Keys.Table); ok {
			return v, cmd
		}
		if key.Matches(msg, v.env.Keys.Workloads.Open) {
			return v, v.open()
		}
	}
	return v, nil
}

func target(a api.Approval) string {
	return termtext.Line(a.Request.Target.Namespace + "/" + a.Request.Target.Name)
}

func (v *View) rows(list []api.Approval) {
	now := v.env.Now()
	v.byID = make(map[string]api.Approval, len(list))
	rows := make([]table.Row, 0, len(list))
	for _, a := range list {
		v.byID[a.ID] = a
		action := string(a.Request.Kind)
		if p := a.Request.Params; p.Replicas != nil {
			action += fmt.Sprintf(" → %d", *p.Replicas)
		} else if p.ToRevision != 0 {
			action += fmt.Sprintf(" → rev %d", p.ToRevision)
		}
		status := table.Cell{Text: a.Status}
		switch a.Status {
		case api.ApprovalPending:
			status.Tone = table.ToneWarning
			if a.MayDecide {
				status.Text = "pending: yours to decide"
			}
		case api.ApprovalExecuted:
			status.Tone = table.ToneOK
		case api.ApprovalFailed, api.ApprovalRejected:
			status.Tone = table.ToneDanger
		default:
			status.Tone = table.ToneMuted
		}
		expires := table.Text("-")
		if a.Status == api.ApprovalPending {
			expires = table.Num(workloads.Age(now, a.ExpiresAt), float64(a.ExpiresAt.Sub(now)))
		}
		rows = append(rows, table.Row{ID: a.ID, Name: a.Requester + " " + action + " " + target(a),
			Labels: map[string]string{"user": a.Requester, "kind": string(a.Request.Kind), "status": a.Status, "team": a.Team},
			Cells: []table.Cell{
				colAge:       table.Num(workloads.Age(a.CreatedAt, now), float64(now.Sub(a.CreatedAt))),
				colRequester: table.Text(termtext.Line(a.Requester)),
				colAction:    table.Text(termtext.Line(action)),
				colTarget:    table.Text(target(a)),
				colEnv:       table.Text(termtext.Line(a.Environment)),
				colExpires:   expires,
				colStatus:    status,
				colReason:    table.Text(termtext.Line(a.Request.Reason)),
			}})
	}
	v.list.SetRows(rows)
}

// open starts deciding the selected request when the caller may.
func (v *View) open() tea.Cmd {
	r, ok := v.list.Selected()
	if !ok {
		return nil
	}
	a := v.byID[r.ID]
	if !a.MayDecide {
		return views.FlashCmd(views.FlashWarning, "not yours to decide: "+a.Status+", asked by "+termtext.Line(a.Requester))
	}
	v.deciding, v.focus, v.formErr = &a, 0, ""
	v.fields[0].SetValue("")
	v.fields[1].SetValue("")
	return v.fields[0].Focus()
}

func (v *View) formKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		v.deciding = nil
		return nil
	case "tab", "shift+tab":
		v.fields[v.focus].Blur()
		v.focus = 1 - v.focus
		return v.fields[v.focus].Focus()
	case "enter":
		if v.focus == 0 {
			v.fields[0].Blur()
			v.focus = 1
			return v.fields[1].Focus()
		}
		d := strings.ToLower(strings.TrimSpace(v.fields[0].Value()))
		if d != "approve" && d != "reject" {
			v.formErr = `decision: type "approve" or "reject"`
			return nil
		}
		a, reason, decide := *v.deciding, strings.TrimSpace(v.fields[1].Value()), v.env.Decide
		v.deciding = nil
		if decide == nil {
			return nil
		}
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := decide(ctx, a.ID, d == "approve", reason)
			return decided{out: out, err: err}
		}
	}
	var cmd tea.Cmd
	v.fields[v.focus], cmd = v.fields[v.focus].Update(msg)
	v.formErr = ""
	return cmd
}

// Render draws the status line, the decision form when open, and the list.
func (v *View) Render(width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	s := v.env.Styles
	pending := 0
	for _, a := range v.byID {
		if a.MayDecide {
			pending++
		}
	}
	head := s.Primary.Render("approvals") + s.Muted.Render(fmt.Sprintf(" [%d] ", v.list.Total()))
	if pending > 0 {
		head += s.Warning.Render(fmt.Sprintf("%d waiting for you", pending))
	}
	if v.err != "" {
		head += "  " + s.Danger.Render("⚠ "+termtext.Line(v.err))
	}
	lines := []string{table.Fit(head, width)}
	if d := v.deciding; d != nil {
		lines = append(lines, table.Fit(s.DialogTitle.Render(fmt.Sprintf("Decide: %s asks to %s %s (%s) — %q",
			termtext.Line(d.Requester), d.Request.Kind, target(*d), termtext.Line(d.Environment), termtext.Line(d.Request.Reason))), width))
		for i := range v.fields {
			v.fields[i].SetWidth(max(10, width-12))
			lines = append(lines, table.Fit(v.fields[i].View(), width))
		}
		if v.formErr != "" {
			lines = append(lines, table.Fit(s.FlashError.Render(v.formErr), width))
		}
		lines = append(lines, table.Fit(s.Muted.Render("enter on the reason decides · esc cancels; approved, the server runs it once, naming you in the audit"), width))
	}
	if prompt := v.list.PromptLine(s, width); prompt != "" {
		lines = append(lines, prompt)
	}
	rest := height - len(lines)
	if rest <= 0 {
		return strings.Join(lines[:height], "\n")
	}
	return strings.Join(lines, "\n") + "\n" + v.list.Render(s, width, rest, "no approval request")
}
