package stack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigie-dev/vigie/test/stack/internal/proc"
)

// PgDSN is a libpq URL on 127.0.0.1.
func PgDSN(userName, password string, port int, db string) string {
	auth := userName
	if password != "" {
		auth += ":" + password
	}
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", auth, port, db)
}

// TraversableBy reports whether every folder from dir up to / lets uid (gid) through: the
// postgres user must reach its data dir. It returns the first folder that does not.
func TraversableBy(dir string, uid, gid uint32) (string, bool) {
	d := dir
	for {
		st, err := os.Stat(d)
		if err != nil {
			return d, false
		}
		sys, ok := st.Sys().(*syscall.Stat_t)
		mode := st.Mode().Perm()
		switch {
		case ok && sys.Uid == uid:
			if mode&0o100 == 0 {
				return d, false
			}
		case ok && sys.Gid == gid:
			if mode&0o010 == 0 {
				return d, false
			}
		default:
			if mode&0o001 == 0 {
				return d, false
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", true
		}
		d = parent
	}
}

// startPostgres initialises a fresh cluster as the postgres user, starts it on 127.0.0.1
// only (no Unix socket), records the postmaster and seeds it.
func (u *upRun) startPostgres(ctx context.Context) error {
	bin, err := PostgresBinDir(PgRoot)
	if err != nil {
		return err
	}
	// initdb refuses root: as root, PostgreSQL runs as the postgres user; otherwise as the
	// current user.
	var cred *syscall.Credential
	owner := ""
	if os.Geteuid() == 0 {
		pgUser, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("postgres user: %w", err)
		}
		uid, _ := strconv.ParseUint(pgUser.Uid, 10, 32)
		gid, _ := strconv.ParseUint(pgUser.Gid, 10, 32)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		owner = "postgres"
	}

	base := u.d.path("postgres")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return err
	}
	if blocker, ok := traversable(base, cred); !ok {
		// The state dir is not reachable by postgres (e.g. under a 0700 home): use /tmp.
		tmp, err := os.MkdirTemp("", "vigie-stack-pg-")
		if err != nil {
			return err
		}
		if err := os.Chmod(tmp, 0o755); err != nil {
			return err
		}
		if err := u.reg.AddRemove(tmp); err != nil {
			return err
		}
		fmt.Fprintf(u.out, "stack: %s is not reachable by the postgres user; PostgreSQL data in %s\n", blocker, tmp)
		base = tmp
	}
	data := filepath.Join(base, "data")
	logFile := filepath.Join(base, "postgres.log")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(logFile, nil, 0o644); err != nil {
		return err
	}
	if err := chownTo(cred, data, logFile); err != nil {
		return err
	}
	u.pgLog = logFile
	env := []string{"PATH=" + bin + ":/usr/bin:/bin", "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "HOME=" + base}
	run := func(name string, args ...string) error {
		// No CommandContext: a killed pg_ctl could leave an unrecorded postmaster behind.
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Env, cmd.Dir = env, base
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: cred}
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", name, err, out)
		}
		return nil
	}
	if err := run("initdb", "-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
		"--no-sync", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"); err != nil {
		return err
	}
	// The superuser connects without a password (contract: VIGIE_STACK_PG_DSN); every other
	// role needs its password.
	hba := "# written by stack up\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
	if err := os.WriteFile(filepath.Join(data, "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		return err
	}
	if err := chownTo(cred, filepath.Join(data, "pg_hba.conf")); err != nil {
		return err
	}
	if err := u.reg.SetPostgres(proc.Postgres{BinDir: bin, DataDir: data, User: owner}); err != nil {
		return err
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories='' "+
		"-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c fsync=off "+
		"-c full_page_writes=off -c synchronous_commit=off", u.ports.pg)
	if err := run("pg_ctl", "-D", data, "-l", logFile, "-w", "-t", "60", "-o", opts, "start"); err != nil {
		return fmt.Errorf("%w\n%s", err, proc.Tail(logFile, 20))
	}
	pidData, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(pidData), "\n", 2)[0]))
	if err != nil {
		return fmt.Errorf("postmaster.pid: %w", err)
	}
	p, err := proc.Describe("postgres", pid, logFile)
	if err != nil {
		return err
	}
	if err := u.reg.Add(p); err != nil {
		return err
	}
	return u.seedPostgres(ctx)
}

func traversable(dir string, cred *syscall.Credential) (string, bool) {
	if cred == nil {
		return "", true
	}
	return TraversableBy(dir, cred.Uid, cred.Gid)
}

