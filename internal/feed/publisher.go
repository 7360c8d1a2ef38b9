package feed

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dect-operator/dect-operator/internal/provserver"
)

// Paths of the protocol.
const (
	PathFiles      = "/v1/files"
	PathDeliveries = "/v1/deliveries"
)

// MaxWait caps how long a poll waits for a change.
const MaxWait = 5 * time.Minute

// maxTombstones is how many deletions the Publisher remembers (at least as many as it
// holds entries) before it forgets them all: a client behind that gets the full set.
const maxTombstones = 1024

// Publisher is the manager's end of the feed: a server.Sink that keeps the entries the
// manager's Source builds, one version per Commit that changed something, and an
// http.Handler that serves them to the sidecar and takes its deliveries. Set, Delete
// and Commit come from one Source, ServeHTTP from any number of requests.
type Publisher struct {
	// Deliver receives each delivery the sidecar reports (server.Recorder.Record); it
	// must not block. Nil drops them.
	Deliver func(provserver.Delivery)
	Log     logr.Logger
	// NonceKey, when set, goes with every full set: the key shared by the replicas
	// (controller.EnsureNonceKey), which the sidecar, holding no credentials, cannot
	// read itself. Set it before the first Commit and never after: the sidecar takes
	// the key of its first full set, and a Publisher that answered one without the key
	// has already decided it.
	NonceKey []byte

	epoch   string
	metrics publisherMetrics

	mu      sync.Mutex
	loaded  bool
	version uint64
	entries map[string]versioned // by MAC
	deleted map[string]uint64    // by MAC: the version that deleted it
	// floor is the oldest version changes can be told since: the deletions before it
	// are forgotten.
	floor   uint64
	staged  map[string]*provserver.Entry // since the last Commit; nil deletes
	changed chan struct{}                // closed by a Commit that makes a new version
}

type versioned struct {
	entry   provserver.Entry
	version uint64
}

type publisherMetrics struct {
	updates    *prometheus.CounterVec
	deliveries prometheus.Counter
}

// NewPublisher returns an empty Publisher with an epoch of its own.
func NewPublisher(log logr.Logger) *Publisher {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return &Publisher{
		Log:     log,
		epoch:   hex.EncodeToString(b[:]),
		entries: map[string]versioned{},
		deleted: map[string]uint64{},
		staged:  map[string]*provserver.Entry{},
		changed: make(chan struct{}),
		metrics: publisherMetrics{
			updates: prometheus.NewCounterVec(prometheus.CounterOpts{
				Name: "dect_provisioning_feed_updates_total",
				Help: "Answers of the manager's feed to its provisioning-server sidecar, by kind: full (the whole set), changes, none (a poll that waited for nothing).",
			}, []string{"kind"}),
			deliveries: prometheus.NewCounter(prometheus.CounterOpts{
				Name: "dect_provisioning_feed_deliveries_total",
				Help: "Deliveries the provisioning-server sidecar reported to this manager, which records them on the DectBase's status.",
			}),
		},
	}
}

// Register adds the Publisher's metrics to reg.
func (p *Publisher) Register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{p.metrics.updates, p.metrics.deliveries} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Epoch names this Publisher: a client that holds another epoch's version gets the
// full set.
func (p *Publisher) Epoch() string { return p.epoch }

// Set stages e for the next Commit; it refuses what provserver.Check refuses.
func (p *Publisher) Set(e provserver.Entry) error {
	e, err := provserver.Check(e)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.staged[e.MAC] = &e
	return nil
}

