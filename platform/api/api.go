// Package api holds the wire types of the platform API (`vigie serve`), shared by the
// server (platform/...) and its Go client (sources/platform), and the OpenAPI document
// that describes them. It holds types only: no I/O, no server code.
package api

import (
	_ "embed"
	"strings"
	"time"
)

// OpenAPI is the OpenAPI 3.0 description of every endpoint the server registers.
//
//go:embed openapi.yaml
var OpenAPI []byte

// Error codes carried in ErrorBody.Code. Clients branch on the code, never on the message.
const (
	CodeUnauthenticated = "unauthenticated"      // 401: no token, unknown, expired or revoked token
	CodeForbidden       = "forbidden"            // 403: policy denies the action
	CodeReadOnly        = "read_only"            // 403: a read-only (review) token asked for a write
	CodeInvalid         = "invalid"              // 400: malformed body or bad field values
	CodeReasonRequired  = "reason_required"      // 422: the policy needs a longer reason
	CodeLimit           = "limit"                // 422: a parameter is outside the policy's bounds
	CodeNotFound        = "not_found"            // 404: the target does not exist
	CodeConflict        = "conflict"             // 409: the target changed since the caller saw it
	CodeIdempotency     = "idempotency_conflict" // 409: key reused for another request, or still running
	CodeInterrupted     = "interrupted"          // 409: the server stopped while the request with this key ran: its answer was lost
	CodeActionFailed    = "action_failed"        // 502: the cluster refused or failed the change
	CodeTimeout         = "timeout"              // 504: the action did not finish before its deadline
	CodeUnavailable     = "unavailable"          // 503: the store is unreachable
	CodeInternal        = "internal"             // 500
)

// ErrorResponse is the body of every non-2xx answer: {"error":{"code","message","details"}}.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody says what went wrong. Message is written for a human; Details carries
// machine-readable context such as the field that failed validation or the audit id.
type ErrorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Details map[string]string `json:"details,omitempty"`
}

// Role is what a user may do in one team. Roles are ordered only by the policy file:
// the server grants nothing by rank.
type Role string

const (
	RoleMember Role = "member"
	RoleOncall Role = "oncall"
	RoleLead   Role = "lead"
	RoleAdmin  Role = "admin"
)

// Roles lists the valid roles.
func Roles() []Role { return []Role{RoleMember, RoleOncall, RoleLead, RoleAdmin} }

// Environment classes of namespaces; the policy is written per class.
const (
	EnvProduction = "production"
	EnvStaging    = "staging"
	EnvDev        = "dev"
)

// Environments lists the valid environment classes.
func Environments() []string { return []string{EnvProduction, EnvStaging, EnvDev} }

// Membership is one team a user belongs to, with the user's role in it.
type Membership struct {
	Team string `json:"team"`
	Role Role   `json:"role"`
}

// Me answers GET /v1/me: who the token belongs to.
type Me struct {
	User      string       `json:"user"`
	Teams     []Membership `json:"teams"`
	ReadOnly  bool         `json:"readOnly"`
	TokenID   string       `json:"tokenId"`
	ExpiresAt *time.Time   `json:"expiresAt,omitempty"`
}

// Namespace is one namespace of a team and its environment class.
type Namespace struct {
	Name        string `json:"name"`
	Environment string `json:"environment"`
}

// Team is the scope of one team, as vigie uses it: its namespaces, label selector and
// services. Secrets (database DSNs and the like) are never part of it.
type Team struct {
	Name       string      `json:"name"`
	Role       Role        `json:"role"` // the caller's role in this team
	Namespaces []Namespace `json:"namespaces"`
	Selector   string      `json:"selector,omitempty"`
	Services   []string    `json:"services,omitempty"`
	// AlertMatchers are the Alertmanager label matchers of the team's alerts (equalities):
	// every silence of the team carries them.
	AlertMatchers map[string]string `json:"alertMatchers,omitempty"`
	// Databases are the names of the team's databases (POST /v1/queries), never their DSNs.
	Databases []string `json:"databases,omitempty"`
	// PrometheusMatchers and LokiMatchers are label equalities added to every PromQL and
	// LogQL selector vigie writes for the team (besides its namespaces).
	PrometheusMatchers map[string]string `json:"prometheusMatchers,omitempty"`
	LokiMatchers       map[string]string `json:"lokiMatchers,omitempty"`
	// Jobs are the team's runbook job templates (kind "job").
	Jobs []JobTemplate `json:"jobs,omitempty"`
	// OncallSchedule is the id of the team's on-call schedule ("" = none).
	OncallSchedule string `json:"oncallSchedule,omitempty"`
}

