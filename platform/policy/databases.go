package policy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-dev/vigie/platform/api"
)

// Query limits: the defaults and the bounds of limits.queryTimeout, queryRows and
// queryBytes.
const (
	DefaultQueryTimeout = 10 * time.Second
	MinQueryTimeout     = time.Second
	MaxQueryTimeout     = 60 * time.Second

	DefaultQueryRows = 1000
	MaxQueryRows     = 10000

	DefaultQueryBytes = 1 << 20
	MinQueryBytes     = 1 << 10
	// MaxQueryBytes keeps an answer well under what vigie's client reads (8 MiB).
	MaxQueryBytes = 4 << 20
)

// QueryLimits bound a query: its statement timeout, and the rows and bytes (of the
// answer's JSON values) sent back; a result with more is cut and marked truncated.
type QueryLimits struct {
	Timeout time.Duration
	Rows    int
	Bytes   int
}

// DefaultQueryLimits are the limits when the file sets none.
func DefaultQueryLimits() QueryLimits {
	return QueryLimits{Timeout: DefaultQueryTimeout, Rows: DefaultQueryRows, Bytes: DefaultQueryBytes}
}

// Database is one of a team's databases: where the server finds the DSN of a
// SELECT-only role of it. The DSN itself is read when a query runs; it is never
// returned to a client, logged or audited.
type Database struct {
	Name    string
	DSNEnv  string // an environment variable of the server holding the DSN, or
	DSNFile string // a file holding it (absolute: a relative path is resolved from the configuration file's folder)
}

// Source names where the DSN comes from, for messages (never the DSN).
func (db *Database) Source() string {
	if db.DSNEnv != "" {
		return "environment variable " + db.DSNEnv
	}
	return "file " + db.DSNFile
}

// DSN reads the database's DSN. Its errors name the variable or the file, never a
// value.
func (db *Database) DSN() (string, error) {
	var dsn string
	if db.DSNEnv != "" {
		dsn = os.Getenv(db.DSNEnv)
	} else {
		b, err := os.ReadFile(db.DSNFile)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the path is in Source
			}
			return "", fmt.Errorf("database %s: %s: %v", db.Name, db.Source(), err)
		}
		dsn = string(b)
	}
	dsn = strings.TrimSpace(dsn)
	if dsn == "" {
		return "", fmt.Errorf("database %s: %s is empty or not set", db.Name, db.Source())
	}
	return dsn, nil
}

