package stack

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/vigie-dev/vigie/test/stack/config"
	"github.com/vigie-dev/vigie/test/stack/internal/envfile"
)

func TestFreePorts(t *testing.T) {
	ports, err := FreePorts(12)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p <= 0 || seen[p] {
			t.Fatalf("bad or duplicate port %d in %v", p, ports)
		}
		seen[p] = true
	}
	// They are free again once returned.
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])))
	if err != nil {
		t.Fatalf("port %d not reusable: %v", ports[0], err)
	}
	l.Close()
}

func TestFindModuleDir(t *testing.T) {
	root := t.TempDir()
	mod := filepath.Join(root, "test", "stack")
	sub := filepath.Join(mod, "internal", "x")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "go.mod"), []byte("module github.com/vigie-dev/vigie\n"), 0o644)
	os.WriteFile(filepath.Join(mod, "go.mod"), []byte("// c\nmodule "+ModulePath+"\n\ngo 1.26.8\n"), 0o644)
	for _, from := range []string{sub, mod, root} {
		got, err := FindModuleDir(from)
		if err != nil || got != mod {
			t.Errorf("FindModuleDir(%s) = %q, %v; want %q", from, got, err, mod)
		}
	}
	if _, err := FindModuleDir(t.TempDir()); err == nil {
		t.Error("outside the repository: want an error")
	}
}

func TestDirsFromEnv(t *testing.T) {
	env := map[string]string{"HOME": "/home/u"}
	get := func(k string) string { return env[k] }
	if got := CacheDir(get); got != "/home/u/.cache/vigie/stack/"+KubeVersion {
		t.Errorf("CacheDir = %s", got)
	}
	env["XDG_CACHE_HOME"] = "/xdg"
	if got := CacheDir(get); got != "/xdg/vigie/stack/"+KubeVersion {
		t.Errorf("CacheDir = %s", got)
	}
	env["VIGIE_STACK_CACHE"] = "/c"
	if got := CacheDir(get); got != "/c" {
		t.Errorf("CacheDir = %s", got)
	}
	wd, _ := os.Getwd()
	d, err := ResolveDirs(get, wd)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != filepath.Join(d.Module, ".run") {
		t.Errorf("default state dir %s", d.State)
	}
	env["VIGIE_STACK_DIR"] = "/tmp/s"
	if d, _ := ResolveDirs(get, wd); d.State != "/tmp/s" {
		t.Errorf("state dir %s", d.State)
	}
	// With VIGIE_STACK_DIR set, the commands work outside the repository too.
	if d, err := ResolveRunningDirs(get, t.TempDir(), ""); err != nil || d.State != "/tmp/s" {
		t.Errorf("outside the repository: %+v, %v", d, err)
	}
}

