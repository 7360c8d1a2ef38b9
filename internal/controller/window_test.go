package controller_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
)

// deliver records a fetch of the base's current file, as the provisioning server does.
// It waits until status shows every IPUI reservation of the base's handsets, so that
// the fetch is of a file that holds them.
func deliver(t testing.TB, ns, base string, at time.Time) {
	t.Helper()
	var b *dectv1alpha1.DectBase
	eventually(t, "status with every reservation", func() error {
		b = get(t, ns, base, &dectv1alpha1.DectBase{})
		var hs dectv1alpha1.HandsetList
		if err := k8s.List(context.Background(), &hs, client.InNamespace(ns)); err != nil {
			return err
		}
		reserved := 0
		for _, s := range b.Status.Slots {
			if s.IPUI != "" {
				reserved++
			}
		}
		want := 0
		for _, h := range hs.Items {
			if h.Spec.BaseRef.Name == base && h.Spec.IPUI != "" {
				want++
			}
		}
		if b.Status.Document == nil || reserved != want {
			return fmt.Errorf("%d of %d reservations in status", reserved, want)
		}
		return nil
	})
	patched := b.DeepCopy()
	patched.Status.LastDelivery = &dectv1alpha1.Delivery{
		Time: metav1.NewTime(at), Source: "192.0.2.10", Hash: b.Status.Document.Hash, Generation: b.Status.Document.Generation,
		UserAgent: "Gigaset N720 DM PRO/70.108.00.000.000;" + b.Status.MACAddress, Firmware: "70.108.00.000.000",
	}
	if err := k8s.Status().Patch(context.Background(), patched, client.MergeFrom(b), client.FieldOwner("test-server")); err != nil {
		t.Fatal(err)
	}
}

// touch makes the reconciler look at the base again (after the test moved the clock).
func touch(t testing.TB, ns, base, key, value string) {
	t.Helper()
	b := get(t, ns, base, &dectv1alpha1.DectBase{})
	patched := b.DeepCopy()
	if patched.Annotations == nil {
		patched.Annotations = map[string]string{}
	}
	patched.Annotations[key] = value
	if err := k8s.Patch(context.Background(), patched, client.MergeFrom(b)); err != nil {
		t.Fatal(err)
	}
}

func waitWindow(t testing.TB, ns, base string, want dectv1alpha1.WindowState, check func(*dectv1alpha1.WindowStatus) error) *dectv1alpha1.DectBase {
	t.Helper()
	var b dectv1alpha1.DectBase
	eventually(t, fmt.Sprintf("window %s", want), func() error {
		b = *get(t, ns, base, &dectv1alpha1.DectBase{})
		w := b.Status.RegistrationWindow
		if w == nil {
			return fmt.Errorf("no window in status")
		}
		if w.State != want {
			return fmt.Errorf("state %s (%s); window generation %d, delivery %+v, document %+v", w.State, w.Message, w.Generation, b.Status.LastDelivery, b.Status.Document)
		}
		if check != nil {
			return check(w)
		}
		return nil
	})
	return &b
}