func chownTo(cred *syscall.Credential, paths ...string) error {
	if cred == nil {
		return nil
	}
	for _, p := range paths {
		if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	return nil
}

// PgSeed is the SQL run in each team database as its owner vigie (after CREATE DATABASE).
var PgSeed = map[string]string{
	"payments": `
CREATE TABLE orders (
  id bigserial PRIMARY KEY, customer_id bigint NOT NULL, amount_cents bigint NOT NULL,
  currency text NOT NULL DEFAULT 'EUR', status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE refunds (
  id bigserial PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders(id), amount_cents bigint NOT NULL,
  reason text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO orders (customer_id, amount_cents, status, created_at)
  SELECT 1000 + (i % 97), 500 + (i * 37) % 20000, (ARRAY['paid','paid','paid','pending','failed'])[1 + i % 5],
         now() - (i || ' minutes')::interval
  FROM generate_series(1, 500) AS i;
INSERT INTO refunds (order_id, amount_cents, reason)
  SELECT id, amount_cents / 2, (ARRAY['damaged','late','duplicate charge'])[1 + id % 3]
  FROM orders WHERE id % 25 = 0;
CREATE INDEX orders_customer_idx ON orders (customer_id);`,
	"search": `
CREATE TABLE documents (
  id bigserial PRIMARY KEY, title text NOT NULL, body text NOT NULL, lang text NOT NULL DEFAULT 'en',
  indexed_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE synonyms (term text PRIMARY KEY, synonyms text[] NOT NULL);
INSERT INTO documents (title, body, lang, indexed_at)
  SELECT 'Document ' || i, repeat('lorem ipsum ', 1 + i % 20), (ARRAY['en','fr','de'])[1 + i % 3],
         now() - (i || ' seconds')::interval
  FROM generate_series(1, 300) AS i;
INSERT INTO synonyms VALUES ('car', '{automobile,vehicle}'), ('phone', '{mobile,handset}'), ('tv', '{television}');`,
}

// PgQueries are run a few times per database so pg_stat_statements has entries.
var PgQueries = map[string][]string{
	"payments": {
		"SELECT count(*) FROM orders WHERE status = 'paid'",
		"SELECT customer_id, sum(amount_cents) FROM orders GROUP BY customer_id ORDER BY 2 DESC LIMIT 10",
		"SELECT o.id, r.reason FROM refunds r JOIN orders o ON o.id = r.order_id WHERE o.customer_id = 1010",
	},
	"search": {
		"SELECT id, title FROM documents WHERE lang = 'fr' ORDER BY indexed_at DESC LIMIT 20",
		"SELECT count(*) FROM documents WHERE body LIKE '%ipsum%'",
		"SELECT synonyms FROM synonyms WHERE term = 'car'",
	},
}

// RoleSQL grants a team's read-only role SELECT only, with read-only and timeout defaults.
func RoleSQL(db, role, password string) []string {
	q := pgx.Identifier{role}.Sanitize()
	return []string{
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", q, strings.ReplaceAll(password, "'", "''")),
		fmt.Sprintf("GRANT CONNECT ON DATABASE %s TO %s", pgx.Identifier{db}.Sanitize(), q),
		fmt.Sprintf("ALTER ROLE %s SET default_transaction_read_only = on", q),
		fmt.Sprintf("ALTER ROLE %s SET statement_timeout = '5s'", q),
		fmt.Sprintf("GRANT pg_read_all_stats TO %s", q),
	}
}

func (u *upRun) seedPostgres(ctx context.Context) error {
	admin := PgDSN("postgres", "", u.ports.pg, "postgres")
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer conn.Close(ctx)
	stmts := []string{
		"REVOKE CONNECT ON DATABASE postgres FROM PUBLIC",
		fmt.Sprintf("CREATE ROLE vigie LOGIN PASSWORD '%s'", u.pgPass.vigie),
	}
	for _, t := range Teams {
		stmts = append(stmts, fmt.Sprintf("CREATE DATABASE %s OWNER vigie", t.Name),
			fmt.Sprintf("REVOKE CONNECT ON DATABASE %s FROM PUBLIC", t.Name))
		stmts = append(stmts, RoleSQL(t.Name, t.Name+"_ro", u.pgPass.ro[t.Name])...)
	}
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("postgres %q: %w", s, err)
		}
	}
	for _, t := range Teams {
		if err := u.seedTeamDB(ctx, t.Name); err != nil {
			return err
		}
	}
	return nil
}

func (u *upRun) seedTeamDB(ctx context.Context, db string) error {
	conn, err := pgx.Connect(ctx, PgDSN("postgres", "", u.ports.pg, db))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	ro := pgx.Identifier{db + "_ro"}.Sanitize()
	stmts := []string{
		// pg_stat_statements is not a trusted extension: the superuser creates it.
		"CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
		"SET ROLE vigie", PgSeed[db], "RESET ROLE",
		"REVOKE CREATE ON SCHEMA public FROM PUBLIC",
		fmt.Sprintf("GRANT USAGE ON SCHEMA public TO %s", ro),
		fmt.Sprintf("GRANT SELECT ON ALL TABLES IN SCHEMA public TO %s", ro),
		fmt.Sprintf("ALTER DEFAULT PRIVILEGES FOR ROLE vigie IN SCHEMA public GRANT SELECT ON TABLES TO %s", ro),
		"ANALYZE",
	}
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("postgres %s: %q: %w", db, firstLine(s), err)
		}
	}
	// Run the typical queries as the read-only role so pg_stat_statements shows them.
	roConn, err := pgx.Connect(ctx, PgDSN(db+"_ro", u.pgPass.ro[db], u.ports.pg, db))
	if err != nil {
		return fmt.Errorf("postgres %s as %s_ro: %w", db, db, err)
	}
	defer roConn.Close(ctx)
	for i := 0; i < 5; i++ {
		for _, q := range PgQueries[db] {
			rows, err := roConn.Query(ctx, q)
			if err != nil {
				return fmt.Errorf("postgres %s: %q: %w", db, q, err)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("postgres %s: %q: %w", db, q, err)
			}
		}
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

// stopPostgres runs pg_ctl stop -m fast as the data dir's owner.
func stopPostgres(pg proc.Postgres) error {
	if _, err := os.Stat(filepath.Join(pg.DataDir, "postmaster.pid")); err != nil {
		return nil // not running
	}
	var cred *syscall.Credential
	if pg.User != "" && os.Geteuid() == 0 {
		u, err := user.Lookup(pg.User)
		if err != nil {
			return err
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(pg.BinDir, "pg_ctl"), "-D", pg.DataDir, "-m", "fast", "-w", "stop")
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=" + pg.BinDir + ":/usr/bin:/bin", "LANG=C.UTF-8"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
