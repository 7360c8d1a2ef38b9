package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

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

	apiLog *os.File
}

// StartControlPlane starts a control plane whose certificates, kubeconfig and API
// server log live in dir, which must exist. On error, what was started is stopped.
func StartControlPlane(dir string) (_ *ControlPlane, err error) {
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
	// ServerAddr is the provisioning server's address; empty picks a free port on
	// 127.0.0.1.
	ServerAddr string
	// ManagerArgs and ServerArgs are added to the flags the Stack sets.
	ManagerArgs, ServerArgs []string
	// DeliveryRecordInterval is the server's --delivery-record-interval; 0 keeps the
	// server's default.
	DeliveryRecordInterval time.Duration
	// Logf reports progress; nil is silent.
	Logf func(format string, args ...any)
}

// Stack is a control plane with the operator's two processes.
type Stack struct {
	*ControlPlane
	Dir    string
	Binary string

	// ServerURL is where devices fetch their files: http://127.0.0.1:<port>.
	ServerURL string
	// ServerProbeURL and ServerMetricsURL are the server's probe and metrics endpoints.
	ServerProbeURL, ServerMetricsURL string

	Manager, Server *Process

	logf func(string, ...any)
}

// Start builds the binary (unless given one), starts the control plane and both
// processes, and returns once the provisioning server reports ready. On error, what was
// started is stopped.
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
	if s.ControlPlane, err = StartControlPlane(o.Dir); err != nil {
		return nil, err
	}

	ports, err := FreePorts(3)
	if err != nil {
		return nil, err
	}
	serverAddr := o.ServerAddr
	if serverAddr == "" {
		serverAddr = fmt.Sprintf("127.0.0.1:%d", ports[0])
	}
	s.ServerURL = "http://" + serverAddr
	s.ServerMetricsURL = fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[1])
	s.ServerProbeURL = fmt.Sprintf("http://127.0.0.1:%d", ports[2])

	// The kubeconfig is passed in KUBECONFIG, which controller-runtime's GetConfigOrDie
	// reads; see TestSubcommandsAcceptKubeconfigFlag for the --kubeconfig flag.
	env := append(os.Environ(), "KUBECONFIG="+s.Kubeconfig)
	s.Manager = &Process{
		Name: "manager", Path: s.Binary, Env: env, LogPath: filepath.Join(o.Dir, "manager.log"),
		Args: append([]string{"manager",
			"--metrics-bind-address=0", "--health-probe-bind-address=0",
			"--server-url=" + s.ServerURL,
		}, o.ManagerArgs...),
	}
	serverArgs := []string{"serve",
		"--addr=" + serverAddr,
		fmt.Sprintf("--metrics-addr=127.0.0.1:%d", ports[1]),
		fmt.Sprintf("--probe-addr=127.0.0.1:%d", ports[2]),
	}
	if o.DeliveryRecordInterval > 0 {
		serverArgs = append(serverArgs, "--delivery-record-interval="+o.DeliveryRecordInterval.String())
	}
	s.Server = &Process{
		Name: "server", Path: s.Binary, Env: env, LogPath: filepath.Join(o.Dir, "server.log"),
		Args: append(serverArgs, o.ServerArgs...),
	}
	for _, p := range []*Process{s.Manager, s.Server} {
		s.logf("starting %s", p)
		if err := p.Start(); err != nil {
			return nil, err
		}
	}
	wait, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := s.WaitServerReady(wait); err != nil {
		return nil, err
	}
	s.logf("stack ready: devices fetch from %s", s.ServerURL)
	return s, nil
}

// WaitServerReady waits until the provisioning server's /readyz answers 200.
func (s *Stack) WaitServerReady(ctx context.Context) error {
	return poll(ctx, 100*time.Millisecond, func() error {
		select {
		case <-s.Server.Exited():
			return &permanent{fmt.Errorf("the server exited: %v; its log: %s", s.Server.ExitErr(), s.Server.LogPath)}
		default:
		}
		return httpOK(ctx, s.ServerProbeURL+"/readyz")
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

// Stop ends both processes and the control plane. It is safe on a partly started Stack.
func (s *Stack) Stop() {
	for _, p := range []*Process{s.Manager, s.Server} {
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

// FreePorts returns n TCP ports that were free on 127.0.0.1 a moment ago.
func FreePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
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
