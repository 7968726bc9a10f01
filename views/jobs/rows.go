package jobs

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/views/table"
)

// Columns of the templates list.
const (
	colTName = iota
	colTWhere
	colTDesc
	colTParams
)

func templateColumns() []table.Column {
	return []table.Column{
		colTName:   {Title: "Template", Min: 8, Max: 32},
		colTWhere:  {Title: "Where", Min: 10, Max: 40},
		colTDesc:   {Title: "Description", Min: 12, Flex: true, Priority: 2},
		colTParams: {Title: "Parameters", Min: 12, Flex: true, Priority: 1},
	}
}

// Columns of the runs list.
const (
	colRStarted = iota
	colRTemplate
	colRJob
	colRStatus
	colRWho
	colRAge
	colRDuration
	colRValues
)

func runColumns() []table.Column {
	return []table.Column{
		colRStarted:  {Title: "Started", Min: 8, Max: 12, Desc: true, Priority: 1},
		colRTemplate: {Title: "Template", Min: 8, Max: 24, Priority: 3},
		colRJob:      {Title: "Job", Min: 10, Max: 40},
		colRStatus:   {Title: "Status", Min: 9, Max: 12},
		colRWho:      {Title: "Who", Min: 4, Max: 16},
		colRAge:      {Title: "Age", Min: 3, Right: true},
		colRDuration: {Title: "Duration", Min: 5, Right: true, Priority: 4},
		colRValues:   {Title: "Values", Min: 12, Flex: true, Priority: 2},
	}
}

// templateID and runID identify rows across polls.
func templateID(t api.JobTemplate) string { return t.Namespace + "/" + t.Name }
func runID(r api.JobRun) string           { return r.Namespace + "/" + r.Name }

// Production reports whether a template runs in a production namespace.
func Production(t api.JobTemplate) bool { return strings.EqualFold(t.Environment, api.EnvProduction) }

// where is the namespace and its environment class; production is marked.
func where(t api.JobTemplate) table.Cell {
	ns, env := termtext.Line(t.Namespace), termtext.Line(t.Environment)
	if Production(t) {
		return table.Cell{Text: ns + " · ▲ PRODUCTION", Tone: table.ToneDanger}
	}
	if env == "" {
		env = "?"
	}
	return table.Text(ns + " · " + env)
}

// ParamType describes a parameter's type and bounds: "int 1..1000", "enum ledger|checkout",
// "bool", "string ^[A-Z]+-[0-9]+$" (sanitised: it comes from the server).
func ParamType(p api.JobParam) string {
	switch p.Type {
	case api.JobParamInt:
		switch {
		case p.Min != nil && p.Max != nil:
			return "int " + strconv.FormatInt(*p.Min, 10) + ".." + strconv.FormatInt(*p.Max, 10)
		case p.Min != nil:
			return "int ≥ " + strconv.FormatInt(*p.Min, 10)
		case p.Max != nil:
			return "int ≤ " + strconv.FormatInt(*p.Max, 10)
		}
		return "int"
	case api.JobParamEnum:
		return "enum " + termtext.Line(strings.Join(p.Values, "|"))
	case api.JobParamString:
		if p.Pattern != "" {
			return "string " + termtext.Line(p.Pattern)
		}
		return "string"
	}
	return termtext.Line(string(p.Type))
}

// paramsSummary is one line of a template's parameters: "service*: enum ledger|checkout ·
// batch: int 1..1000"; required ones carry a star.
func paramsSummary(t api.JobTemplate) string {
	if len(t.Params) == 0 {
		return "none"
	}
	parts := make([]string, len(t.Params))
	for i, p := range t.Params {
		name := termtext.Line(p.Name)
		if p.Required {
			name += "*"
		}
		short := ParamType(p)
		if p.Type == api.JobParamString {
			short = "string" // the pattern is in the form
		}
		parts[i] = name + ": " + short
	}
	return strings.Join(parts, " · ")
}