// Delete stages the removal of mac (12 hex digits, any case) for the next Commit.
func (p *Publisher) Delete(mac string) {
	mac, ok := canonicalMAC(mac)
	if !ok {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.staged[mac] = nil
}

// Commit makes what was staged since the last Commit one new version, if it changes
// anything. The first Commit marks the set loaded (and is version 1, even when empty).
func (p *Publisher) Commit() {
	p.mu.Lock()
	defer p.mu.Unlock()
	next := p.version + 1
	changed := !p.loaded
	for mac, e := range p.staged {
		old, held := p.entries[mac]
		switch {
		case e != nil && held && same(old.entry, *e):
		case e != nil:
			p.entries[mac] = versioned{entry: *e, version: next}
			delete(p.deleted, mac)
			changed = true
		case held:
			delete(p.entries, mac)
			p.deleted[mac] = next
			changed = true
		}
	}
	clear(p.staged)
	if !changed {
		return
	}
	p.version, p.loaded = next, true
	if len(p.deleted) > max(maxTombstones, len(p.entries)) {
		clear(p.deleted)
		p.floor = p.version
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

// same tells whether two checked entries serve alike.
func same(a, b provserver.Entry) bool {
	return a.Namespace == b.Namespace && a.Base == b.Base && a.Hash == b.Hash && a.Auth == b.Auth &&
		slices.Equal(a.AllowedSources, b.AllowedSources)
}

// since returns what a client holding version of epoch needs, and whether it needs
// anything; ok is false until the first Commit. Called with p.mu held.
func (p *Publisher) since(epoch string, version uint64) (u Update, news, ok bool) {
	if !p.loaded {
		return Update{}, false, false
	}
	u = Update{Epoch: p.epoch, Version: p.version}
	if epoch == p.epoch && version == p.version {
		return u, false, true
	}
	if epoch != p.epoch || version == 0 || version < p.floor || version > p.version {
		u.Full, u.NonceKey = true, p.NonceKey
		u.Entries = make([]provserver.Entry, 0, len(p.entries))
		for _, v := range p.entries {
			u.Entries = append(u.Entries, v.entry)
		}
	} else {
		for _, v := range p.entries {
			if v.version > version {
				u.Entries = append(u.Entries, v.entry)
			}
		}
		for mac, v := range p.deleted {
			if v > version {
				u.Deleted = append(u.Deleted, mac)
			}
		}
		slices.Sort(u.Deleted)
	}
	slices.SortFunc(u.Entries, func(a, b provserver.Entry) int { return cmp.Compare(a.MAC, b.MAC) })
	return u, true, true
}

// ServeHTTP serves the protocol (see the package documentation).
func (p *Publisher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case PathFiles:
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p.serveFiles(w, r)
	case PathDeliveries:
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p.serveDeliveries(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (p *Publisher) serveFiles(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	epoch := q.Get("epoch")
	var version uint64
	if v := q.Get("version"); v != "" {
		var err error
		if version, err = strconv.ParseUint(v, 10, 64); err != nil {
			http.Error(w, "version: not a number", http.StatusBadRequest)
			return
		}
	}
	var wait time.Duration
	if v := q.Get("wait"); v != "" {
		var err error
		if wait, err = time.ParseDuration(v); err != nil || wait < 0 {
			http.Error(w, "wait: not a duration", http.StatusBadRequest)
			return
		}
	}
	timer := time.NewTimer(min(wait, MaxWait))
	defer timer.Stop()
	for {
		p.mu.Lock()
		u, news, ok := p.since(epoch, version)
		changed := p.changed
		p.mu.Unlock()
		if news {
			kind := "changes"
			if u.Full {
				kind = "full"
			}
			p.metrics.updates.WithLabelValues(kind).Inc()
			p.write(w, u)
			return
		}
		select {
		case <-changed:
			continue
		case <-r.Context().Done():
			return
		case <-timer.C:
		}
		if !ok {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "the manager has not loaded the files yet", http.StatusServiceUnavailable)
			return
		}
		p.metrics.updates.WithLabelValues("none").Inc()
		p.write(w, u) // no changes
		return
	}
}

func (p *Publisher) write(w http.ResponseWriter, u Update) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := EncodeUpdate(w, u); err != nil {
		// The sidecar went away mid-answer; it asks again. Never the error's detail:
		// it could name a write of a body.
		p.Log.V(1).Info("the sidecar did not take the files", "version", u.Version)
	}
}

func (p *Publisher) serveDeliveries(w http.ResponseWriter, r *http.Request) {
	ds, err := DecodeDeliveries(http.MaxBytesReader(w, r.Body, maxDeliveriesBody))
	if err != nil {
		status := http.StatusBadRequest
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		p.Log.Info("refusing deliveries from the sidecar", "reason", err.Error())
		http.Error(w, err.Error(), status)
		return
	}
	for _, d := range ds {
		p.metrics.deliveries.Inc()
		if p.Deliver != nil {
			p.Deliver(d)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}
