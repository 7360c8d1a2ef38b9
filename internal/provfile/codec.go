package provfile

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
)

// File is one base's provisioning file: what the manager stores and the provisioning
// server serves.
type File struct {
	Namespace, Base string
	// MAC is the device's canonical MAC: 12 upper-case hex digits.
	MAC string
	// Document is the public document (in the ConfigMap, readable by the view role);
	// Credentials are the secret items (in the Secret). The device is served both joined.
	Document, Credentials []byte
	// Hash identifies Document joined with Credentials, under HashKey (see Hash).
	Hash    string
	HashKey []byte
	// Generation counts the distinct files rendered for the base; RenderedAt is when
	// this one was.
	Generation int64
	RenderedAt time.Time
	// BaseCreated is the DectBase's creation time: of two bases that claim one MAC,
	// the older one is served (see OlderClaim).
	BaseCreated time.Time
	// AllowedSources are the CIDRs the device may fetch from; empty allows any.
	AllowedSources []string
	// Auth is how the device authenticates.
	Auth Auth
	// Retained tells that the ConfigMap is a record a deleted DectBase left behind
	// (LabelRetained; never written by Encode).
	Retained bool
	// HoldUntil is until when the record keeps the slots of handsets that are absent;
	// zero when it does not.
	HoldUntil time.Time
}

// Auth is the HTTP Digest authentication of a device: the credentials configured on it
// and/or its built-in identity (MAC and the MAC-ID printed on its label).
type Auth struct {
	Username, Password, MACID string
}

// Enabled tells whether the device must authenticate at all.
func (a Auth) Enabled() bool { return a.MACID != "" || (a.Username != "" && a.Password != "") }

// Encode returns the ConfigMap and the Secret that store f, without owner references
// (the manager sets them).
func Encode(f *File) (*corev1.ConfigMap, *corev1.Secret) {
	key := FileKey(f.MAC)
	labels := func() map[string]string {
		return map[string]string{LabelFile: "true", LabelBase: f.Base, LabelManagedBy: ManagedBy}
	}
	secretLabels := labels()
	// The manager caches only Secrets labelled consumable (one selector, so that no other
	// Secret is held); its own carries the label to be among them. No DectBase or
	// Handset may use it as an input all the same: a DectBase controls it
	// (assemble.Consumable, rule 1).
	secretLabels[dectv1alpha1.LabelConsumable] = "true"
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: SecretName(f.Base), Namespace: f.Namespace, Labels: secretLabels},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{key: f.Credentials, KeyHashKey: f.HashKey},
	}
	for k, v := range map[string]string{KeyDigestUsername: f.Auth.Username, KeyDigestPassword: f.Auth.Password, KeyMACID: f.Auth.MACID} {
		if v != "" {
			secret.Data[k] = []byte(v)
		}
	}
	annotations := map[string]string{
		AnnotationGeneration:  strconv.FormatInt(f.Generation, 10),
		AnnotationHash:        f.Hash,
		AnnotationRenderedAt:  f.RenderedAt.UTC().Format(time.RFC3339),
		AnnotationBaseCreated: f.BaseCreated.UTC().Format(time.RFC3339),
	}
	if len(f.AllowedSources) > 0 {
		annotations[AnnotationAllowedSources] = strings.Join(f.AllowedSources, ",")
	}
	if !f.HoldUntil.IsZero() {
		annotations[AnnotationHoldUntil] = f.HoldUntil.UTC().Format(time.RFC3339)
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: ConfigMapName(f.Base), Namespace: f.Namespace, Labels: labels(), Annotations: annotations},
		BinaryData: map[string][]byte{key: f.Document},
	}
	return cm, secret
}

// Owns tells whether a label or annotation key is the codec's: what Encode writes or
// leaves out on purpose. The manager replaces these and keeps every other key that
// people or tools added.
func Owns(key string) bool {
	switch key {
	case LabelFile, LabelBase, LabelManagedBy, LabelRetained, dectv1alpha1.LabelConsumable,
		AnnotationGeneration, AnnotationHash, AnnotationRenderedAt, AnnotationBaseCreated,
		AnnotationAllowedSources, AnnotationHoldUntil:
		return true
	}
	return false
}

// Decode reads the file that cm and sec store. Either may be nil: without the Secret the
// document is served alone, which leaves the device's passwords as they are; without the
// ConfigMap there is no document, but the Secret's hash key and authentication survive.
// It fails when cm holds no document named after a canonical MAC. Annotations that do
// not parse read as zero: generation 0, no render time, and no creation time, which
// makes the claim the newest (OlderClaim), never the oldest.
func Decode(cm *corev1.ConfigMap, sec *corev1.Secret) (*File, error) {
	if cm == nil {
		f := &File{}
		if sec != nil {
			f.Namespace, f.Base = sec.Namespace, sec.Labels[LabelBase]
			f.decodeSecret(sec)
		}
		return f, nil
	}
	f := &File{Namespace: cm.Namespace, Base: cm.Labels[LabelBase]}
	if f.Base == "" {
		f.Base, _ = strings.CutSuffix(cm.Name, configMapSuffix)
	}
	// A replaced DECT Manager changes the key; only one is ever written, so the first in
	// sorted order is as good as any and makes the choice stable.
	for _, key := range slices.Sorted(maps.Keys(cm.BinaryData)) {
		if mac, ok := strings.CutSuffix(key, ".xml"); ok && isCanonicalMAC(mac) {
			f.MAC, f.Document = mac, cm.BinaryData[key]
			break
		}
	}
	if f.MAC == "" {
		return nil, fmt.Errorf("ConfigMap %s/%s holds no file named <MAC>.xml", cm.Namespace, cm.Name)
	}
	a := cm.Annotations
	f.Hash = a[AnnotationHash]
	f.Generation, _ = strconv.ParseInt(a[AnnotationGeneration], 10, 64)
	f.RenderedAt, _ = time.Parse(time.RFC3339, a[AnnotationRenderedAt])
	f.BaseCreated, _ = time.Parse(time.RFC3339, a[AnnotationBaseCreated])
	f.HoldUntil, _ = time.Parse(time.RFC3339, a[AnnotationHoldUntil])
	f.Retained = cm.Labels[LabelRetained] != ""
	if list := a[AnnotationAllowedSources]; list != "" {
		for _, c := range strings.Split(list, ",") {
			f.AllowedSources = append(f.AllowedSources, strings.TrimSpace(c))
		}
	}
	if sec != nil {
		f.decodeSecret(sec)
	}
	return f, nil
}

func (f *File) decodeSecret(sec *corev1.Secret) {
	d := sec.Data
	if f.MAC != "" {
		f.Credentials = d[FileKey(f.MAC)]
	}
	f.HashKey = d[KeyHashKey]
	f.Auth = Auth{Username: string(d[KeyDigestUsername]), Password: string(d[KeyDigestPassword]), MACID: string(d[KeyMACID])}
}

// OlderClaim tells whether a claims its MAC before b: the base created first, then by
// namespace and name so that the order is total. A claim without a creation time is the
// newest: an object that lacks it was not written by the manager.
func OlderClaim(a, b *File) bool {
	switch {
	case a.BaseCreated.IsZero() != b.BaseCreated.IsZero():
		return b.BaseCreated.IsZero()
	case !a.BaseCreated.Equal(b.BaseCreated):
		return a.BaseCreated.Before(b.BaseCreated)
	}
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Base, b.Base)) < 0
}

func isCanonicalMAC(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
