package controller_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/assemble"
	"github.com/dect-operator/dect-operator/internal/gigaset"
	"github.com/dect-operator/dect-operator/internal/provfile"
)

func TestGigasetExampleLandsInSlotsZeroToTwo(t *testing.T) {
	ns := namespace(t)
	mac := gigasetExample(t, ns)

	want := []struct {
		handset, user, ipui string
	}{{"hs-1013", "1013", "00ABC50871"}, {"hs-1014", "1014", "00ABB84A08"}, {"hs-1022", "1022", "00AB9E31C2"}}
	for i, w := range want {
		slot, s := slotOf(t, ns, "office", w.handset)
		if slot != i {
			t.Errorf("%s in slot %d, want %d", w.handset, slot, i)
		}
		if s.UserID != w.user || s.LoginID != w.user || s.DisplayName != "N720_"+w.user || s.AccountName != w.user ||
			s.Password != "pw-"+w.user || s.IPUI != w.ipui || !s.MailboxEnabled || s.MailboxNumber != "*2" {
			t.Errorf("slot %d = %+v", i, s)
		}
		h := waitHandset(t, ns, w.handset, dectv1alpha1.ConditionReady, "True/Rendered")
		if h.Status.Slot == nil || int(*h.Status.Slot) != i || h.Status.IPUI != w.ipui {
			t.Errorf("%s status: slot %v ipui %q", w.handset, h.Status.Slot, h.Status.IPUI)
		}
		if got := condition(h.Status.Conditions, dectv1alpha1.ConditionDelivered); got != "Unknown/NeverFetched" {
			t.Errorf("%s Delivered = %s before any fetch", w.handset, got)
		}
	}
	b := waitBase(t, ns, "office", dectv1alpha1.ConditionReady, "True/Rendered")
	if b.Status.MACAddress != mac || b.Status.Handsets.Assigned != 3 || len(b.Status.Slots) != 3 {
		t.Errorf("base status: %+v", b.Status)
	}
	if got := condition(b.Status.Conditions, dectv1alpha1.ConditionProtected); got != "False/NoAuthentication" {
		t.Errorf("Protected = %s for a base without authentication", got)
	}

	// The ConfigMap holds no password; the Secret holds them all.
	cm := get(t, ns, provfile.ConfigMapName("office"), &corev1.ConfigMap{})
	doc := cm.BinaryData[mac+".xml"]
	for _, pw := range []string{"pw-1013", "pw-1014", "pw-1022"} {
		if containsBytes(doc, pw) {
			t.Errorf("the ConfigMap contains the password %s", pw)
		}
	}
	if !metav1.IsControlledBy(cm, b) {
		t.Errorf("ConfigMap is not owned by the base: %v", cm.OwnerReferences)
	}
}

func TestIPUIChangeKeepsTheSlot(t *testing.T) {
	ns := namespace(t)
	gigasetExample(t, ns)
	slotOf(t, ns, "office", "hs-1022")

	h := get(t, ns, "hs-1014", &dectv1alpha1.Handset{})
	h.Spec.IPUI = "00:ab:12:34:56"
	if err := k8s.Update(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new IPUI in slot 1", func() error {
		d, err := storedFile(ns, "office")
		if err != nil {
			return err
		}
		if s := d.Slots[1]; s.Owner != "hs-1014" || s.IPUI != "00AB123456" || s.UserID != "1014" {
			return fmt.Errorf("slot 1 = %+v", s)
		}
		return nil
	})
}

func TestDeletingAHandsetClearsItsSlotOnly(t *testing.T) {
	ns := namespace(t)
	gigasetExample(t, ns)
	slotOf(t, ns, "office", "hs-1022")
	before, _ := storedFile(ns, "office")

	if err := k8s.Delete(context.Background(), &dectv1alpha1.Handset{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hs-1014"}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "slot 1 cleared", func() error {
		d, err := storedFile(ns, "office")
		if err != nil {
			return err
		}
		if d.Slots[1] != (gigaset.Slot{}) {
			return fmt.Errorf("slot 1 = %+v", d.Slots[1])
		}
		if d.Slots[0] != before.Slots[0] || d.Slots[2] != before.Slots[2] {
			return fmt.Errorf("other slots changed: %+v / %+v", d.Slots[0], d.Slots[2])
		}
		return nil
	})

	// A new handset takes the freed slot; the others stay.
	create(t, newSecret(ns, "sip-2000", "pw-2000"))
	create(t, newHandset(ns, "hs-2000", "office", "2000", ""))
	if slot, _ := slotOf(t, ns, "office", "hs-2000"); slot != 1 {
		t.Errorf("new handset in slot %d, want the freed slot 1", slot)
	}
}

