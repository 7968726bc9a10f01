package prom

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/prometheus/common/model"
)

// Signal names a golden signal. It is also the key of a template override.
type Signal string

// The golden signals vigie computes for every service.
const (
	Rate       Signal = "rate"        // requests per second
	ErrorRatio Signal = "error_ratio" // 5xx responses / all responses
	LatencyP50 Signal = "latency_p50" // seconds
	LatencyP95 Signal = "latency_p95"
	LatencyP99 Signal = "latency_p99"
	CPU        Signal = "cpu"    // CPU used / CPU limit (quota/period)
	Memory     Signal = "memory" // working set / memory limit
)

// LatencyTemplate is the override key shared by the three latency signals; a template
// for one quantile (latency_p99) wins over it.
const LatencyTemplate = "latency"

// AllSignals lists the signals in display order.
func AllSignals() []Signal {
	return []Signal{Rate, ErrorRatio, LatencyP50, LatencyP95, LatencyP99, CPU, Memory}
}

// Unit is the unit of a signal's values.
type Unit string

// Units of the signals.
const (
	UnitReqPerSec    Unit = "req/s"
	UnitRatio        Unit = "ratio"          // 0..1
	UnitSeconds      Unit = "seconds"        // latency
	UnitRatioOfLimit Unit = "ratio of limit" // saturation, 0..1 (may exceed 1 briefly)
)

// Unit returns the unit of s's values.
func (s Signal) Unit() Unit {
	switch s {
	case Rate:
		return UnitReqPerSec
	case ErrorRatio:
		return UnitRatio
	case LatencyP50, LatencyP95, LatencyP99:
		return UnitSeconds
	case CPU, Memory:
		return UnitRatioOfLimit
	}
	return ""
}

// quantile returns the quantile of a latency signal, "" for the others.
func (s Signal) quantile() string {
	switch s {
	case LatencyP50:
		return "0.5"
	case LatencyP95:
		return "0.95"
	case LatencyP99:
		return "0.99"
	}
	return ""
}

// TemplateData is what a signal template is executed with.
type TemplateData struct {
	// Matchers is the team scope plus service="<name>", rendered and escaped, without
	// braces: `team="payments",service="checkout"`. Use it to add matchers of your own:
	// `http_requests_total{code=~"5..",{{.Matchers}}}`.
	Matchers string
	// Selector is {Matchers}: `http_requests_total{{.Selector}}`.
	Selector string
	// Window is the rate window as a PromQL duration ("5m").
	Window string
	// Quantile is "0.5", "0.95" or "0.99" for the latency templates, "" otherwise.
	Quantile string
}

// containers excludes cAdvisor's pod-level ("") and pause ("POD") cgroups.
const containers = `container!="",container!="POD",`

// DefaultTemplates returns the built-in templates by override key (a fresh map). They
// follow the usual naming: http_requests_total{code}, http_request_duration_seconds
// (histogram), cAdvisor's container_* series.
func DefaultTemplates() map[string]string {
	return map[string]string{
		string(Rate): `sum(rate(http_requests_total{{.Selector}}[{{.Window}}]))`,
		// "or vector(0)": a service that never answered a 5xx has no 5xx series; its ratio
		// is 0, not "no data". No traffic at all still gives no data (0/0).
		string(ErrorRatio): `(sum(rate(http_requests_total{code=~"5..",{{.Matchers}}}[{{.Window}}])) or vector(0))` +
			` / sum(rate(http_requests_total{{.Selector}}[{{.Window}}]))`,
		LatencyTemplate: `histogram_quantile({{.Quantile}}, sum by (le) (rate(http_request_duration_seconds_bucket{{.Selector}}[{{.Window}}])))`,
		// Only containers that have a limit count, on both sides of the ratio.
		string(CPU): `sum(rate(container_cpu_usage_seconds_total{` + containers + `{{.Matchers}}}[{{.Window}}])` +
			` and on (namespace, pod, container) (container_spec_cpu_quota{` + containers + `{{.Matchers}}} > 0))` +
			` / sum((container_spec_cpu_quota{` + containers + `{{.Matchers}}} > 0)` +
			` / container_spec_cpu_period{` + containers + `{{.Matchers}}})`,
		string(Memory): `sum(container_memory_working_set_bytes{` + containers + `{{.Matchers}}}` +
			` and on (namespace, pod, container) (container_spec_memory_limit_bytes{` + containers + `{{.Matchers}}} > 0))` +
			` / sum(container_spec_memory_limit_bytes{` + containers + `{{.Matchers}}} > 0)`,
	}
}

