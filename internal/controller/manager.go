package controller

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/handsetstatus"
	"github.com/dect-operator/dect-operator/internal/macpolicy"
	"github.com/dect-operator/dect-operator/internal/provfile"
	"github.com/dect-operator/dect-operator/internal/push"
	"github.com/dect-operator/dect-operator/internal/scheme"
	"github.com/dect-operator/dect-operator/internal/server"
	"github.com/dect-operator/dect-operator/internal/shard"
	"github.com/prometheus/client_golang/prometheus"
)

// DefaultConcurrency is how many bases are reconciled at once unless told otherwise. A
// reconcile spends most of its time waiting for the API server (reading around the
// cache for a file it does not hold, writing the Secret, the ConfigMap and the status,
// one after the other); when a bulk apply ends, every base it touched is due at once.
// With 4, the hundred bases of a 10,000-handset apply took 5.1-6.6 s after the apply to
// be served (hack/scale, six runs, median 5.3 s); with 8, 4.4-5.3 s (four runs, median
// 4.9 s), and with 16 no less (4.5 and 4.7 s): the API server's CPU is then the limit.
const DefaultConcurrency = 8

// Options configure the manager process.
type Options struct {
	MetricsAddr string // "0" disables metrics
	// MetricsInsecure serves metrics over plain HTTP to anyone who reaches the port, for
	// local runs only; by default they are served over HTTPS to authenticated clients
	// allowed "get" on the path (MetricsOptions).
	MetricsInsecure bool
	ProbeAddr       string // "0" disables probes
	LeaderElection  bool
	// LeaderElectionNamespace is where the lease lives when running outside a cluster.
	LeaderElectionNamespace string
	// LeaderElectionID names the lease; "" means DefaultLeaderElectionID. Each shard
	// needs a lease of its own, its replicas share it.
	LeaderElectionID string
	// ShardSelector, when it selects less than every namespace, makes this manager a
	// shard: it reconciles, and writes in, only the namespaces it selects (Shard); nil
	// or empty: every namespace. ShardHandoverDelay is how long it keeps out of a
	// namespace it saw become selected while it ran (0: shard.DefaultHandoverDelay).
	ShardSelector      labels.Selector
	ShardHandoverDelay time.Duration
	// ServerURL is where devices reach the provisioning server; reported in status.
	ServerURL string
	// Now replaces the clock (tests only).
	Now func() time.Time
	// StallAfter is how long a missing Secret or DectBase is waited for before it is
	// reported as Stalled; 0 means assemble.DefaultStallAfter.
	StallAfter time.Duration
	// Concurrency is how many bases are reconciled at once; 0 means DefaultConcurrency.
	Concurrency int
	// MACPolicy is what a namespace without the annotation macpolicy.Annotation may
	// declare (zero: macpolicy.FirstCome); give the provisioning server the same.
	MACPolicy macpolicy.Mode
	// FilesAddr, when set, is the loopback address where the manager serves the
	// provisioning files to its sidecar and takes its deliveries (server.AddFeed), in
	// every replica; DeliveryInterval is then the least time between two delivery
	// records of a base served the same file (0: one minute).
	FilesAddr        string
	DeliveryInterval time.Duration
	// ServerAdminURL, when set, is the sidecar's admin listener (metrics and
	// /unknown-devices, on loopback in the Pod), which the manager's metrics endpoint
	// then serves at /unknown-devices and /server-metrics (server.AdminProxy).
	ServerAdminURL string
	// NonceKeySecret, when its Name is set, is the Secret holding the key that signs
	// the Digest nonces (EnsureNonceKey creates it): with FilesAddr sent to every
	// replica's sidecar through the feed, so that a device challenged by one replica may
	// answer another; without, there for a separate server Deployment to mount.
	NonceKeySecret types.NamespacedName
	// HandsetStatusHold and HandsetStatusMaxHold time the writes of handset statuses
	// (handsetstatus.Writer, rule 2); 0 means the package's defaults.
	HandsetStatusHold, HandsetStatusMaxHold time.Duration
}

// The metrics filter asks the API server who a scraper is and whether it may read the
// path (TokenReview, SubjectAccessReview): a Prometheus needs a ClusterRole allowing
// "get" on the nonResourceURLs it scrapes (config/rbac/metrics_reader_role.yaml).
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create
// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create

