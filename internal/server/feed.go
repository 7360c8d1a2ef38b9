package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/dect-operator/dect-operator/internal/feed"
	"github.com/dect-operator/dect-operator/internal/macpolicy"
)

// FeedOptions configure the manager's end of the feed to its sidecar.
type FeedOptions struct {
	// Addr is the loopback address the sidecar polls, e.g. 127.0.0.1:8090.
	Addr string
	// DeliveryInterval is Recorder.MinInterval: the least time between two delivery
	// records of one base that was served the same file; 0 means one minute.
	DeliveryInterval time.Duration
	// MACPolicy is the manager's --mac-policy: the Source serves a MAC's file only for
	// the base the reconcilers render it for.
	MACPolicy macpolicy.Mode
	// NonceKey, when set, is the key shared by the replicas (controller.EnsureNonceKey)
	// that the Publisher sends with each full set, for the sidecar to sign its Digest
	// nonces with: it holds no credentials to read the Secret itself.
	NonceKey []byte
}

// AddFeed adds to the manager process what its provisioning-server sidecar would
// otherwise need Kubernetes credentials for: a Source over the manager's own cache
// (the same owner checks as the serve process's direct mode), a feed.Publisher that
// serves its entries to the sidecar on a loopback address, and a Recorder that writes
// the deliveries the sidecar reports with the manager's client. All of it runs in every
// replica, leader or not (the cache runs in standbys too), so a standby's sidecar serves
// from a warm cache and its deliveries are recorded.
//
// The listener opens at once: the sidecar's polls wait (the Publisher answers 503
// until the Source has loaded the synced cache once) instead of being refused.
func AddFeed(ctx context.Context, mgr manager.Manager, o FeedOptions) error {
	log := ctrl.Log.WithName("feed")
	if err := IndexFiles(ctx, mgr.GetFieldIndexer()); err != nil {
		return err
	}
	pub := feed.NewPublisher(log)
	pub.NonceKey = o.NonceKey
	if err := pub.Register(ctrlmetrics.Registry); err != nil {
		return err
	}
	source := NewSource(mgr.GetCache(), pub, log)
	source.MACPolicy = o.MACPolicy
	if err := ctrlmetrics.Registry.Register(source.Refused); err != nil {
		return err
	}
	recorder := NewRecorder(mgr.GetClient(), source, log)
	recorder.MinInterval = o.DeliveryInterval
	pub.Deliver = recorder.Record

	ln, err := feed.Listen(o.Addr)
	if err != nil {
		return err
	}
	if err := mgr.Add(runnable(recorder.Start)); err != nil {
		_ = ln.Close()
		return err
	}
	return mgr.Add(runnable(func(ctx context.Context) error {
		srv := feed.NewServer(pub)
		errc := make(chan error, 1)
		go func() { errc <- srv.Serve(ln) }()
		log.Info("serving the provisioning files to the sidecar", "address", ln.Addr().String())
		defer func() {
			// The sidecar's long poll ends with the connection; it keeps its files.
			_ = srv.Close()
		}()
		if err := source.Attach(ctx, mgr.GetCache()); err != nil {
			return err
		}
		if !mgr.GetCache().WaitForCacheSync(ctx) {
			return nil
		}
		source.Load(ctx)
		go source.Watch(ctx)
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return err
		}
	}))
}
