package server

import (
	"context"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/provserver"
)

// FieldManager is the server's field manager on DectBase status: it owns
// status.lastDelivery and nothing else, so the reconciler's writes and the server's
// never undo each other.
const FieldManager = "dect-provisioning-server"

// Recorder writes deliveries to DectBase status. A device that polls every second costs
// at most one write per base and MinInterval, unless what it was served changed.
type Recorder struct {
	Client      client.Client
	Source      *Source
	Log         logr.Logger
	MinInterval time.Duration // 0 means one minute

	queue chan provserver.Delivery

	mu      sync.Mutex
	written map[string]writtenDelivery // by namespace/base
}

type writtenDelivery struct {
	at   time.Time
	hash string
}

// NewRecorder returns a Recorder; pass its Record to the handler's OnDelivery.
// It forgets a base's last delivery when src stops publishing the base's file.
func NewRecorder(c client.Client, src *Source, log logr.Logger) *Recorder {
	r := &Recorder{Client: c, Source: src, Log: log, queue: make(chan provserver.Delivery, 1024), written: map[string]writtenDelivery{}}
	src.OnGone(r.forget)
	return r
}

func (r *Recorder) forget(namespace, base string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.written, namespace+"/"+base)
}

// Record queues a delivery without blocking the request that made it. When the queue is
// full (the API server has been slow for a long time), the delivery is dropped: the
// next fetch records the same fact.
func (r *Recorder) Record(d provserver.Delivery) {
	select {
	case r.queue <- d:
	default:
	}
}

// Start writes queued deliveries until ctx is done.
func (r *Recorder) Start(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case d := <-r.queue:
			r.write(ctx, d)
		}
	}
}

func (r *Recorder) write(ctx context.Context, d provserver.Delivery) {
	key := d.Namespace + "/" + d.Base
	statusHash, generation, ok := r.Source.Lookup(d)
	if !ok {
		return // the file changed since it was served: the device will fetch again
	}
	interval := r.MinInterval
	if interval == 0 {
		interval = time.Minute
	}
	r.mu.Lock()
	last, seen := r.written[key]
	r.mu.Unlock()
	if seen && last.hash == statusHash && d.Time.Sub(last.at) < interval {
		return
	}

	delivery := map[string]any{
		"time":       d.Time.UTC().Format(time.RFC3339),
		"source":     d.Source.String(),
		"userAgent":  d.UserAgent,
		"firmware":   d.Firmware,
		"hash":       statusHash,
		"generation": generation,
	}
	if d.Firmware == "" {
		delete(delivery, "firmware")
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": dectv1alpha1.GroupVersion.String(),
		"kind":       "DectBase",
		"metadata":   map[string]any{"name": d.Base, "namespace": d.Namespace},
		"status":     map[string]any{"lastDelivery": delivery},
	}}
	err := r.Client.Status().Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldManager), client.ForceOwnership)
	if err != nil {
		r.Log.Error(err, "recording a delivery", "namespace", d.Namespace, "base", d.Base)
		return
	}
	r.mu.Lock()
	r.written[key] = writtenDelivery{at: d.Time, hash: statusHash}
	r.mu.Unlock()
}