// $VIGIE_STACK_CTL (<state>/bin/stack) finds its state dir from its own path when
// VIGIE_STACK_DIR is not set, from any folder.
func TestStateDirOfExe(t *testing.T) {
	state := t.TempDir()
	exe := filepath.Join(state, "bin", "stack")
	if got := StateDirOfExe(exe); got != "" {
		t.Errorf("no pids.json yet: %q", got)
	}
	if err := os.WriteFile(filepath.Join(state, "pids.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := StateDirOfExe(exe); got != state {
		t.Errorf("StateDirOfExe = %q, want %q", got, state)
	}
	for _, other := range []string{filepath.Join(state, "stack"), filepath.Join(state, "bin", "vigie"), ""} {
		if got := StateDirOfExe(other); got != "" {
			t.Errorf("StateDirOfExe(%q) = %q", other, got)
		}
	}
	get := func(string) string { return "" }
	d, err := ResolveRunningDirs(get, t.TempDir(), exe)
	if err != nil || d.State != state {
		t.Errorf("ResolveRunningDirs from its own path: %+v, %v", d, err)
	}
	if _, err := ResolveRunningDirs(get, t.TempDir(), "/usr/bin/stack"); err == nil {
		t.Error("outside the repository, no VIGIE_STACK_DIR, not the state copy: want an error")
	}
}

func selfSigned(t *testing.T, cn string) []byte {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestSecondPEMBlock(t *testing.T) {
	leaf, ca := selfSigned(t, "leaf"), selfSigned(t, "ca")
	got, err := SecondPEMBlock(append(leaf, ca...))
	if err != nil || string(got) != string(ca) {
		t.Fatalf("SecondPEMBlock: %v", err)
	}
	if _, err := SecondPEMBlock(leaf); err == nil {
		t.Fatal("one block: want an error")
	}
}

func TestTokenFile(t *testing.T) {
	got := TokenFile([]User{{"admin", "t1", []string{"system:masters"}}, {"alice", "t2", nil}})
	if want := "t1,admin,admin,\"system:masters\"\nt2,alice,alice\n"; got != want {
		t.Fatalf("TokenFile = %q, want %q", got, want)
	}
	if len(RandomHex(16)) != 32 || RandomHex(8) == RandomHex(8) {
		t.Fatal("RandomHex")
	}
}

func testEndpoints() Endpoints {
	return Endpoints{
		StateDir: "/s", Kubeconfig: "/s/kubeconfig", KubeURL: "https://127.0.0.1:6443", KubeCA: "/s/pki/ca.crt",
		AdminToken: "a", AliceToken: "b", BobToken: "c", PromURL: "http://127.0.0.1:9090", AMURL: "http://127.0.0.1:9093",
		LokiURL: "http://127.0.0.1:3100", PgPort: 5432, PaymentsROPass: "p1", SearchROPass: "p2", SimLogDir: "/s/podlogs", VigieConfig: "/s/vigie.yaml", StackCtl: "/s/bin/stack",
		PlatformURL: "http://127.0.0.1:8443", PlatformConfig: "/s/platform/server.yaml", PlatformDB: "/s/platform/platform.db",
		PlatformTokenFiles: map[string]string{"alice": "/s/platform/alice.token", "bob": "/s/platform/bob.token", "lena": "/s/platform/lena.token"},
	}
}

// The env file is a contract with the rest of vigie: these keys, these values.
func TestEnvContract(t *testing.T) {
	vars := EnvVars(testEndpoints())
	want := map[string]string{
		"VIGIE_STACK_DIR": "/s", "KUBECONFIG": "/s/kubeconfig", "VIGIE_STACK_KUBE_URL": "https://127.0.0.1:6443",
		"VIGIE_STACK_KUBE_CA": "/s/pki/ca.crt", "VIGIE_STACK_ADMIN_TOKEN": "a",
		"VIGIE_STACK_PAYMENTS_USER": "alice", "VIGIE_STACK_PAYMENTS_TOKEN": "b",
		"VIGIE_STACK_SEARCH_USER": "bob", "VIGIE_STACK_SEARCH_TOKEN": "c",
		"VIGIE_STACK_PROM_URL": "http://127.0.0.1:9090", "VIGIE_STACK_AM_URL": "http://127.0.0.1:9093",
		"VIGIE_STACK_LOKI_URL":           "http://127.0.0.1:3100",
		"VIGIE_STACK_PG_DSN":             "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		"VIGIE_STACK_PG_PAYMENTS_RO_DSN": "postgres://payments_ro:p1@127.0.0.1:5432/payments?sslmode=disable",
		"VIGIE_STACK_PG_SEARCH_RO_DSN":   "postgres://search_ro:p2@127.0.0.1:5432/search?sslmode=disable",
		"VIGIE_STACK_SIM_LOG_DIR":        "/s/podlogs", "VIGIE_CONFIG": "/s/vigie.yaml",
		"VIGIE_STACK_CTL":                       "/s/bin/stack",
		"VIGIE_STACK_PLATFORM_URL":              "http://127.0.0.1:8443",
		"VIGIE_STACK_PLATFORM_CONFIG":           "/s/platform/server.yaml",
		"VIGIE_STACK_PLATFORM_DB":               "sqlite:/s/platform/platform.db",
		"VIGIE_STACK_ALICE_PLATFORM_TOKEN_FILE": "/s/platform/alice.token",
		"VIGIE_STACK_BOB_PLATFORM_TOKEN_FILE":   "/s/platform/bob.token",
		"VIGIE_STACK_LENA_PLATFORM_TOKEN_FILE":  "/s/platform/lena.token",
	}
	for k, v := range want {
		if got, ok := envfile.Lookup(vars, k); !ok || got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if _, err := envfile.Encode(vars); err != nil {
		t.Fatal(err)
	}
}

func TestVigieConfig(t *testing.T) {
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(VigieConfig(testEndpoints())), &cfg); err != nil {
		t.Fatal(err)
	}
	keys := func(m any) []string {
		var ks []string
		for k := range m.(map[string]any) {
			ks = append(ks, k)
		}
		return ks
	}
	if len(cfg) != 3 || cfg["current-context"] != "local-payments" {
		t.Fatalf("top level keys %v", keys(cfg))
	}
	ctxs := cfg["contexts"].(map[string]any)
	for name, want := range map[string][3]any{
		"local-payments": {"dev", "payments", false}, "local-search": {"dev", "search", false}, "local-admin": {"production", "payments", true},
	} {
		c := ctxs[name].(map[string]any)
		if len(c) != 8 || c["environment"] != want[0] || c["team"] != want[1] || c["readOnly"] != want[2] {
			t.Errorf("context %s = %v", name, c)
		}
		kube := c["kube"].(map[string]any)
		if kube["kubeconfig"] != "/s/kubeconfig" || kube["context"] != name || len(kube) != 2 {
			t.Errorf("context %s kube = %v", name, kube)
		}
		if c["prometheus"].(map[string]any)["url"] != "http://127.0.0.1:9090" || c["alertmanager"].(map[string]any)["url"] != "http://127.0.0.1:9093" {
			t.Errorf("context %s urls", name)
		}
		// Only url: vigie's loader rejects unknown keys, and the local Loki needs no tenant.
		if loki := c["loki"].(map[string]any); loki["url"] != "http://127.0.0.1:3100" || len(loki) != 1 {
			t.Errorf("context %s loki = %v", name, loki)
		}
	}
	// platform: {url, tokenFile} (vigie accepts url, token, tokenFile), each context with the
	// token of its user: local-payments alice, local-search bob, local-admin lena.
	for name, user := range map[string]string{"local-payments": "alice", "local-search": "bob", "local-admin": "lena"} {
		pl := ctxs[name].(map[string]any)["platform"].(map[string]any)
		if pl["url"] != "http://127.0.0.1:8443" || pl["tokenFile"] != "/s/platform/"+user+".token" || len(pl) != 2 {
			t.Errorf("context %s platform = %v", name, pl)
		}
	}
	teams := cfg["teams"].(map[string]any)
	p := teams["payments"].(map[string]any)
	if p["selector"] != "team=payments" || p["namespaces"].([]any)[0] != "payments" || len(p) != 3 {
		t.Errorf("teams %v", teams)
	}
	// Every seeded service has an objective, so that vigie shows budgets and burn rates.
	svcs := p["services"].(map[string]any)
	for _, name := range []string{"checkout", "ledger", "fraud-worker"} {
		slo, _ := svcs[name].(map[string]any)["slo"].(map[string]any)
		if slo["objective"] != 99.5 || slo["window"] != "30d" {
			t.Errorf("service %s slo = %v", name, slo)
		}
	}
}

func TestKubeconfig(t *testing.T) {
	c := Kubeconfig("https://127.0.0.1:1", []byte("CA"), "a", "b", "c", "local-payments")
	if c.CurrentContext != "local-payments" || string(c.Clusters["local"].CertificateAuthorityData) != "CA" {
		t.Fatal("cluster")
	}
	for ctx, user := range map[string]string{"local-admin": "admin", "local-payments": "alice", "local-search": "bob"} {
		if c.Contexts[ctx] == nil || c.Contexts[ctx].AuthInfo != user || c.Contexts[ctx].Cluster != "local" {
			t.Errorf("context %s", ctx)
		}
	}
	if c.AuthInfos["alice"].Token != "b" {
		t.Error("alice token")
	}
}

func docs(t *testing.T, data []byte) []map[string]any {
	var out []map[string]any
	for _, d := range strings.Split(string(data), "\n---\n") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(d), &m); err != nil {
			t.Fatalf("yaml: %v\n%s", err, d)
		}
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

func TestKwokConfig(t *testing.T) {
	stock := []byte("apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata:\n  name: pod-ready\nspec:\n  resourceRef: {apiGroup: v1, kind: Pod}\n")
	ds := docs(t, KwokConfig([][]byte{stock}, "/logs/_fallback.log"))
	byName := map[string]map[string]any{}
	for _, d := range ds {
		byName[d["kind"].(string)+"/"+d["metadata"].(map[string]any)["name"].(string)] = d
	}
	for _, want := range []string{"Stage/pod-ready", "Stage/pod-crashloop", "Stage/pod-crashloop-restart", "ClusterLogs/sim-fallback"} {
		if byName[want] == nil {
			t.Fatalf("%s missing from the kwok config", want)
		}
	}
	// pod-ready (weight 0) also matches a Pending crash-loop pod: the crash-loop stage only
	// wins because its weight is positive (kwok Lifecycle.Match).
	spec := byName["Stage/pod-crashloop"]["spec"].(map[string]any)
	if w, _ := spec["weight"].(float64); w <= 0 {
		t.Fatalf("pod-crashloop weight %v", spec["weight"])
	}
	if spec["selector"].(map[string]any)["matchLabels"].(map[string]any)["sim.vigie.dev/crashloop"] != "true" {
		t.Fatal("pod-crashloop selector")
	}
	if !strings.Contains(spec["next"].(map[string]any)["statusTemplate"].(string), "CrashLoopBackOff") {
		t.Fatal("no CrashLoopBackOff in the template")
	}
}

func TestKwokLogsCRD(t *testing.T) {
	var crd map[string]any
	if err := yaml.Unmarshal(config.KwokLogsCRD, &crd); err != nil {
		t.Fatal(err)
	}
	spec := crd["spec"].(map[string]any)
	if crd["kind"] != "CustomResourceDefinition" || spec["group"] != "kwok.x-k8s.io" || spec["names"].(map[string]any)["plural"] != "logs" {
		t.Fatalf("crd %v", crd["metadata"])
	}
}

func TestWorkloads(t *testing.T) {
	names := map[string]Workload{}
	for _, w := range Workloads {
		names[w.Team+"/"+w.Name] = w
		for i := range w.Releases {
			d := w.Deployment(i)
			tpl := d.Spec.Template
			if tpl.Labels["sim.vigie.dev/simulate"] != "true" || tpl.Labels["app"] != w.Name || tpl.Labels["team"] != w.Team {
				t.Errorf("%s labels %v", w.Name, tpl.Labels)
			}
			c := tpl.Spec.Containers[0]
			if c.Name != "app" || !strings.HasPrefix(c.Image, "registry.local/"+w.Team+"/"+w.Name+":") {
				t.Errorf("%s container %s %s", w.Name, c.Name, c.Image)
			}
			if c.Resources.Limits.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
				t.Errorf("%s resources %v", w.Name, c.Resources)
			}
			for k, v := range d.Spec.Selector.MatchLabels {
				if tpl.Labels[k] != v {
					t.Errorf("%s selector does not match its template", w.Name)
				}
			}
		}
	}
	if w := names["payments/checkout"]; len(w.Releases) < 3 || w.Replicas != 3 {
		t.Error("checkout needs 3 revisions and 3 replicas")
	}
	if w := names["search/search-api"]; len(w.Releases) < 2 || w.Replicas != 3 {
		t.Error("search-api needs 2 revisions and 3 replicas")
	}
	l := names["payments/ledger"]
	bad := l.Deployment(len(l.Releases) - 1).Spec.Template.Annotations
	if bad["sim.vigie.dev/error-ratio"] != "0.4" || bad["sim.vigie.dev/latency-ms"] != "800" || len(l.Deployment(0).Spec.Template.Annotations) != 0 {
		t.Error("ledger: healthy revision 1 then a bad release")
	}
	if f := names["payments/fraud-worker"]; !f.Crashloop || f.Deployment(0).Spec.Template.Labels["sim.vigie.dev/crashloop"] != "true" {
		t.Error("fraud-worker must crash-loop")
	}
}

func TestTeamRBAC(t *testing.T) {
	role, binding := TeamRBAC("payments", "alice")
	for _, r := range role.Rules {
		for _, res := range r.Resources {
			if res == "secrets" {
				t.Error("team users must not read secrets")
			}
		}
		for _, v := range r.Verbs {
			if v != "get" && v != "list" && v != "watch" {
				t.Errorf("verb %s", v)
			}
		}
	}
	if binding.Subjects[0].Name != "alice" || binding.Namespace != "payments" || binding.RoleRef.Name != role.Name {
		t.Error("binding")
	}
}

func TestStateDirSafety(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "precious.txt"), []byte("x"), 0o644)
	if err := resetStateDir(dir); err == nil {
		t.Fatal("wiped a folder that is not a state dir")
	}
	if err := removeData(dir); err == nil {
		t.Fatal("removed data of a folder that is not a state dir")
	}
	os.Remove(filepath.Join(dir, "precious.txt"))
	os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
	os.MkdirAll(filepath.Join(dir, "etcd"), 0o755)
	os.WriteFile(filepath.Join(dir, "pids.json"), []byte("{}"), 0o644)
	if err := removeData(dir); err != nil {
		t.Fatal(err)
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 1 || left[0].Name() != "logs" {
		t.Fatalf("left %v, want only logs/", left)
	}
	if err := resetStateDir(dir); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("reset left %v", left)
	}
}