// MetricsOptions serves /metrics, and every handler added to the metrics server, over
// HTTPS to authenticated and authorized clients only, as kubebuilder scaffolds: the
// metrics name every base and namespace, which another tenant should not list. Without
// a certificate in the default folder the server makes itself a self-signed one in
// memory (nothing is written: the root filesystem is read-only). HTTP/2 is off
// (CVE-2023-44487, CVE-2023-39325), as in kubebuilder's scaffold. insecure serves plain
// HTTP to anyone, for a manager run on a workstation.
func MetricsOptions(addr string, insecure bool) metricsserver.Options {
	if insecure {
		return metricsserver.Options{BindAddress: addr}
	}
	return metricsserver.Options{
		BindAddress:    addr,
		SecureServing:  true,
		FilterProvider: filters.WithAuthenticationAndAuthorization,
		TLSOpts:        []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }},
	}
}

// secretSelector selects the Secrets the manager lists, watches and holds: those that
// opted in (dectv1alpha1.LabelConsumable), which include the operator's own credentials
// Secrets (provfile.Encode labels them too, so that one selector covers both). No other
// Secret's data ever reaches the process, and its memory does not grow with the
// cluster's other Secrets. RBAC cannot grant by label: its rights cover every Secret,
// and this selector, not RBAC, is what keeps the others out.
func secretSelector() labels.Selector {
	return labels.SelectorFromSet(labels.Set{dectv1alpha1.LabelConsumable: "true"})
}

// lastApplied is the annotation in which `kubectl apply` (and Argo CD, which applies
// the same way by default) keeps a whole copy of the object as applied: for a Secret,
// its data in clear.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// stripForCache drops from every object the manager caches what nothing reads and what
// is often larger than the rest: managed fields, and the last-applied copy of objects
// others apply. An object a DectBase controls (its file, its Secret) keeps its
// annotations, since the manager updates it from the cached copy and would otherwise
// remove them.
func stripForCache(in any) (any, error) {
	out, err := cache.TransformStripManagedFields()(in)
	if err != nil {
		return out, err
	}
	o, ok := out.(client.Object)
	if !ok {
		return out, nil
	}
	if _, has := o.GetAnnotations()[lastApplied]; has && provfile.ControllerBase(o) == nil {
		a := maps.Clone(o.GetAnnotations())
		delete(a, lastApplied)
		o.SetAnnotations(a)
	}
	return o, nil
}

// nonceKey returns the replicas' shared nonce key from the Secret secret, nil when
// secret has no Name. It runs before the manager starts, so before the feed answers its
// first full set: the APIReader and the client's writes go to the API server, not to
// the cache, which is not running yet (and would not hold this Secret anyway).
func nonceKey(ctx context.Context, mgr ctrl.Manager, secret types.NamespacedName) ([]byte, error) {
	if secret.Name == "" {
		return nil, nil
	}
	key, err := EnsureNonceKey(ctx, mgr.GetAPIReader(), mgr.GetClient(), secret)
	if err != nil {
		return nil, fmt.Errorf("the nonce key: %w", err)
	}
	mgr.GetLogger().Info("the provisioning servers sign Digest nonces with the key of the Secret", "secret", secret.String())
	return key, nil
}

// DefaultLeaderElectionID is the lease of an unsharded manager's replicas.
const DefaultLeaderElectionID = "dect-operator.provisioning.dect-operator.dev"

// handsetStatusWriter returns the writer of handset statuses, added to mgr. It writes
// with a client of its own, whose rate limit (cfg's QPS and burst, counted apart) a burst
// of status writes may use up without delaying the reconciler's file writes.
func handsetStatusWriter(mgr ctrl.Manager, cfg *rest.Config, o Options, sh *Shard) (*handsetstatus.Writer, error) {
	own := rest.CopyConfig(cfg)
	own.UserAgent = rest.DefaultKubernetesUserAgent() + " handset-status"
	c, err := client.New(own, client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
	if err != nil {
		return nil, fmt.Errorf("creating the handset status client: %w", err)
	}
	w := &handsetstatus.Writer{Client: sh.Guard(c), Reader: mgr.GetClient(), Hold: o.HandsetStatusHold, MaxHold: o.HandsetStatusMaxHold,
		Log: mgr.GetLogger().WithName("handset-status")}
	// What a bulk apply still owes: the statuses decided and held (docs/scale.md).
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "dect_handset_statuses_pending",
		Help: "Handsets whose newest status is decided but not written yet (held while their base settles, or being written).",
	}, func() float64 { return float64(w.Pending()) })
	// A second manager in one process (tests) replaces the gauge of the first, which
	// would otherwise count a writer that no longer runs.
	var already prometheus.AlreadyRegisteredError
	err = ctrlmetrics.Registry.Register(pending)
	if errors.As(err, &already) {
		ctrlmetrics.Registry.Unregister(already.ExistingCollector)
		err = ctrlmetrics.Registry.Register(pending)
	}
	if err != nil {
		return nil, err
	}
	if err := mgr.Add(w); err != nil {
		return nil, err
	}
	return w, nil
}

