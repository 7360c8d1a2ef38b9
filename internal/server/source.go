package server

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/gigaset"
	"github.com/dect-operator/dect-operator/internal/macpolicy"
	"github.com/dect-operator/dect-operator/internal/provfile"
	"github.com/dect-operator/dect-operator/internal/provserver"
)

// Source builds the devices' entries from the cached ConfigMaps and Secrets and puts
// them in a Sink. Changes are coalesced: a burst of updates (a reconciler writing both
// objects, or a thousand bases at start-up) causes one rebuild, which sets only the
// entries that changed and ends with one Commit.
//
// It runs where the Kubernetes credentials are: in the serve process of a separate
// server Deployment, over that process's own cache, with the Store as the Sink; or in
// the manager process, over the manager's cache, with the feed to the manager's sidecar
// as the Sink (internal/feed), so that the sidecar, which faces the LAN, holds none.
//
// Only the operator speaks for a device: a labelled ConfigMap or Secret is served only
// when a live DectBase in its namespace controller-owns it (kind, name and UID), it bears
// that base's object name, the ConfigMap's file is named after that base's MAC, and that
// base holds the MAC under the cluster's MAC policy (macpolicy.Policy.Decide, the
// manager's rule). Anything else is refused: counted by reason in Refused, logged once
// per object version, never served.
type Source struct {
	Reader client.Reader // a cache of the labelled objects, the DectBases, the Namespaces
	Sink   Sink
	Log    logr.Logger
	// Refused counts the labelled objects refused, once per object version, by reason.
	Refused *prometheus.CounterVec
	// MACPolicy must be the manager's --mac-policy: the server serves a MAC's file only
	// for the base the manager renders it for.
	MACPolicy macpolicy.Mode

	kick chan struct{}

	mu      sync.Mutex
	current map[string]built // by MAC
	synced  bool
	// refusedSeen holds, per refused object (kind/namespace/name), the version and
	// reason last logged and counted.
	refusedSeen map[string]string
	// onGone hear of each base whose file stopped being published (see OnGone).
	onGone []func(namespace, base string)
	// decoded holds each ConfigMap's file as last built, by namespace/name (see reuse).
	decoded map[string]decoded
}

// decoded is one ConfigMap's file and entry as a rebuild built them, and from what: a
// rebuild reuses them while neither the ConfigMap, its Secret nor its owner changed, so
// that it decodes and joins only the files that changed rather than every file of the
// fleet at each change (a file is up to 116 KB).
type decoded struct {
	cmVersion, secretVersion string
	owner                    types.UID
	built                    built
}

// OnGone registers f, called (with the Source's lock held) for each base whose file a
// rebuild stopped publishing: the base was deleted, refused, or lost its MAC. What is
// kept per base elsewhere (the Recorder's last delivery) goes with it.
func (s *Source) OnGone(f func(namespace, base string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onGone = append(s.onGone, f)
}

// Reasons a labelled object is refused, the values of the metric's reason label.
const (
	// RefusedNoOwner: no controller owner reference of kind DectBase.
	RefusedNoOwner = "no-owner"
	// RefusedOwnerMissing: the owning DectBase does not exist in the object's namespace.
	RefusedOwnerMissing = "owner-missing"
	// RefusedOwnerUID: the owner reference names another (deleted) DectBase of that name.
	RefusedOwnerUID = "owner-uid"
	// RefusedName: the object does not bear its owner's ConfigMap or Secret name.
	RefusedName = "name"
	// RefusedKey: the ConfigMap holds no file named after its owner's MAC.
	RefusedKey = "key"
	// RefusedNotHolder: the owner does not hold its MAC (an older DectBase declares it).
	RefusedNotHolder = "not-holder"
	// RefusedNotAllowed: the MAC policy refuses the owner's namespace its MAC (another
	// namespace reserves it, its own annotation does not list it or does not parse, or
	// allow-list mode and no annotation).
	RefusedNotAllowed = "not-allowed"
)

// NewRefusedCounter returns the counter of refused objects, for Source.Refused.
func NewRefusedCounter() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dect_provisioning_files_refused_total",
		Help: "Labelled provisioning ConfigMaps and Secrets the server refused to serve, once per object version, by reason.",
	}, []string{"kind", "reason"})
}