func templateRow(t api.JobTemplate) table.Row {
	desc := table.Text(orDash(termtext.Line(firstLine(t.Description))))
	if t.Description == "" {
		desc.Tone = table.ToneMuted
	}
	return table.Row{
		ID:     templateID(t),
		Name:   termtext.Line(t.Name + " " + t.Description),
		Labels: map[string]string{"namespace": t.Namespace, "environment": t.Environment, "template": t.Name},
		Cells: []table.Cell{
			colTName:   table.Text(termtext.Line(t.Name)),
			colTWhere:  where(t),
			colTDesc:   desc,
			colTParams: table.Text(paramsSummary(t)),
		},
	}
}

// StatusTone is the tone of a run's status.
func StatusTone(status string) table.Tone {
	switch status {
	case api.JobSucceeded:
		return table.ToneOK
	case api.JobFailed:
		return table.ToneDanger
	case api.JobRunning:
		return table.ToneInfo
	case api.JobPending:
		return table.ToneWarning
	}
	return table.ToneMuted
}

// valuesText lists a run's values on one line: "service=ledger batch=100".
func valuesText(values map[string]string, t *api.JobTemplate) string {
	if len(values) == 0 {
		return "-"
	}
	return strings.Join(valuesList(values, t), " ")
}

// valuesList is "name=value" of each value, in its template's parameter order (then any
// other, sorted), sanitised.
func valuesList(values map[string]string, t *api.JobTemplate) []string {
	var names []string
	if t != nil {
		for _, p := range t.Params {
			if _, ok := values[p.Name]; ok {
				names = append(names, p.Name)
			}
		}
	}
	for _, n := range slices.Sorted(maps.Keys(values)) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = termtext.Line(n + "=" + values[n])
	}
	return parts
}

// took is how long a run ran: until it finished, or until now while it runs.
func took(r api.JobRun, now time.Time) (string, float64) {
	if r.Started == nil || r.Started.IsZero() {
		return "-", -1
	}
	end := now
	if r.Finished != nil && !r.Finished.IsZero() {
		end = *r.Finished
	}
	d := max(0, end.Sub(*r.Started))
	return shortDuration(d), float64(d)
}

// shortDuration is "850ms", "42s", "3m10s", "2h5m".
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m" + strconv.Itoa(int(d.Seconds())%60) + "s"
	}
	return strconv.Itoa(int(d.Hours())) + "h" + strconv.Itoa(int(d.Minutes())%60) + "m"
}

func runRow(r api.JobRun, t *api.JobTemplate, now time.Time, loc *time.Location) table.Row {
	started := table.Cell{Text: "-"}
	if !r.Created.IsZero() {
		started = table.Num(timeText(r.Created, now, loc), float64(r.Created.UnixMicro()))
	}
	age := table.Cell{Text: "-"}
	if !r.Created.IsZero() {
		age = table.Num(duration.HumanDuration(now.Sub(r.Created)), float64(now.Sub(r.Created)))
	}
	tookText, tookNum := took(r, now)
	status := orDash(termtext.Line(r.Status))
	return table.Row{
		ID:   runID(r),
		Name: termtext.Line(r.Template + " " + r.Name + " " + r.User + " " + r.Status),
		Labels: map[string]string{"template": r.Template, "status": r.Status, "user": r.User,
			"namespace": r.Namespace, "job": r.Name},
		Cells: []table.Cell{
			colRStarted:  started,
			colRTemplate: table.Text(orDash(termtext.Line(r.Template))),
			colRJob:      table.Text(orDash(termtext.Line(r.Name))),
			colRStatus:   {Text: status, Tone: StatusTone(r.Status)},
			colRWho:      table.Text(orDash(termtext.Line(r.User))),
			colRAge:      age,
			colRDuration: table.Num(tookText, tookNum),
			colRValues:   table.Text(valuesText(r.Values, t)),
		},
	}
}

// timeText is a time in the user's zone: the time of day today, else the day and minute.
func timeText(t, now time.Time, loc *time.Location) string {
	lt, ln := t.In(loc), now.In(loc)
	if lt.Year() == ln.Year() && lt.YearDay() == ln.YearDay() {
		return lt.Format(time.TimeOnly)
	}
	return lt.Format("Jan 02 15:04")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// firstLine is the first line of s, cut to 200 bytes.
func firstLine(s string) string { return termtext.FirstLine(s, 200) }
