package assemble

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
)

func cond(conds []metav1.Condition, typ string) string {
	c := meta.FindStatusCondition(conds, typ)
	if c == nil {
		return "<none>"
	}
	return string(c.Status) + "/" + c.Reason
}

// A problem that waiting may fix is Reconciling for StallAfter, counted from when Ready
// turned False, then Stalled; one that needs a person is Stalled at once.
func TestStatusWaitsBeforeStalling(t *testing.T) {
	policy := Policy{Now: now, StallAfter: 2 * time.Minute}
	hs := []dectv1alpha1.Handset{handset("a", "1013", "00ABC50871", 1), handset("dup", "1014", "00ABC50871", 2)}
	in := Input{Handsets: hs, Secrets: secrets("1014")} // a's Secret is missing
	res := build(t, in)
	st := Status(base(), hs, res, policy)

	a := st.Handsets["a"]
	if got := [3]string{cond(a.Conditions, "Ready"), cond(a.Conditions, "Reconciling"), cond(a.Conditions, "Stalled")}; got != [3]string{"False/SecretNotFound", "True/SecretNotFound", "<none>"} {
		t.Errorf("missing Secret, fresh: Ready, Reconciling, Stalled = %v", got)
	}
	if want := now.Add(2 * time.Minute); !st.Next.Equal(want) {
		t.Errorf("Next = %v, want the end of the grace period %v", st.Next, want)
	}
	dup := st.Handsets["dup"]
	if got := [2]string{cond(dup.Conditions, "Stalled"), cond(dup.Conditions, "Reconciling")}; got != [2]string{"True/DuplicateIPUI", "<none>"} {
		t.Errorf("duplicate IPUI: Stalled, Reconciling = %v; no waiting fixes it", got)
	}

	// Later, still missing: the wait counts from the first time, not from each reconcile.
	hs[0].Status, hs[1].Status = a, dup
	for _, tc := range []struct {
		after      time.Duration
		reconciles string
		stalled    string
	}{
		{time.Minute, "True/SecretNotFound", "<none>"},
		{2*time.Minute + time.Second, "<none>", "True/SecretNotFound"},
	} {
		policy.Now = now.Add(tc.after)
		later := Status(base(), hs, build(t, Input{Handsets: hs, Secrets: secrets("1014"), Now: policy.Now}), policy)
		got := later.Handsets["a"]
		if r, s := cond(got.Conditions, "Reconciling"), cond(got.Conditions, "Stalled"); r != tc.reconciles || s != tc.stalled {
			t.Errorf("after %v: Reconciling %s, Stalled %s; want %s, %s", tc.after, r, s, tc.reconciles, tc.stalled)
		}
	}
}

// A Secret that did not opt in is waited for like a missing one (its label may be on
// its way), then Stalled.
func TestStatusWaitsForANotConsumableSecret(t *testing.T) {
	policy := Policy{Now: now, StallAfter: 2 * time.Minute}
	hs := []dectv1alpha1.Handset{handset("a", "1013", "00ABC50871", 1)}
	refused := Refused{"sip-1013": "Secret sip-1013 exists but is not labelled"}
	st := Status(base(), hs, build(t, Input{Handsets: hs, Refused: refused}), policy)
	a := st.Handsets["a"]
	if got := [3]string{cond(a.Conditions, "Ready"), cond(a.Conditions, "Reconciling"), cond(a.Conditions, "Stalled")}; got != [3]string{"False/SecretNotConsumable", "True/SecretNotConsumable", "<none>"} {
		t.Errorf("fresh: Ready, Reconciling, Stalled = %v", got)
	}
	hs[0].Status = a
	policy.Now = now.Add(2*time.Minute + time.Second)
	later := Status(base(), hs, build(t, Input{Handsets: hs, Refused: refused, Now: policy.Now}), policy).Handsets["a"]
	if got := [2]string{cond(later.Conditions, "Reconciling"), cond(later.Conditions, "Stalled")}; got != [2]string{"<none>", "True/SecretNotConsumable"} {
		t.Errorf("after the grace period: Reconciling, Stalled = %v", got)
	}
}

func TestBaseMissingKeepsTheSlotAndWaits(t *testing.T) {
	h := handset("a", "1013", "00ABC50871", 1)
	slot := int32(3)
	h.Status.Slot = &slot
	policy := Policy{Now: now, StallAfter: time.Minute}
	st, stalls := BaseMissing(&h, policy)
	if st.Slot == nil || *st.Slot != 3 {
		t.Errorf("slot %v, want 3 kept for when the base comes back", st.Slot)
	}
	if got := cond(st.Conditions, "Reconciling"); got != "True/BaseNotFound" || !stalls.Equal(now.Add(time.Minute)) {
		t.Errorf("Reconciling %s, stalls at %v; want True/BaseNotFound until %v", got, stalls, now.Add(time.Minute))
	}
	if m := meta.FindStatusCondition(st.Conditions, "Ready").Message; !strings.Contains(m, "keeps slot 3") {
		t.Errorf("message %q does not say the slot is kept", m)
	}
	h.Status = st
	policy.Now = now.Add(2 * time.Minute)
	st, stalls = BaseMissing(&h, policy)
	if got := cond(st.Conditions, "Stalled"); got != "True/BaseNotFound" || !stalls.IsZero() {
		t.Errorf("after the grace period: Stalled %s, stalls %v; want True/BaseNotFound, never", got, stalls)
	}
}