// TeamsResponse answers GET /v1/teams: the caller's teams.
type TeamsResponse struct {
	Teams []Team `json:"teams"`
}

// ActionKind names an action.
type ActionKind string

const (
	ActionScale     ActionKind = "scale"      // set a Deployment's replicas
	ActionRestart   ActionKind = "restart"    // rollout restart of a Deployment
	ActionRollback  ActionKind = "rollback"   // set a Deployment's pod template to an earlier revision's
	ActionDeletePod ActionKind = "delete-pod" // delete one pod of a Deployment; its ReplicaSet replaces it

	// ActionSilence creates an Alertmanager silence of the team's alerts: the server adds
	// the team's own alert matchers, caps the duration, and sets createdBy (the caller)
	// and comment (the reason). The target names the team by one of its namespaces.
	ActionSilence ActionKind = "silence"
	// ActionExpireSilence expires a silence of the team's (one whose matchers include the
	// team's alert matchers).
	ActionExpireSilence ActionKind = "expire-silence"
)

// ActionKinds lists the actions the server knows.
func ActionKinds() []ActionKind {
	return []ActionKind{ActionScale, ActionRestart, ActionRollback, ActionDeletePod, ActionSilence, ActionExpireSilence, ActionJob}
}

// SilenceKind reports whether k acts on Alertmanager silences rather than on a
// Kubernetes object: its target names only a namespace of the team.
func SilenceKind(k ActionKind) bool { return k == ActionSilence || k == ActionExpireSilence }

// Target is the object an action acts on: a Deployment for scale, restart and rollback,
// a pod for delete-pod. For silence and expire-silence, Namespace (one of the team's
// namespaces) names the team and Name is empty.
type Target struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

func (t Target) String() string { return t.Namespace + "/" + t.Name }

// Params are the action's parameters; which ones are required depends on the kind.
type Params struct {
	Replicas   *int32 `json:"replicas,omitempty"`   // scale: the wanted replica count
	ToRevision int64  `json:"toRevision,omitempty"` // rollback: the revision to go back to; 0 = the previous one

	Matchers  []Matcher `json:"matchers,omitempty"`  // silence: what to silence, besides the team's own matchers (which the server adds)
	Duration  string    `json:"duration,omitempty"`  // silence: how long, as "90m" or "2h"; capped by the policy's limits.maxSilence
	SilenceID string    `json:"silenceId,omitempty"` // expire-silence: the silence to expire

	Values map[string]string `json:"values,omitempty"` // job: the template's parameters, by name
}

// Matcher is one Alertmanager label matcher, as in Alertmanager's API: name="value"
// (the default), name!="value" (isEqual false), name=~"regexp" (isRegex), name!~"regexp".
// A regexp is anchored, as Alertmanager reads it.
type Matcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex,omitempty"`
	IsEqual *bool  `json:"isEqual,omitempty"` // nil: true
}

// Equal reports whether the matcher is an equality (isEqual absent or true).
func (m Matcher) Equal() bool { return m.IsEqual == nil || *m.IsEqual }

// Op is the matcher's operator: =, !=, =~ or !~.
func (m Matcher) Op() string {
	switch {
	case m.IsRegex && m.Equal():
		return "=~"
	case m.IsRegex:
		return "!~"
	case m.Equal():
		return "="
	}
	return "!="
}

