package stack

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/vigie-dev/vigie/test/stack/config"
	"github.com/vigie-dev/vigie/test/stack/internal/proc"
)

// RandomHex returns n random bytes in hex (tokens, passwords).
func RandomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// TokenFile renders kube-apiserver's static token file: token,user,uid[,"groups"].
func TokenFile(users []User) string {
	var b strings.Builder
	for _, u := range users {
		fmt.Fprintf(&b, "%s,%s,%s", u.Token, u.Name, u.Name)
		if len(u.Groups) > 0 {
			fmt.Fprintf(&b, ",%q", strings.Join(u.Groups, ","))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// User is a token-authenticated Kubernetes user.
type User struct {
	Name, Token string
	Groups      []string
}

// writeServiceAccountKeys writes an RSA key pair for service-account tokens.
func writeServiceAccountKeys(keyPath, pubPath string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644)
}

// SecondPEMBlock returns the second PEM block of data: kube-apiserver's self-signed serving
// certificate file is "leaf + CA", and the CA is what kubeconfigs need.
func SecondPEMBlock(data []byte) ([]byte, error) {
	var blocks [][]byte
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		blocks = append(blocks, pem.EncodeToMemory(b))
	}
	if len(blocks) < 2 {
		return nil, fmt.Errorf("expected a leaf and a CA certificate, found %d PEM blocks", len(blocks))
	}
	return blocks[1], nil
}

// Kubeconfig builds the kubeconfig with cluster "local", one user per token and contexts
// local-admin, local-payments (alice) and local-search (bob).
func Kubeconfig(server string, ca []byte, admin, alice, bob string, current string) *clientcmdapi.Config {
	c := clientcmdapi.NewConfig()
	c.Clusters["local"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	c.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: admin}
	c.AuthInfos["alice"] = &clientcmdapi.AuthInfo{Token: alice}
	c.AuthInfos["bob"] = &clientcmdapi.AuthInfo{Token: bob}
	c.Contexts["local-admin"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: "admin"}
	c.Contexts["local-payments"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: "alice", Namespace: "payments"}
	c.Contexts["local-search"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: "bob", Namespace: "search"}
	c.CurrentContext = current
	return c
}

// startEtcd starts etcd and waits for /health.
func (u *upRun) startEtcd(ctx context.Context) error {
	client := "http://127.0.0.1:" + strconv.Itoa(u.ports.etcd)
	peer := "http://127.0.0.1:" + strconv.Itoa(u.ports.etcdPeer)
	r, err := u.start(proc.Spec{Name: "etcd", Path: u.d.Bin("etcd"), Log: u.d.Log("etcd"), Args: []string{
		"--name=default", "--data-dir=" + u.d.path("etcd"),
		"--listen-client-urls=" + client, "--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=default=" + peer, "--unsafe-no-fsync", "--log-level=warn",
	}})
	if err != nil {
		return err
	}
	return u.waitReady(ctx, r, 30*time.Second, func(ctx context.Context) error {
		return httpOK(ctx, http.DefaultClient, client+"/health", "")
	})
}

// startAPIServer starts kube-apiserver, waits for /readyz and writes the CA and kubeconfigs.
func (u *upRun) startAPIServer(ctx context.Context) error {
	pki := u.d.path("pki")
	certDir := filepath.Join(pki, "apiserver")
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		return err
	}
	if err := writeServiceAccountKeys(filepath.Join(pki, "sa.key"), filepath.Join(pki, "sa.pub")); err != nil {
		return err
	}
	users := []User{{"admin", u.tokens.admin, []string{"system:masters"}}, {"alice", u.tokens.alice, nil}, {"bob", u.tokens.bob, nil}}
	if err := os.WriteFile(filepath.Join(pki, "tokens.csv"), []byte(TokenFile(users)), 0o600); err != nil {
		return err
	}
	port := strconv.Itoa(u.ports.api)
	r, err := u.start(proc.Spec{Name: "kube-apiserver", Path: u.d.Bin("kube-apiserver"), Log: u.d.Log("kube-apiserver"), Args: []string{
		"--etcd-servers=http://127.0.0.1:" + strconv.Itoa(u.ports.etcd),
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + port,
		"--endpoint-reconciler-type=none", "--cert-dir=" + certDir,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + filepath.Join(pki, "sa.pub"),
		"--service-account-signing-key-file=" + filepath.Join(pki, "sa.key"),
		"--token-auth-file=" + filepath.Join(pki, "tokens.csv"),
		"--authorization-mode=RBAC", "--service-cluster-ip-range=10.96.0.0/16",
		"--kubelet-preferred-address-types=InternalIP", "--profiling=false",
		// On SIGTERM, drain the short requests, then give open watches 2 s instead of the
		// default 60 s HTTP shutdown timeout: `stack apiserver stop` (clients still watching)
		// took 10 s and a SIGKILL without it, 2 s with it.
		"--shutdown-send-retry-after=true",
	}})
	if err != nil {
		return err
	}
	u.kubeURL = "https://127.0.0.1:" + port
	var client *http.Client
	err = u.waitReady(ctx, r, 60*time.Second, func(ctx context.Context) error {
		if client == nil {
			data, err := os.ReadFile(filepath.Join(certDir, "apiserver.crt"))
			if err != nil {
				return fmt.Errorf("no serving certificate yet: %w", err)
			}
			ca, err := SecondPEMBlock(data)
			if err != nil {
				return err
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(ca) {
				return errors.New("bad CA PEM")
			}
			u.caPEM = ca
			client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		}
		return httpOK(ctx, client, u.kubeURL+"/readyz", u.tokens.admin)
	})
	if err != nil {
		return err
	}
	u.caFile = filepath.Join(pki, "ca.crt")
	if err := os.WriteFile(u.caFile, u.caPEM, 0o644); err != nil {
		return err
	}
	write := func(path, current string) error {
		return clientcmd.WriteToFile(*Kubeconfig(u.kubeURL, u.caPEM, u.tokens.admin, u.tokens.alice, u.tokens.bob, current), path)
	}
	if err := write(u.d.path("kubeconfig"), "local-payments"); err != nil {
		return err
	}
	return write(u.adminKubeconfig(), "local-admin")
}

func (u *upRun) adminKubeconfig() string { return u.d.AdminKubeconfig() }

// startControllers starts kube-controller-manager and kube-scheduler (no readiness wait:
// the pods becoming Running proves them).
func (u *upRun) startControllers() error {
	pki := u.d.path("pki")
	kc := "--kubeconfig=" + u.adminKubeconfig()
	// No --authentication-kubeconfig: the apiserver has no client CA, so the
	// extension-apiserver-authentication ConfigMap never appears and they would log errors.
	common := []string{kc, "--bind-address=127.0.0.1", "--leader-elect=false", "--kube-api-qps=200", "--kube-api-burst=400"}
	r, err := u.start(proc.Spec{Name: "kube-controller-manager", Path: u.d.Bin("kube-controller-manager"), Log: u.d.Log("kube-controller-manager"),
		Args: append(common, "--secure-port="+strconv.Itoa(u.ports.kcm),
			"--service-account-private-key-file="+filepath.Join(pki, "sa.key"), "--root-ca-file="+u.caFile,
			"--use-service-account-credentials=false")})
	if err != nil {
		return err
	}
	u.addWatch(r)
	r, err = u.start(proc.Spec{Name: "kube-scheduler", Path: u.d.Bin("kube-scheduler"), Log: u.d.Log("kube-scheduler"),
		Args: append(common, "--secure-port="+strconv.Itoa(u.ports.sched))})
	if err != nil {
		return err
	}
	u.addWatch(r)
	return nil
}

// KwokConfig assembles kwok's --config: its stock stages, vigie's own stages and a fallback
// ClusterLogs for pods that have no per-pod Logs object.
func KwokConfig(stages [][]byte, fallbackLog string) []byte {
	var b strings.Builder
	for _, s := range append(stages, config.KwokStages) {
		b.WriteString("---\n")
		b.Write(s)
		if len(s) > 0 && s[len(s)-1] != '\n' {
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, `---
# Fallback for pods without a per-pod Logs object (kwok has no per-pod templating of logsFile;
# the simulator creates a Logs object for each pod it simulates, which takes precedence).
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: sim-fallback
spec:
  logs:
  - logsFile: %s
    follow: false
`, fallbackLog)
	return []byte(b.String())
}

// startKwok starts kwok with the stage files from the cache and vigie's own stages.
func (u *upRun) startKwok() error {
	var stages [][]byte
	for _, f := range KwokStageFiles {
		data, err := os.ReadFile(filepath.Join(u.d.Cache, "kwok-stage", f))
		if err != nil {
			return err
		}
		stages = append(stages, data)
	}
	dir := u.d.path("kwok")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fallback := filepath.Join(u.logDir, "_fallback.log")
	line := "no simulated log for this pod: it lacks the label sim.vigie.dev/simulate=true, or the simulator has not seen it Running"
	if err := os.WriteFile(fallback, []byte(criNow(line)), 0o644); err != nil {
		return err
	}
	cfgPath := filepath.Join(dir, "kwok.yaml")
	if err := os.WriteFile(cfgPath, KwokConfig(stages, fallback), 0o644); err != nil {
		return err
	}
	port := strconv.Itoa(u.ports.kwok)
	r, err := u.start(proc.Spec{Name: "kwok", Path: u.d.Bin("kwok"), Log: u.d.Log("kwok"), Dir: dir, Args: []string{
		"--kubeconfig=" + u.adminKubeconfig(), "--config=" + cfgPath, "--manage-all-nodes=true",
		"--node-ip=127.0.0.1", "--node-port=" + port, "--server-address=127.0.0.1:" + port,
		"--node-lease-duration-seconds=40", "--cidr=10.244.0.0/16", "--enable-crds=Logs",
	}})
	if err != nil {
		return err
	}
	u.addWatch(r)
	return nil
}

func criNow(line string) string {
	return time.Now().UTC().Format(time.RFC3339Nano) + " stdout F " + line + "\n"
}
