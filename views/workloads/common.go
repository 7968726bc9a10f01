// Package workloads holds the screens of the team's Kubernetes workloads: deployments,
// pods, events, and the describe/YAML pane. They read kube snapshots (views.KubeSnapshot)
// and emit navigation intents; they never talk to the cluster.
package workloads

import (
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/sources/kube"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/pane"
	"github.com/vigie-dev/vigie/views/table"
)

// New opens the view of a workloads route; ok is false for a route of another screen.
func New(env views.Env, r views.Route, snap *kube.Snapshot) (views.View, bool) {
	var v views.View
	switch r.Screen {
	case views.ScreenDeployments:
		v = newDeployments(env, r)
	case views.ScreenPods:
		v = newPods(env, r)
	case views.ScreenEvents:
		v = newEvents(env, r)
	case views.ScreenDescribe, views.ScreenYAML:
		v = newDescribe(env, r)
	default:
		return nil, false
	}
	if snap != nil {
		v, _ = v.Update(views.KubeSnapshot{Snap: *snap})
	}
	return v, true
}

// feed is the snapshot state every workloads view keeps.
type feed struct {
	snap kube.Snapshot
	has  bool
}

func (f *feed) take(msg tea.Msg) bool {
	if s, ok := msg.(views.KubeSnapshot); ok {
		f.snap, f.has = s.Snap, true
		return true
	}
	return false
}

// namespaces returns the namespaces the snapshot's scope covers for resource, split into
// those the user may list and those RBAC forbids.
func (f *feed) forbidden(resource string) []string {
	var out []string
	for _, p := range f.snap.Problems {
		if p.Forbidden && p.Resource == resource {
			out = append(out, p.Namespace)
		}
	}
	return out
}

// status renders the line above a table: what is listed, how many, and whether the data
// is live, loading, stale (with its age) or partly forbidden.
func (f *feed) status(env views.Env, resource, what string, shown, total, width int) string {
	s := env.Styles
	parts := []string{s.Primary.Render(what)}
	count := fmt.Sprintf("%d", total)
	if shown != total {
		count = fmt.Sprintf("%d of %d", shown, total)
	}
	parts = append(parts, s.Muted.Render("["+count+"]"))
	switch {
	case !f.has:
		parts = append(parts, s.Muted.Render("connecting…"))
	case !f.snap.Synced:
		parts = append(parts, s.Muted.Render("loading…"))
	}
	if p, ok := staleProblem(f.snap); ok {
		age := Age(p.Since, env.Now())
		parts = append(parts, s.Stale.Render(fmt.Sprintf("STALE %s — last data %s ago, retrying: %s",
			"⚠", age, termtext.Line(firstLine(p.Err)))))
	}
	if ns := f.forbidden(resource); len(ns) > 0 {
		parts = append(parts, s.Danger.Render("forbidden: "+resource+" in "+strings.Join(ns, ", ")))
	}
	return table.Fit(strings.Join(parts, " "), width)
}

// allForbidden reports whether every namespace of the scope refuses resource.
func (f *feed) allForbidden(resource string, scopeNamespaces int) bool {
	n := len(f.forbidden(resource))
	return n > 0 && n >= scopeNamespaces
}

func staleProblem(s kube.Snapshot) (kube.Problem, bool) {
	var oldest kube.Problem
	found := false
	for _, p := range s.Problems {
		if !p.Forbidden && (!found || p.Since.Before(oldest.Since)) {
			oldest, found = p, true
		}
	}
	return oldest, found
}

func firstLine(s string) string { return termtext.FirstLine(s, 160) }

// scopeNamespaces are the namespaces the snapshot covers: those with data or a problem.
func scopeNamespaces(s kube.Snapshot) []string {
	var ns []string
	add := func(n string) {
		if !slices.Contains(ns, n) {
			ns = append(ns, n)
		}
	}
	for _, p := range s.Problems {
		add(p.Namespace)
	}
	for _, d := range s.Deployments {
		add(d.Namespace)
	}
	for _, p := range s.Pods {
		add(p.Namespace)
	}
	return ns
}

// forbiddenBody draws the in-place refusal of a table whose whole scope is forbidden.
func forbiddenBody(env views.Env, resource string, namespaces []string, width int) string {
	s := env.Styles
	lines := []string{
		s.Danger.Render(table.Fit(fmt.Sprintf("forbidden: you may not list %s in %s", resource, strings.Join(namespaces, ", ")), width)),
		s.Muted.Render(table.Fit("Kubernetes RBAC refused the list for this identity. Ask the team's lead for access, or check the context (:ctx) and team (:team).", width)),
	}
	return strings.Join(lines, "\n")
}

// ageCell is an age sorted by time (older = larger).
func ageCell(t, now time.Time) table.Cell {
	if t.IsZero() {
		return table.Cell{Text: "-"}
	}
	// Sorted by the time itself, not by now - t: a cell kept from an earlier tick sorts
	// like one built now.
	return table.Num(Age(t, now), -float64(t.UnixNano()))
}

// renderList draws a list screen: the status line, the filter prompt, then the table, or
// the refusal in place when RBAC forbids the whole scope, or "loading…".
func (f *feed) renderList(env views.Env, list *table.List, resource, what, empty string, width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	head := f.status(env, resource, what, list.Len(), list.Total(), width)
	prompt := list.PromptLine(env.Styles, width)
	rest := height - 1 - pane.LineCount(prompt)
	if rest <= 0 {
		return pane.FirstLines(pane.Join(head, prompt), height)
	}
	if f.has && list.Total() == 0 && f.allForbidden(resource, len(scopeNamespaces(f.snap))) {
		return pane.FirstLines(pane.Join(head, prompt, forbiddenBody(env, resource, f.forbidden(resource), width)), height)
	}
	if !f.has || !f.snap.Synced {
		empty = "loading…"
	}
	return pane.Join(head, prompt, list.Render(env.Styles, width, rest, empty))
}

// updateList handles what every list screen does alike: new snapshots and clock ticks
// rebuild the rows, the wheel and the table keys move; other keys go to own.
func (f *feed) updateList(list *table.List, keys keymaps.TableKeyMap, msg tea.Msg, rebuild func(), own func(tea.KeyPressMsg) tea.Cmd) tea.Cmd {
	if f.take(msg) {
		rebuild()
		return nil
	}
	switch msg := msg.(type) {
	case views.Tick:
		if f.has {
			rebuild() // ages move on
		}
	case tea.MouseWheelMsg:
		list.HandleMouse(msg)
	case tea.KeyPressMsg:
		if ok, cmd := list.HandleKey(msg, keys); ok {
			return cmd
		}
		return own(msg)
	}
	return nil
}