// built is one entry as last given to the Store, with what the delivery records need.
type built struct {
	entry provserver.Entry
	file  *provfile.File
}

// Sink receives what a Source builds. Each rebuild is a batch of Set and Delete calls
// for the entries that changed, ended by one Commit, so that a Sink that passes changes
// on (the manager's feed) can pass whole rebuilds, never a part of one.
type Sink interface {
	// Set adds or replaces the entry for e.MAC; it refuses an entry provserver.Check
	// refuses.
	Set(e provserver.Entry) error
	// Delete removes the entry for mac, if there is one.
	Delete(mac string)
	// Commit ends a rebuild. The first Commit ends the load from a synced cache: from
	// then on the Sink holds the full set.
	Commit()
}

// StoreSink is the Sink of the serve process in the direct mode: the Store the devices
// are served from, which applies each change at once.
func StoreSink(s *provserver.Store) Sink { return storeSink{s} }

type storeSink struct{ *provserver.Store }

func (storeSink) Commit() {}

// NewSource returns a Source over r, which must have the index IndexFile (IndexFiles);
// call Changed on every watched event (Attach does), Load once the cache has synced,
// then run Watch.
func NewSource(r client.Reader, sink Sink, log logr.Logger) *Source {
	return &Source{
		Reader: r, Sink: sink, Log: log, Refused: NewRefusedCounter(),
		kick: make(chan struct{}, 1), current: map[string]built{}, refusedSeen: map[string]string{},
	}
}

// IndexFile is the field index a Source's Reader must have on ConfigMaps and Secrets
// (IndexFiles registers it): the value of their file label. A rebuild lists the
// labelled objects through it, one of each per base. A label selector would filter
// every object of the cache instead, and the manager's cache holds every Secret a
// Handset reads its password from: one per handset, read again at each file change.
const IndexFile = "metadata.labels." + provfile.LabelFile

// IndexFiles registers IndexFile on the cache a Source will read.
func IndexFiles(ctx context.Context, indexer client.FieldIndexer) error {
	for _, obj := range []client.Object{&corev1.ConfigMap{}, &corev1.Secret{}} {
		if err := indexer.IndexField(ctx, obj, IndexFile, fileLabel); err != nil {
			return fmt.Errorf("indexing %T by %s: %w", obj, IndexFile, err)
		}
	}
	return nil
}

// fileLabel is IndexFile's index function.
func fileLabel(o client.Object) []string {
	if v, ok := o.GetLabels()[provfile.LabelFile]; ok {
		return []string{v}
	}
	return nil
}

// Changed schedules a rebuild.
func (s *Source) Changed() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Attach calls Changed on every change of a watched object in c: a ConfigMap or Secret
// that carries the file label (before or after the change), a DectBase whose MAC,
// existence or deletion changed, and a Namespace's MAC policy annotation. The manager's cache holds every Secret the reconcilers
// read and every DectBase's status, which the Source never looks at: those changes do not
// rebuild.
func (s *Source) Attach(ctx context.Context, c cache.Cache) error {
	for _, obj := range []client.Object{&corev1.ConfigMap{}, &corev1.Secret{}, &dectv1alpha1.DectBase{}} {
		inf, err := c.GetInformer(ctx, obj)
		if err != nil {
			return err
		}
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc: func(o any) {
				if rebuilds(nil, o) {
					s.Changed()
				}
			},
			UpdateFunc: func(old, o any) {
				if rebuilds(old, o) {
					s.Changed()
				}
			},
			DeleteFunc: func(o any) {
				if d, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
					o = d.Obj
				}
				if rebuilds(nil, o) {
					s.Changed()
				}
			},
		}); err != nil {
			return err
		}
	}
	// Namespaces, metadata only: their annotation macpolicy.Annotation is the MAC policy.
	// Only a change of it rebuilds.
	nsInformer, err := c.GetInformer(ctx, namespaceMetadata())
	if err != nil {
		return err
	}
	_, err = nsInformer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { s.Changed() },
		UpdateFunc: func(before, after any) {
			if policyAnnotation(before) != policyAnnotation(after) {
				s.Changed()
			}
		},
		DeleteFunc: func(any) { s.Changed() },
	})
	return err
}

