package controller_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/assemble"
	"github.com/dect-operator/dect-operator/internal/provfile"
	"github.com/dect-operator/dect-operator/internal/slotexport"
)

// layout is the slots of five unpinned handsets that were not created in slot order.
var layout = map[string]int32{"h1": 0, "h2": 3, "h3": 2, "h4": 1, "h5": 4}

// scatteredHandsets gives five handsets the slots of layout, unpinned: pinned at first,
// then the pins removed, as handsets added and removed over time end up.
func scatteredHandsets(t *testing.T, ns, base string) {
	t.Helper()
	create(t, newSecret(ns, "sip-shared", "pw"))
	for name, slot := range layout {
		h := newHandset(ns, name, base, "10"+name[1:], "")
		h.Spec.SIP.PasswordSecretRef.Name = "sip-shared"
		h.Spec.Slot = &slot
		create(t, h)
	}
	for name := range layout {
		waitHandset(t, ns, name, dectv1alpha1.ConditionReady, "True/Rendered")
		unpin := []byte(`{"spec":{"slot":null}}`)
		if err := k8s.Patch(context.Background(), &dectv1alpha1.Handset{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}, client.RawPatch(types.MergePatchType, unpin)); err != nil {
			t.Fatal(err)
		}
	}
	checkLayout(t, ns, "scattered and unpinned")
}

func checkLayout(t *testing.T, ns, when string) {
	t.Helper()
	eventually(t, "slots "+when, func() error {
		for name, want := range layout {
			h := get(t, ns, name, &dectv1alpha1.Handset{})
			if h.Status.Slot == nil || *h.Status.Slot != want || h.Status.ObservedGeneration != h.Generation ||
				condition(h.Status.Conditions, dectv1alpha1.ConditionReady) != "True/Rendered" {
				return fmt.Errorf("%s: slot %v (want %d), Ready %s", name, h.Status.Slot, want, condition(h.Status.Conditions, dectv1alpha1.ConditionReady))
			}
		}
		return nil
	})
}

// deleteBase deletes the DectBase and then what the garbage collector would take with
// it (envtest runs none): the objects it controller-owns.
func deleteBase(t *testing.T, ns, name string) {
	t.Helper()
	ctx := context.Background()
	b := get(t, ns, name, &dectv1alpha1.DectBase{})
	if err := k8s.Delete(ctx, b); err != nil {
		t.Fatal(err)
	}
	eventually(t, "DectBase "+name+" gone", func() error {
		err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &dectv1alpha1.DectBase{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("still there: %v", err)
	})
	for _, o := range []client.Object{&corev1.ConfigMap{}, &corev1.Secret{}} {
		key := provfile.ConfigMapName(name)
		if _, ok := o.(*corev1.Secret); ok {
			key = provfile.SecretName(name)
		}
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: key}, o); err != nil {
			continue
		}
		if metav1.IsControlledBy(o, b) {
			if err := k8s.Delete(ctx, o); client.IgnoreNotFound(err) != nil {
				t.Fatal(err)
			}
		}
	}
}

// Deleting the DectBase alone and applying it again (Argo CD's Replace=true, a move
// between Applications, a restore) moves no slot: the handsets kept theirs in status.
func TestSlotsSurviveARecreatedBase(t *testing.T) {
	ns := namespace(t)
	mac := uniqueMAC()
	create(t, newBase(ns, "office", mac))
	scatteredHandsets(t, ns, "office")

	deleteBase(t, ns, "office")
	for name, slot := range layout {
		h := waitHandset(t, ns, name, dectv1alpha1.ConditionReady, "False/BaseNotFound")
		if h.Status.Slot == nil || *h.Status.Slot != slot {
			t.Errorf("%s: slot %v while its base is gone, want %d kept", name, h.Status.Slot, slot)
		}
	}
	create(t, newBase(ns, "office", mac))
	checkLayout(t, ns, "after the base was re-created")
}

