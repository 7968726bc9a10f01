package audit

import (
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/views/table"
)

// Columns of the audit table.
const (
	colTime = iota
	colUser
	colKind
	colTarget
	colOutcome
	colReason
	colTeam
)

// columns: who did what to which target, with which outcome, come first; the reason
// takes the width left over and goes when there is too little (the detail pane has it),
// after the team.
func columns() []table.Column {
	return []table.Column{
		colTime:    {Title: "Time", Min: 8, Max: 19, Desc: true},
		colUser:    {Title: "User", Min: 4, Max: 16},
		colKind:    {Title: "Kind", Min: 4, Max: 18},
		colTarget:  {Title: "Target", Min: 10, Max: 48, Flex: true},
		colOutcome: {Title: "Outcome", Min: 7, Max: 20},
		colReason:  {Title: "Reason", Min: 16, Flex: true, Priority: 2},
		colTeam:    {Title: "Team", Min: 4, Max: 16, Priority: 1, HideSame: true},
	}
}

// recordID identifies a record across loads: its id, else its place in the chain.
func recordID(r api.AuditRecord) string {
	if r.ID != "" {
		return r.ID
	}
	return "#" + strconv.FormatInt(r.Seq, 10)
}

// outcome says what became of the request a record is about: the text of the Outcome
// column, the word of its outcome= label, and its tone.
func outcome(r api.AuditRecord) (text, word string, tone table.Tone) {
	code := termtext.Line(r.Code)
	switch r.Type {
	case api.AuditRequested:
		if r.Status == api.StatusPendingApproval {
			return api.StatusPendingApproval, api.StatusPendingApproval, table.ToneWarning
		}
		return api.AuditRequested, api.AuditRequested, table.ToneMuted
	case api.AuditOutcome:
		switch r.Status {
		case api.StatusSucceeded:
			return api.StatusSucceeded, api.StatusSucceeded, table.ToneOK
		case api.StatusFailed:
			text = api.StatusFailed
			if code != "" && code != api.StatusFailed {
				text += ": " + code
			}
			return text, api.StatusFailed, table.ToneDanger
		case api.StatusPendingApproval:
			return api.StatusPendingApproval, api.StatusPendingApproval, table.ToneWarning
		case api.StatusDenied:
			return orWord(code, api.StatusDenied), api.StatusDenied, table.ToneDanger
		}
	case api.AuditDenied, api.AuditInvalid:
		// A refusal reads best by its code: forbidden, read_only, reason_required, limit…
		return orWord(code, r.Type), r.Type, table.ToneDanger
	}
	text = strings.TrimSpace(termtext.Line(r.Type) + " " + termtext.Line(r.Status))
	return orDash(text), r.Type, table.ToneNone
}

func orWord(s, word string) string {
	if s == "" {
		return word
	}
	return s
}

// kindText is the action's kind, marked when it was a dry run.
func kindText(r api.AuditRecord) string {
	k := orDash(termtext.Line(string(r.Kind)))
	if r.DryRun {
		k += " (dry run)"
	}
	return k
}

func targetText(r api.AuditRecord) string {
	switch {
	case r.Query != nil && r.Query.Database != "": // a query's target is its database
		return "db " + termtext.Line(r.Query.Database)
	case r.Target == nil || (r.Target.Namespace == "" && r.Target.Name == ""):
		return "-"
	case r.Target.Name == "": // a silence: the team's namespace
		return termtext.Line(r.Target.Namespace)
	}
	return termtext.Line(r.Target.String())
}

// timeText is a record's time in the user's zone: the time of day for today's records,
// the day and minute for older ones of this year, the date before.
func timeText(t, now time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	lt, ln := t.In(loc), now.In(loc)
	switch {
	case sameDay(lt, ln):
		return lt.Format(time.TimeOnly)
	case lt.Year() == ln.Year():
		return lt.Format("Jan 02 15:04")
	}
	return lt.Format(time.DateOnly)
}

func sameDay(a, b time.Time) bool {
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}

// rows builds one row per record.
func rows(records []api.AuditRecord, now time.Time, loc *time.Location) ([]table.Row, map[string]api.AuditRecord) {
	out := make([]table.Row, 0, len(records))
	byID := make(map[string]api.AuditRecord, len(records))
	for _, r := range records {
		id := recordID(r)
		byID[id] = r
		out = append(out, recordRow(id, r, now, loc))
	}
	return out, byID
}

func recordRow(id string, r api.AuditRecord, now time.Time, loc *time.Location) table.Row {
	when := table.Cell{Text: "-"}
	if !r.Time.IsZero() {
		when = table.Num(timeText(r.Time, now, loc), float64(r.Time.UnixMicro()))
	}
	user := table.Text(orDash(termtext.Line(r.User)))
	if r.User == "" {
		user.Tone = table.ToneMuted
	}
	kind := table.Text(kindText(r))
	if r.DryRun {
		kind.Tone = table.ToneMuted
	}
	text, word, tone := outcome(r)
	reason := table.Text(orDash(termtext.Line(r.Reason)))
	if r.Reason == "" {
		reason.Tone = table.ToneMuted
	}
	target := targetText(r)
	labels := map[string]string{}
	set := func(k, val string) {
		if val != "" {
			labels[k] = val
		}
	}
	set("user", r.User)
	set("kind", string(r.Kind))
	set("team", r.Team)
	set("outcome", word)
	set("code", r.Code)
	if r.Target != nil {
		set("namespace", r.Target.Namespace)
	}
	if r.DryRun {
		labels["dryrun"] = "true"
	}
	return table.Row{
		ID:     id,
		Name:   strings.Join([]string{orDash(termtext.Line(r.User)), kindText(r), target, termtext.Line(r.Reason)}, " "),
		Labels: labels,
		Cells: []table.Cell{
			colTime:    when,
			colUser:    user,
			colKind:    kind,
			colTarget:  table.Text(target),
			colOutcome: {Text: text, Tone: tone},
			colReason:  reason,
			colTeam:    table.Text(orDash(termtext.Line(r.Team))),
		},
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// age is kubectl's age of t at now ("-" for no time).
func age(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return duration.HumanDuration(now.Sub(t))
}

// firstLine is the first line of an error, cut to a status line's worth.
func firstLine(s string) string { return termtext.FirstLine(s, 200) }
