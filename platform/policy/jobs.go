package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/vigie-dev/vigie/platform/api"
)

// A team's scope beyond its namespaces: the label equalities of its Prometheus series and
// Loki streams, its on-call schedule, and its runbook job templates (teams.T.jobs):
//
//	jobs:
//	  flush-cache:
//	    description: Flush the ledger's read cache
//	    namespace: payments-dev          # one of the team's namespaces
//	    image: registry.local/tools:1.4
//	    command: ["/bin/flush-cache", "--service={{service}}", "--batch={{batch}}"]
//	    timeout: 10m                     # the Job's activeDeadlineSeconds (default 15m, at most 24h)
//	    serviceAccountName: runbooks     # optional
//	    params:
//	      service: {type: enum, values: [ledger, checkout], default: ledger}
//	      batch:   {type: int, min: 1, max: 1000, default: 100}
//	      ticket:  {type: string, pattern: '[A-Z]+-[0-9]+', required: true}
//
// A parameter's value only ever becomes (part of) one argv element, where the command
// names it as {{name}}, and the environment variable VIGIE_PARAM_<NAME>: never shell text.

// Job template bounds.
const (
	DefaultJobTimeout = 15 * time.Minute
	MinJobTimeout     = time.Minute
	MaxJobTimeout     = 24 * time.Hour
	// MaxJobTemplateName keeps the Jobs' names (<template>-xxxxx) within a label value,
	// which the Job controller puts on the pods (batch.kubernetes.io/job-name).
	MaxJobTemplateName = 52
	MaxJobParams       = 32
	MaxJobArgs         = 128
	MaxJobArg          = 4096            // characters of one argv element as written
	MaxJobValue        = api.MaxJobValue // characters of one parameter value
)

// DefaultJobPattern is what a string parameter without a pattern accepts.
const DefaultJobPattern = api.DefaultJobPattern

var (
	jobParamNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	scheduleIDRE   = regexp.MustCompile(`^[a-z0-9-]{1,63}$`)
	defaultJobRE   = regexp.MustCompile(DefaultJobPattern)
)

// JobTemplate is one runbook job of a team, validated.
type JobTemplate struct {
	Name               string
	Description        string
	Namespace          string // one of the team's namespaces: where its Jobs run
	Image              string
	Command            []string // argv as written, with {{param}} placeholders
	ServiceAccountName string   // "" = none (the pods get no API token)
	Timeout            time.Duration
	Params             []api.JobParam // in the file's order; a string's Pattern is anchored

	args     [][]segment // Command, parsed
	patterns map[string]*regexp.Regexp
	nsNode   *yaml.Node // where the namespace was written (checked once the team is read)
	path     string
}

// segment is a piece of an argv element: literal text, or a parameter's value.
type segment struct {
	lit   string
	param string // "" = lit
}

// Job returns the team's template name, or nil.
func (t *Team) Job(name string) *JobTemplate { return t.Jobs[name] }

