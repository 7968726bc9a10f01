package policy

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-dev/vigie/platform/api"
)

// The parameters of a job template: their declaration in the file, and the check of a
// request's values against them (Resolve).

// jobParams decodes a template's params, in the file's order.
func (d *decoder) jobParams(j *JobTemplate, n *yaml.Node, path string) {
	pairs := d.mapping(n, path)
	if len(pairs) > MaxJobParams {
		d.add(n, path, "%d parameters, at most %d", len(pairs), MaxJobParams)
		return
	}
	for _, p := range pairs {
		name, ppath := p.key.Value, join(path, p.key.Value)
		if !jobParamNameRE.MatchString(name) {
			d.add(p.key, ppath, "parameter name: want lower-case letters, digits and '_', starting with a letter (at most 63)")
			continue
		}
		if jp, ok := d.jobParam(j, name, p.key, p.value, ppath); ok {
			j.Params = append(j.Params, jp)
		}
	}
}

// jobParam decodes one parameter and checks that its keys fit its type and that its
// default is one of its values.
func (d *decoder) jobParam(j *JobTemplate, name string, key, n *yaml.Node, path string) (api.JobParam, bool) {
	before := len(d.problems)
	p := api.JobParam{Name: name}
	nodes := map[string]*yaml.Node{}
	d.object(n, path, []string{"type", "description", "required", "default", "values", "min", "max", "pattern"}, func(k string, _, v *yaml.Node, path string) {
		nodes[k] = v
		switch k {
		case "type":
			if s, ok := d.str(v, path); ok {
				switch t := api.JobParamType(s); t {
				case api.JobParamString, api.JobParamInt, api.JobParamBool, api.JobParamEnum:
					p.Type = t
				default:
					d.add(v, path, "unknown type %q (valid: string, int, bool, enum)", clipString(s, 32))
				}
			}
		case "description":
			if s, ok := d.str(v, path); ok && d.text(v, path, s, 1024) {
				p.Description = s
			}
		case "required":
			p.Required, _ = d.boolean(v, path)
		case "default":
			if s, ok := d.scalar(v, path); ok {
				p.Default = s
			}
		case "values":
			for i, s := range d.scalars(v, path) {
				if err := api.CheckJobText(s); err != nil {
					d.add(v, fmt.Sprintf("%s[%d]", path, i), "%v", err)
				} else if slices.Contains(p.Values, s) {
					d.add(v, fmt.Sprintf("%s[%d]", path, i), "%q is listed twice", clipString(s, 64))
				} else {
					p.Values = append(p.Values, s)
				}
			}
		case "min", "max":
			if x, ok := d.integer(v, path, math.MinInt64, math.MaxInt64); ok {
				if k == "min" {
					p.Min = &x
				} else {
					p.Max = &x
				}
			}
		case "pattern":
			if s, ok := d.str(v, path); ok && d.text(v, path, s, 1024) {
				if _, err := regexp.Compile(s); err != nil {
					d.add(v, path, "not an RE2 regular expression: %v", err)
					return
				}
				// It parses alone, so its groups are balanced: anchoring cannot change its meaning.
				re := regexp.MustCompile(`^(?:` + s + `)$`)
				p.Pattern = re.String()
				j.patterns[name] = re
			}
		}
	})
	if _, ok := nodes["type"]; !ok {
		d.add(key, path, "say its type: string, int, bool or enum")
		return p, false
	}
	only := map[string]api.JobParamType{"values": api.JobParamEnum, "min": api.JobParamInt, "max": api.JobParamInt, "pattern": api.JobParamString}
	for _, k := range []string{"values", "min", "max", "pattern"} {
		if v, ok := nodes[k]; ok && p.Type != "" && p.Type != only[k] {
			d.add(v, join(path, k), "only a parameter of type %s takes %s", only[k], k)
		}
	}
	if len(d.problems) > before {
		return p, false
	}
	switch {
	case p.Type == api.JobParamEnum && len(p.Values) == 0:
		d.add(key, path, "an enum needs its values")
	case p.Min != nil && p.Max != nil && *p.Min > *p.Max:
		d.add(nodes["min"], join(path, "min"), "min %d is above max %d", *p.Min, *p.Max)
	case p.Type == api.JobParamString && p.Pattern == "":
		p.Pattern = DefaultJobPattern
	}
	if len(d.problems) > before {
		return p, false
	}
	_, hasDefault := nodes["default"]
	switch {
	case p.Required && hasDefault:
		d.add(nodes["default"], join(path, "default"), "a required parameter takes no default (the request must give it)")
	case hasDefault:
		if err := j.checkValue(p, p.Default); err != nil {
			d.add(nodes["default"], join(path, "default"), "%v", err)
		}
	case !p.Required && p.Type != api.JobParamString:
		d.add(key, path, "give it a default or make it required: an %s parameter has no empty value", p.Type)
	case !p.Required:
		if err := j.checkValue(p, ""); err != nil { // an optional string is "" when not given
			d.add(key, path, "its pattern does not accept the empty value it has when not given: give it a default or make it required")
		}
	}
	return p, len(d.problems) == before
}