// String renders the matcher as Alertmanager does: name="value", the value's backslashes,
// double quotes and newlines escaped.
func (m Matcher) String() string {
	return m.Name + m.Op() + `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(m.Value) + `"`
}

// Silence is an Alertmanager silence as the platform reports it.
type Silence struct {
	ID        string    `json:"id,omitempty"` // "" in a dry run
	Matchers  []Matcher `json:"matchers"`     // the team's own first
	StartsAt  time.Time `json:"startsAt"`
	EndsAt    time.Time `json:"endsAt"`
	CreatedBy string    `json:"createdBy"`
	Comment   string    `json:"comment"`
	State     string    `json:"state,omitempty"` // Alertmanager's: pending, active, expired
}

// Expect is a precondition: the action is refused (409) when the target changed.
type Expect struct {
	// ResourceVersion is the target's (the Deployment's, or the pod's for delete-pod) as
	// the caller saw it.
	ResourceVersion string `json:"resourceVersion,omitempty"`
	// Revision (rollback only) is the Deployment's current revision as the caller saw it
	// (RevisionsResponse.Current); 0 = no precondition on it.
	Revision int64 `json:"revision,omitempty"`
}

// ActionRequest is the body of POST /v1/actions.
type ActionRequest struct {
	Kind           ActionKind `json:"kind"`
	Target         Target     `json:"target"`
	Params         Params     `json:"params"`
	Reason         string     `json:"reason,omitempty"`
	IdempotencyKey string     `json:"idempotencyKey,omitempty"`
	Expect         *Expect    `json:"expect,omitempty"`
}

// Outcome statuses.
const (
	StatusSucceeded       = "succeeded"
	StatusFailed          = "failed"
	StatusDenied          = "denied"
	StatusPendingApproval = "pending_approval"
	// StatusInterrupted is the outcome the server records, at its next start, for an
	// action that was running when it stopped (crash, kill): its result is unknown.
	StatusInterrupted = "interrupted"
)

// Change is one field an action changes (or, in a dry run, would change).
type Change struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Outcome answers POST /v1/actions when the request was accepted: it ran (succeeded),
// or waits for an approval (pending_approval). Refusals and failures are ErrorResponses
// whose details carry the action and audit ids.
type Outcome struct {
	ID              string   `json:"id"`
	Status          string   `json:"status"`
	Message         string   `json:"message"`
	AuditID         string   `json:"auditId"`
	DryRun          bool     `json:"dryRun,omitempty"`
	Changes         []Change `json:"changes,omitempty"`
	Warnings        []string `json:"warnings,omitempty"`        // also in Message: what the action does not do
	ResourceVersion string   `json:"resourceVersion,omitempty"` // of the Deployment after the action; in a dry run, the one it was computed against
	Silence         *Silence `json:"silence,omitempty"`         // silence, expire-silence: the silence (in a dry run, what would be created)
	Job             *JobRun  `json:"job,omitempty"`             // job: the run (in a dry run, what would be created)
}

// Values shown instead of the value of an environment variable whose name looks secret
// (it holds TOKEN, SECRET, PASSWORD, PASSWD, KEY or CREDENTIAL): whether it differs from
// the other side of the comparison, never the value itself.
const (
	SecretChanged = "(changed)"
	SecretSame    = "(same)"
)

// Revision is one revision of a Deployment: one of its ReplicaSets.
//
// Changes is what rolling back to this revision would change, from the Deployment's
// current pod template to this revision's, one Change per differing item; its Field is a
// path in the Deployment:
//
//	spec.template.spec.containers[NAME].image
//	spec.template.spec.containers[NAME].env[VAR]          (a literal value, or "secret NAME key K",
//	                                                       "configmap NAME key K", "field PATH", "resource R";
//	                                                       a secret-looking VAR shows SecretChanged/SecretSame)
//	spec.template.spec.containers[NAME].resources.requests.cpu (and .limits.R)
//	spec.template.spec.initContainers[NAME]...            (the same for init containers)
//	spec.template.metadata.annotations[KEY]
//	spec.template.metadata.labels[KEY]                    (pod-template-hash is ignored)
//	spec.template (other fields)                          (From "", To "(changed)": command, probes, volumes...)
//
// An empty From or To means absent on that side. The current revision has no Changes.
type Revision struct {
	Revision    int64     `json:"revision"`
	ReplicaSet  string    `json:"replicaSet"`
	Created     time.Time `json:"created"`
	Images      []string  `json:"images"`                // of its containers, in order
	Current     bool      `json:"current"`               // its template is the Deployment's
	Replicas    int32     `json:"replicas"`              // pods it has now
	ChangeCause string    `json:"changeCause,omitempty"` // its kubernetes.io/change-cause annotation
	Changes     []Change  `json:"changes,omitempty"`
}

