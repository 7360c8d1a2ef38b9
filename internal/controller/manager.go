package controller

import (
	"cmp"
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/dect-operator/dect-operator/internal/provfile"
	"github.com/dect-operator/dect-operator/internal/push"
	"github.com/dect-operator/dect-operator/internal/scheme"
	"github.com/dect-operator/dect-operator/internal/server"
)

// Options configure the manager process.
type Options struct {
	MetricsAddr    string // "0" disables metrics
	ProbeAddr      string // "0" disables probes
	LeaderElection bool
	// LeaderElectionNamespace is where the lease lives when running outside a cluster.
	LeaderElectionNamespace string
	// ServerURL is where devices reach the provisioning server; reported in status.
	ServerURL string
	// Now replaces the clock (tests only).
	Now func() time.Time
	// StallAfter is how long a missing Secret or DectBase is waited for before it is
	// reported as Stalled; 0 means assemble.DefaultStallAfter.
	StallAfter time.Duration
	// Concurrency is how many bases are reconciled at once; 0 means 4.
	Concurrency int
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
}

// Run runs the manager process, the reconcilers, until ctx is done.
func Run(ctx context.Context, cfg *rest.Config, o Options) error {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme.New(),
		Metrics:                 metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress:  o.ProbeAddr,
		LeaderElection:          o.LeaderElection,
		LeaderElectionID:        "dect-operator.provisioning.dect-operator.dev",
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		// Hand over quickly on a clean shutdown instead of waiting for the lease to expire.
		LeaderElectionReleaseOnCancel: true,
		Controller: config.Controller{
			MaxConcurrentReconciles: cmp.Or(o.Concurrency, 4),
		},
		// The manager reads only its own ConfigMaps: caching every ConfigMap of the
		// cluster would make its memory grow with everything else running there.
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&corev1.ConfigMap{}: {Label: labels.SelectorFromSet(labels.Set{provfile.LabelFile: "true"})},
		}},
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	if err := SetupIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
		return fmt.Errorf("registering indexes: %w", err)
	}
	pushMetrics, err := push.NewMetrics(ctrlmetrics.Registry)
	if err != nil {
		return err
	}
	base := &DectBaseReconciler{
		Pusher:     &push.Pusher{Metrics: pushMetrics},
		Client:     mgr.GetClient(),
		APIReader:  mgr.GetAPIReader(),
		Recorder:   mgr.GetEventRecorder("dect-operator"),
		ServerURL:  o.ServerURL,
		Now:        o.Now,
		StallAfter: o.StallAfter,
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
	if o.FilesAddr != "" {
		if err := server.AddFeed(mgr, server.FeedOptions{Addr: o.FilesAddr, DeliveryInterval: o.DeliveryInterval}); err != nil {
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
