package testenv

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/dect-operator/dect-operator/internal/scheme"
)

// ControlPlane is a running kube-apiserver and etcd with the CRDs installed.
type ControlPlane struct {
	Env *envtest.Environment
	// Config, Client and Kubeconfig (a file) are the admin's.
	Config     *rest.Config
	Client     client.Client
	Kubeconfig string

	// AuditLogPath is the API server's audit log (AuditEvents), "" when it keeps none.
	AuditLogPath string

	apiLog *os.File
}

// ControlPlaneOptions configure a control plane.
type ControlPlaneOptions struct {
	// AuditLog has the API server log every write request (create, update, patch,
	// delete, deletecollection) at the Metadata level, one JSON line each once answered,
	// to dir/audit.log: who wrote what, when, and with what answer (AuditEvents). The
	// log is written before the answer is sent (the log backend's blocking mode), so
	// its order is the order in which the API server answered.
	AuditLog bool
}

// auditPolicy logs writes only, once each (no RequestReceived stage), without their
// bodies.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  verbs: ["create", "update", "patch", "delete", "deletecollection"]
- level: None
`

// StartControlPlane starts a control plane whose certificates, kubeconfig and API
// server log live in dir, which must exist. On error, what was started is stopped.
func StartControlPlane(dir string) (*ControlPlane, error) {
	return StartControlPlaneWith(dir, ControlPlaneOptions{})
}

// StartControlPlaneWith is StartControlPlane with options.
func StartControlPlaneWith(dir string, o ControlPlaneOptions) (_ *ControlPlane, err error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return nil, errors.New("KUBEBUILDER_ASSETS is not set: run through `make test`, `make demo` or `make bench`, " +
			"or set it with KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh)")
	}
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	cp := &ControlPlane{}
	defer func() {
		if err != nil {
			cp.Stop()
		}
	}()
	// A fixed certificate folder keeps the API server's serving certificate across a
	// stop and start: with envtest's default temporary folder a restarted API server
	// gets a new CA, which no kubeconfig written before would trust.
	certDir := filepath.Join(dir, "apiserver")
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		return nil, err
	}
	if cp.apiLog, err = os.OpenFile(filepath.Join(dir, "apiserver.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
		return nil, err
	}
	cp.Env = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		ControlPlane: envtest.ControlPlane{APIServer: &envtest.APIServer{
			CertDir: certDir,
			Out:     cp.apiLog,
			Err:     cp.apiLog,
		}},
		ControlPlaneStopTimeout: 2 * time.Minute,
	}
	// On SIGTERM the API server drains its watches (the processes hold several) before it
	// exits; without a grace period for them it waits a full minute.
	cp.Env.ControlPlane.APIServer.Configure().Set("shutdown-watch-termination-grace-period", "2s")
	if o.AuditLog {
		policy := filepath.Join(dir, "audit-policy.yaml")
		if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
			return nil, err
		}
		cp.AuditLogPath = filepath.Join(dir, "audit.log")
		cp.Env.ControlPlane.APIServer.Configure().
			Set("audit-policy-file", policy).
			Set("audit-log-path", cp.AuditLogPath).
			Set("audit-log-format", "json").
			Set("audit-log-mode", "blocking")
	}
	if cp.Config, err = cp.Env.Start(); err != nil {
		return nil, fmt.Errorf("starting envtest: %w", err)
	}
	if cp.Client, err = client.New(cp.Config, client.Options{Scheme: scheme.New()}); err != nil {
		return nil, err
	}
	cp.Kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(cp.Kubeconfig, cp.Env.KubeConfig, 0o600); err != nil {
		return nil, err
	}
	return cp, nil
}

// KubeconfigAs writes to path a kubeconfig for the user name in groups, authenticated
// by a client certificate: a ServiceAccount's user name
// (system:serviceaccount:<namespace>:<name>) stands for that ServiceAccount in RBAC.
func (cp *ControlPlane) KubeconfigAs(path, name string, groups ...string) error {
	u, err := cp.Env.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		return err
	}
	kc, err := u.KubeConfig()
	if err != nil {
		return err
	}
	return os.WriteFile(path, kc, 0o600)
}

// StopAPIServer stops kube-apiserver; etcd and whatever talks to it keep running.
func (cp *ControlPlane) StopAPIServer() error {
	return cp.Env.ControlPlane.APIServer.Stop()
}

// StartAPIServer starts kube-apiserver again at the same address, with the same
// certificates, and waits until it serves again.
func (cp *ControlPlane) StartAPIServer() error {
	return cp.Env.ControlPlane.APIServer.Start()
}

// Stop ends the control plane. It is safe on a partly started one.
func (cp *ControlPlane) Stop() {
	if cp.Env != nil {
		_ = cp.Env.Stop()
	}
	if cp.apiLog != nil {
		_ = cp.apiLog.Close()
	}
}

// Options configure a Stack.
type Options struct {
	// Dir holds the binary, the kubeconfig, the API server's certificates and the
	// processes' logs. It must exist. The caller removes it.
	Dir string
	// Binary is a dect-operator binary to run; empty builds one into Dir.
	Binary string
	// ServerAddr is the (first) provisioning server's address; empty picks a free port
	// on 127.0.0.1.
	ServerAddr string
	// ManagerArgs and ServerArgs are added to the flags the Stack sets.
	ManagerArgs, ServerArgs []string
	// ManagerEnv is added to each manager's environment (GOMEMLIMIT, say, as a
	// container's memory limit sets it through internal/memlimit).
	ManagerEnv []string
	// DeliveryRecordInterval is the --delivery-record-interval of whichever process
	// records deliveries (the manager, or the server in the direct mode); 0 keeps the
	// default.
	DeliveryRecordInterval time.Duration
	// DirectServer runs serve in the direct mode, with a cache and client of its own
	// and the admin's kubeconfig, as a separate server Deployment does. Otherwise it
	// runs as in the operator's Pod: the manager's sidecar (--files-from), started with
	// no kubeconfig, no KUBECONFIG, no in-cluster variables and an empty HOME, so that it
	// could not reach the API server if it tried.
	DirectServer bool
	// Replicas is how many manager and server pairs run, as replicas of the Pod; 0
	// means 1. With more than one, the managers elect a leader (the first replica's
	// manager is started first and made leader before the others start) and the servers
	// share one Digest nonce key: a file each server reads (serve --nonce-key-file),
	// unless NonceKeySecret is set.
	Replicas int
	// Shards, when not empty, runs one manager shard per entry, as replicas of the Pod:
	// replica i's manager gets --shard-selector=Shards[i], leader election on a lease of
	// its own (ShardLease(i), so that every shard leads its own) and authenticates as a
	// user of its own (ShardUser(i), in system:masters), so that the API server's audit
	// log (AuditLog) tells the shards' writes apart. Each has its own sidecar server;
	// the servers share a nonce key as replicas do. Replicas must then be 0 or
	// len(Shards).
	Shards []string
	// AuditLog turns on the API server's audit log of writes (ControlPlaneOptions).
	AuditLog bool
	// NonceKeySecret, with sidecars only, is the Secret through which the managers share
	// the nonce key (manager --nonce-key-secret, in LeaseNamespace given as POD_NAMESPACE,
	// as in the Pod); each sidecar then gets the key from its manager's feed alone.
	NonceKeySecret string
	// Logf reports progress; nil is silent.
	Logf func(format string, args ...any)
}

// Replica is one manager and its provisioning server, as one replica of the Pod.
type Replica struct {
	// Manager is nil for a server started alone (StartDirectServer).
	Manager, Server *Process

	// ServerURL is where devices fetch their files: http://127.0.0.1:<port>.
	ServerURL string
	// ServerProbeURL and ServerMetricsURL are the server's probe and metrics endpoints.
	ServerProbeURL, ServerMetricsURL string
	// ManagerMetricsURL is the manager's metrics endpoint; as in the Pod, the manager
	// also serves its server's /unknown-devices and /server-metrics beside it (not in the
	// direct mode).
	ManagerMetricsURL string
	// FilesURL is the manager's feed to the server; "" in the direct mode.
	FilesURL string
	// Shard is the manager's --shard-selector, User the user it authenticates as, and
	// Lease its leader lease (in LeaseNamespace); "" when the Stack does not run shards.
	Shard, User, Lease string
}

// Stack is a control plane with the operator's processes: one Replica or more.
type Stack struct {
	*ControlPlane
	Dir    string
	Binary string

	// Replica is the first replica: Stack.Manager, Stack.Server and its URLs.
	*Replica
	// Replicas are all of them, the first included.
	Replicas []*Replica
	// LeaderIdentity is the holder of the leader lease once the first replica's
	// manager took it (only with Replicas > 1).
	LeaderIdentity string

	extra []*Process // servers started by StartDirectServer
	logf  func(string, ...any)
}

// Leader election of the managers when a Stack runs replicas: the lease the manager
// takes (controller.Run's LeaderElectionID) in this namespace.
const (
	LeaseNamespace = "default"
	LeaseName      = "dect-operator.provisioning.dect-operator.dev"
)

// ShardLease is the leader lease of shard i when a Stack runs Shards.
func ShardLease(i int) string { return fmt.Sprintf("dect-operator-shard-%d", i) }

// ShardUser is the user shard i's manager authenticates as when a Stack runs Shards:
// the audit log's user.username of its requests.
func ShardUser(i int) string { return fmt.Sprintf("dect-operator-shard-%d", i) }

// Start builds the binary (unless given one), starts the control plane and the
// replicas, and returns once every provisioning server reports ready. On error, what
// was started is stopped.
func Start(ctx context.Context, o Options) (_ *Stack, err error) {
	s := &Stack{Dir: o.Dir, logf: o.Logf, Binary: o.Binary}
	if s.logf == nil {
		s.logf = func(string, ...any) {}
	}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()

	if s.Binary == "" {
		root, err := RepoRoot()
		if err != nil {
			return nil, err
		}
		s.Binary = filepath.Join(o.Dir, "dect-operator")
		s.logf("building %s", s.Binary)
		build := exec.CommandContext(ctx, "go", "build", "-o", s.Binary, "./cmd/dect-operator")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building the binary: %v\n%s", err, out)
		}
	}

	s.logf("starting the API server")
	if s.ControlPlane, err = StartControlPlaneWith(o.Dir, ControlPlaneOptions{AuditLog: o.AuditLog}); err != nil {
		return nil, err
	}

	if o.NonceKeySecret != "" && o.DirectServer {
		return nil, errors.New("testenv: NonceKeySecret is for sidecars, not DirectServer")
	}
	n := max(o.Replicas, 1)
	if len(o.Shards) > 0 {
		if o.Replicas != 0 && o.Replicas != len(o.Shards) {
			return nil, fmt.Errorf("testenv: %d Replicas for %d Shards: one replica per shard", o.Replicas, len(o.Shards))
		}
		n = len(o.Shards)
	}
	var nonceKey string
	if n > 1 && o.NonceKeySecret == "" {
		nonceKey = filepath.Join(o.Dir, "nonce-key")
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		if err := os.WriteFile(nonceKey, key, 0o600); err != nil {
			return nil, err
		}
	}
	for i := range n {
		r, err := s.newReplica(i, o, n > 1 || len(o.Shards) > 0, nonceKey)
		if err != nil {
			return nil, err
		}
		s.Replicas = append(s.Replicas, r)
	}
	s.Replica = s.Replicas[0]

	wait, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for i, r := range s.Replicas {
		for _, p := range []*Process{r.Manager, r.Server} {
			s.logf("starting %s", p)
			if err := p.Start(); err != nil {
				return nil, err
			}
		}
		if i == 0 && n > 1 && len(o.Shards) == 0 {
			// The first manager takes the lease before any other starts: it is the leader,
			// the others are standbys, whatever their start-up speed.
			if s.LeaderIdentity, err = s.waitLeader(wait, LeaseName); err != nil {
				return nil, err
			}
			s.logf("the first manager leads as %s", s.LeaderIdentity)
		}
	}
	// Every shard leads its own lease.
	for _, r := range s.Replicas {
		if r.Lease == "" {
			continue
		}
		holder, err := s.waitLeader(wait, r.Lease)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Manager.Name, err)
		}
		s.logf("%s (%s) leads lease %s as %s", r.Manager.Name, r.Shard, r.Lease, holder)
	}
	if err := s.WaitServerReady(wait); err != nil {
		return nil, err
	}
	s.logf("stack ready: devices fetch from %s", s.ServerURL)
	return s, nil
}

// newReplica prepares replica i's processes: the manager, and the server as its sidecar
// or in the direct mode.
func (s *Stack) newReplica(i int, o Options, leaderElect bool, nonceKey string) (*Replica, error) {
	ports, err := FreePorts(5)
	if err != nil {
		return nil, err
	}
	suffix := ""
	if i > 0 {
		suffix = fmt.Sprintf("-%d", i)
	}
	serverAddr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	if i == 0 && o.ServerAddr != "" {
		serverAddr = o.ServerAddr
	}
	r := &Replica{
		ServerURL:         "http://" + serverAddr,
		ServerMetricsURL:  fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[1]),
		ServerProbeURL:    fmt.Sprintf("http://127.0.0.1:%d", ports[2]),
		ManagerMetricsURL: fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[3]),
	}
	// The kubeconfig is passed in KUBECONFIG, which controller-runtime's GetConfigOrDie
	// reads; see TestSubcommandsAcceptKubeconfigFlag for the --kubeconfig flag.
	clusterEnv := append(os.Environ(), "KUBECONFIG="+s.Kubeconfig)
	managerArgs := []string{"manager",
		// Plain HTTP, for the tests to scrape: in the Pod it is HTTPS for authorized clients.
		fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", ports[3]), "--metrics-insecure", "--health-probe-bind-address=0",
		"--server-url=" + r.ServerURL,
	}
	if leaderElect {
		managerArgs = append(managerArgs, "--leader-elect", "--leader-election-namespace="+LeaseNamespace)
	}
	if len(o.Shards) > 0 {
		r.Shard, r.User, r.Lease = o.Shards[i], ShardUser(i), ShardLease(i)
		managerArgs = append(managerArgs, "--shard-selector="+r.Shard, "--leader-election-id="+r.Lease)
		kubeconfig := filepath.Join(s.Dir, "kubeconfig-"+r.User)
		if err := s.KubeconfigAs(kubeconfig, r.User, "system:masters"); err != nil {
			return nil, err
		}
		clusterEnv = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	}
	serverArgs := []string{"serve",
		"--addr=" + serverAddr,
		fmt.Sprintf("--metrics-addr=127.0.0.1:%d", ports[1]),
		fmt.Sprintf("--probe-addr=127.0.0.1:%d", ports[2]),
	}
	if nonceKey != "" {
		serverArgs = append(serverArgs, "--nonce-key-file="+nonceKey)
	}
	interval := ""
	if o.DeliveryRecordInterval > 0 {
		interval = "--delivery-record-interval=" + o.DeliveryRecordInterval.String()
	}
	serverEnv, managerEnv := clusterEnv, clusterEnv
	if o.DirectServer {
		if interval != "" {
			serverArgs = append(serverArgs, interval)
		}
	} else {
		r.FilesURL = fmt.Sprintf("http://127.0.0.1:%d", ports[4])
		managerArgs = append(managerArgs, fmt.Sprintf("--files-addr=127.0.0.1:%d", ports[4]),
			fmt.Sprintf("--server-admin-url=http://127.0.0.1:%d", ports[1]))
		if interval != "" {
			managerArgs = append(managerArgs, interval)
		}
		if o.NonceKeySecret != "" {
			managerArgs = append(managerArgs, "--nonce-key-secret="+o.NonceKeySecret)
			managerEnv = append(slices.Clip(managerEnv), "POD_NAMESPACE="+LeaseNamespace)
		}
		serverArgs = append(serverArgs, "--files-from="+r.FilesURL)
		home := filepath.Join(s.Dir, "serve-home"+suffix)
		if err := os.MkdirAll(home, 0o700); err != nil {
			return nil, err
		}
		serverEnv = WithoutCluster(os.Environ(), home)
	}
	r.Manager = &Process{
		Name: "manager" + suffix, Path: s.Binary, Env: append(slices.Clip(managerEnv), o.ManagerEnv...), LogPath: filepath.Join(s.Dir, "manager"+suffix+".log"),
		Args: append(managerArgs, o.ManagerArgs...),
	}
	r.Server = &Process{
		Name: "server" + suffix, Path: s.Binary, Env: serverEnv, LogPath: filepath.Join(s.Dir, "server"+suffix+".log"),
		Args: append(serverArgs, o.ServerArgs...),
	}
	return r, nil
}

// WithoutCluster returns env without anything that leads a Kubernetes client to a
// cluster (KUBECONFIG, the in-cluster KUBERNETES_SERVICE_* variables) and with HOME set
// to home, which should be an empty folder: no ~/.kube/config either.
func WithoutCluster(env []string, home string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if name == "KUBECONFIG" || name == "HOME" || strings.HasPrefix(name, "KUBERNETES_") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "HOME="+home)
}

// StartDirectServer starts one more provisioning server on the stack's control plane,
// in the direct mode (its own cache and client), as a separate server Deployment runs,
// and waits until it is ready. It reaches the API server with kubeconfig, or the
// admin's when "". Stop stops it too.
func (s *Stack) StartDirectServer(ctx context.Context, name, kubeconfig string, args ...string) (*Replica, error) {
	if kubeconfig == "" {
		kubeconfig = s.Kubeconfig
	}
	ports, err := FreePorts(3)
	if err != nil {
		return nil, err
	}
	r := &Replica{
		ServerURL:        fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
		ServerMetricsURL: fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[1]),
		ServerProbeURL:   fmt.Sprintf("http://127.0.0.1:%d", ports[2]),
	}
	r.Server = &Process{
		Name: name, Path: s.Binary, Env: append(os.Environ(), "KUBECONFIG="+kubeconfig),
		LogPath: filepath.Join(s.Dir, name+".log"),
		Args: append([]string{"serve",
			fmt.Sprintf("--addr=127.0.0.1:%d", ports[0]),
			fmt.Sprintf("--metrics-addr=127.0.0.1:%d", ports[1]),
			fmt.Sprintf("--probe-addr=127.0.0.1:%d", ports[2]),
		}, args...),
	}
	s.logf("starting %s", r.Server)
	if err := r.Server.Start(); err != nil {
		return nil, err
	}
	s.extra = append(s.extra, r.Server)
	wait, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return r, waitReady(wait, r)
}

// waitLeader waits until the lease name has a holder, and returns it.
func (s *Stack) waitLeader(ctx context.Context, name string) (string, error) {
	var holder string
	err := poll(ctx, 100*time.Millisecond, func() error {
		var lease coordinationv1.Lease
		if err := s.Client.Get(ctx, client.ObjectKey{Namespace: LeaseNamespace, Name: name}, &lease); err != nil {
			return err
		}
		if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
			return errors.New("the lease has no holder yet")
		}
		holder = *lease.Spec.HolderIdentity
		return nil
	})
	return holder, err
}

// LeaseHolder is the current holder of the managers' leader lease.
func (s *Stack) LeaseHolder(ctx context.Context) (string, error) {
	var lease coordinationv1.Lease
	if err := s.Client.Get(ctx, client.ObjectKey{Namespace: LeaseNamespace, Name: LeaseName}, &lease); err != nil {
		return "", err
	}
	if lease.Spec.HolderIdentity == nil {
		return "", nil
	}
	return *lease.Spec.HolderIdentity, nil
}

// WaitServerReady waits until every replica's provisioning server answers 200 on
// /readyz.
func (s *Stack) WaitServerReady(ctx context.Context) error {
	for _, r := range s.Replicas {
		if err := waitReady(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

func waitReady(ctx context.Context, r *Replica) error {
	return poll(ctx, 100*time.Millisecond, func() error {
		select {
		case <-r.Server.Exited():
			return &permanent{fmt.Errorf("the server exited: %v; its log: %s", r.Server.ExitErr(), r.Server.LogPath)}
		default:
		}
		return httpOK(ctx, r.ServerProbeURL+"/readyz")
	})
}

// StopAPIServer stops kube-apiserver; etcd and the operator's processes keep running.
func (s *Stack) StopAPIServer() error {
	s.logf("stopping the API server")
	start := time.Now()
	err := s.ControlPlane.StopAPIServer()
	s.logf("API server stopped after %v", time.Since(start).Round(time.Millisecond))
	return err
}

// StartAPIServer starts kube-apiserver again; see ControlPlane.StartAPIServer.
func (s *Stack) StartAPIServer() error {
	s.logf("starting the API server again")
	return s.ControlPlane.StartAPIServer()
}

// Stop ends the processes and the control plane. It is safe on a partly started Stack.
func (s *Stack) Stop() {
	procs := s.extra
	for _, r := range s.Replicas {
		procs = append(procs, r.Server, r.Manager)
	}
	for _, p := range procs {
		if p != nil {
			_ = p.Stop(10 * time.Second)
		}
	}
	if s.ControlPlane != nil {
		s.ControlPlane.Stop()
	}
}

// RepoRoot is the folder of the module's go.mod.
func RepoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the dect-operator module")
	}
	return filepath.Dir(mod), nil
}

// FreePorts returns n TCP ports that were free on 127.0.0.1 a moment ago, none of them
// handed out before by this process. They are drawn at random from below the kernel's
// ephemeral range: a port the kernel picked for a listener on port 0 comes from the range
// it also picks the outgoing connections of every process from (the API server's,
// etcd's, a test's); in a CI run one such port was taken between the pick and the
// server's bind. Test processes running in parallel can still draw the same port, but
// rarely: the draw is random over some 12,000 ports.
func FreePorts(n int) ([]int, error) {
	low, high := portRange()
	portsMu.Lock()
	defer portsMu.Unlock()
	var ports []int
	for tries := 0; len(ports) < n; tries++ {
		if tries > 1000 {
			return nil, fmt.Errorf("no free port in %d-%d after %d tries", low, high, tries)
		}
		port := low + mathrand.IntN(high-low+1)
		if handedOut[port] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue // in use
		}
		_ = l.Close()
		handedOut[port] = true
		ports = append(ports, port)
	}
	return ports, nil
}

var (
	portsMu   sync.Mutex
	handedOut = map[int]bool{}
)

// portRange is where FreePorts draws from: from 20000 up to just below the ephemeral
// range (net.ipv4.ip_local_port_range), or to 32767 where that cannot be read.
func portRange() (low, high int) {
	low, high = 20000, 32767
	raw, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return low, high
	}
	var first int
	if _, err := fmt.Sscan(string(raw), &first); err == nil && first-1 > low+1000 {
		high = first - 1
	}
	return low, high
}

func httpOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

// permanent marks an error that poll must not retry.
type permanent struct{ error }

// poll calls check every interval until it returns nil, a permanent error, or ctx ends.
func poll(ctx context.Context, interval time.Duration, check func() error) error {
	for {
		err := check()
		if err == nil {
			return nil
		}
		var p *permanent
		if errors.As(err, &p) {
			return p.error
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-time.After(interval):
		}
	}
}