// With deletionPolicy Retain, the record itself survives: even handsets deleted with
// the base and applied again at once, in another order, get their slots back.
func TestRetainedRecordIsTakenBack(t *testing.T) {
	ns := namespace(t)
	mac := uniqueMAC()
	b := newBase(ns, "office", mac)
	b.Spec.DeletionPolicy = dectv1alpha1.DeletionRetain
	create(t, b)
	scatteredHandsets(t, ns, "office")

	deleteBase(t, ns, "office")
	cm := get(t, ns, provfile.ConfigMapName("office"), &corev1.ConfigMap{})
	if len(cm.OwnerReferences) != 0 || cm.Labels[provfile.LabelFile] != "" || cm.Labels[provfile.LabelRetained] != "true" {
		t.Fatalf("retained record: owners %v, labels %v; want no owner, not served, marked retained", cm.OwnerReferences, cm.Labels)
	}
	for name := range layout {
		if err := k8s.Delete(context.Background(), &dectv1alpha1.Handset{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}); err != nil {
			t.Fatal(err)
		}
	}

	// Applied again: the base first, then the handsets at once in reverse name order.
	again := newBase(ns, "office", mac)
	again.Spec.DeletionPolicy = dectv1alpha1.DeletionRetain
	create(t, again)
	for _, name := range []string{"h5", "h4", "h3", "h2", "h1"} {
		h := newHandset(ns, name, "office", "10"+name[1:], "")
		h.Spec.SIP.PasswordSecretRef.Name = "sip-shared"
		create(t, h)
	}
	checkLayout(t, ns, "after base and handsets were applied again")
	cm = get(t, ns, provfile.ConfigMapName("office"), &corev1.ConfigMap{})
	if cm.Labels[provfile.LabelFile] != "true" || cm.Labels[provfile.LabelRetained] != "" || len(cm.OwnerReferences) != 1 {
		t.Errorf("record taken back: owners %v, labels %v; want owned, served, unmarked", cm.OwnerReferences, cm.Labels)
	}

	// The hold on absent handsets' slots ends with the grace period.
	if cm.Annotations[provfile.AnnotationHoldUntil] == "" {
		t.Error("a record taken back holds no slots for absent handsets")
	}
	clock.Advance(assemble.DefaultStallAfter + time.Second)
	requestReconcile(t, get(t, ns, "office", &dectv1alpha1.DectBase{}))
	eventually(t, "the hold released", func() error {
		cm := get(t, ns, provfile.ConfigMapName("office"), &corev1.ConfigMap{})
		if v := cm.Annotations[provfile.AnnotationHoldUntil]; v != "" {
			return fmt.Errorf("still held until %s", v)
		}
		return nil
	})
	checkLayout(t, ns, "after the hold")
}

// Removing spec.provisioning.allowedSourceCIDRs opens the base again: the annotation the
// server reads goes, it does not linger from the merge with what was stored.
func TestRemovedAllowedSourcesTakeEffect(t *testing.T) {
	ns := namespace(t)
	b := newBase(ns, "office", uniqueMAC())
	b.Spec.Provisioning.AllowedSourceCIDRs = []string{"10.0.0.0/8"}
	create(t, b)
	eventually(t, "allowed sources stored", func() error {
		cm := &corev1.ConfigMap{}
		if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: provfile.ConfigMapName("office")}, cm); err != nil {
			return err
		}
		if cm.Annotations[provfile.AnnotationAllowedSources] != "10.0.0.0/8" {
			return fmt.Errorf("annotations %v", cm.Annotations)
		}
		return nil
	})
	patch := []byte(`{"spec":{"provisioning":{"allowedSourceCIDRs":null}}}`)
	if err := k8s.Patch(context.Background(), b, client.RawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "allowed sources removed", func() error {
		cm := get(t, ns, provfile.ConfigMapName("office"), &corev1.ConfigMap{})
		if v, ok := cm.Annotations[provfile.AnnotationAllowedSources]; ok {
			return fmt.Errorf("still %q", v)
		}
		return nil
	})
}

// A namespace rebuilt from Git keeps nothing but the manifests: `slots export` written
// back to Git pins every handset, so the rebuild gives the same slots.
func TestNamespaceRebuildFromExportedPins(t *testing.T) {
	ns := namespace(t)
	create(t, newBase(ns, "office", uniqueMAC()))
	scatteredHandsets(t, ns, "office")

	var out bytes.Buffer
	if err := slotexport.Write(context.Background(), k8s, ns, "office", &out); err != nil {
		t.Fatal(err)
	}
	pins := map[string]int32{}
	for _, doc := range strings.Split(out.String(), "\n---\n") {
		var p slotexport.Pin
		if err := yaml.Unmarshal([]byte(doc), &p); err != nil {
			t.Fatalf("export output %q: %v", out.String(), err)
		}
		pins[p.Metadata.Name] = p.Spec.Slot
	}
	if fmt.Sprint(pins) != fmt.Sprint(layout) {
		t.Fatalf("exported pins %v, want %v:\n%s", pins, layout, out.String())
	}

	// The rebuild: a new namespace, the manifests with the pins merged in, all at once.
	rebuilt := namespace(t)
	create(t, newBase(rebuilt, "office", uniqueMAC()))
	create(t, newSecret(rebuilt, "sip-shared", "pw"))
	for _, name := range []string{"h5", "h4", "h3", "h2", "h1"} {
		h := newHandset(rebuilt, name, "office", "10"+name[1:], "")
		h.Spec.SIP.PasswordSecretRef.Name = "sip-shared"
		slot := pins[name]
		h.Spec.Slot = &slot
		create(t, h)
	}
	checkLayout(t, rebuilt, "after the rebuild from Git")
}