// registerClientMetrics adds client-go's rate limiter and request latencies to the
// manager's metrics: the time a write waits in the client's own rate limiter is the
// first thing to read when a change is slow to reach a device.
var registerClientMetrics = sync.OnceFunc(func() {
	ctrlmetrics.RegisterRESTClientMetrics(ctrlmetrics.MetricRateLimiterLatency, ctrlmetrics.MetricRequestLatency)
})

// Run runs the manager process, the reconcilers, until ctx is done.
func Run(ctx context.Context, cfg *rest.Config, o Options) error {
	registerClientMetrics()
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme.New(),
		Metrics:                 MetricsOptions(o.MetricsAddr, o.MetricsInsecure),
		HealthProbeBindAddress:  o.ProbeAddr,
		LeaderElection:          o.LeaderElection,
		LeaderElectionID:        cmp.Or(o.LeaderElectionID, DefaultLeaderElectionID),
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		// Hand over quickly on a clean shutdown instead of waiting for the lease to expire.
		LeaderElectionReleaseOnCancel: true,
		Controller: config.Controller{
			MaxConcurrentReconciles: cmp.Or(o.Concurrency, DefaultConcurrency),
		},
		Cache: cache.Options{
			// The manager reads only its own ConfigMaps, and only the Secrets that
			// secretSelector selects: caching every ConfigMap or Secret of the cluster
			// would make its memory grow with everything else running there.
			ByObject: map[client.Object]cache.ByObject{
				&corev1.ConfigMap{}: {Label: labels.SelectorFromSet(labels.Set{provfile.LabelFile: "true"})},
				&corev1.Secret{}:    {Label: secretSelector()},
			},
			DefaultTransform: stripForCache,
		},
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	mgr.GetLogger().Info("MAC policy", "mode", cmp.Or(o.MACPolicy, macpolicy.FirstCome))
	if err := SetupIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
		return fmt.Errorf("registering indexes: %w", err)
	}
	pushMetrics, err := push.NewMetrics(ctrlmetrics.Registry)
	if err != nil {
		return err
	}
	sh, err := NewShard(ctx, mgr, shard.Policy{Selector: o.ShardSelector, HandoverDelay: cmp.Or(o.ShardHandoverDelay, shard.DefaultHandoverDelay)}, o.Now)
	if err != nil {
		return err
	}
	statuses, err := handsetStatusWriter(mgr, cfg, o, sh)
	if err != nil {
		return err
	}
	// Only the reconcilers are sharded, and the handset status writer that writes for
	// them: the feed below records deliveries with the manager's own client, for every
	// base this pod's server serves.
	base := &DectBaseReconciler{
		Pusher:     &push.Pusher{Metrics: pushMetrics},
		Client:     sh.Guard(mgr.GetClient()),
		APIReader:  mgr.GetAPIReader(),
		Recorder:   sh.GuardEvents(mgr.GetEventRecorder("dect-operator")),
		Shard:      sh,
		ServerURL:  o.ServerURL,
		Now:        o.Now,
		StallAfter: o.StallAfter,
		MACPolicy:  o.MACPolicy,

		HandsetStatuses: statuses,
	}
	statuses.OnWrite = func(h *dectv1alpha1.Handset, before, after []metav1.Condition) {
		base.eventOnChange(h, before, after)
	}
	if err := base.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the DectBase controller: %w", err)
	}
	if err := (&HandsetReconciler{DectBaseReconciler: base}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the Handset controller: %w", err)
	}
	if o.ServerAdminURL != "" {
		handlers, err := server.AdminProxy(o.ServerAdminURL)
		if err != nil {
			return err
		}
		for path, h := range handlers {
			if err := mgr.AddMetricsServerExtraHandler(path, h); err != nil {
				return err
			}
		}
	}
	nonceKey, err := nonceKey(ctx, mgr, o.NonceKeySecret)
	if err != nil {
		return err
	}
	if o.FilesAddr != "" {
		if err := server.AddFeed(ctx, mgr, server.FeedOptions{Addr: o.FilesAddr, DeliveryInterval: o.DeliveryInterval, MACPolicy: o.MACPolicy, NonceKey: nonceKey}); err != nil {
			return fmt.Errorf("setting up the feed to the provisioning server: %w", err)
		}
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	return mgr.Start(ctx)
}