func TestMissingPackages(t *testing.T) {
	none := func(string) (string, error) { return "", errors.New("no") }
	all := func(string) (string, error) { return "/usr/bin/x", nil }
	okPG := func() (string, error) { return "/pg", nil }
	noPG := func() (string, error) { return "", errors.New("no") }
	if got := MissingPackages(all, okPG); len(got) != 0 {
		t.Errorf("nothing missing: %v", got)
	}
	got := MissingPackages(none, noPG)
	if strings.Join(got, " ") != "prometheus prometheus-alertmanager postgresql" {
		t.Errorf("all missing: %v", got)
	}
	if cmd := AptInstallCommand(got); !strings.Contains(cmd, "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus") {
		t.Errorf("command %q", cmd)
	}
}

func TestTraversableBy(t *testing.T) {
	dir := t.TempDir()
	closed := filepath.Join(dir, "closed")
	inner := filepath.Join(closed, "inner")
	os.MkdirAll(inner, 0o755)
	os.Chmod(dir, 0o755)
	os.Chmod(closed, 0o700)
	// uid/gid that own nothing here: only the "other" bits count.
	if blocker, ok := TraversableBy(inner, 54321, 54321); ok || blocker != closed {
		t.Errorf("TraversableBy = %q, %v; want blocked at %s", blocker, ok, closed)
	}
	// The owner passes through its own 0700 folders (TempDir's parents are ours or /tmp).
	if blocker, ok := TraversableBy(inner, uint32(os.Geteuid()), uint32(os.Getegid())); !ok {
		t.Errorf("owner blocked at %s", blocker)
	}
}