// rebuilds tells whether an informer's event can change what a Source builds: the add
// or delete (old nil) or update of a ConfigMap or Secret that carries the file label
// (before or after), of any DectBase, or an update of a DectBase's MAC or deletion (its
// status changes with every reconcile, and the Source never looks at it).
func rebuilds(old, o any) bool {
	labelled := func(o any) bool {
		switch o := o.(type) {
		case *corev1.ConfigMap:
			return o.Labels[provfile.LabelFile] == "true"
		case *corev1.Secret:
			return o.Labels[provfile.LabelFile] == "true"
		}
		return true
	}
	if old == nil {
		return labelled(o)
	}
	if !labelled(old) && !labelled(o) {
		return false
	}
	a, okA := old.(*dectv1alpha1.DectBase)
	b, okB := o.(*dectv1alpha1.DectBase)
	if !okA || !okB {
		return true
	}
	return a.UID != b.UID || a.Spec.MACAddress != b.Spec.MACAddress ||
		a.DeletionTimestamp.IsZero() != b.DeletionTimestamp.IsZero()
}

// Load fills the Sink from the synced cache; from then on Synced is true.
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

// Synced reports whether the Sink has been filled from a synced cache at least once.
func (s *Source) Synced() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.synced
}

// Lookup returns what a delivery needs to be recorded: the status hash and generation
// of the file served, if it is still the current one for that MAC and belongs to the
// base the delivery names. A delivery that names another base than the one holding the
// MAC is not recorded: in the manager, deliveries come from the sidecar, and one base's
// fetch must never be written on another base's status.
func (s *Source) Lookup(d provserver.Delivery) (statusHash string, generation int64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.current[d.MAC]
	if !ok || b.entry.Hash != d.Hash || b.entry.Namespace != d.Namespace || b.entry.Base != d.Base {
		return "", 0, false
	}
	return b.file.Hash, b.file.Generation, true
}

