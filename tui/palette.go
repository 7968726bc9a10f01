package tui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/textdist"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
)

// command is one palette command: its name, aliases, what its argument completes from.
type command struct {
	name    string
	aliases []string
	arg     string // "", "filter", "team", "context"
	help    string
}

func commands() []command {
	return []command{
		{name: "home", aliases: []string{"h", "services", "svc"}, arg: "filter", help: "the team's services"},
		{name: "alerts", aliases: []string{"alert", "al"}, arg: "filter", help: "the team's alerts"},
		{name: "metrics", aliases: []string{"m", "graph"}, arg: "service", help: "metrics of a service"},
		{name: "promql", aliases: []string{"pq"}, arg: "expr", help: "PromQL console [expression]"},
		{name: "query", aliases: []string{"sql", "db"}, arg: "sql", help: "read-only SQL on the team's databases [statement]"},
		{name: "audit", aliases: []string{"actions"}, arg: "filter", help: "the team's actions, from the platform API's audit log"},
		{name: "approvals", aliases: []string{"approve", "ap"}, arg: "filter", help: "requests waiting for an approval"},
		{name: "jobs", aliases: []string{"job", "runbooks"}, arg: "filter", help: "the team's runbook jobs: run one, follow its runs"},
		{name: "deploy", aliases: []string{"deployments", "deployment", "dp"}, arg: "filter", help: "deployments [filter]"},
		{name: "pods", aliases: []string{"pod", "po"}, arg: "filter", help: "pods [filter | -l selector]"},
		{name: "events", aliases: []string{"event", "ev"}, arg: "filter", help: "events of the team"},
		{name: "team", arg: "team", help: "switch team"},
		{name: "ctx", aliases: []string{"context"}, arg: "context", help: "switch context"},
		{name: "help", aliases: []string{"?"}, help: "all keys"},
		{name: "quit", aliases: []string{"q", "q!"}, help: "leave vigie"},
	}
}

func findCommand(word string) (command, bool) {
	for _, c := range commands() {
		if c.name == word || slices.Contains(c.aliases, word) {
			return c, true
		}
	}
	return command{}, false
}

// palette is the ":" prompt: a text input, suggestions that follow what is typed, and tab
// completion.
type palette struct {
	open   bool
	input  textinput.Model
	values map[string][]string // completion values per argument kind
	err    string
	pick   int // suggestion selected by tab / up / down
}

func newPalette() palette {
	in := textinput.New()
	in.Prompt = ":"
	in.Placeholder = "pods, deploy, events, team <name>, ctx <name>, q"
	in.CharLimit = 200
	return palette{input: in}
}

func (p *palette) start(values map[string][]string) tea.Cmd {
	p.open, p.err, p.pick, p.values = true, "", -1, values
	p.input.SetValue("")
	return p.input.Focus()
}

func (p *palette) close() {
	p.open = false
	p.input.Blur()
}

func (p *palette) update(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	p.err, p.pick = "", -1
	return cmd
}

// suggestions lists completions of the text typed so far: command names for the first
// word, then the values of the command's argument.
func (p *palette) suggestions() []string {
	text := strings.TrimLeft(p.input.Value(), " ")
	word, rest, hasArg := strings.Cut(text, " ")
	if !hasArg {
		var out []string
		for _, c := range commands() {
			for _, n := range append([]string{c.name}, c.aliases...) {
				if strings.HasPrefix(n, word) && !slices.Contains(out, c.name) {
					out = append(out, c.name)
				}
			}
		}
		return out
	}
	c, ok := findCommand(word)
	if !ok {
		return nil
	}
	rest = strings.TrimLeft(rest, " ")
	var out []string
	for _, v := range p.values[c.arg] {
		if strings.HasPrefix(v, rest) {
			out = append(out, c.name+" "+v)
		}
	}
	return out
}

// complete replaces the input by the next suggestion.
func (p *palette) complete(delta int) {
	sug := p.suggestions()
	if len(sug) == 0 {
		return
	}
	p.pick = ((p.pick+delta)%len(sug) + len(sug)) % len(sug)
	v := sug[p.pick]
	if c, ok := findCommand(v); ok && c.arg != "" && !strings.Contains(v, " ") {
		v += " "
	}
	p.input.SetValue(v)
	p.input.CursorEnd()
}