// RevisionsResponse answers GET /v1/deployments/{namespace}/{name}/revisions. Current
// and ResourceVersion are what a rollback request puts in its Expect.
type RevisionsResponse struct {
	Namespace       string     `json:"namespace"`
	Name            string     `json:"name"`
	ResourceVersion string     `json:"resourceVersion"` // of the Deployment
	Current         int64      `json:"current"`         // 0 while a rollout starts (no ReplicaSet has the template yet)
	Replicas        int32      `json:"replicas"`        // the Deployment's spec.replicas (a rollback keeps it)
	Paused          bool       `json:"paused,omitempty"`
	Revisions       []Revision `json:"revisions"` // newest first
}

// Audit record types.
const (
	AuditRequested = "requested" // written durably before acting
	AuditOutcome   = "outcome"   // what happened
	AuditDenied    = "denied"    // authentication or policy refused the request
	AuditInvalid   = "invalid"   // the request was malformed or out of bounds
)

// AuditRecord is one link of the hash-chained audit log. Hash is the SHA-256 (hex) of the
// record's canonical JSON without the hash itself; the canonical JSON includes PrevHash.
// Approver is set in the records of an approved request's run: who approved it (User
// asked for it).
type AuditRecord struct {
	Seq       int64      `json:"seq"`
	ID        string     `json:"id"`
	Time      time.Time  `json:"time"`
	Type      string     `json:"type"`
	RequestID string     `json:"requestId,omitempty"`
	ActionID  string     `json:"actionId,omitempty"`
	User      string     `json:"user,omitempty"` // "" when authentication failed
	TokenID   string     `json:"tokenId,omitempty"`
	Approver  string     `json:"approver,omitempty"`
	Team      string     `json:"team,omitempty"` // the team owning the target namespace
	Role      Role       `json:"role,omitempty"`
	Kind      ActionKind `json:"kind,omitempty"`
	Target    *Target    `json:"target,omitempty"`
	Params    *Params    `json:"params,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	DryRun    bool       `json:"dryRun,omitempty"`
	Status    string     `json:"status,omitempty"`
	Code      string     `json:"code,omitempty"`
	Message   string     `json:"message,omitempty"`
	Changes   []Change   `json:"changes,omitempty"`
	PrevHash  string     `json:"prevHash"`
	Hash      string     `json:"hash,omitempty"`

	// Query is set in the records of query-saved and query-sql (query.go): the database
	// and the SQL text; in the outcome, the row count, never the rows.
	Query *QueryAudit `json:"query,omitempty"`
}

// AuditResponse answers GET /v1/audit, newest first. Next, when set, is the "before"
// value that returns the following page.
type AuditResponse struct {
	Records []AuditRecord `json:"records"`
	Next    int64         `json:"next,omitempty"`
}

// Health answers /healthz and /readyz.
type Health struct {
	Status string `json:"status"`           // "ok" or "unavailable"
	Detail string `json:"detail,omitempty"` // why not ready, without secrets
}

// ValidUserName reports whether name is an acceptable user name: lower-case letters,
// digits, '.', '_', '@' and '-', starting and ending with a letter or digit, at most 64.
func ValidUserName(name string) bool {
	if len(name) == 0 || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || i == len(name)-1 || (c != '.' && c != '_' && c != '@' && c != '-')) {
			return false
		}
	}
	return true
}
