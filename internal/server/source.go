package server

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dect-operator/dect-operator/internal/gigaset"
	"github.com/dect-operator/dect-operator/internal/provfile"
	"github.com/dect-operator/dect-operator/internal/provserver"
)

// Source rebuilds the Store from the cached ConfigMaps and Secrets. Changes are
// coalesced: a burst of updates (a reconciler writing both objects, or a thousand bases
// at start-up) causes one rebuild, which sets only the entries that changed.
type Source struct {
	Reader client.Reader // the manager's cache, restricted to labelled objects
	Store  *provserver.Store
	Log    logr.Logger

	kick chan struct{}

	mu      sync.Mutex
	current map[string]built // by MAC
	synced  bool
}

// built is one entry as last given to the Store, with what the delivery records need.
type built struct {
	entry      provserver.Entry
	statusHash string // the reconciler's hash of the file, as in DectBase status
	generation int64
	created    time.Time
}

// NewSource returns a Source; call Changed on every watched event and run Start.
func NewSource(r client.Reader, store *provserver.Store, log logr.Logger) *Source {
	return &Source{Reader: r, Store: store, Log: log, kick: make(chan struct{}, 1), current: map[string]built{}}
}

// Changed schedules a rebuild.
func (s *Source) Changed() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Start rebuilds on every change until ctx is done. It is a manager Runnable, started once
// the cache has synced.
func (s *Source) Start(ctx context.Context) error {
	s.rebuild(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.kick:
			s.rebuild(ctx)
		}
	}
}

// Synced reports whether the Store has been filled from a synced cache at least once.
func (s *Source) Synced() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.synced
}

// Lookup returns what a delivery of base with the served body hash needs: the status hash
// and generation of that file, if it is still the current one.
func (s *Source) Lookup(mac, servedHash string) (statusHash string, generation int64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.current[mac]
	if !ok || b.entry.Hash != servedHash {
		return "", 0, false
	}
	return b.statusHash, b.generation, true
}

func (s *Source) rebuild(ctx context.Context) {
	var cms corev1.ConfigMapList
	var secrets corev1.SecretList
	if err := s.Reader.List(ctx, &cms, client.MatchingLabels{provfile.LabelFile: "true"}); err != nil {
		s.Log.Error(err, "listing provisioning ConfigMaps; keeping the files served so far")
		return
	}
	if err := s.Reader.List(ctx, &secrets, client.MatchingLabels{provfile.LabelFile: "true"}); err != nil {
		s.Log.Error(err, "listing provisioning Secrets; keeping the files served so far")
		return
	}
	secretOf := map[string]*corev1.Secret{}
	for i := range secrets.Items {
		sec := &secrets.Items[i]
		secretOf[sec.Namespace+"/"+sec.Labels[provfile.LabelBase]] = sec
	}

	want := map[string]built{}
	for i := range cms.Items {
		cm := &cms.Items[i]
		b, ok := s.entryFor(cm, secretOf[cm.Namespace+"/"+cm.Labels[provfile.LabelBase]])
		if !ok {
			continue
		}
		// Two bases with one MAC: the reconciler lets only the older one keep a file, but
		// a stale object may linger for a moment; serve the older claim, never a mix.
		if other, dup := want[b.entry.MAC]; dup && olderClaim(other, b) {
			continue
		}
		want[b.entry.MAC] = b
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for mac, b := range want {
		if old, ok := s.current[mac]; ok && sameEntry(old, b) {
			want[mac] = old
			continue
		}
		if err := s.Store.Set(b.entry); err != nil {
			s.Log.Error(err, "refusing a provisioning file", "namespace", b.entry.Namespace, "base", b.entry.Base)
			delete(want, mac)
			continue
		}
		stored, _ := s.Store.Lookup(mac)
		b.entry.Hash = stored.Hash
		want[mac] = b
	}
	for mac := range s.current {
		if _, keep := want[mac]; !keep {
			s.Store.Delete(mac)
		}
	}
	s.current = want
	s.synced = true
}

// entryFor builds the Store entry of one base from its ConfigMap and Secret. A missing
// Secret serves the document alone: the device then keeps its passwords as they are.
func (s *Source) entryFor(cm *corev1.ConfigMap, sec *corev1.Secret) (built, bool) {
	var mac string
	var doc []byte
	for key, data := range cm.BinaryData {
		if m, ok := strings.CutSuffix(key, ".xml"); ok {
			mac, doc = m, data
			break
		}
	}
	canonical, err := gigaset.ParseMAC(mac)
	if err != nil || canonical != mac {
		s.Log.Info("ConfigMap holds no file named after a MAC; skipping it", "namespace", cm.Namespace, "configMap", cm.Name)
		return built{}, false
	}
	var creds []byte
	var auth provserver.Auth
	if sec != nil {
		creds = sec.Data[provfile.FileKey(mac)]
		auth = provserver.Auth{
			Username: string(sec.Data[provfile.KeyDigestUsername]),
			Password: string(sec.Data[provfile.KeyDigestPassword]),
			MACID:    string(sec.Data[provfile.KeyMACID]),
		}
		if auth.Username == "" || auth.Password == "" {
			auth.Username, auth.Password = "", ""
		}
	}
	var sources []netip.Prefix
	if list := cm.Annotations[provfile.AnnotationAllowedSources]; list != "" {
		for _, c := range strings.Split(list, ",") {
			p, err := netip.ParsePrefix(strings.TrimSpace(c))
			if err != nil {
				s.Log.Info("ignoring an allowed source that is no CIDR", "namespace", cm.Namespace, "configMap", cm.Name)
				continue
			}
			sources = append(sources, p)
		}
		if len(sources) == 0 {
			// Every listed source was unreadable: refuse everyone rather than no one.
			sources = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32")}
		}
	}
	gen, _ := strconv.ParseInt(cm.Annotations[provfile.AnnotationGeneration], 10, 64)
	created, _ := time.Parse(time.RFC3339, cm.Annotations[provfile.AnnotationBaseCreated])
	return built{
		entry: provserver.Entry{
			Namespace: cm.Namespace, Base: cm.Labels[provfile.LabelBase], MAC: mac,
			Body: gigaset.Join(doc, creds), Auth: auth, AllowedSources: sources,
		},
		statusHash: cm.Annotations[provfile.AnnotationHash],
		generation: gen,
		created:    created,
	}, true
}

// olderClaim tells whether a claims its MAC before b.
func olderClaim(a, b built) bool {
	if c := a.created.Compare(b.created); c != 0 {
		return c < 0
	}
	return cmp.Or(cmp.Compare(a.entry.Namespace, b.entry.Namespace), cmp.Compare(a.entry.Base, b.entry.Base)) < 0
}

func sameEntry(a, b built) bool {
	return a.entry.Namespace == b.entry.Namespace && a.entry.Base == b.entry.Base &&
		a.statusHash == b.statusHash && a.generation == b.generation &&
		string(a.entry.Body) == string(b.entry.Body) && a.entry.Auth == b.entry.Auth &&
		slices.Equal(a.entry.AllowedSources, b.entry.AllowedSources)
}