func (s *Source) rebuild(ctx context.Context) {
	var cms corev1.ConfigMapList
	var secrets corev1.SecretList
	var bases dectv1alpha1.DectBaseList
	// Everything is read only, so the cache's objects are used as they are: a copy of
	// every file at each change would be most of what the process allocates.
	if err := s.Reader.List(ctx, &bases, client.UnsafeDisableDeepCopy); err != nil {
		s.Log.Error(err, "listing DectBases; keeping the files served so far")
		return
	}
	if err := s.Reader.List(ctx, &cms, client.MatchingFields{IndexFile: "true"}, client.UnsafeDisableDeepCopy); err != nil {
		s.Log.Error(err, "listing provisioning ConfigMaps; keeping the files served so far")
		return
	}
	if err := s.Reader.List(ctx, &secrets, client.MatchingFields{IndexFile: "true"}, client.UnsafeDisableDeepCopy); err != nil {
		s.Log.Error(err, "listing provisioning Secrets; keeping the files served so far")
		return
	}
	namespaces := provfile.NamespaceList()
	if err := s.Reader.List(ctx, namespaces, client.UnsafeDisableDeepCopy); err != nil {
		s.Log.Error(err, "listing namespaces; keeping the files served so far")
		return
	}
	c := newClaims(provfile.MACPolicy(s.MACPolicy, namespaces.Items), bases.Items)
	seen := map[string]bool{}
	secretOf := map[string]*corev1.Secret{} // by the owning base's namespace/name
	for i := range secrets.Items {
		sec := &secrets.Items[i]
		base, reason := c.owner(sec, provfile.SecretName)
		if reason != "" {
			s.refuse(seen, "Secret", sec, reason)
			continue
		}
		secretOf[base.Namespace+"/"+base.Name] = sec
	}

	want := map[string]built{}
	decodedNow := map[string]decoded{}
	for i := range cms.Items {
		cm := &cms.Items[i]
		base, reason := c.owner(cm, provfile.ConfigMapName)
		var b built
		if reason == "" {
			var ok bool
			if b, ok = s.reuse(decodedNow, cm, secretOf[base.Namespace+"/"+base.Name], base); ok {
				reason = c.holds(base, b.file)
			} else {
				reason = RefusedKey
			}
		}
		if reason != "" {
			s.refuse(seen, "ConfigMap", cm, reason)
			continue
		}
		// Two bases with one MAC: only the holder passes the checks above, but keep the
		// older claim should two ever pass, never a mix.
		if other, dup := want[b.entry.MAC]; dup && provfile.OlderClaim(other.file, b.file) {
			continue
		}
		want[b.entry.MAC] = b
	}
	s.forgetRefused(seen)
	s.decoded = decodedNow

	s.mu.Lock()
	defer s.mu.Unlock()
	for mac, b := range want {
		if old, ok := s.current[mac]; ok && sameEntry(old, b) {
			want[mac] = old
			continue
		}
		e, err := provserver.Check(b.entry)
		if err == nil {
			err = s.Sink.Set(e)
		}
		if err != nil {
			s.Log.Error(err, "refusing a provisioning file", "namespace", b.entry.Namespace, "base", b.entry.Base)
			delete(want, mac)
			continue
		}
		b.entry.Hash = e.Hash
		want[mac] = b
	}
	held := map[[2]string]bool{}
	for _, b := range want {
		held[[2]string{b.entry.Namespace, b.entry.Base}] = true
	}
	for mac, b := range s.current {
		if _, keep := want[mac]; !keep {
			s.Sink.Delete(mac)
		}
		if base := [2]string{b.entry.Namespace, b.entry.Base}; !held[base] {
			held[base] = true // once per base
			for _, f := range s.onGone {
				f(base[0], base[1])
			}
		}
	}
	s.Sink.Commit()
	s.current = want
	s.synced = true
}

// reuse returns cm's file and entry, owned by base: as the last rebuild built them when
// neither cm, its Secret sec nor the owner changed since, decoded and joined otherwise;
// false when cm holds no file. What it returns is recorded in now for the next rebuild.
func (s *Source) reuse(now map[string]decoded, cm *corev1.ConfigMap, sec *corev1.Secret, base *dectv1alpha1.DectBase) (built, bool) {
	key := cm.Namespace + "/" + cm.Name
	from := decoded{cmVersion: cm.ResourceVersion, owner: base.UID}
	if sec != nil {
		from.secretVersion = sec.ResourceVersion
	}
	if d, ok := s.decoded[key]; ok && d.cmVersion == from.cmVersion && d.secretVersion == from.secretVersion && d.owner == from.owner {
		now[key] = d
		return d.built, true
	}
	f, err := provfile.Decode(cm, sec)
	if err != nil {
		return built{}, false
	}
	f.Base = base.Name
	// The Document aliases the cache's object, which is never changed in place; the
	// entry's Body is a copy of its own.
	from.built = built{entry: s.entryFor(f), file: f}
	now[key] = from
	return from.built, true
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
	if a.file == b.file { // reused (Source.reuse): the very same build
		return true
	}
	return a.entry.Namespace == b.entry.Namespace && a.entry.Base == b.entry.Base &&
		a.file.Hash == b.file.Hash && a.file.Generation == b.file.Generation &&
		string(a.entry.Body) == string(b.entry.Body) && a.entry.Auth == b.entry.Auth &&
		slices.Equal(a.entry.AllowedSources, b.entry.AllowedSources)
}