// DatabaseNames returns the team's database names, sorted.
func (t *Team) DatabaseNames() []string {
	out := make([]string, 0, len(t.Databases))
	for n := range t.Databases {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Environment is the team's most sensitive environment class (production, then
// staging, then dev): the policy class of what acts on the whole team, such as its
// silences and its databases' queries.
func (t *Team) Environment() string { return t.AlertEnvironment() }

// policyActions are the actions a policy names: ActionKinds and QueryKinds.
func policyActions() []api.ActionKind {
	return append(api.ActionKinds(), api.QueryKinds()...)
}

var (
	databaseNameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	envNameRE      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,255}$`)
)

// databases decodes a team's databases: name -> {dsnEnv: VAR} or {dsnFile: PATH}.
func (d *decoder) databases(n *yaml.Node, path string) map[string]*Database {
	out := map[string]*Database{}
	for _, p := range d.mapping(n, path) {
		name, dpath := p.key.Value, join(path, p.key.Value)
		if !databaseNameRE.MatchString(name) {
			d.add(p.key, dpath, "database name: want lower-case letters, digits, '_' or '-', starting with a letter (at most 63)")
			continue
		}
		db := &Database{Name: name}
		set := 0 // dsnEnv and dsnFile given, valid or not
		d.object(p.value, dpath, []string{"dsnEnv", "dsnFile"}, func(key string, _, v *yaml.Node, path string) {
			set++
			s, ok := d.str(v, path)
			if !ok {
				return
			}
			switch key {
			case "dsnEnv":
				if !envNameRE.MatchString(s) {
					d.add(v, path, "%q is not an environment variable name (letters, digits and '_', not starting with a digit)", clipString(s, 64))
					return
				}
				db.DSNEnv = s
			case "dsnFile":
				if s == "" || strings.ContainsRune(s, 0) {
					d.add(v, path, "want the path of a file holding the DSN")
					return
				}
				if !filepath.IsAbs(s) {
					s = filepath.Join(filepath.Dir(d.file), s)
				}
				db.DSNFile = filepath.Clean(s)
			}
		})
		switch {
		case set == 0 && (p.value.ShortTag() == "!!null" || p.value.Kind == yaml.MappingNode && len(p.value.Content) == 0):
			d.add(p.key, dpath, "say where the DSN of the database's SELECT-only role is: {dsnEnv: VAR} or {dsnFile: PATH}")
			continue
		case set > 1:
			d.add(p.key, dpath, "give dsnEnv or dsnFile, not both")
			continue
		case db.DSNEnv == "" && db.DSNFile == "":
			continue // reported
		}
		out[name] = db
	}
	return out
}

// decode decodes limits.queryTimeout, queryRows or queryBytes.
func (q *QueryLimits) decode(d *decoder, key string, v *yaml.Node, path string) {
	switch key {
	case "queryTimeout":
		if dur, ok := d.duration(v, path, MinQueryTimeout, MaxQueryTimeout); ok {
			q.Timeout = dur
		}
	case "queryRows":
		if n, ok := d.integer(v, path, 1, MaxQueryRows); ok {
			q.Rows = int(n)
		}
	case "queryBytes":
		if n, ok := d.size(v, path, MinQueryBytes, MaxQueryBytes); ok {
			q.Bytes = int(n)
		}
	}
}

var sizeRE = regexp.MustCompile(`^([0-9]+)\s*(B|KiB|MiB|kB|KB|MB)?$`)

// size decodes a byte count within [lo, hi]: an integer, or a string such as 512KiB,
// 1MiB, 500kB (KiB and MiB are powers of 1024, kB and MB of 1000).
func (d *decoder) size(n *yaml.Node, path string, lo, hi int64) (int64, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		return d.integer(n, path, lo, hi)
	}
	s, ok := d.str(n, path)
	if !ok {
		return 0, false
	}
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		d.add(n, path, "%q is not a size (write it as 1048576, 512KiB or 1MiB)", clipString(s, 32))
		return 0, false
	}
	v, err := strconv.ParseInt(m[1], 10, 64)
	mult := map[string]int64{"": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "kB": 1000, "KB": 1000, "MB": 1000 * 1000}[m[2]]
	if err != nil || v > hi {
		d.add(n, path, "%s is out of range [%d, %d]", s, lo, hi)
		return 0, false
	}
	v *= mult
	if v < lo || v > hi {
		d.add(n, path, "%s (%d bytes) is out of range [%d, %d]", s, v, lo, hi)
		return 0, false
	}
	return v, true
}

// DecideQuery says whether sub may run query q, and on which database: the team that
// owns the database (q.Team, or the only team with a database of that name, or the only
// one of the caller's teams with one), the caller's role in that team, and the policy
// of the team's most sensitive environment class for q's kind (query-saved or
// query-sql). In production a reason of at least MinProductionReason characters is
// required. A query is a read: a read-only token may run one when its user's role may.
// Anything not explicitly allowed is denied. It does no I/O (the DSN is not read).
func (c *Config) DecideQuery(sub Subject, q api.QueryRequest) (Decision, *Database) {
	var d Decision
	kind := q.Kind()
	team, msg := c.databaseOwner(sub.User, q.Team, q.Database)
	if team == nil {
		return d.deny(api.CodeForbidden, "%s", msg), nil
	}
	db := team.Databases[q.Database]
	env := team.Environment()
	d.Team, d.Environment = team.Name, env
	role, ok := c.Role(sub.User, team.Name)
	if !ok {
		return d.deny(api.CodeForbidden, "%s is not a member of team %s, which owns database %s", sub.User, team.Name, q.Database), nil
	}
	d.Role = role
	switch effect := c.Policy[env][kind][role]; effect {
	case Allow:
		d.Effect = effect
	case Deny:
		return d.deny(api.CodeForbidden, "the policy denies %s to %ss of %s in %s", kind, role, team.Name, env), nil
	default:
		return d.deny(api.CodeForbidden, "no policy rule allows %s to %ss of %s in %s", kind, role, team.Name, env), nil
	}
	if env == api.EnvProduction {
		if n := utf8.RuneCountInString(strings.TrimSpace(q.Reason)); n < MinProductionReason {
			return d.deny(api.CodeReasonRequired, "a query on a production database needs a reason of at least %d characters (got %d)", MinProductionReason, n), nil
		}
	}
	d.Reason = fmt.Sprintf("%ss of %s may run %s on database %s (%s)", role, team.Name, kind, q.Database, env)
	return d, db
}

// databaseOwner finds the team owning database name, as DecideQuery says; nil and why
// not when none does (or it is ambiguous).
func (c *Config) databaseOwner(user, team, name string) (*Team, string) {
	if team != "" {
		t, ok := c.Teams[team]
		if !ok {
			return nil, fmt.Sprintf("there is no team %q", clipString(team, 64))
		}
		if _, ok := t.Databases[name]; !ok {
			return nil, fmt.Sprintf("team %s has no database %q", t.Name, clipString(name, 64))
		}
		return t, ""
	}
	var owners, mine []string
	for _, tn := range c.TeamNames() {
		if _, ok := c.Teams[tn].Databases[name]; ok {
			owners = append(owners, tn)
			if _, member := c.Role(user, tn); member {
				mine = append(mine, tn)
			}
		}
	}
	switch {
	case len(owners) == 1:
		return c.Teams[owners[0]], ""
	case len(mine) == 1:
		return c.Teams[mine[0]], ""
	case len(owners) == 0:
		return nil, fmt.Sprintf("no team has a database %q", clipString(name, 64))
	}
	if len(mine) > 1 {
		owners = mine
	}
	return nil, fmt.Sprintf("teams %s each have a database %q: say which team", strings.Join(owners, ", "), clipString(name, 64))
}
