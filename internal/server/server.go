// Package server is the provisioning server's process, in its two modes, and the part
// of it that runs in the manager's process:
//
//   - RunSidecar, the sidecar in the manager's Pod: it holds no Kubernetes credentials,
//     takes the files from its own manager over loopback (internal/feed), serves the
//     devices, and reports each delivery back.
//   - AddFeed, in the manager's process: a Source keeps the feed in step with the
//     manager's cache of the ConfigMaps and Secrets it writes, accepting only files
//     that the DectBase holding the MAC owns, and a Recorder records the deliveries the
//     sidecar reports on the DectBase's status.
//   - Run, the direct mode, for a separate server Deployment with a ServiceAccount of
//     its own: the same Source over its own cache, the Store, the devices' port and the
//     Recorder in one process.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/certreload"
	"github.com/dect-operator/dect-operator/internal/macpolicy"
	"github.com/dect-operator/dect-operator/internal/provfile"
	"github.com/dect-operator/dect-operator/internal/provserver"
	"github.com/dect-operator/dect-operator/internal/scheme"
)

// Options configure the provisioning server process.
type Options struct {
	Addr        string // the devices' port, e.g. ":8088"
	MetricsAddr string // metrics and /unknown-devices; "0" disables
	ProbeAddr   string // /healthz and /readyz; "0" disables
	PathPrefix  string // served under <prefix>/<MAC>.xml
	Realm       string // Digest realm; "" for the default
	// Namespace limits the server to one namespace; "" watches all.
	Namespace string
	// DeliveryInterval is the least time between two delivery records of one base that
	// was served the same file; 0 means one minute.
	DeliveryInterval time.Duration
	// FirmwareDir holds firmware images served at <prefix>/firmware/<file>.bin; "" serves
	// none.
	FirmwareDir string
	// NonceKeyFile holds the key that signs Digest nonces (at least 32 bytes): replicas
	// given the same file accept each other's nonces. "" signs with a random key.
	NonceKeyFile string
	// MaxConnections and MaxConnectionsPerSource cap the devices' open connections, all
	// together and per source address (IPv6: per /64), so that a flood cannot take the
	// server past its memory limit; 0 means no cap.
	MaxConnections, MaxConnectionsPerSource int
	// TLSAddr, when set, serves HTTPS there too, with the certificate and key in
	// TLSCertFile and TLSKeyFile, reloaded when they change (a cert-manager Secret).
	TLSAddr, TLSCertFile, TLSKeyFile string
	// MACPolicy must be the manager's: what a namespace without the annotation
	// macpolicy.Annotation may declare (zero: macpolicy.FirstCome). Run only: in the
	// sidecar mode the manager applies its own.
	MACPolicy macpolicy.Mode
	// FilesFrom is the manager's feed (RunSidecar only), e.g. http://127.0.0.1:8090.
	FilesFrom string
}

// Run runs the provisioning server in the direct mode until ctx is done: it loads the
// files the manager stores from its own cache, serves them to the devices, and records
// each delivery with its own client. Its start order: the
// cache syncs, the Store is filled from it once, and only then the devices' port opens
// and /readyz answers 200, so that no device is ever told 404 for a file that exists.
func Run(ctx context.Context, cfg *rest.Config, o Options) error {
	log := ctrl.Log.WithName("server")

	// Only the labelled objects are cached: the server never holds other Secrets. The
	// DectBases are cached too, metadata and spec only: a labelled object is served only
	// when the DectBase holding its MAC owns it.
	selector := labels.SelectorFromSet(labels.Set{provfile.LabelFile: "true"})
	cacheOpts := cache.Options{ByObject: map[client.Object]cache.ByObject{
		&corev1.ConfigMap{}:      {Label: selector},
		&corev1.Secret{}:         {Label: selector},
		&dectv1alpha1.DectBase{}: {Transform: specOnly},
	}}
	if o.Namespace != "" {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{o.Namespace: {}}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme.New(),
		Cache:                  cacheOpts,
		Metrics:                metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress: o.ProbeAddr,
	})
	if err != nil {
		return fmt.Errorf("creating the server's manager: %w", err)
	}

	if err := IndexFiles(ctx, mgr.GetFieldIndexer()); err != nil {
		return err
	}
	store := provserver.NewStore()
	source := NewSource(mgr.GetCache(), StoreSink(store), log)
	source.MACPolicy = o.MACPolicy
	log.Info("MAC policy", "mode", source.MACPolicy)
	if err := ctrlmetrics.Registry.Register(source.Refused); err != nil {
		return err
	}
	recorder := NewRecorder(mgr.GetClient(), source, log)
	recorder.MinInterval = o.DeliveryInterval
	nonceKey, err := readNonceKeyFile(o)
	if err != nil {
		return err
	}
	handler, err := newHandler(o, nonceKey, store, recorder.Record)
	if err != nil {
		return err
	}
	if err := mgr.AddMetricsServerExtraHandler("/unknown-devices", handler.UnknownDevicesHandler()); err != nil {
		return err
	}

	if err := source.Attach(ctx, mgr.GetCache()); err != nil {
		return err
	}

	if err := mgr.Add(runnable(recorder.Start)); err != nil {
		return err
	}
	if err := mgr.Add(runnable(func(ctx context.Context) error {
		if !mgr.GetCache().WaitForCacheSync(ctx) {
			return nil
		}
		source.Load(ctx)
		go source.Watch(ctx)
		return serveDevices(ctx, o, handler, log.Info)
	})); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("files-loaded", func(*http.Request) error {
		if !source.Synced() {
			return errors.New("the provisioning files are not loaded yet")
		}
		return nil
	}); err != nil {
		return err
	}
	return mgr.Start(ctx)
}

