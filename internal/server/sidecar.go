package server

import (
	"context"
	"errors"
	"net"
	"net/http"
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
func RunSidecar(ctx context.Context, o Options) error {
	log := ctrl.Log.WithName("server")
	u, err := feed.ParseURL(o.FilesFrom)
	if err != nil {
		return err
	}
	store := provserver.NewStore()
	mirror := feed.NewMirror(u, store, log.WithName("feed"))
	reporter := feed.NewReporter(u, log.WithName("feed"))
	handler, err := newHandler(o, store, reporter.Record)
	if err != nil {
		return err
	}

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
			return serveDevices(ctx, o, handler, log.Info)
		}},
	}
	if o.MetricsAddr != "0" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(ctrlmetrics.Registry, promhttp.HandlerOpts{}))
		mux.Handle("/unknown-devices", handler.UnknownDevicesHandler())
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

// serveAdmin serves h on addr until ctx is done.
func serveAdmin(ctx context.Context, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
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
