package promql

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/prometheus/common/model"
)

// completion is a completion asked at the cursor, and the choice inserted so far.
type completion struct {
	ctx     Context
	base    string // the query when asked; choices are inserted into it
	items   []string
	idx     int // the choice inserted; -1 = none yet
	err     string
	loading bool
}

// completedMsg carries the server's choices, tagged with the completion's generation.
type completedMsg struct {
	gen   uint64
	items []string
	err   error
}

// tab asks for the choices at the cursor, or inserts the next (dir 1) or previous (-1)
// one when they are there.
func (v *View) tab(dir int) tea.Cmd {
	if c := v.comp; c != nil && len(c.items) > 0 {
		n := len(c.items)
		if c.idx < 0 && dir < 0 {
			c.idx = n - 1
		} else {
			c.idx = ((c.idx+dir)%n + n) % n
		}
		ins := c.items[c.idx]
		if c.ctx.Kind == KindLabelValue {
			ins = QuoteValue(ins)
		}
		q := c.base[:c.ctx.Start] + ins + c.base[c.ctx.End:]
		v.input.SetValue(q)
		v.input.SetCursor(utf8.RuneCountInString(q[:c.ctx.Start+len(ins)]))
		return nil
	}
	if v.comp != nil && v.comp.loading {
		return nil
	}
	v.dropCompletion()
	q := v.input.Value()
	pos := len(string([]rune(q)[:min(v.input.Position(), utf8.RuneCountInString(q))]))
	c := CursorContext(q, pos)
	v.comp = &completion{ctx: c, base: q, idx: -1}
	if c.Kind == KindNone {
		v.comp.err = "nothing to complete here"
		return nil
	}
	complete := v.env.PromComplete
	if complete == nil {
		v.comp.err = "no Prometheus configured for this context"
		return nil
	}
	metric, label := "", ""
	switch c.Kind {
	case KindLabelName:
		metric, label = c.Metric, "__label__"
	case KindLabelValue:
		metric, label = c.Metric, c.Label
	}
	ctx, cancel := context.WithTimeout(context.Background(), completeTimeout)
	v.ccancel, v.comp.loading = cancel, true
	gen, prefix := v.cgen, c.Prefix
	return func() tea.Msg {
		defer cancel()
		items, err := complete(ctx, metric, label, prefix)
		return completedMsg{gen: gen, items: items, err: err}
	}
}

// choices keeps the server's answers that start with the prefix and can be inserted
// as they are (metric and label names that are identifiers), without duplicates.
func choices(items []string, c Context) []string {
	var out []string
	for _, it := range items {
		if !strings.HasPrefix(it, c.Prefix) || (c.Kind != KindLabelValue && !identifier(it, c.Kind == KindMetric)) {
			continue
		}
		if c.Kind == KindLabelName && c.Metric != "" && it == model.MetricNameLabel {
			continue // the selector names its metric already
		}
		out = append(out, it)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	return out[:min(len(out), maxChoices)]
}

func identifier(s string, colon bool) bool {
	if s == "" || !isIdentStart(s[0]) || (!colon && s[0] == ':') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentChar(s[i]) || (!colon && s[i] == ':') {
			return false
		}
	}
	return true
}
