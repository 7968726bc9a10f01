package alerts

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/sources/alertmanager"
	"github.com/vigie-dev/vigie/views/table"
)

// Columns of the alerts table.
const (
	colSeverity = iota
	colAlert
	colCount
	colService
	colState
	colAge
	colSummary
)

func columns() []table.Column {
	return []table.Column{
		colSeverity: {Title: "Severity", Min: 8, Max: 10, Desc: true},
		colAlert:    {Title: "Alert", Min: 12, Max: 40, Flex: true},
		colCount:    {Title: "N", Min: 2, Max: 4, Right: true, Desc: true, Priority: 1, HideSame: true},
		colService:  {Title: "Service", Min: 7, Max: 24, Priority: 4},
		colState:    {Title: "State", Min: 8, Max: 28},
		colAge:      {Title: "Age", Min: 3, Right: true, Desc: true, Priority: 5},
		colSummary:  {Title: "Summary", Min: 10, Flex: true, Priority: 3},
	}
}

// service names the alert's service: the service label, else app, else job.
func service(a alertmanager.Alert) string {
	for _, k := range []string{"service", "app", "job"} {
		if v := a.Labels[k]; v != "" {
			return v
		}
	}
	return ""
}

// stateText says what Alertmanager does with the alert, and who silenced it.
func stateText(a alertmanager.Alert, silences map[string]alertmanager.Silence) string {
	switch a.State {
	case alertmanager.StateSilenced:
		for _, id := range a.SilencedBy {
			if s, ok := silences[id]; ok && s.CreatedBy != "" {
				return "silenced by " + termtext.Line(s.CreatedBy)
			}
		}
		return "silenced"
	case alertmanager.StateInhibited:
		return "inhibited"
	case alertmanager.StateMuted:
		return "muted"
	}
	return "active"
}

func levelTone(l alertmanager.Level) table.Tone {
	switch l {
	case alertmanager.LevelCritical:
		return table.ToneDanger
	case alertmanager.LevelWarning:
		return table.ToneWarning
	case alertmanager.LevelInfo:
		return table.ToneInfo
	}
	return table.ToneNone
}

// severityText is the severity label as written, "-" when there is none.
func severityText(a alertmanager.Alert) string {
	if a.Severity == "" {
		return "-"
	}
	return termtext.Line(a.Severity)
}

// age is kubectl's age of t at now ("-" for no time).
func age(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return duration.HumanDuration(now.Sub(t))
}

// alertID identifies an alert across polls.
func alertID(a alertmanager.Alert, i int) string {
	if a.Fingerprint != "" {
		return a.Fingerprint
	}
	return fmt.Sprintf("%s#%d", a.Name, i)
}

// rows builds one row per alert, in the order of the groups by alertname (worst severity,
// then oldest): that order is the severity column's sort key, so the default sort keeps
// each group together. The N column says how many alerts share the name.
func rows(alerts []alertmanager.Alert, silences map[string]alertmanager.Silence, now time.Time) ([]table.Row, map[string]alertmanager.Alert) {
	groups := alertmanager.GroupAlerts(alerts, "alertname")
	out := make([]table.Row, 0, len(alerts))
	byID := make(map[string]alertmanager.Alert, len(alerts))
	for _, g := range groups {
		for _, a := range g.Alerts {
			rank := len(out)
			id := alertID(a, rank)
			byID[id] = a
			out = append(out, alertRow(id, a, rank, len(g.Alerts), silences, now))
		}
	}
	return out, byID
}

func alertRow(id string, a alertmanager.Alert, rank, n int, silences map[string]alertmanager.Silence, now time.Time) table.Row {
	quiet := a.State != alertmanager.StateActive
	tone := func(t table.Tone) table.Tone {
		if quiet {
			return table.ToneMuted
		}
		return t
	}
	sev := table.Num(severityText(a), -float64(rank)) // the worst ranks 0: the highest severity, sorted first (↓)
	sev.Tone = tone(levelTone(a.Level()))
	name := termtext.Line(a.Name)
	summary := a.Summary
	if summary == "" {
		summary, _, _ = strings.Cut(a.Description, "\n")
	}
	cell := func(text string, t table.Tone) table.Cell { return table.Cell{Text: text, Tone: tone(t)} }
	ageCell := table.Cell{Text: "-"}
	if !a.StartsAt.IsZero() {
		ageCell = table.Num(age(a.StartsAt, now), float64(now.Sub(a.StartsAt)))
	}
	ageCell.Tone = tone(table.ToneNone)
	count := table.Num(strconv.Itoa(n), float64(n))
	count.Tone = tone(table.ToneNone)
	return table.Row{
		ID:     id,
		Name:   name,
		Labels: a.Labels,
		Cells: []table.Cell{
			colSeverity: sev,
			colAlert:    cell(orDash(name), table.ToneNone),
			colCount:    count,
			colService:  cell(orDash(termtext.Line(service(a))), table.ToneNone),
			colState:    cell(stateText(a, silences), table.ToneNone),
			colAge:      ageCell,
			colSummary:  cell(termtext.Line(summary), table.ToneNone),
		},
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// counts are the alerts by state, for the status line.
type counts struct{ active, silenced, inhibited, muted int }

func countStates(alerts []alertmanager.Alert) counts {
	var c counts
	for _, a := range alerts {
		switch a.State {
		case alertmanager.StateSilenced:
			c.silenced++
		case alertmanager.StateInhibited:
			c.inhibited++
		case alertmanager.StateMuted:
			c.muted++
		default:
			c.active++
		}
	}
	return c
}

// firstLine is the first line of an error, cut to a status line's worth.
func firstLine(s string) string { return termtext.FirstLine(s, 200) }
