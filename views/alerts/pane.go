package alerts

import (
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/sources/alertmanager"
	"github.com/vigie-dev/vigie/views/pane"
	"github.com/vigie-dev/vigie/views/table"
)

// importantLabels come first in the detail pane, in this order.
func importantLabels() []string { return []string{"severity", "service", "namespace", "pod"} }

// shownAnnotations are drawn in their own fields, not in the annotations list.
func shownAnnotations() []string { return []string{"summary", "description", "runbook_url"} }

// detailLines is the details pane of the open alert: its state and who silenced it, when
// it started, its text, its firing history, its labels (those that matter first) and
// annotations, and the rule that fired. Every string from Alertmanager goes through
// termtext.
func (v *View) detailLines() []pane.Line {
	d := v.detail
	a := d.alert
	out := []pane.Line{kv("Severity", severityLine(a), levelTone(a.Level()))}
	out = append(out, v.stateLines()...)
	out = append(out, kv("Started", v.when(a.StartsAt), table.ToneNone))
	if svc := service(a); svc != "" {
		where := termtext.Line(svc)
		if ns := a.Labels["namespace"]; ns != "" {
			where += "  (namespace " + termtext.Line(ns) + ")"
		}
		out = append(out, kv("Service", where, table.ToneNone))
	}
	out = append(out, kv("Summary", orDash(termtext.Line(a.Summary)), table.ToneNone))
	if url := strings.TrimSpace(a.RunbookURL); url != "" {
		out = append(out, kv("Runbook", termtext.Line(url)+"  [b]", table.ToneInfo))
	} else {
		out = append(out, kv("Runbook", "none: this alert has no runbook_url, so it is not actionable", table.ToneWarning))
	}
	if desc := strings.TrimSpace(a.Description); desc != "" {
		out = append(out, pane.Line{}, pane.Title("Description"))
		for l := range strings.SplitSeq(termtext.Sanitize(desc, true), "\n") {
			out = append(out, pane.Indented(l, table.ToneNone))
		}
	}
	out = append(out, v.historyLines()...)
	out = append(out, pane.Line{}, pane.Title("Labels"))
	for _, k := range sortedKeys(a.Labels, importantLabels()) {
		out = append(out, pane.Indented(termtext.Line(k)+"="+termtext.Line(a.Labels[k]), table.ToneNone))
	}
	var extra []string
	for _, k := range sortedKeys(a.Annotations, nil) {
		if !slices.Contains(shownAnnotations(), k) {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		out = append(out, pane.Line{}, pane.Title("Annotations"))
		for _, k := range extra {
			out = append(out, pane.Indented(termtext.Line(k)+"="+termtext.Line(a.Annotations[k]), table.ToneNone))
		}
	}
	out = append(out, pane.Line{}, pane.Title("Rule"))
	expr := expression(a)
	if expr != "" {
		out = append(out, kv("Expression", termtext.Line(expr), table.ToneNone))
	}
	if expr == "" && a.GeneratorURL != "" {
		out = append(out, kv("Source", termtext.Line(a.GeneratorURL), table.ToneMuted))
	}
	if len(a.Receivers) > 0 {
		rs := make([]string, len(a.Receivers))
		for i, r := range a.Receivers {
			rs[i] = termtext.Line(r)
		}
		out = append(out, kv("Receivers", strings.Join(rs, ", "), table.ToneMuted))
	}
	return out
}

// severityLine is the severity label, with the level vigie reads in it when they differ
// ("P1 (critical)").
func severityLine(a alertmanager.Alert) string {
	text := severityText(a)
	if lv := a.Level().String(); !strings.EqualFold(strings.TrimSpace(a.Severity), lv) {
		text += " (" + lv + ")"
	}
	return text
}

// stateLines say what Alertmanager does with the alert: who silenced it, until when and
// why; what inhibits it.
func (v *View) stateLines() []pane.Line {
	d := v.detail
	a := d.alert
	switch a.State {
	case alertmanager.StateSilenced:
		if len(d.silences) == 0 {
			return []pane.Line{kv("State", "silenced (silence "+termtext.Line(strings.Join(a.SilencedBy, ", "))+")", table.ToneMuted)}
		}
		var out []pane.Line
		for _, s := range d.silences {
			text := "silenced by " + orDash(termtext.Line(s.CreatedBy)) + " until " + v.when(s.EndsAt)
			out = append(out, kv("State", text, table.ToneMuted))
			if c := strings.TrimSpace(s.Comment); c != "" {
				out = append(out, kv("", "“"+termtext.Line(c)+"”", table.ToneMuted))
			}
		}
		return out
	case alertmanager.StateInhibited:
		by := "another alert"
		if len(d.inhibitor) > 0 {
			by = termtext.Line(strings.Join(d.inhibitor, ", "))
		}
		return []pane.Line{kv("State", "inhibited by "+by, table.ToneMuted)}
	case alertmanager.StateMuted:
		return []pane.Line{kv("State", "muted by a time interval", table.ToneMuted)}
	}
	return []pane.Line{kv("State", "active: notifications are sent", levelTone(a.Level()))}
}

// sortedKeys returns the keys of m: those of first that m has, in that order, then the
// others sorted.
func sortedKeys(m map[string]string, first []string) []string {
	var out []string
	for _, k := range first {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	n := len(out)
	for k := range m {
		if !slices.Contains(first, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out[n:])
	return out
}

// pad pads plain text with spaces to w cells (never cuts it).
func pad(s string, w int) string {
	return s + strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
}

// padLeft right-aligns plain text in w cells.
func padLeft(s string, w int) string {
	return strings.Repeat(" ", max(0, w-ansi.StringWidth(s))) + s
}

func itoa(n int) string { return strconv.Itoa(n) }