// JobNames returns the team's template names, sorted.
func (t *Team) JobNames() []string {
	out := make([]string, 0, len(t.Jobs))
	for n := range t.Jobs {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// JobTemplates returns the team's templates as GET /v1/teams shows them, sorted by name.
func (t *Team) JobTemplates() []api.JobTemplate {
	var out []api.JobTemplate
	for _, n := range t.JobNames() {
		out = append(out, t.Jobs[n].API(t.Namespaces[t.Jobs[n].Namespace]))
	}
	return out
}

// API is the template's wire form; env is its namespace's environment class.
func (j *JobTemplate) API(env string) api.JobTemplate {
	out := api.JobTemplate{Name: j.Name, Description: j.Description, Namespace: j.Namespace, Environment: env,
		Image: j.Image, Command: slices.Clone(j.Command), Timeout: formatTimeout(j.Timeout)}
	for _, p := range j.Params {
		p.Values = slices.Clone(p.Values)
		if p.Min != nil {
			v := *p.Min
			p.Min = &v
		}
		if p.Max != nil {
			v := *p.Max
			p.Max = &v
		}
		out.Params = append(out.Params, p)
	}
	return out
}

func formatTimeout(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// teamScope decodes prometheusMatchers, lokiMatchers, oncall and jobs of team t.
func (d *decoder) teamScope(t *Team, key string, v *yaml.Node, path string) {
	switch key {
	case "prometheusMatchers":
		t.PrometheusMatchers = d.equalities(v, path, "series", true)
	case "lokiMatchers":
		t.LokiMatchers = d.equalities(v, path, "streams", true)
	case "oncall":
		d.object(v, path, []string{"schedule"}, func(_ string, _, v *yaml.Node, path string) {
			if s, ok := d.str(v, path); ok {
				if !scheduleIDRE.MatchString(s) {
					d.add(v, path, "schedule id %q: want 1 to 63 lower-case letters, digits or '-'", clipString(s, 64))
					return
				}
				t.OncallSchedule = s
			}
		})
	case "jobs":
		t.Jobs = d.jobs(v, path)
	}
}

// jobs decodes a team's job templates.
func (d *decoder) jobs(n *yaml.Node, path string) map[string]*JobTemplate {
	out := map[string]*JobTemplate{}
	for _, p := range d.mapping(n, path) {
		name, jpath := p.key.Value, join(path, p.key.Value)
		if err := dns1123Label(name); err != nil {
			d.add(p.key, jpath, "job template name: %v", err)
			continue
		}
		if len(name) > MaxJobTemplateName {
			d.add(p.key, jpath, "job template name: %d characters, at most %d (its Jobs are named %s-xxxxx)", len(name), MaxJobTemplateName, name)
			continue
		}
		if j := d.job(name, p.key, p.value, jpath); j != nil {
			out[name] = j
		}
	}
	return out
}

// job decodes one template; nil when it has problems (reported).
func (d *decoder) job(name string, key, n *yaml.Node, path string) *JobTemplate {
	before := len(d.problems)
	j := &JobTemplate{Name: name, Timeout: DefaultJobTimeout, patterns: map[string]*regexp.Regexp{}, path: path}
	var cmdNode *yaml.Node
	has := map[string]bool{}
	d.object(n, path, []string{"description", "namespace", "image", "command", "timeout", "serviceAccountName", "params"}, func(k string, _, v *yaml.Node, path string) {
		has[k] = true
		switch k {
		case "description":
			if s, ok := d.str(v, path); ok && d.text(v, path, s, 1024) {
				j.Description = s
			}
		case "namespace":
			if s, ok := d.str(v, path); ok {
				j.Namespace, j.nsNode = s, v
			}
		case "image":
			if s, ok := d.str(v, path); ok {
				if s == "" || len(s) > 512 || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
					d.add(v, path, "want an image reference (no spaces, at most 512 characters)")
					return
				}
				j.Image = s
			}
		case "command":
			cmdNode = v
			j.Command = d.scalars(v, path)
		case "timeout":
			if dur, ok := d.duration(v, path, MinJobTimeout, MaxJobTimeout); ok {
				j.Timeout = dur
			}
		case "serviceAccountName":
			if s, ok := d.str(v, path); ok {
				if errs := validation.IsDNS1123Subdomain(s); len(errs) > 0 {
					d.add(v, path, "service account name: %s", errs[0])
					return
				}
				j.ServiceAccountName = s
			}
		case "params":
			d.jobParams(j, v, path)
		}
	})
	if !has["namespace"] {
		d.add(key, path, "say where its Jobs run: namespace (one of the team's namespaces)")
	}
	if !has["image"] {
		d.add(key, path, "the template needs an image")
	}
	if !has["command"] {
		d.add(key, path, "the template needs a command (its argv, with {{param}} placeholders)")
	}
	if cmdNode != nil {
		d.jobCommand(j, cmdNode, join(path, "command"))
	}
	if len(d.problems) > before {
		return nil
	}
	return j
}

// jobCommand checks the argv and parses its placeholders: each names a parameter.
func (d *decoder) jobCommand(j *JobTemplate, n *yaml.Node, path string) {
	if n.Kind != yaml.SequenceNode {
		return // reported
	}
	if len(j.Command) == 0 || len(j.Command) > MaxJobArgs {
		d.add(n, path, "want 1 to %d argv elements, got %d", MaxJobArgs, len(j.Command))
		return
	}
	for i, arg := range j.Command {
		at, apath := n, fmt.Sprintf("%s[%d]", path, i)
		if i < len(n.Content) {
			at = n.Content[i]
		}
		if !d.text(at, apath, arg, MaxJobArg) {
			continue
		}
		segs, err := parseArg(arg)
		if err != nil {
			d.add(at, apath, "%v", err)
			continue
		}
		for _, s := range segs {
			if s.param != "" && !slices.ContainsFunc(j.Params, func(p api.JobParam) bool { return p.Name == s.param }) {
				d.add(at, apath, "{{%s}} names no parameter of the template (params: %s)", s.param, strings.Join(j.paramNames(), ", "))
			}
		}
		j.args = append(j.args, segs)
	}
}

func (j *JobTemplate) paramNames() []string {
	var out []string
	for _, p := range j.Params {
		out = append(out, p.Name)
	}
	if out == nil {
		return []string{"none"}
	}
	return out
}

// parseArg splits an argv element into literal text and {{name}} placeholders. A "{{"
// that does not start a placeholder, or a "}}" outside one, is an error: the template
// says exactly where values go.
func parseArg(arg string) ([]segment, error) {
	var out []segment
	rest := arg
	for {
		i := strings.Index(rest, "{{")
		lit := rest
		if i >= 0 {
			lit = rest[:i]
		}
		if strings.Contains(lit, "}}") {
			return nil, fmt.Errorf("%q: a }} without its {{ (placeholders are written {{name}})", clipString(arg, 64))
		}
		if lit != "" {
			out = append(out, segment{lit: lit})
		}
		if i < 0 {
			return out, nil
		}
		rest = rest[i+2:]
		end := strings.Index(rest, "}}")
		if end < 0 || !jobParamNameRE.MatchString(rest[:end]) {
			return nil, fmt.Errorf("%q: a {{ that is not a placeholder (write {{name}}, name in lower-case letters, digits and '_')", clipString(arg, 64))
		}
		out = append(out, segment{param: rest[:end]})
		rest = rest[end+2:]
	}
}

// text checks a string of the file that vigie shows or runs: UTF-8, no control
// characters, at most max characters.
func (d *decoder) text(n *yaml.Node, path, s string, max int) bool {
	switch {
	case !utf8.ValidString(s):
		d.add(n, path, "not valid UTF-8")
	case strings.ContainsFunc(s, unicode.IsControl):
		d.add(n, path, "control characters are not allowed")
	case utf8.RuneCountInString(s) > max:
		d.add(n, path, "%d characters, at most %d", utf8.RuneCountInString(s), max)
	default:
		return true
	}
	return false
}

// scalars decodes a list of scalars (strings, numbers, booleans) as written.
func (d *decoder) scalars(n *yaml.Node, path string) []string {
	if n.Kind != yaml.SequenceNode {
		d.add(n, path, "expected a list, got %s", kindOf(n))
		return nil
	}
	var out []string
	for i, item := range n.Content {
		if s, ok := d.scalar(item, fmt.Sprintf("%s[%d]", path, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

// scalar returns a string, number or boolean as written.
func (d *decoder) scalar(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		d.add(n, path, "expected a string, got %s", kindOf(n))
		return "", false
	}
	return n.Value, true
}

// boolean decodes true or false.
func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	var v bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		d.add(n, path, "expected true or false, got %s", kindOf(n))
		return false, false
	}
	return v, true
}

// finishJobs checks that every template of t runs in one of t's namespaces.
func (d *decoder) finishJobs(t *Team) {
	for _, name := range t.JobNames() {
		j := t.Jobs[name]
		if _, ok := t.Namespaces[j.Namespace]; !ok {
			d.add(j.nsNode, join(j.path, "namespace"), "%q is not a namespace of team %s (its namespaces: %s)",
				clipString(j.Namespace, 64), t.Name, strings.Join(t.NamespaceNames(), ", "))
			delete(t.Jobs, name)
		}
	}
}