// checkValue says what is wrong with value v of parameter p (api.JobParam.CheckValue,
// with the pattern compiled when the file was read).
func (j *JobTemplate) checkValue(p api.JobParam, v string) error {
	re := j.patterns[p.Name]
	if re == nil {
		re = defaultJobRE
	}
	return p.CheckValue(v, re)
}

// JobValueError is a request's value that the template refuses; Param is "" when the
// problem is not one parameter's.
type JobValueError struct {
	Param string
	Msg   string
}

func (e *JobValueError) Error() string {
	if e.Param == "" {
		return "params.values: " + e.Msg
	}
	return "params.values." + e.Param + ": " + e.Msg
}

// Field is the request field at fault, for an error's details.
func (e *JobValueError) Field() string {
	if e.Param == "" {
		return "params.values"
	}
	return "params.values." + e.Param
}

// ResolvedJob is what a job request runs: every parameter's value (given, or its
// default; an optional string not given is ""), the argv with the placeholders replaced,
// one element per element of the template's command, and the environment variables
// VIGIE_PARAM_<NAME>.
type ResolvedJob struct {
	Values  map[string]string
	Command []string
	Env     map[string]string
}

// Resolve checks a request's values against the template's parameters (unknown
// parameters, missing required ones, types, bounds, patterns, enums) and builds what
// runs. It does no I/O.
func (j *JobTemplate) Resolve(values map[string]string) (ResolvedJob, error) {
	var unknown []string
	for name := range values {
		if !slices.ContainsFunc(j.Params, func(p api.JobParam) bool { return p.Name == name }) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return ResolvedJob{}, &JobValueError{Param: clipString(unknown[0], 64), Msg: fmt.Sprintf("template %s has no parameter %q (its parameters: %s)",
			j.Name, clipString(unknown[0], 64), strings.Join(j.paramNames(), ", "))}
	}
	out := ResolvedJob{Values: map[string]string{}, Env: map[string]string{}}
	for _, p := range j.Params {
		v, given := values[p.Name]
		switch {
		case given:
			if err := j.checkValue(p, v); err != nil {
				return ResolvedJob{}, &JobValueError{Param: p.Name, Msg: err.Error()}
			}
		case p.Required:
			return ResolvedJob{}, &JobValueError{Param: p.Name, Msg: "required" + describeParam(p)}
		default:
			v = p.Default
		}
		out.Values[p.Name] = v
		out.Env["VIGIE_PARAM_"+strings.ToUpper(p.Name)] = v
	}
	out.Command = expandArgs(j.args, out.Values)
	return out, nil
}

func describeParam(p api.JobParam) string {
	switch {
	case p.Description != "":
		return " (" + p.Description + ")"
	case p.Type == api.JobParamString:
		return " (a string matching " + p.Pattern + ")"
	}
	return " (" + string(p.Type) + ")"
}

// expandArgs builds the argv: each element is its literal text with every placeholder
// replaced by its parameter's value, in one pass (a value is never read as a template).
func expandArgs(args [][]segment, values map[string]string) []string {
	out := make([]string, len(args))
	for i, segs := range args {
		var b strings.Builder
		for _, s := range segs {
			if s.param == "" {
				b.WriteString(s.lit)
			} else {
				b.WriteString(values[s.param])
			}
		}
		out[i] = b.String()
	}
	return out
}