func TestRegistrationWindowOnChange(t *testing.T) {
	ns := namespace(t)
	b := newBase(ns, "office", uniqueMAC())
	b.Spec.Registration.Window = dectv1alpha1.RegistrationWindow{Mode: dectv1alpha1.WindowOnChange, Duration: &metav1.Duration{Duration: time.Hour}}
	create(t, b)
	waitWindow(t, ns, "office", dectv1alpha1.WindowStateIdle, nil)

	create(t, newSecret(ns, "sip-1013", "pw"))
	create(t, newHandset(ns, "hs-1013", "office", "1013", "00ABC50871"))
	got := waitWindow(t, ns, "office", dectv1alpha1.WindowStateScheduled, func(w *dectv1alpha1.WindowStatus) error {
		if w.Start == nil || w.Duration == nil || w.Duration.Duration != time.Hour || w.OpensAt != nil {
			return fmt.Errorf("window %+v", w)
		}
		return nil
	})
	start := got.Status.RegistrationWindow.Start.Time
	h := waitHandset(t, ns, "hs-1013", dectv1alpha1.ConditionReady, "True/Rendered")
	if h.Status.IPUI != "00ABC50871" {
		t.Errorf("handset status ipui %q", h.Status.IPUI)
	}

	// The device fetches: the window opens 30 seconds later.
	fetched := clock.Now().Truncate(time.Second)
	deliver(t, ns, "office", fetched)
	waitWindow(t, ns, "office", dectv1alpha1.WindowStateScheduled, func(w *dectv1alpha1.WindowStatus) error {
		if w.OpensAt == nil || !w.OpensAt.Time.Equal(fetched.Add(30*time.Second)) {
			return fmt.Errorf("opensAt %v, want fetch+30s", w.OpensAt)
		}
		return nil
	})
	delivered := waitHandset(t, ns, "hs-1013", dectv1alpha1.ConditionDelivered, "True/Delivered")

	clock.Advance(31 * time.Second)
	touch(t, ns, "office", "test/step", "open")
	waitWindow(t, ns, "office", dectv1alpha1.WindowStateOpen, nil)
	// The window is the base's: its opening rewrote the DectBase, not the handset.
	if now := get(t, ns, "hs-1013", &dectv1alpha1.Handset{}); now.ResourceVersion != delivered.ResourceVersion {
		t.Errorf("the window's opening rewrote the handset: resourceVersion %s -> %s, status %+v", delivered.ResourceVersion, now.ResourceVersion, now.Status)
	}

	// Nothing that leaves the reservations alone moves the window.
	h = get(t, ns, "hs-1013", &dectv1alpha1.Handset{})
	h.Spec.SIP.DisplayName = "Renamed"
	if err := k8s.Update(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	waitWindow(t, ns, "office", dectv1alpha1.WindowStateOpen, func(w *dectv1alpha1.WindowStatus) error {
		if !w.Start.Time.Equal(start) {
			return fmt.Errorf("start moved from %v to %v", start, w.Start.Time)
		}
		return nil
	})

	clock.Advance(time.Hour)
	touch(t, ns, "office", "test/step", "closed")
	waitWindow(t, ns, "office", dectv1alpha1.WindowStateClosed, nil)

	// A person asks for a new window.
	touch(t, ns, "office", dectv1alpha1.AnnotationReopenWindow, "2026-11-26T10:00:00Z")
	reopened := waitWindow(t, ns, "office", dectv1alpha1.WindowStateScheduled, func(w *dectv1alpha1.WindowStatus) error {
		if w.ReopenRequest != "2026-11-26T10:00:00Z" || w.ReopenedAt == nil || !w.Start.Time.After(start) {
			return fmt.Errorf("not reopened: %+v", w)
		}
		return nil
	})
	// The same request is acted on once: another reconcile keeps that window.
	touch(t, ns, "office", "test/step", "again")
	waitWindow(t, ns, "office", dectv1alpha1.WindowStateScheduled, func(w *dectv1alpha1.WindowStatus) error {
		if !w.Start.Equal(reopened.Status.RegistrationWindow.Start) {
			return fmt.Errorf("window moved again: %v -> %v", reopened.Status.RegistrationWindow.Start, w.Start)
		}
		return nil
	})

	// A replaced IPUI (a new handset for the same person) opens a new window too.
	clock.Advance(2 * time.Minute)
	h = get(t, ns, "hs-1013", &dectv1alpha1.Handset{})
	h.Spec.IPUI = "00ABB84A08"
	if err := k8s.Update(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	waitWindow(t, ns, "office", dectv1alpha1.WindowStateScheduled, func(w *dectv1alpha1.WindowStatus) error {
		if !w.Start.Time.After(reopened.Status.RegistrationWindow.Start.Time) {
			return fmt.Errorf("start %v did not move after the IPUI changed", w.Start)
		}
		return nil
	})
}

func TestRegistrationWindowScheduledAndAlways(t *testing.T) {
	ns := namespace(t)
	start := metav1.NewTime(clock.Now().Add(2 * time.Hour).Truncate(time.Second))
	b := newBase(ns, "sched", uniqueMAC())
	b.Spec.Registration.Window = dectv1alpha1.RegistrationWindow{Mode: dectv1alpha1.WindowScheduled, Start: &start, Duration: &metav1.Duration{Duration: time.Hour}}
	create(t, b)
	create(t, newSecret(ns, "sip-1013", "pw"))
	create(t, newHandset(ns, "hs", "sched", "1013", "00ABC50871"))
	waitHandset(t, ns, "hs", dectv1alpha1.ConditionReady, "True/Rendered")
	deliver(t, ns, "sched", clock.Now())
	waitWindow(t, ns, "sched", dectv1alpha1.WindowStateScheduled, func(w *dectv1alpha1.WindowStatus) error {
		if w.OpensAt == nil || !w.OpensAt.Equal(&start) {
			return fmt.Errorf("opensAt %v, want the scheduled start %v", w.OpensAt, start)
		}
		return nil
	})

	a := newBase(ns, "always", uniqueMAC())
	create(t, a)
	h := newHandset(ns, "hs2", "always", "1013", "00ABC50872")
	create(t, h)
	waitHandset(t, ns, "hs2", dectv1alpha1.ConditionReady, "True/Rendered")
	deliver(t, ns, "always", clock.Now().Add(-time.Minute))
	waitWindow(t, ns, "always", dectv1alpha1.WindowStateOpen, func(w *dectv1alpha1.WindowStatus) error {
		if w.ClosesAt != nil || w.Start != nil {
			return fmt.Errorf("an always-open window has an end: %+v", w)
		}
		return nil
	})
}