func (p *palette) render(s *themes.Styles, w int) []string {
	p.input.SetWidth(max(1, w-2))
	lines := []string{p.input.View()}
	switch {
	case p.err != "":
		lines = append(lines, s.FlashError.Render(ansi.Truncate(p.err, w, "…")))
	default:
		sug := p.suggestions()
		if len(sug) > 0 {
			parts := make([]string, len(sug))
			for i, x := range sug {
				if i == p.pick {
					parts[i] = s.SelectedRow.Render(x)
				} else {
					parts[i] = s.Muted.Render(x)
				}
			}
			lines = append(lines, ansi.Truncate(strings.Join(parts, "  "), w, "…"))
		}
	}
	return lines
}

// completions are the values the palette completes arguments from.
func (m *Model) completions() map[string][]string {
	return map[string][]string{"team": m.opts.Teams, "context": m.opts.Contexts, "service": ServiceNames(m.last)}
}

// paletteKey handles a key while the palette is open.
func (m *Model) paletteKey(msg tea.KeyPressMsg) tea.Cmd {
	p := &m.prompt
	switch msg.String() {
	case "esc", "ctrl+c":
		p.close()
		return nil
	case "tab", "down":
		p.complete(1)
		return nil
	case "shift+tab", "up":
		p.complete(-1)
		return nil
	case "enter":
		cmd, err := m.run(p.input.Value())
		if err != nil {
			p.err = err.Error()
			return nil
		}
		p.close()
		return cmd
	}
	return p.update(msg)
}

// run executes a palette line.
func (m *Model) run(line string) (tea.Cmd, error) {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return nil, nil
	}
	word, arg := fields[0], strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), fields[0]))
	c, ok := findCommand(word)
	if !ok {
		var names []string
		for _, c := range commands() {
			names = append(names, c.name)
			names = append(names, c.aliases...)
		}
		if near := closest(word, names); near != "" {
			return nil, fmt.Errorf("unknown command %q (did you mean %q?)", word, near)
		}
		return nil, fmt.Errorf("unknown command %q: try pods, deploy, events, team, ctx, q", word)
	}
	switch c.name {
	case "deploy", "pods", "events", "home", "alerts", "audit", "approvals", "jobs":
		screen := map[string]string{"deploy": views.ScreenDeployments, "pods": views.ScreenPods, "events": views.ScreenEvents,
			"home": views.ScreenHome, "alerts": views.ScreenAlerts, "audit": views.ScreenAudit, "approvals": views.ScreenApprovals,
			"jobs": views.ScreenJobs}[c.name]
		r := views.Route{Screen: screen, Filter: arg}
		return func() tea.Msg { return views.Navigate{Route: r} }, nil
	case "promql", "query":
		r := views.Route{Screen: views.ScreenPromQL, Query: arg}
		if c.name == "query" {
			r.Screen = views.ScreenQuery
		}
		return func() tea.Msg { return views.Navigate{Route: r} }, nil
	case "metrics":
		if arg == "" {
			return nil, fmt.Errorf("metrics: of which service? (%s)", strings.Join(ServiceNames(m.last), ", "))
		}
		r := views.Route{Screen: views.ScreenMetrics, Name: arg}
		return func() tea.Msg { return views.Navigate{Route: r} }, nil
	case "team":
		if arg == "" {
			return nil, fmt.Errorf("team: which team? (%s)", strings.Join(m.opts.Teams, ", "))
		}
		return m.switchTo(m.session.Context, arg)
	case "ctx":
		if arg == "" {
			return nil, fmt.Errorf("ctx: which context? (%s)", strings.Join(m.opts.Contexts, ", "))
		}
		return m.switchTo(arg, "")
	case "help":
		m.showHelp, m.helpTop = true, 0
		return nil, nil
	case "quit":
		m.quitting = true
		m.Close()
		return tea.Quit, nil
	}
	return nil, nil
}

// closest returns the name nearest to word when it is a plausible typo, else "".
func closest(word string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := textdist.Levenshtein(word, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}