// A re-created base gives every handset the slot its status reports; one whose slot is
// held by another is rendered elsewhere and says so.
func TestStatusOfARecreatedBase(t *testing.T) {
	reported := func(h dectv1alpha1.Handset, slot int32) dectv1alpha1.Handset {
		h.Status.Slot = &slot
		return h
	}
	hs := []dectv1alpha1.Handset{
		reported(handset("h1", "1013", "", 1), 0), reported(handset("h3", "1015", "", 3), 2),
		reported(handset("h4", "1016", "", 4), 1), reported(handset("h5", "1017", "", 5), 4),
	}
	pinned := handset("pin", "1099", "", 9)
	four := int32(4)
	pinned.Spec.Slot = &four
	hs = append(hs, pinned)
	res := build(t, Input{Handsets: hs, Secrets: secrets("1013", "1015", "1016", "1017", "1099")})
	st := Status(base(), hs, res, Policy{Now: now, StallAfter: time.Minute})
	for name, want := range map[string]int32{"h1": 0, "h3": 2, "h4": 1, "h5": 4} {
		if got := st.Handsets[name].Slot; got == nil || *got != want {
			t.Errorf("%s: slot %v, want %d back", name, got, want)
		}
	}
	if got := cond(st.Handsets["pin"].Conditions, "Ready"); got != "False/SlotTaken" {
		t.Errorf("a pin on a slot a handset reports holding: Ready %s, want False/SlotTaken", got)
	}
}

func TestStatusAcknowledgesTheReconcileRequest(t *testing.T) {
	b := base()
	b.Annotations = map[string]string{dectv1alpha1.AnnotationReconcileRequest: "2026-11-26T09:00:00Z"}
	h := handset("a", "1013", "", 1)
	h.Annotations = map[string]string{dectv1alpha1.AnnotationReconcileRequest: "now"}
	hs := []dectv1alpha1.Handset{h}
	st := Status(b, hs, build(t, Input{Base: b, Handsets: hs, Secrets: secrets("1013")}), Policy{Now: now})
	if st.Base.LastHandledReconcileAt != "2026-11-26T09:00:00Z" || st.Handsets["a"].LastHandledReconcileAt != "now" {
		t.Errorf("acknowledged %q and %q", st.Base.LastHandledReconcileAt, st.Handsets["a"].LastHandledReconcileAt)
	}
}

func TestStatusTellsOfAMovedSlot(t *testing.T) {
	holder := handset("holder", "1013", "", 5)
	first := build(t, Input{Handsets: []dectv1alpha1.Handset{holder}, Secrets: secrets("1013", "1014")})
	stale := handset("stale", "1014", "", 1)
	zero := int32(0)
	stale.Status.Slot = &zero
	hs := []dectv1alpha1.Handset{holder, stale}
	res := build(t, Input{Handsets: hs, Secrets: secrets("1013", "1014"), Stored: &first.File})
	got := Status(base(), hs, res, Policy{Now: now}).Handsets["stale"]
	ready := meta.FindStatusCondition(got.Conditions, "Ready")
	if ready.Status != metav1.ConditionTrue || ready.Reason != dectv1alpha1.ReasonSlotMoved || !strings.Contains(ready.Message, "Handset holder holds") {
		t.Errorf("Ready %s/%s %q, want True/SlotMoved naming the holder", ready.Status, ready.Reason, ready.Message)
	}
	if got.Slot == nil || *got.Slot != 1 {
		t.Errorf("slot %v, want 1", got.Slot)
	}
}

func TestFirmwarePinning(t *testing.T) {
	const server = "http://dect.example:8088/"
	pin := func(b *dectv1alpha1.DectBase, file string) *dectv1alpha1.DectBase {
		b.Spec.Firmware = &dectv1alpha1.Firmware{Manager: &dectv1alpha1.FirmwareImage{File: file}}
		return b
	}
	withIPUI := []dectv1alpha1.Handset{handset("a", "1013", "00ABC50871", 1)}
	for _, tc := range []struct {
		name      string
		base      *dectv1alpha1.DectBase
		serverURL string
		running   string
		want      string // Firmware condition status/reason
	}{
		{"nothing pinned, nothing reported", base(), server, "", "<none>"},
		{"nothing pinned", base(), server, "70.117.00.000.000", "True/NotPinned"},
		{"pinned, device updating", pin(base(), "einsteiniwu117_70.bin"), server, "70.108.00.000.000", "False/UpdatePending"},
		{"pinned and running", pin(base(), "einsteiniwu117_70.bin"), server, "70.117.00.000.000", "True/AsPinned"},
		{"too old for IPUI pre-registration", base(), server, "70.089.00.000.000", "False/FirmwareTooOld"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.base.Status.LastDelivery = &dectv1alpha1.Delivery{Firmware: tc.running}
			res := build(t, Input{Base: tc.base, Handsets: withIPUI, Secrets: secrets("1013"), ServerURL: tc.serverURL})
			if tc.base.Spec.Firmware != nil && res.Document.Firmware.Manager != "http://dect.example:8088/firmware/einsteiniwu117_70.bin" {
				t.Errorf("firmware URL %q", res.Document.Firmware.Manager)
			}
			st := Status(tc.base, withIPUI, res, Policy{Now: now})
			if got := cond(st.Base.Conditions, dectv1alpha1.ConditionFirmware); got != tc.want {
				t.Errorf("Firmware = %s, want %s", got, tc.want)
			}
		})
	}

	t.Run("a file without the server's URL", func(t *testing.T) {
		res := build(t, Input{Base: pin(base(), "einsteiniwu117_70.bin")})
		if res.BaseProblem == nil || res.BaseProblem.Reason != dectv1alpha1.ReasonInvalidSettings || !strings.Contains(res.BaseProblem.Message, "--server-url") {
			t.Errorf("base problem %+v, want InvalidSettings naming --server-url", res.BaseProblem)
		}
		if res.Document.Firmware.Manager != "" {
			t.Errorf("firmware URL %q written without a server", res.Document.Firmware.Manager)
		}
	})
}