// overrideKeys are the keys an Overrides map may use.
func overrideKeys() []string {
	keys := []string{LatencyTemplate}
	for _, s := range AllSignals() {
		keys = append(keys, string(s))
	}
	return keys
}

// scopeSentinel stands for the team scope when a template is checked: a template whose
// output does not contain it would query outside the team's scope.
const scopeSentinel = `vigie_scope_check="1"`

// compileTemplates parses the default templates with overrides applied and checks each
// one: it executes, its output is non-empty, carries the team scope and has balanced
// brackets and closed strings.
func compileTemplates(overrides map[string]string) (map[Signal]*template.Template, error) {
	valid := overrideKeys()
	for k := range overrides {
		if !slices.Contains(valid, k) {
			return nil, fmt.Errorf("prom template override %q: unknown signal (want one of %s)", k, strings.Join(valid, ", "))
		}
	}
	src := DefaultTemplates()
	maps.Copy(src, overrides)
	out := make(map[Signal]*template.Template, len(AllSignals()))
	for _, sig := range AllSignals() {
		key := string(sig)
		text, ok := src[key]
		if sig.quantile() != "" {
			if o, specific := overrides[key]; specific {
				text = o
			} else {
				key, text, ok = LatencyTemplate, src[LatencyTemplate], true
			}
		}
		if !ok {
			return nil, fmt.Errorf("prom template %s: missing", key)
		}
		t, err := template.New(key).Option("missingkey=error").Parse(text)
		if err != nil {
			return nil, fmt.Errorf("prom template %s: %w", key, err)
		}
		q, err := execute(t, TemplateData{
			Matchers: scopeSentinel, Selector: "{" + scopeSentinel + "}", Window: "5m", Quantile: sig.quantile(),
		})
		if err != nil {
			return nil, fmt.Errorf("prom template %s: %w", key, err)
		}
		if !strings.Contains(q, scopeSentinel) {
			return nil, fmt.Errorf("prom template %s: it must use {{.Matchers}} or {{.Selector}} (the team scope)", key)
		}
		if err := checkBalanced(q); err != nil {
			return nil, fmt.Errorf("prom template %s renders %q: %w", key, q, err)
		}
		out[sig] = t
	}
	return out, nil
}

func execute(t *template.Template, d TemplateData) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return "", err
	}
	q := strings.TrimSpace(b.String())
	if q == "" {
		return "", fmt.Errorf("renders an empty query")
	}
	return q, nil
}

// checkBalanced is a lexical sanity check of a rendered query (the PromQL parser is not a
// dependency of vigie): brackets pair up and strings are closed. The server has the last
// word, and reports its parse errors with their position.
func checkBalanced(q string) error {
	var stack []rune
	pairs := map[rune]rune{')': '(', ']': '[', '}': '{'}
	for i := 0; i < len(q); i++ {
		c := rune(q[i])
		switch c {
		case '"', '\'', '`':
			j := i + 1
			for ; j < len(q) && rune(q[j]) != c; j++ {
				if q[j] == '\\' && c != '`' {
					j++
				} else if q[j] == '\n' && c != '`' {
					break
				}
			}
			if j >= len(q) || rune(q[j]) != c {
				return fmt.Errorf("unterminated string at offset %d", i)
			}
			i = j
		case '#':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case '(', '[', '{':
			stack = append(stack, c)
		case ')', ']', '}':
			if len(stack) == 0 || stack[len(stack)-1] != pairs[c] {
				return fmt.Errorf("unbalanced %q at offset %d", c, i)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("unclosed %q", stack[len(stack)-1])
	}
	return nil
}

// FormatDuration renders d as a PromQL duration ("5m", "1h30m", "30d"); sub-millisecond
// parts are dropped.
func FormatDuration(d time.Duration) string {
	if d < time.Millisecond {
		d = time.Millisecond
	}
	return model.Duration(d.Truncate(time.Millisecond)).String()
}
