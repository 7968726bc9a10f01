package api

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Runbook jobs: a team registers Job templates in the server's configuration
// (teams.T.jobs); a user runs one with typed parameters (POST /v1/actions, kind "job")
// and follows it (GET /v1/jobs, GET /v1/jobs/{namespace}/{name}). The server creates the
// Kubernetes Job with its own credentials; parameters only ever become separate argv
// elements or environment variables, never shell text.

// ActionJob runs one of the team's job templates. Target.Namespace is the template's
// namespace, Target.Name the template's name; Params.Values its parameters.
const ActionJob ActionKind = "job"

// JobParamType is the type of one job parameter.
type JobParamType string

const (
	JobParamString JobParamType = "string" // matches Pattern (default ^[A-Za-z0-9._:/@=+-]{0,128}$)
	JobParamInt    JobParamType = "int"    // a decimal integer within [Min, Max]
	JobParamBool   JobParamType = "bool"   // "true" or "false"
	JobParamEnum   JobParamType = "enum"   // one of Values
)

// JobParam describes one parameter of a job template.
type JobParam struct {
	Name        string       `json:"name"` // [a-z][a-z0-9_]*, used as {{name}} in the template's command
	Type        JobParamType `json:"type"`
	Description string       `json:"description,omitempty"`
	Required    bool         `json:"required,omitempty"`
	Default     string       `json:"default,omitempty"` // used when the request omits the parameter
	Values      []string     `json:"values,omitempty"`  // enum: the allowed values
	Min         *int64       `json:"min,omitempty"`     // int: bounds
	Max         *int64       `json:"max,omitempty"`
	Pattern     string       `json:"pattern,omitempty"` // string: an anchored RE2 the value must match
}

// JobTemplate is one runbook job a team may run: what GET /v1/teams shows of it.
type JobTemplate struct {
	Name        string     `json:"name"`
	Description string     `json:"description,omitempty"`
	Namespace   string     `json:"namespace"`   // where its Jobs run (one of the team's namespaces)
	Environment string     `json:"environment"` // that namespace's environment class
	Image       string     `json:"image"`
	Command     []string   `json:"command"`           // argv, with {{param}} placeholders
	Params      []JobParam `json:"params,omitempty"`  // in the order the file lists them
	Timeout     string     `json:"timeout,omitempty"` // the Job's activeDeadlineSeconds, as "10m"
}

// Job run states.
const (
	JobPending   = "pending"   // created, no pod running yet
	JobRunning   = "running"   // a pod runs
	JobSucceeded = "succeeded" // the Job completed
	JobFailed    = "failed"    // the Job failed (backoff limit, deadline)
)

// JobRun is one run of a job template: a Kubernetes Job the server created.
type JobRun struct {
	Namespace string            `json:"namespace"`
	Name      string            `json:"name"` // the Job's name
	Template  string            `json:"template"`
	User      string            `json:"user"` // who asked for it
	Approver  string            `json:"approver,omitempty"`
	Reason    string            `json:"reason,omitempty"`
	Values    map[string]string `json:"values,omitempty"`  // the parameters, defaults filled in
	Command   []string          `json:"command"`           // argv as run
	Status    string            `json:"status"`            // JobPending, JobRunning, JobSucceeded, JobFailed
	Message   string            `json:"message,omitempty"` // why it failed, from the Job's conditions
	Created   time.Time         `json:"created"`
	Started   *time.Time        `json:"started,omitempty"`
	Finished  *time.Time        `json:"finished,omitempty"`
	Pods      []string          `json:"pods,omitempty"` // its pods' names, oldest first (for logs)
	ActionID  string            `json:"actionId,omitempty"`
}

// JobsResponse answers GET /v1/jobs: the runs of the caller's teams' templates (or of
// one team, one template), newest first.
type JobsResponse struct {
	Runs []JobRun `json:"runs"`
}

// Limits of job values, as the server applies them.
const (
	// DefaultJobPattern is what a string parameter without a pattern accepts.
	DefaultJobPattern = `^[A-Za-z0-9._:/@=+-]{0,128}$`
	MaxJobValue       = 1024 // characters of one parameter value
)

var jobDecimalRE = regexp.MustCompile(`^-?[0-9]{1,19}$`)

// PatternRE compiles a string parameter's pattern as the server reads it: anchored
// (^(?:PATTERN)$), DefaultJobPattern when it has none.
func (p JobParam) PatternRE() (*regexp.Regexp, error) {
	if p.Pattern == "" {
		return regexp.Compile(DefaultJobPattern)
	}
	return regexp.Compile(`^(?:` + p.Pattern + `)$`)
}

// CheckValue says what is wrong with value v of parameter p (nil: nothing): text that
// must never reach argv, an environment variable or a screen (invalid UTF-8, control
// characters, more than MaxJobValue characters), then the parameter's type, bounds,
// pattern (re, from PatternRE; nil compiles it) or values. The server and vigie's form
// both check with it; the server's answer is the one that counts.
func (p JobParam) CheckValue(v string, re *regexp.Regexp) error {
	if err := CheckJobText(v); err != nil {
		return err
	}
	switch p.Type {
	case JobParamString:
		if re == nil {
			var err error
			if re, err = p.PatternRE(); err != nil {
				return fmt.Errorf("the parameter's pattern: %v", err)
			}
		}
		if !re.MatchString(v) {
			shown := p.Pattern // as the server's configuration wrote it (GET /v1/teams: anchored)
			if shown == "" {
				shown = DefaultJobPattern
			}
			return fmt.Errorf("%q does not match %s", clipValue(v), shown)
		}
	case JobParamInt:
		n, err := strconv.ParseInt(v, 10, 64)
		if !jobDecimalRE.MatchString(v) || err != nil {
			return fmt.Errorf("%q is not a whole number", clipValue(v))
		}
		if p.Min != nil && n < *p.Min || p.Max != nil && n > *p.Max {
			return fmt.Errorf("%d is out of range [%s, %s]", n, bound(p.Min, "-∞"), bound(p.Max, "∞"))
		}
	case JobParamBool:
		if v != "true" && v != "false" {
			return fmt.Errorf("%q: want true or false", clipValue(v))
		}
	case JobParamEnum:
		if !slices.Contains(p.Values, v) {
			return fmt.Errorf("%q: want one of %s", clipValue(v), strings.Join(p.Values, ", "))
		}
	default:
		return fmt.Errorf("unknown type %q", p.Type)
	}
	return nil
}

func bound(b *int64, none string) string {
	if b == nil {
		return none
	}
	return strconv.FormatInt(*b, 10)
}

// clipValue cuts a value quoted in a message to 64 characters.
func clipValue(v string) string {
	if utf8.RuneCountInString(v) <= 64 {
		return v
	}
	return string([]rune(v)[:63]) + "…"
}

// CheckJobText refuses what must never reach argv, an environment variable or a screen:
// invalid UTF-8, control characters (a NUL ends a C string), more than MaxJobValue
// characters.
func CheckJobText(v string) error {
	switch {
	case !utf8.ValidString(v):
		return errors.New("not valid UTF-8")
	case strings.ContainsFunc(v, unicode.IsControl):
		return errors.New("control characters are not allowed")
	case utf8.RuneCountInString(v) > MaxJobValue:
		return fmt.Errorf("%d characters, at most %d", utf8.RuneCountInString(v), MaxJobValue)
	}
	return nil
}
