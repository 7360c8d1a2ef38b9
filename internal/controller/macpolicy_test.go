package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/macpolicy"
	"github.com/dect-operator/dect-operator/internal/provfile"
)

// The suite's manager runs with the default policy, first-come; allow-list runs in
// test/e2e (TestAllowListServesOnlyListedMACs), with the real binaries. Annotations
// here list only the test's own unique MACs, or AA* (no test declares such a MAC), so
// that they never touch another test's bases.

// annotateNamespace sets (value not nil) or removes the MAC policy annotation, as a
// cluster admin would.
func annotateNamespace(t testing.TB, ns string, value *string) {
	t.Helper()
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]*string{macpolicy.Annotation: value}}})
	if err != nil {
		t.Fatal(err)
	}
	obj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
	if err := k8s.Patch(context.Background(), obj, client.RawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatalf("annotating namespace %s: %v", ns, err)
	}
}

func ptr(s string) *string { return &s }

// colons writes a canonical MAC as 7C:2F:80:..., as an admin might.
func colons(mac string) string {
	var parts []string
	for i := 0; i < 12; i += 2 {
		parts = append(parts, mac[i:i+2])
	}
	return strings.Join(parts, ":")
}

// hasFile tells whether base's ConfigMap exists and holds a file named after mac.
func hasFile(ns, base, mac string) (bool, error) {
	var cm corev1.ConfigMap
	err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: provfile.ConfigMapName(base)}, &cm)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	_, ok := cm.BinaryData[provfile.FileKey(mac)]
	return ok, nil
}

func waitFile(t testing.TB, ns, base, mac string, want bool) {
	t.Helper()
	eventually(t, fmt.Sprintf("file of %s/%s present=%t", ns, base, want), func() error {
		got, err := hasFile(ns, base, mac)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("present=%t", got)
		}
		return nil
	})
}

// wantMessage checks the Ready message of a refused base: it holds every one of words
// and names none of others (another tenant's namespace or base).
func wantMessage(t testing.TB, b *dectv1alpha1.DectBase, words, others []string) {
	t.Helper()
	msg := readyMessage(b.Status.Conditions)
	for _, w := range words {
		if !strings.Contains(msg, w) {
			t.Errorf("%s: message lacks %q: %s", b.Name, w, msg)
		}
	}
	for _, o := range others {
		if strings.Contains(msg, o) {
			t.Errorf("%s: message names %q, another tenant's: %s", b.Name, o, msg)
		}
	}
}