// readNonceKeyFile returns the key in o.NonceKeyFile, nil when there is none (a random
// key then).
func readNonceKeyFile(o Options) ([]byte, error) {
	if o.NonceKeyFile == "" {
		return nil, nil
	}
	key, err := os.ReadFile(o.NonceKeyFile)
	if err != nil {
		return nil, fmt.Errorf("reading the nonce key: %w", err)
	}
	return key, nil
}

// newHandler returns the devices' handler of both modes, signing Digest nonces with
// nonceKey (nil: a random key), its metrics in the process's registry.
func newHandler(o Options, nonceKey []byte, store *provserver.Store, onDelivery func(provserver.Delivery)) (*provserver.Handler, error) {
	return provserver.NewHandler(store, provserver.Options{
		NonceKey:    nonceKey,
		PathPrefix:  o.PathPrefix,
		Realm:       o.Realm,
		Registry:    ctrlmetrics.Registry,
		OnDelivery:  onDelivery,
		FirmwareDir: o.FirmwareDir,
	})
}

// serveDevices serves the devices' port (and the HTTPS port, when configured) until ctx
// is done, then drains the requests in flight for up to ten seconds. Both ports share
// one connection budget.
func serveDevices(ctx context.Context, o Options, h http.Handler, info func(string, ...any)) error {
	limiter, err := provserver.NewConnLimiter(o.MaxConnections, o.MaxConnectionsPerSource)
	if err != nil {
		return err
	}
	if err := limiter.Register(ctrlmetrics.Registry); err != nil {
		return err
	}
	type port struct {
		srv *http.Server
		ln  net.Listener
	}
	var ports []port
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", o.Addr, err)
	}
	ports = append(ports, port{provserver.HTTPServer(h), limiter.Listener(ln)})
	info("serving provisioning files", "address", ln.Addr().String(), "pathPrefix", o.PathPrefix)
	if o.TLSAddr != "" {
		certs, err := certreload.New(certreload.Config{CertFile: o.TLSCertFile, KeyFile: o.TLSKeyFile})
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("loading the TLS certificate: %w", err)
		}
		tln, err := net.Listen("tcp", o.TLSAddr)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("listening on %s: %w", o.TLSAddr, err)
		}
		tlsCfg := &tls.Config{GetCertificate: certs.GetCertificate, MinVersion: tls.VersionTLS12}
		ports = append(ports, port{provserver.HTTPServer(h), tls.NewListener(limiter.Listener(tln), tlsCfg)})
		info("serving provisioning files over HTTPS", "address", tln.Addr().String())
	}
	errc := make(chan error, len(ports))
	for _, p := range ports {
		go func() { errc <- p.srv.Serve(p.ln) }()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	drain, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	for _, p := range ports {
		errs = append(errs, p.srv.Shutdown(drain))
	}
	return errors.Join(errs...)
}

// specOnly keeps a cached DectBase's metadata and spec: all the server decides with.
func specOnly(o any) (any, error) {
	if b, ok := o.(*dectv1alpha1.DectBase); ok {
		b.Status = dectv1alpha1.DectBaseStatus{}
		b.ManagedFields = nil
	}
	return o, nil
}

func namespaceMetadata() *metav1.PartialObjectMetadata {
	ns := &metav1.PartialObjectMetadata{}
	ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	return ns
}

// policyAnnotation tells a namespace's annotation macpolicy.Annotation, with whether it
// has one at all.
func policyAnnotation(o any) string {
	if m, ok := o.(metav1.Object); ok {
		if v, ok := m.GetAnnotations()[macpolicy.Annotation]; ok {
			return "set:" + v
		}
	}
	return "unset"
}

// runnable is a manager Runnable that runs in every replica, leader or not.
type runnable func(context.Context) error

func (r runnable) Start(ctx context.Context) error { return r(ctx) }
func (r runnable) NeedLeaderElection() bool        { return false }