func TestMissingSecretKeepsLastGoodSettings(t *testing.T) {
	ns := namespace(t)
	gigasetExample(t, ns)
	_, good := slotOf(t, ns, "office", "hs-1014")

	if err := k8s.Delete(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "sip-1014"}}); err != nil {
		t.Fatal(err)
	}
	// A Secret may be on its way (SealedSecrets, External Secrets, a GitOps tool
	// applying in another order): Reconciling at first, Stalled only after the grace
	// period.
	h := waitHandset(t, ns, "hs-1014", dectv1alpha1.ConditionReady, "False/SecretNotFound")
	if got, stalled := condition(h.Status.Conditions, dectv1alpha1.ConditionReconciling), condition(h.Status.Conditions, dectv1alpha1.ConditionStalled); got != "True/SecretNotFound" || stalled != "<none>" {
		t.Errorf("Reconciling = %s, Stalled = %s; want True/SecretNotFound and none while the Secret is waited for", got, stalled)
	}
	clock.Advance(assemble.DefaultStallAfter + time.Second)
	request := requestReconcile(t, h)
	h = waitHandset(t, ns, "hs-1014", dectv1alpha1.ConditionStalled, "True/SecretNotFound")
	if got := condition(h.Status.Conditions, dectv1alpha1.ConditionReconciling); got != "<none>" {
		t.Errorf("Reconciling = %s once stalled, want none", got)
	}
	eventually(t, "the reconcile request acknowledged", func() error {
		h = get(t, ns, "hs-1014", &dectv1alpha1.Handset{})
		if h.Status.LastHandledReconcileAt != request {
			return fmt.Errorf("lastHandledReconcileAt %q, want %q", h.Status.LastHandledReconcileAt, request)
		}
		return nil
	})
	waitForEvent(t, ns, "hs-1014", dectv1alpha1.ReasonSecretNotFound)
	// A change of its own settings while the Secret is missing must not reach the slot
	// either: the slot serves the last settings that were complete.
	if err := k8s.Patch(context.Background(), h, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"sip":{"displayName":"Changed"}}}`))); err != nil {
		t.Fatal(err)
	}
	waitHandset(t, ns, "hs-1014", dectv1alpha1.ConditionReady, "False/SecretNotFound")
	d, err := storedFile(ns, "office")
	if err != nil {
		t.Fatal(err)
	}
	if d.Slots[1] != good {
		t.Errorf("slot 1 changed while its Secret was missing:\n got %+v\nwant %+v", d.Slots[1], good)
	}
	waitHandset(t, ns, "hs-1013", dectv1alpha1.ConditionReady, "True/Rendered")
	waitBase(t, ns, "office", dectv1alpha1.ConditionReady, "True/Rendered")

	// Restoring the Secret heals it.
	create(t, newSecret(ns, "sip-1014", "new-pw"))
	waitHandset(t, ns, "hs-1014", dectv1alpha1.ConditionReady, "True/Rendered")
	eventually(t, "healed slot", func() error {
		d, err := storedFile(ns, "office")
		if err != nil {
			return err
		}
		if d.Slots[1].DisplayName != "Changed" || d.Slots[1].Password != "new-pw" {
			return fmt.Errorf("slot 1 = %+v", d.Slots[1])
		}
		return nil
	})
}

func TestSlotsSurviveLostStatus(t *testing.T) {
	ns := namespace(t)
	gigasetExample(t, ns)
	// Delete the oldest handset so that the remaining ones do not sit in age order.
	slotOf(t, ns, "office", "hs-1022")
	if err := k8s.Delete(context.Background(), &dectv1alpha1.Handset{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hs-1013"}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "slot 0 freed", func() error {
		d, err := storedFile(ns, "office")
		if err != nil {
			return err
		}
		if d.Slots[0].Owner != "" {
			return fmt.Errorf("slot 0 held by %s", d.Slots[0].Owner)
		}
		return nil
	})

	// Wipe every status, as a restore from a backup without status would.
	ctx := context.Background()
	for _, name := range []string{"hs-1014", "hs-1022"} {
		h := get(t, ns, name, &dectv1alpha1.Handset{})
		h.Status = dectv1alpha1.HandsetStatus{}
		if err := k8s.Status().Update(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	b := get(t, ns, "office", &dectv1alpha1.DectBase{})
	b.Status = dectv1alpha1.DectBaseStatus{}
	if err := k8s.Status().Update(ctx, b); err != nil {
		t.Fatal(err)
	}
	// A newcomer must take the free slot 0 and nobody may move.
	create(t, newSecret(ns, "sip-3000", "pw"))
	create(t, newHandset(ns, "hs-3000", "office", "3000", ""))
	for name, want := range map[string]int{"hs-1014": 1, "hs-1022": 2, "hs-3000": 0} {
		h := waitHandset(t, ns, name, dectv1alpha1.ConditionReady, "True/Rendered")
		if h.Status.Slot == nil || int(*h.Status.Slot) != want {
			t.Errorf("%s in slot %v after the status was lost, want %d", name, h.Status.Slot, want)
		}
	}
}

func TestHandEditedOrDeletedConfigMapIsRestored(t *testing.T) {
	ns := namespace(t)
	mac := gigasetExample(t, ns)
	slotOf(t, ns, "office", "hs-1022")
	ctx := context.Background()
	cm := get(t, ns, provfile.ConfigMapName("office"), &corev1.ConfigMap{})
	original := cm.BinaryData[mac+".xml"]

	cm.BinaryData[mac+".xml"] = []byte("<broken/>")
	if err := k8s.Update(ctx, cm); err != nil {
		t.Fatal(err)
	}
	eventually(t, "hand edit reverted", func() error {
		cm := get(t, ns, provfile.ConfigMapName("office"), &corev1.ConfigMap{})
		if string(cm.BinaryData[mac+".xml"]) != string(original) {
			return fmt.Errorf("ConfigMap still differs")
		}
		return nil
	})

	// Without its label the ConfigMap leaves the caches of the manager and the server;
	// the operator must take it back, not fail to create it again.
	cm = get(t, ns, provfile.ConfigMapName("office"), &corev1.ConfigMap{})
	delete(cm.Labels, provfile.LabelFile)
	if err := k8s.Update(ctx, cm); err != nil {
		t.Fatal(err)
	}
	eventually(t, "label restored", func() error {
		cm := get(t, ns, provfile.ConfigMapName("office"), &corev1.ConfigMap{})
		if cm.Labels[provfile.LabelFile] != "true" {
			return fmt.Errorf("labels %v", cm.Labels)
		}
		return nil
	})

	if err := k8s.Delete(ctx, cm); err != nil {
		t.Fatal(err)
	}
	eventually(t, "deleted ConfigMap recreated", func() error {
		var cm corev1.ConfigMap
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: provfile.ConfigMapName("office")}, &cm); err != nil {
			return err
		}
		if string(cm.BinaryData[mac+".xml"]) != string(original) {
			return fmt.Errorf("recreated with other content")
		}
		return nil
	})
}

func TestConflicts(t *testing.T) {
	t.Run("duplicate IPUI", func(t *testing.T) {
		ns := namespace(t)
		gigasetExample(t, ns)
		slotOf(t, ns, "office", "hs-1022")
		create(t, newSecret(ns, "sip-4000", "pw"))
		create(t, newHandset(ns, "hs-dup", "office", "4000", "00ABC50871"))
		h := waitHandset(t, ns, "hs-dup", dectv1alpha1.ConditionReady, "False/DuplicateIPUI")
		if msg := readyMessage(h.Status.Conditions); !contains(msg, "hs-1013") {
			t.Errorf("message does not name the older handset: %q", msg)
		}
		waitHandset(t, ns, "hs-1013", dectv1alpha1.ConditionReady, "True/Rendered")
		waitForEvent(t, ns, "hs-dup", "DuplicateIPUI")
	})
	t.Run("two pins on one slot", func(t *testing.T) {
		ns := namespace(t)
		create(t, newBase(ns, "office", uniqueMAC()))
		for _, n := range []string{"first", "second"} {
			h := newHandset(ns, n, "office", n, "")
			slot := int32(7)
			h.Spec.Slot = &slot
			create(t, newSecret(ns, "sip-"+n, "pw"))
			create(t, h)
			time.Sleep(1100 * time.Millisecond)
		}
		h := waitHandset(t, ns, "second", dectv1alpha1.ConditionReady, "False/SlotTaken")
		if msg := readyMessage(h.Status.Conditions); !contains(msg, "first") {
			t.Errorf("message does not name the holder: %q", msg)
		}
		if slot, _ := slotOf(t, ns, "office", "first"); slot != 7 {
			t.Errorf("first in slot %d, want 7", slot)
		}
	})
	t.Run("more handsets than slots", func(t *testing.T) {
		ns := namespace(t)
		create(t, newBase(ns, "office", uniqueMAC()))
		create(t, newSecret(ns, "sip-shared", "pw"))
		for i := range gigaset.NumSlots + 1 {
			h := newHandset(ns, fmt.Sprintf("h%03d", i), "office", fmt.Sprintf("%d", 1000+i), "")
			h.Spec.SIP.PasswordSecretRef.Name = "sip-shared"
			create(t, h)
			if i == gigaset.NumSlots-1 {
				time.Sleep(1100 * time.Millisecond) // the 101st is strictly the newest
			}
		}
		waitHandset(t, ns, "h100", dectv1alpha1.ConditionReady, "False/NoFreeSlot")
		b := waitBase(t, ns, "office", dectv1alpha1.ConditionReady, "True/Rendered")
		eventually(t, "100 assigned", func() error {
			b = get(t, ns, "office", &dectv1alpha1.DectBase{})
			if b.Status.Handsets.Assigned != 100 || b.Status.Handsets.Total != 101 {
				return fmt.Errorf("counts %+v", b.Status.Handsets)
			}
			return nil
		})
	})
	t.Run("two bases with one MAC", func(t *testing.T) {
		nsA, nsB := namespace(t), namespace(t)
		mac := uniqueMAC()
		create(t, newBase(nsA, "first", mac))
		waitBase(t, nsA, "first", dectv1alpha1.ConditionReady, "True/Rendered")
		time.Sleep(1100 * time.Millisecond)
		create(t, newBase(nsB, "second", strings.ToLower(mac[:2]+":"+mac[2:4]+":"+mac[4:6]+":"+mac[6:8]+":"+mac[8:10]+":"+mac[10:])))
		b := waitBase(t, nsB, "second", dectv1alpha1.ConditionReady, "False/DuplicateMAC")
		// Tenants see only their own namespace: the message tells that another namespace
		// came first, never which one or which base.
		if msg := readyMessage(b.Status.Conditions); !contains(msg, "another namespace") || contains(msg, nsA) || contains(msg, "first") {
			t.Errorf("message does not say \"another namespace\", or names the other base: %q", msg)
		}
		if got := condition(b.Status.Conditions, dectv1alpha1.ConditionStalled); got != "True/DuplicateMAC" {
			t.Errorf("Stalled = %s", got)
		}
		var cm corev1.ConfigMap
		if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: nsB, Name: provfile.ConfigMapName("second")}, &cm); err == nil {
			t.Error("the newer base has a ConfigMap the server could serve")
		}
		waitForEvent(t, nsB, "second", "DuplicateMAC")

		// The older base goes away: the newer one takes over.
		if err := k8s.Delete(context.Background(), &dectv1alpha1.DectBase{ObjectMeta: metav1.ObjectMeta{Namespace: nsA, Name: "first"}}); err != nil {
			t.Fatal(err)
		}
		waitBase(t, nsB, "second", dectv1alpha1.ConditionReady, "True/Rendered")
	})
	t.Run("handset without base", func(t *testing.T) {
		ns := namespace(t)
		create(t, newSecret(ns, "sip-5000", "pw"))
		create(t, newHandset(ns, "lonely", "nowhere", "5000", ""))
		h := waitHandset(t, ns, "lonely", dectv1alpha1.ConditionReady, "False/BaseNotFound")
		if msg := readyMessage(h.Status.Conditions); !contains(msg, "nowhere") {
			t.Errorf("message does not name the base: %q", msg)
		}
		create(t, newBase(ns, "nowhere", uniqueMAC()))
		waitHandset(t, ns, "lonely", dectv1alpha1.ConditionReady, "True/Rendered")
	})
}

func readyMessage(conds []metav1.Condition) string {
	for _, c := range conds {
		if c.Type == dectv1alpha1.ConditionReady {
			return c.Message
		}
	}
	return ""
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func containsBytes(b []byte, sub string) bool { return bytes.Contains(b, []byte(sub)) }

// waitForEvent waits for an Event with reason on the named object.
func waitForEvent(t testing.TB, ns, name, reason string) {
	t.Helper()
	eventually(t, "event "+reason+" on "+name, func() error {
		var list eventsv1.EventList
		if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
			return err
		}
		for _, e := range list.Items {
			if e.Regarding.Name == name && e.Reason == reason && e.Type == corev1.EventTypeWarning {
				return nil
			}
		}
		return fmt.Errorf("no such event among %d", len(list.Items))
	})
}