func TestMACPolicy(t *testing.T) {
	t.Run("a reservation takes the MAC from an older base in another namespace", func(t *testing.T) {
		tenant, squatterNS := namespace(t), namespace(t)
		mac := uniqueMAC()
		create(t, newBase(squatterNS, "squatter", mac))
		waitBase(t, squatterNS, "squatter", dectv1alpha1.ConditionReady, "True/Rendered")
		waitFile(t, squatterNS, "squatter", mac, true)
		time.Sleep(1100 * time.Millisecond) // creationTimestamp has a resolution of one second
		create(t, newBase(tenant, "office", mac))
		b := waitBase(t, tenant, "office", dectv1alpha1.ConditionReady, "False/DuplicateMAC")
		wantMessage(t, b, []string{mac, "another namespace", tenant, macpolicy.Annotation}, []string{squatterNS, "squatter"})

		// The cluster admin reserves the MAC for the tenant: no restart, no touching the
		// bases.
		annotateNamespace(t, tenant, ptr(colons(mac)))
		b = waitBase(t, squatterNS, "squatter", dectv1alpha1.ConditionReady, "False/MACNotAllowed")
		wantMessage(t, b, []string{mac, "reserved for another namespace", squatterNS, macpolicy.Annotation}, []string{tenant, "office"})
		if got := condition(b.Status.Conditions, dectv1alpha1.ConditionStalled); got != "True/MACNotAllowed" {
			t.Errorf("squatter Stalled = %s, want True/MACNotAllowed", got)
		}
		waitFile(t, squatterNS, "squatter", mac, false)
		waitForEvent(t, squatterNS, "squatter", dectv1alpha1.ReasonMACNotAllowed)
		waitBase(t, tenant, "office", dectv1alpha1.ConditionReady, "True/Rendered")
		waitFile(t, tenant, "office", mac, true)

		// Removing the reservation is a change too: first-come again, the older base
		// gets the MAC back.
		annotateNamespace(t, tenant, nil)
		waitBase(t, squatterNS, "squatter", dectv1alpha1.ConditionReady, "True/Rendered")
		waitBase(t, tenant, "office", dectv1alpha1.ConditionReady, "False/DuplicateMAC")
		waitFile(t, tenant, "office", mac, false)
	})

	t.Run("an annotation restricts its own namespace", func(t *testing.T) {
		ns := namespace(t)
		mac := uniqueMAC()
		annotateNamespace(t, ns, ptr("AA*"))
		create(t, newBase(ns, "office", mac))
		b := waitBase(t, ns, "office", dectv1alpha1.ConditionReady, "False/MACNotAllowed")
		wantMessage(t, b, []string{mac, "not among the MACs namespace " + ns + " may declare", macpolicy.Annotation}, nil)
		if ok, err := hasFile(ns, "office", mac); err != nil || ok {
			t.Errorf("a refused base has a file: %t, %v", ok, err)
		}
		annotateNamespace(t, ns, ptr("AA*, "+colons(mac)))
		waitBase(t, ns, "office", dectv1alpha1.ConditionReady, "True/Rendered")
		waitFile(t, ns, "office", mac, true)
	})

	t.Run("a malformed annotation is reported and never read as no restriction", func(t *testing.T) {
		ns := namespace(t)
		mac := uniqueMAC()
		create(t, newBase(ns, "office", mac))
		waitBase(t, ns, "office", dectv1alpha1.ConditionReady, "True/Rendered")
		annotateNamespace(t, ns, ptr(mac+", 7C2F80CA21E"))
		b := waitBase(t, ns, "office", dectv1alpha1.ConditionReady, "False/MACPolicyInvalid")
		wantMessage(t, b, []string{macpolicy.Annotation, `"7C2F80CA21E"`, "cluster admin"}, nil)
		if got := condition(b.Status.Conditions, dectv1alpha1.ConditionStalled); got != "True/MACPolicyInvalid" {
			t.Errorf("Stalled = %s, want True/MACPolicyInvalid", got)
		}
		waitFile(t, ns, "office", mac, false)
		waitForEvent(t, ns, "office", dectv1alpha1.ReasonMACPolicyInvalid)

		annotateNamespace(t, ns, ptr(mac))
		waitBase(t, ns, "office", dectv1alpha1.ConditionReady, "True/Rendered")
	})

	t.Run("an annotation on another namespace that does not list the MAC changes nothing", func(t *testing.T) {
		ns, other := namespace(t), namespace(t)
		mac := uniqueMAC()
		create(t, newBase(ns, "office", mac))
		b := waitBase(t, ns, "office", dectv1alpha1.ConditionReady, "True/Rendered")
		annotateNamespace(t, other, ptr("AA*"))
		// A request acknowledged in status shows the base was reconciled after the
		// annotation: still Rendered.
		value := requestReconcile(t, b)
		eventually(t, "request acknowledged", func() error {
			b = get(t, ns, "office", &dectv1alpha1.DectBase{})
			if b.Status.LastHandledReconcileAt != value {
				return fmt.Errorf("acknowledged %q", b.Status.LastHandledReconcileAt)
			}
			return nil
		})
		if got := condition(b.Status.Conditions, dectv1alpha1.ConditionReady); got != "True/Rendered" {
			t.Errorf("Ready = %s after an unrelated annotation", got)
		}
	})
}
