package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/dect-operator/dect-operator/internal/feed"
	"github.com/dect-operator/dect-operator/internal/provserver"
)

// RunSidecar runs the provisioning server as its manager's sidecar until ctx is done:
// it takes the files from the manager at o.FilesFrom (a loopback URL; see
// internal/feed) and reports each delivery back there. It needs no Kubernetes
// credentials and builds no client: Namespace and DeliveryInterval are the manager's
// business in this mode. Its start order is Run's: the files are loaded whole first,
// and only then the devices' port opens and /readyz answers 200.
//
// The devices' handler is built only then too, because the first full set brings the
// nonce key the replicas share (the manager's --nonce-key-secret, which the sidecar
// cannot read itself); until then /unknown-devices answers 503.
func RunSidecar(ctx context.Context, o Options) error {
	log := ctrl.Log.WithName("server")
	u, err := feed.ParseURL(o.FilesFrom)
	if err != nil {
		return err
	}
	fileKey, err := readNonceKeyFile(o) // read now: a bad flag fails the start
	if err != nil {
		return err
	}
	store := provserver.NewStore()
	mirror := feed.NewMirror(u, store, log.WithName("feed"))
	reporter := feed.NewReporter(u, log.WithName("feed"))
	var handler atomic.Pointer[provserver.Handler]

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type task struct {
		name string
		run  func(context.Context) error
	}
	tasks := []task{
		{"the files from the manager", mirror.Run},
		{"the deliveries to the manager", reporter.Run},
		{"the devices' port", func(ctx context.Context) error {
			select {
			case <-ctx.Done():
				return nil
			case <-mirror.Loaded():
			}
			key, from := pickNonceKey(mirror.NonceKey(), fileKey)
			log.Info("signing Digest nonces", "key", from)
			h, err := newHandler(o, key, store, reporter.Record)
			if err != nil {
				return err
			}
			handler.Store(h)
			return serveDevices(ctx, o, h, log.Info)
		}},
	}
	if o.MetricsAddr != "0" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(ctrlmetrics.Registry, promhttp.HandlerOpts{}))
		mux.Handle("/unknown-devices", unknownDevicesOnceBuilt(&handler))
		tasks = append(tasks, task{"the metrics port", func(ctx context.Context) error {
			return serveAdmin(ctx, o.MetricsAddr, mux)
		}})
	}
	if o.ProbeAddr != "0" {
		mux := http.NewServeMux()
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
		mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
			if !mirror.Ready() {
				http.Error(w, "the provisioning files are not loaded yet", http.StatusServiceUnavailable)
				return
			}
			_, _ = w.Write([]byte("ok"))
		})
		tasks = append(tasks, task{"the probe port", func(ctx context.Context) error {
			return serveAdmin(ctx, o.ProbeAddr, mux)
		}})
	}

	type result struct {
		name string
		err  error
	}
	done := make(chan result, len(tasks))
	for _, t := range tasks {
		go func() { done <- result{t.name, t.run(ctx)} }()
	}
	// The first task to end ends them all: each runs until ctx is done, unless it fails.
	var errs []error
	for i := range tasks {
		r := <-done
		if r.err != nil {
			errs = append(errs, errors.New(r.name+": "+r.err.Error()))
		}
		if i == 0 {
			cancel()
		}
	}
	return errors.Join(errs...)
}

// pickNonceKey chooses the key of the sidecar's Digest nonces: the manager's (from its
// Secret, shared by every replica), else the --nonce-key-file, else nil (random, per
// process). from names the choice for the log; the key is never logged.
func pickNonceKey(fromFeed, fromFile []byte) (key []byte, from string) {
	switch {
	case fromFeed != nil:
		return fromFeed, "the manager's Secret"
	case fromFile != nil:
		return fromFile, "--nonce-key-file"
	}
	return nil, "random, this process only"
}

// unknownDevicesOnceBuilt serves the handler's /unknown-devices once RunSidecar has
// built it, and 503 before: no device has been answered yet then either.
func unknownDevicesOnceBuilt(handler *atomic.Pointer[provserver.Handler]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := handler.Load()
		if h == nil {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "the provisioning files are not loaded yet", http.StatusServiceUnavailable)
			return
		}
		h.UnknownDevicesHandler().ServeHTTP(w, r)
	})
}

// serveAdmin serves h on addr until ctx is done, with the devices' port's timeouts and
// header limit: the probe port is on the Pod's address.
func serveAdmin(ctx context.Context, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := provserver.HTTPServer(h)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