// claims indexes the live DectBases: by namespace/name, and the holder of each MAC.
type claims struct {
	byName map[string]*dectv1alpha1.DectBase
	holder map[string]*dectv1alpha1.DectBase // by canonical MAC
	mac    map[string]string                 // canonical MAC by namespace/name
	// refusal is why the policy refuses a base its MAC, by namespace/name.
	refusal map[string]macpolicy.Reason
}

func newClaims(policy macpolicy.Policy, bases []dectv1alpha1.DectBase) claims {
	c := claims{byName: map[string]*dectv1alpha1.DectBase{}, holder: map[string]*dectv1alpha1.DectBase{},
		mac: map[string]string{}, refusal: map[string]macpolicy.Reason{}}
	byMAC := map[string][]*dectv1alpha1.DectBase{}
	for i := range bases {
		b := &bases[i]
		c.byName[b.Namespace+"/"+b.Name] = b
		mac, err := gigaset.ParseMAC(b.Spec.MACAddress)
		if err != nil {
			continue
		}
		c.mac[b.Namespace+"/"+b.Name] = mac
		byMAC[mac] = append(byMAC[mac], b)
	}
	for mac, list := range byMAC {
		cl := make([]macpolicy.Claim, len(list))
		for i, b := range list {
			cl[i] = provfile.ClaimOf(b)
		}
		// When every claim is being deleted, the oldest the policy allows keeps its
		// file until it is gone (rule 6).
		d := policy.Decide(mac, cl)
		if d.Holder >= 0 {
			c.holder[mac] = list[d.Holder]
		}
		for i, b := range list {
			if r := d.Verdicts[i].Reason; r != "" {
				c.refusal[b.Namespace+"/"+b.Name] = r
			}
		}
	}
	return c
}

// owner returns the live DectBase that controller-owns obj, or why there is none.
func (c claims) owner(obj client.Object, nameOf func(string) string) (*dectv1alpha1.DectBase, string) {
	ref := provfile.ControllerBase(obj)
	if ref == nil {
		return nil, RefusedNoOwner
	}
	base, ok := c.byName[obj.GetNamespace()+"/"+ref.Name]
	switch {
	case !ok:
		return nil, RefusedOwnerMissing
	case base.UID != ref.UID:
		return nil, RefusedOwnerUID
	case obj.GetName() != nameOf(base.Name):
		return nil, RefusedName
	}
	return base, ""
}

// holds tells why base may not speak for the device of f, decoded from its ConfigMap,
// or "" when it may: the file must be named after base's MAC, and base must hold it.
func (c claims) holds(base *dectv1alpha1.DectBase, f *provfile.File) string {
	mac, ok := c.mac[base.Namespace+"/"+base.Name]
	if !ok || f.MAC != mac {
		return RefusedKey
	}
	if h := c.holder[mac]; h == nil || h.UID != base.UID {
		if r := c.refusal[base.Namespace+"/"+base.Name]; r != "" && r != macpolicy.DuplicateMAC {
			return RefusedNotAllowed
		}
		return RefusedNotHolder
	}
	return ""
}

// refuse logs and counts a refused object once per version and reason; it names the
// object, never its content.
func (s *Source) refuse(seen map[string]bool, kind string, obj client.Object, reason string) {
	key := kind + "/" + obj.GetNamespace() + "/" + obj.GetName()
	seen[key] = true
	mark := obj.GetResourceVersion() + "/" + string(obj.GetUID()) + "/" + reason
	s.mu.Lock()
	already := s.refusedSeen[key] == mark
	s.refusedSeen[key] = mark
	s.mu.Unlock()
	if already {
		return
	}
	s.Refused.WithLabelValues(kind, reason).Inc()
	s.Log.Info("refusing a labelled provisioning object: no DectBase speaks for it", "kind", kind,
		"namespace", obj.GetNamespace(), "name", obj.GetName(), "reason", reason)
}

// forgetRefused drops the refused objects that are gone or now accepted.
func (s *Source) forgetRefused(seen map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key := range s.refusedSeen {
		if !seen[key] {
			delete(s.refusedSeen, key)
		}
	}
}
