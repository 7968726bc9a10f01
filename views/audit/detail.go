package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/views/pane"
	"github.com/vigie-dev/vigie/views/table"
)

// detail is the pane of one record. Records never change once written: it keeps its copy.
type detail struct {
	rec  api.AuditRecord
	pane pane.Pane // scroll position
}

// shortHash shows the first 12 hex characters of a hash.
func shortHash(h string) string {
	if len(h) > 12 {
		h = h[:12] + "…"
	}
	return h
}

// detailLines is every field of the open record. Every string from the server goes
// through termtext.
func (v *View) detailLines() []pane.Line {
	r := v.detail.rec
	text, _, tone := outcome(r)
	out := []pane.Line{
		pane.KV("Outcome", text, tone),
		pane.KV("Seq", strconv.FormatInt(r.Seq, 10), table.ToneNone),
		pane.Field("ID", r.ID),
		pane.KV("Time", v.when(r), table.ToneNone),
		pane.Field("Type", r.Type),
		pane.Field("Request ID", r.RequestID),
		pane.Field("Action ID", r.ActionID),
		pane.Field("User", r.User),
		pane.Field("Token ID", r.TokenID),
		pane.Field("Team", r.Team),
		pane.Field("Role", string(r.Role)),
		pane.KV("Kind", kindText(r), table.ToneNone),
		pane.KV("Target", targetText(r), table.ToneNone),
		pane.KV("Params", params(r.Params), table.ToneNone),
		pane.Field("Reason", r.Reason),
	}
	status := pane.Field("Status", r.Status)
	if r.Status != "" {
		status.Tone = tone
	}
	out = append(out, status, pane.Field("Code", r.Code))
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
	out = append(out, pane.Line{}, pane.Title("Changes"))
	if len(r.Changes) == 0 {
		out = append(out, pane.Indented("none recorded", table.ToneMuted))
	}
	for _, c := range r.Changes {
		out = append(out, pane.Indented(termtext.Line(c.Field)+": "+orDash(termtext.Line(c.From))+" → "+orDash(termtext.Line(c.To)), table.ToneNone))
	}
	out = append(out, pane.Line{}, pane.Title("Hash chain"),
		pane.Field("Prev hash", shortHash(r.PrevHash)),
		pane.Field("Hash", shortHash(r.Hash)))
	return out
}

// params lists the action's parameters as the wire names them ("replicas=5"), "-" when
// there are none. They are read through their JSON form, so that a parameter added to
// api.Params shows without a change here.
func params(p *api.Params) string {
	if p == nil {
		return "-"
	}
	b, err := json.Marshal(p)
	if err != nil {
		return "-"
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil || len(m) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, termtext.Line(k+"="+fmt.Sprint(m[k])))
	}
	return strings.Join(parts, " ")
}

// when is the record's time in the user's zone with its age: "2026-11-26 02:58:12.345
// UTC (2m ago)".
func (v *View) when(r api.AuditRecord) string {
	if r.Time.IsZero() {
		return "-"
	}
	now := v.env.Now()
	rel := age(r.Time, now) + " ago"
	if r.Time.After(now) {
		rel = "in " + age(now, r.Time)
	}
	return r.Time.In(v.loc()).Format("2006-01-02 15:04:05.000 MST") + " (" + rel + ")"
}

// renderDetail draws the pane: a header line, then the fields, scrolled.
func (v *View) renderDetail(width, height int) string {
	d, s := v.detail, v.env.Styles
	r := d.rec
	text, _, tone := outcome(r)
	head := s.Primary.Render("audit #"+strconv.FormatInt(r.Seq, 10)+" · "+orDash(termtext.Line(r.User))+" · "+kindText(r)+" "+targetText(r)) +
		"  " + table.ToneStyle(s, tone).Render(text)
	if v.err != nil && !v.partial && !v.at.IsZero() {
		head += "  " + s.Stale.Render("STALE ⚠ last data "+age(v.at, v.env.Now())+" ago: "+errText(v.err))
	}
	return d.pane.Render(s, head, v.detailLines(), width, height)
}
