package server

import (
	"context"
	"net/netip"
	"slices"
	"sync"

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
	entry provserver.Entry
	file  *provfile.File
}

// NewSource returns a Source; call Changed on every watched event, Load once the cache
// has synced, then run Watch.
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

// Load fills the Store from the synced cache; from then on Synced is true.
func (s *Source) Load(ctx context.Context) { s.rebuild(ctx) }

// Watch rebuilds on every change until ctx is done.
func (s *Source) Watch(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
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
	return b.file.Hash, b.file.Generation, true
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
		f, err := provfile.Decode(cm, secretOf[cm.Namespace+"/"+cm.Labels[provfile.LabelBase]])
		if err != nil {
			s.Log.Info("skipping a labelled ConfigMap", "namespace", cm.Namespace, "configMap", cm.Name, "reason", err.Error())
			continue
		}
		b := built{entry: s.entryFor(f), file: f}
		// Two bases with one MAC: the reconciler lets only the older one keep a file, but
		// a stale object may linger for a moment; serve the older claim, never a mix.
		if other, dup := want[b.entry.MAC]; dup && provfile.OlderClaim(other.file, f) {
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

// entryFor is the Store entry of one base's file.
func (s *Source) entryFor(f *provfile.File) provserver.Entry {
	auth := provserver.Auth{Username: f.Auth.Username, Password: f.Auth.Password, MACID: f.Auth.MACID}
	if auth.Username == "" || auth.Password == "" {
		auth.Username, auth.Password = "", ""
	}
	var sources []netip.Prefix
	for _, c := range f.AllowedSources {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			s.Log.Info("ignoring an allowed source that is no CIDR", "namespace", f.Namespace, "base", f.Base)
			continue
		}
		sources = append(sources, p)
	}
	if len(f.AllowedSources) > 0 && len(sources) == 0 {
		// Every listed source was unreadable: refuse everyone rather than no one.
		sources = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32")}
	}
	return provserver.Entry{
		Namespace: f.Namespace, Base: f.Base, MAC: f.MAC,
		Body: gigaset.Join(f.Document, f.Credentials), Auth: auth, AllowedSources: sources,
	}
}

func sameEntry(a, b built) bool {
	return a.entry.Namespace == b.entry.Namespace && a.entry.Base == b.entry.Base &&
		a.file.Hash == b.file.Hash && a.file.Generation == b.file.Generation &&
		string(a.entry.Body) == string(b.entry.Body) && a.entry.Auth == b.entry.Auth &&
		slices.Equal(a.entry.AllowedSources, b.entry.AllowedSources)
}
