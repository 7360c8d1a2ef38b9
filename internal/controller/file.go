package controller

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/assemble"
	"github.com/dect-operator/dect-operator/internal/gigaset"
	"github.com/dect-operator/dect-operator/internal/provfile"
)

// storedFile is the file as the operator last stored it.
type storedFile struct {
	configMap *corev1.ConfigMap
	secret    *corev1.Secret
	// document is the stored file parsed (credentials included), or nil when there is
	// none or it cannot be read.
	document   *gigaset.Document
	hashKey    []byte
	hash       string
	generation int64
	renderedAt time.Time
}

// fileState identifies the file now stored.
type fileState struct {
	hash       string
	generation int64
	renderedAt time.Time
	changed    bool
}

// digestAuth is what the provisioning server needs to authenticate the device.
type digestAuth struct {
	username, password, macID string
}

func (a digestAuth) enabled() bool { return a.macID != "" || (a.username != "" && a.password != "") }

// loadStoredFile reads the base's ConfigMap and Secret and parses the file they hold.
func (r *DectBaseReconciler) loadStoredFile(ctx context.Context, base *dectv1alpha1.DectBase, profile *gigaset.Profile) (*storedFile, error) {
	st := &storedFile{}
	var cm corev1.ConfigMap
	cmKey := types.NamespacedName{Namespace: base.Namespace, Name: provfile.ConfigMapName(base.Name)}
	err := r.Get(ctx, cmKey, &cm)
	if apierrors.IsNotFound(err) && r.APIReader != nil {
		// The cache holds only labelled ConfigMaps; one whose label was removed by hand is
		// read directly, so that it is taken back instead of failing to be created.
		err = r.APIReader.Get(ctx, cmKey, &cm)
	}
	switch {
	case err == nil:
		st.configMap = &cm
	case !apierrors.IsNotFound(err):
		return nil, fmt.Errorf("reading the file's ConfigMap: %w", err)
	}
	var secret corev1.Secret
	switch err := r.Get(ctx, types.NamespacedName{Namespace: base.Namespace, Name: provfile.SecretName(base.Name)}, &secret); {
	case err == nil:
		st.secret = &secret
		st.hashKey = secret.Data[provfile.KeyHashKey]
	case !apierrors.IsNotFound(err):
		return nil, fmt.Errorf("reading the file's Secret: %w", err)
	}
	if len(st.hashKey) == 0 {
		st.hashKey = make([]byte, 32)
		if _, err := rand.Read(st.hashKey); err != nil {
			return nil, err
		}
	}
	if st.configMap == nil {
		return st, nil
	}
	st.hash = st.configMap.Annotations[provfile.AnnotationHash]
	st.generation, _ = strconv.ParseInt(st.configMap.Annotations[provfile.AnnotationGeneration], 10, 64)
	st.renderedAt, _ = time.Parse(time.RFC3339, st.configMap.Annotations[provfile.AnnotationRenderedAt])

	// The key is the device's MAC; it changes when the base's MAC does (a replaced DECT
	// Manager), and the slots must survive that too.
	for key, doc := range st.configMap.BinaryData {
		if !strings.HasSuffix(key, ".xml") {
			continue
		}
		var creds []byte
		if st.secret != nil {
			creds = st.secret.Data[key]
		}
		parsed, err := gigaset.Parse(gigaset.Join(doc, creds), profile)
		if err != nil {
			// Only the public document's error is logged: an error about the joined file
			// could quote a credential.
			reason := "the credentials in the Secret do not fit the document"
			if _, perr := gigaset.Parse(doc, profile); perr != nil {
				reason = perr.Error()
			}
			logf.FromContext(ctx).Info("stored file unreadable; falling back to the slot table in status", "configMap", st.configMap.Name, "reason", reason)
			continue
		}
		st.document = parsed
		break
	}
	return st, nil
}

// authFor returns the Digest authentication of base. A missing Secret keeps the
// authentication stored before, so that a deleted Secret never opens a base to anyone.
func (r *DectBaseReconciler) authFor(base *dectv1alpha1.DectBase, secrets assemble.Secrets, stored *storedFile) (digestAuth, *assemble.Problem) {
	ref := base.Spec.Provisioning.AuthSecretRef
	if ref == nil {
		return digestAuth{}, nil
	}
	if data, ok := secrets[ref.Name]; ok {
		a := digestAuth{username: string(data["username"]), password: string(data["password"]), macID: string(data["macID"])}
		if a.macID != "" {
			mid, err := gigaset.ParseMACID(a.macID)
			if err != nil {
				return a, &assemble.Problem{Reason: dectv1alpha1.ReasonInvalidSettings, Message: fmt.Sprintf("Secret %s: key macID: %v", ref.Name, err)}
			}
			a.macID = mid
		}
		if a.enabled() {
			return a, nil
		}
	}
	var kept digestAuth
	if stored.secret != nil {
		d := stored.secret.Data
		kept = digestAuth{username: string(d[provfile.KeyDigestUsername]), password: string(d[provfile.KeyDigestPassword]), macID: string(d[provfile.KeyMACID])}
	}
	return kept, &assemble.Problem{Reason: dectv1alpha1.ReasonAuthSecretNotFound,
		Message: fmt.Sprintf("Secret %s is missing or holds neither username and password nor macID", ref.Name)}
}

