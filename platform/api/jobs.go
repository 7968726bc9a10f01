package api

import "time"

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