func TestPostgresBits(t *testing.T) {
	if got := PgDSN("search_ro", "pw", 5, "search"); got != "postgres://search_ro:pw@127.0.0.1:5/search?sslmode=disable" {
		t.Errorf("PgDSN = %s", got)
	}
	sql := strings.Join(RoleSQL("payments", "payments_ro", "it's"), ";")
	for _, want := range []string{`CREATE ROLE "payments_ro" LOGIN PASSWORD 'it''s'`, "default_transaction_read_only = on",
		"statement_timeout = '5s'", "GRANT pg_read_all_stats", `GRANT CONNECT ON DATABASE "payments"`} {
		if !strings.Contains(sql, want) {
			t.Errorf("role SQL lacks %q:\n%s", want, sql)
		}
	}
	if strings.Contains(strings.ToUpper(sql), "INSERT") || strings.Contains(strings.ToUpper(sql), "ALL PRIVILEGES") {
		t.Error("read-only role gets write grants")
	}
}

func TestPrometheusConfigAndRules(t *testing.T) {
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(PrometheusConfig("/s/sim/targets.json", "/s/rules.yml", 1, 2)), &cfg); err != nil {
		t.Fatal(err)
	}
	g := cfg["global"].(map[string]any)
	if g["scrape_interval"] != "2s" || g["evaluation_interval"] != "2s" {
		t.Errorf("global %v", g)
	}
	sim := cfg["scrape_configs"].([]any)[0].(map[string]any)
	sd := sim["file_sd_configs"].([]any)[0].(map[string]any)
	if sim["job_name"] != "sim" || sim["honor_labels"] != false || sd["refresh_interval"] != "2s" || sd["files"].([]any)[0] != "/s/sim/targets.json" {
		t.Errorf("sim job %v", sim)
	}
	var rules struct {
		Groups []struct {
			Name  string
			Rules []map[string]any
		}
	}
	if err := yaml.Unmarshal(config.Rules, &rules); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r["alert"] == "HighErrorRatio" {
				found[g.Name] = true
				ann := r["annotations"].(map[string]any)
				if r["labels"].(map[string]any)["severity"] != "page" || r["for"] != "10s" || !strings.HasPrefix(ann["runbook_url"].(string), "https://runbooks.local/"+g.Name+"/") {
					t.Errorf("%s HighErrorRatio %v", g.Name, r)
				}
			}
		}
	}
	if !found["payments"] || !found["search"] {
		t.Errorf("HighErrorRatio per team: %v", found)
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool (Debian package prometheus, installed by `make stack-up` and .ci/run) checks the rules: %v", err)
	}
	p := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(p, config.Rules, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", p).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}

func TestPromVectorScalar(t *testing.T) {
	var v PromVector
	if err := yaml.Unmarshal([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1.5,"11"]}]}}`), &v); err != nil {
		t.Fatal(err)
	}
	if f, err := v.ScalarOf(); err != nil || f != 11 {
		t.Fatalf("ScalarOf = %v, %v", f, err)
	}
	v.Data.Result = nil
	if f, err := v.ScalarOf(); err != nil || f != 0 {
		t.Fatalf("empty vector = %v, %v", f, err)
	}
	v.Status, v.Error = "error", "bad query"
	if _, err := v.ScalarOf(); err == nil {
		t.Fatal("error status: want an error")
	}
}

func TestRepoDir(t *testing.T) {
	root := t.TempDir()
	mod := filepath.Join(root, "test", "stack")
	if err := os.MkdirAll(mod, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := RepoDir(mod); err == nil {
		t.Fatal("RepoDir without a go.mod at the root: no error")
	}
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := RepoDir(mod); err == nil || !strings.Contains(err.Error(), "example.com/other") {
		t.Fatalf("RepoDir of another module: %v", err)
	}
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module github.com/vigie-dev/vigie\n\ngo 1.26.8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := RepoDir(mod); err != nil || got != root {
		t.Fatalf("RepoDir = %q, %v; want %q", got, err, root)
	}
	if _, err := RepoDir(""); err == nil {
		t.Fatal("RepoDir(\"\"): no error")
	}
	// This checkout: test/stack's grandparent is the main module, holding lokifake's and vigie's commands.
	here, err := FindModuleDir(".")
	if err != nil {
		t.Fatal(err)
	}
	repo, err := RepoDir(here)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(repo, filepath.FromSlash(LokiPackage), "main.go")); err != nil {
		t.Errorf("lokifake command: %v", err)
	}
	if _, err := os.Stat(filepath.Join(repo, filepath.FromSlash(VigiePackage), "main.go")); err != nil {
		t.Errorf("vigie command: %v", err)
	}
}

func TestLokiCommandLines(t *testing.T) {
	if got, want := strings.Join(LokiBuildArgs("/s/bin/lokifake"), " "), "build -o /s/bin/lokifake ./test/lokifake/cmd/lokifake"; got != want {
		t.Errorf("LokiBuildArgs = %q, want %q", got, want)
	}
	if got, want := strings.Join(LokiArgs(3100, "/s/podlogs"), " "), "-listen=127.0.0.1:3100 -log-dir=/s/podlogs"; got != want {
		t.Errorf("LokiArgs = %q, want %q", got, want)
	}
}