// writeFile stores the rendered file: the public document in the ConfigMap and the
// credential items (and the server's authentication data) in the Secret. An object is
// written only when its content differs, so that a base at rest causes no writes.
func (r *DectBaseReconciler) writeFile(ctx context.Context, base *dectv1alpha1.DectBase, stored *storedFile, rendered gigaset.Rendered, auth digestAuth, now time.Time) (fileState, error) {
	mac, _ := gigaset.ParseMAC(base.Spec.MACAddress)
	key := provfile.FileKey(mac)
	hash := provfile.Hash(stored.hashKey, gigaset.Join(rendered.Document, rendered.Credentials))
	state := fileState{hash: hash, generation: stored.generation, renderedAt: stored.renderedAt}
	if hash != stored.hash || stored.generation == 0 {
		state.generation++
		state.renderedAt = now.UTC().Truncate(time.Second)
		state.changed = true
	}

	labels := map[string]string{
		provfile.LabelFile:      "true",
		provfile.LabelBase:      base.Name,
		provfile.LabelManagedBy: provfile.ManagedBy,
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: provfile.SecretName(base.Name), Namespace: base.Namespace, Labels: labels},
		Type:       corev1.SecretTypeOpaque,
		Data: map[string][]byte{
			key:                 rendered.Credentials,
			provfile.KeyHashKey: stored.hashKey,
		},
	}
	for k, v := range map[string]string{provfile.KeyDigestUsername: auth.username, provfile.KeyDigestPassword: auth.password, provfile.KeyMACID: auth.macID} {
		if v != "" {
			secret.Data[k] = []byte(v)
		}
	}
	// The Secret goes first: a server that sees the new document before its credentials
	// would serve it without them, which leaves passwords as they are on the device but
	// would let a changed password lag behind.
	if err := apply(ctx, r.Client, base, stored.secret, secret, func(cur, want *corev1.Secret) bool {
		return maps.EqualFunc(cur.Data, want.Data, bytes.Equal)
	}, stored.secret != nil); err != nil {
		return state, err
	}

	annotations := map[string]string{
		provfile.AnnotationGeneration:  strconv.FormatInt(state.generation, 10),
		provfile.AnnotationHash:        hash,
		provfile.AnnotationRenderedAt:  state.renderedAt.Format(time.RFC3339),
		provfile.AnnotationBaseCreated: base.CreationTimestamp.UTC().Format(time.RFC3339),
	}
	if cidrs := base.Spec.Provisioning.AllowedSourceCIDRs; len(cidrs) > 0 {
		annotations[provfile.AnnotationAllowedSources] = strings.Join(cidrs, ",")
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: provfile.ConfigMapName(base.Name), Namespace: base.Namespace, Labels: labels, Annotations: annotations},
		BinaryData: map[string][]byte{key: rendered.Document},
	}
	err := apply(ctx, r.Client, base, stored.configMap, cm, func(cur, want *corev1.ConfigMap) bool {
		return len(cur.Data) == 0 && maps.EqualFunc(cur.BinaryData, want.BinaryData, bytes.Equal)
	}, stored.configMap != nil)
	return state, err
}

// apply creates want, or updates cur to want when labels, annotations, owner or content
// (same) differ. Labels and annotations others added are kept.
func apply[T client.Object](ctx context.Context, c client.Client, owner *dectv1alpha1.DectBase, cur, want T, same func(cur, want T) bool, exists bool) error {
	if err := controllerutil.SetControllerReference(owner, want, c.Scheme()); err != nil {
		return err
	}
	if !exists {
		if err := c.Create(ctx, want); err != nil {
			return fmt.Errorf("creating %s: %w", want.GetName(), err)
		}
		return nil
	}
	labels, annotations := merged(cur.GetLabels(), want.GetLabels()), merged(cur.GetAnnotations(), want.GetAnnotations())
	if same(cur, want) && maps.Equal(labels, cur.GetLabels()) && maps.Equal(annotations, cur.GetAnnotations()) &&
		metav1.IsControlledBy(cur, owner) {
		return nil
	}
	want.SetLabels(labels)
	want.SetAnnotations(annotations)
	want.SetResourceVersion(cur.GetResourceVersion())
	if err := c.Update(ctx, want); err != nil {
		return fmt.Errorf("updating %s: %w", want.GetName(), err)
	}
	return nil
}

func merged(cur, want map[string]string) map[string]string {
	out := maps.Clone(cur)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, want)
	return out
}

// deleteFile removes base's file objects: a base that lost its MAC to an older one must
// not be served.
func (r *DectBaseReconciler) deleteFile(ctx context.Context, base *dectv1alpha1.DectBase) error {
	for _, o := range []client.Object{
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: provfile.ConfigMapName(base.Name), Namespace: base.Namespace}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: provfile.SecretName(base.Name), Namespace: base.Namespace}},
	} {
		if err := r.Delete(ctx, o); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting %s: %w", o.GetName(), err)
		}
	}
	return nil
}
