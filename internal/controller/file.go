package controller

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/provfile"
)

// storedFile is the base's file as the manager last stored it: the objects, to update
// them in place, and what they hold, decoded.
type storedFile struct {
	configMap *corev1.ConfigMap
	secret    *corev1.Secret
	// file is nil when neither object exists.
	file *provfile.File
}

// loadStoredFile reads the base's ConfigMap and Secret and decodes them.
func (r *DectBaseReconciler) loadStoredFile(ctx context.Context, base *dectv1alpha1.DectBase) (*storedFile, error) {
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
	secret, err := r.ownSecret(ctx, base)
	if err != nil {
		return nil, err
	}
	st.secret = secret
	if st.configMap == nil && st.secret == nil {
		return st, nil
	}
	f, err := provfile.Decode(st.configMap, st.secret)
	if err != nil {
		// Hand-edited beyond reading: the slots come from status, the Secret's key and
		// authentication still count.
		logf.FromContext(ctx).Info("stored file unreadable; falling back to the slot table in status", "reason", err.Error())
		f, _ = provfile.Decode(nil, st.secret)
	}
	st.file = f
	return st, nil
}

// ownSecret reads the base's credentials Secret; nil when there is none. The cache holds
// it, since it carries the consumable label (provfile.Encode). One it does not hold, the
// label gone (written before the label existed, or removed by hand), is read directly
// when the base controls it, so that it is taken back, its hash key and authentication
// kept. A Secret of that name the base does not control did not opt in: only its
// metadata is read, and it is taken over without its data counting as the record, as a
// Secret written from scratch would be.
func (r *DectBaseReconciler) ownSecret(ctx context.Context, base *dectv1alpha1.DectBase) (*corev1.Secret, error) {
	key := types.NamespacedName{Namespace: base.Namespace, Name: provfile.SecretName(base.Name)}
	var secret corev1.Secret
	err := r.Get(ctx, key, &secret)
	if apierrors.IsNotFound(err) && r.APIReader != nil {
		m := &metav1.PartialObjectMetadata{}
		m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		if err = r.APIReader.Get(ctx, key, m); err == nil {
			secret = corev1.Secret{ObjectMeta: m.ObjectMeta}
			if metav1.IsControlledBy(m, base) {
				err = r.APIReader.Get(ctx, key, &secret)
			}
		}
	}
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading the file's Secret: %w", err)
	}
	return &secret, nil
}

// keyOf is the base's hash key: the stored one, or a new random one for a new base.
func keyOf(stored *provfile.File) ([]byte, error) {
	if stored != nil && len(stored.HashKey) > 0 {
		return stored.HashKey, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return key, nil
}

// holdRecord keeps the finalizer of a base whose deletionPolicy is Retain, and only
// of such a base, so that its record can be released before the garbage collector takes
// it.
func (r *DectBaseReconciler) holdRecord(ctx context.Context, base *dectv1alpha1.DectBase) error {
	retain := base.Spec.DeletionPolicy == dectv1alpha1.DeletionRetain
	if retain == controllerutil.ContainsFinalizer(base, provfile.FinalizerRetain) {
		return nil
	}
	orig := base.DeepCopy()
	if retain {
		controllerutil.AddFinalizer(base, provfile.FinalizerRetain)
	} else {
		controllerutil.RemoveFinalizer(base, provfile.FinalizerRetain)
	}
	if err := r.Patch(ctx, base, client.MergeFrom(orig)); err != nil {
		return fmt.Errorf("updating the finalizers of %s: %w", base.Name, err)
	}
	return nil
}

// releaseRecord frees the ConfigMap of a base being deleted with deletionPolicy Retain
// from its owner, so that the garbage collector leaves it, and from the file label, so
// that nothing serves it while no DectBase stands behind it. The Secret, which holds the
// credentials, goes with the base.
func (r *DectBaseReconciler) releaseRecord(ctx context.Context, base *dectv1alpha1.DectBase) error {
	if !controllerutil.ContainsFinalizer(base, provfile.FinalizerRetain) {
		return nil
	}
	stored, err := r.loadStoredFile(ctx, base)
	if err != nil {
		return err
	}
	if cm := stored.configMap; cm != nil && metav1.IsControlledBy(cm, base) {
		released := cm.DeepCopy()
		released.OwnerReferences = slices.DeleteFunc(released.OwnerReferences, func(o metav1.OwnerReference) bool { return o.UID == base.UID })
		delete(released.Labels, provfile.LabelFile)
		released.Labels[provfile.LabelRetained] = "true"
		if err := r.Patch(ctx, released, client.MergeFrom(cm)); err != nil {
			return fmt.Errorf("releasing %s: %w", cm.Name, err)
		}
		logf.FromContext(ctx).Info("slot record retained", "configMap", cm.Name)
	}
	orig := base.DeepCopy()
	controllerutil.RemoveFinalizer(base, provfile.FinalizerRetain)
	return client.IgnoreNotFound(r.Patch(ctx, base, client.MergeFrom(orig)))
}

// writeFile stores f: the public document in the ConfigMap and the credential items (and
// the server's authentication data) in the Secret. An object is written only when its
// content differs, so that a base at rest causes no writes.
func (r *DectBaseReconciler) writeFile(ctx context.Context, base *dectv1alpha1.DectBase, stored *storedFile, f *provfile.File) error {
	cm, secret := provfile.Encode(f)
	// The Secret goes first: a server that sees the new document before its credentials
	// would serve it without them, which leaves passwords as they are on the device but
	// would let a changed password lag behind.
	if err := applyEchoed(ctx, r, "Secret", base, stored.secret, secret, func(cur, want *corev1.Secret) bool {
		return maps.EqualFunc(cur.Data, want.Data, bytes.Equal)
	}, stored.secret != nil); err != nil {
		return err
	}
	return applyEchoed(ctx, r, "ConfigMap", base, stored.configMap, cm, func(cur, want *corev1.ConfigMap) bool {
		return len(cur.Data) == 0 && maps.EqualFunc(cur.BinaryData, want.BinaryData, bytes.Equal)
	}, stored.configMap != nil)
}

// applyEchoed is apply, telling r.echoes how to know the write's echo: by the content
// same compares.
func applyEchoed[T client.Object](ctx context.Context, r *DectBaseReconciler, kind string, owner *dectv1alpha1.DectBase, cur, want T, same func(cur, want T) bool, exists bool) error {
	r.echoes.expect(kind, client.ObjectKeyFromObject(want), func(o client.Object) bool {
		got, ok := o.(T)
		return ok && same(got, want)
	})
	err := apply(ctx, r.Client, owner, cur, want, same, exists)
	r.echoes.written(kind, want, err)
	return err
}

// apply creates want, or updates cur to want when labels, annotations, owner or content
// (same) differ. Labels and annotations others added are kept; those the codec owns are
// want's alone, so that one Encode left out (a removed allowed source, a retained mark)
// goes.
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
	labels, annotations := merged(others(cur.GetLabels()), want.GetLabels()), merged(others(cur.GetAnnotations()), want.GetAnnotations())
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

// others is m without the keys the codec owns.
func others(m map[string]string) map[string]string {
	out := maps.Clone(m)
	maps.DeleteFunc(out, func(k, _ string) bool { return provfile.Owns(k) })
	return out
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
