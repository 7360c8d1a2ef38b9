package assemble

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/gigaset"
	"github.com/dect-operator/dect-operator/internal/provfile"
	"github.com/dect-operator/dect-operator/internal/window"
)

// Statuses is what the status of every object of one base says.
type Statuses struct {
	Base dectv1alpha1.DectBaseStatus
	// Handsets by name.
	Handsets map[string]dectv1alpha1.HandsetStatus
	// Next is when a status changes by the clock alone (the registration window moves
	// on, or a wait turns into Stalled); zero when none does.
	Next time.Time
}

// Policy is what status decisions depend on besides the objects.
type Policy struct {
	// ServerURL is where devices reach the provisioning server ("" when unknown).
	ServerURL string
	Now       time.Time
	// StallAfter is how long a problem that waiting may fix (a Secret or DectBase that a
	// GitOps tool, SealedSecrets or External Secrets has yet to create) is reported as
	// Reconciling before it is Stalled. Problems no waiting fixes are Stalled at once.
	StallAfter time.Duration
}

// DefaultStallAfter is StallAfter's default: long enough for a GitOps tool to apply a
// repository in any order and for a secrets operator to deliver, short enough that a
// forgotten Secret fails a Flux `wait` or shows Degraded in Argo CD within minutes.
const DefaultStallAfter = 2 * time.Minute

// Status decides the status of base and of each of its handsets once res is stored.
func Status(base *dectv1alpha1.DectBase, handsets []dectv1alpha1.Handset, res *Result, p Policy) Statuses {
	file := &res.File
	st := base.Status.DeepCopy()
	st.ObservedGeneration = base.Generation
	st.MACAddress = res.Document.MAC
	st.ConfigMapName = provfile.ConfigMapName(base.Name)
	st.URL = p.ServerURL
	st.Document = &dectv1alpha1.DocumentStatus{Hash: file.Hash, Generation: file.Generation, RenderedAt: metav1.NewTime(file.RenderedAt)}
	st.LastHandledReconcileAt = handled(base, st.LastHandledReconcileAt)

	st.Slots = slotTable(res)
	st.Handsets = dectv1alpha1.HandsetCounts{Total: int32(len(handsets))}

	win, next := windowStatus(base, res, p.Now)
	st.RegistrationWindow = win

	// A record taken back lets go of the absent handsets' slots when its hold ends.
	out := Statuses{Handsets: make(map[string]dectv1alpha1.HandsetStatus, len(handsets)), Next: earliest(next, file.HoldUntil)}
	var problems []string
	for i := range handsets {
		h := &handsets[i]
		o := res.Handsets[h.Name]
		if o.Slot != nil {
			st.Handsets.Assigned++
		}
		if o.Problem == nil && o.Slot != nil {
			st.Handsets.Ready++
		} else if o.Problem != nil {
			problems = append(problems, fmt.Sprintf("%s: %s", h.Name, o.Problem.Reason))
		}
		hs, stalls := p.handsetStatus(h, o, file.Generation, base.Status.LastDelivery)
		if meta.IsStatusConditionTrue(hs.Conditions, dectv1alpha1.ConditionDelivered) {
			st.Handsets.Delivered++
		}
		out.Handsets[h.Name] = hs
		out.Next = earliest(out.Next, stalls)
	}

	if bp := res.BaseProblem; bp != nil {
		out.Next = earliest(out.Next, p.notReady(&st.Conditions, base.Generation, bp.Reason,
			bp.Message+"; the device keeps being served the last good values", waitable(bp.Reason)))
	} else {
		msg := fmt.Sprintf("file generation %d rendered: %d of %d handsets ready", file.Generation, st.Handsets.Ready, st.Handsets.Total)
		if len(problems) > 0 {
			slices.Sort(problems)
			msg += fmt.Sprintf("; with problems: %s", summarise(problems, 5))
		}
		p.ready(&st.Conditions, base.Generation, dectv1alpha1.ReasonRendered, msg)
	}
	p.setDelivered(&st.Conditions, base.Generation, base.Status.LastDelivery, file.Generation, "the current file")
	p.setProtected(&st.Conditions, base)
	p.setFirmware(&st.Conditions, base.Generation, res, base.Status.LastDelivery)
	out.Base = *st
	return out
}

// setFirmware says whether the device runs the firmware it should: the pinned image, and
// one that does what the base asks (IPUI pre-registration needs MinIPUIFirmware).
func (p Policy) setFirmware(conds *[]metav1.Condition, gen int64, res *Result, d *dectv1alpha1.Delivery) {
	pinned := res.Document.Firmware.Manager
	running := ""
	if d != nil {
		running = d.Firmware
	}
	note := ""
	if len(pinned) > gigaset.KnownFirmwareURL {
		note = fmt.Sprintf(" (its URL has %d characters; URLs of up to %d are known to work)", len(pinned), gigaset.KnownFirmwareURL)
	}
	expect, known := gigaset.FirmwareVersion(pinned)
	if build, ok := gigaset.FirmwareBuild(running); ok && build < gigaset.MinIPUIFirmware && res.Reserved {
		msg := fmt.Sprintf("the device runs firmware %s: IPUI pre-registration needs %d or newer, so handsets with IPUIs will not register by themselves", running, gigaset.MinIPUIFirmware)
		if pinned != "" {
			msg += "; it is pinned to " + pinned + note
		} else {
			msg += "; pin a newer image in spec.firmware.manager"
		}
		p.set(conds, gen, dectv1alpha1.ConditionFirmware, metav1.ConditionFalse, dectv1alpha1.ReasonFirmwareTooOld, msg)
		return
	}
	switch {
	case pinned == "" && running == "":
		meta.RemoveStatusCondition(conds, dectv1alpha1.ConditionFirmware)
	case pinned == "":
		p.set(conds, gen, dectv1alpha1.ConditionFirmware, metav1.ConditionTrue, dectv1alpha1.ReasonFirmwareNotPinned,
			fmt.Sprintf("the device runs firmware %s; none is pinned", running))
	case known && running == expect:
		p.set(conds, gen, dectv1alpha1.ConditionFirmware, metav1.ConditionTrue, dectv1alpha1.ReasonFirmwareAsPinned,
			fmt.Sprintf("the device runs firmware %s, as pinned%s", running, note))
	case !known:
		p.set(conds, gen, dectv1alpha1.ConditionFirmware, metav1.ConditionUnknown, dectv1alpha1.ReasonFirmwareUpdating,
			fmt.Sprintf("pinned to %s, whose name does not say its version; the device reports %q%s", pinned, running, note))
	default:
		shown := running
		if shown == "" {
			shown = "no version yet"
		}
		p.set(conds, gen, dectv1alpha1.ConditionFirmware, metav1.ConditionFalse, dectv1alpha1.ReasonFirmwareUpdating,
			fmt.Sprintf("pinned to %s (firmware %s); the device reports %s: it downloads the image after it fetches its file%s", pinned, expect, shown, note))
	}
}

// Stalled is the status of a base whose own settings leave no file to serve (a person
// must act), and of its handsets, which wait for it.
func Stalled(base *dectv1alpha1.DectBase, handsets []dectv1alpha1.Handset, reason, message string, p Policy) Statuses {
	st := base.Status.DeepCopy()
	st.ObservedGeneration = base.Generation
	st.LastHandledReconcileAt = handled(base, st.LastHandledReconcileAt)
	p.notReady(&st.Conditions, base.Generation, reason, message, false)
	out := Statuses{Base: *st, Handsets: make(map[string]dectv1alpha1.HandsetStatus, len(handsets))}
	for i := range handsets {
		h := &handsets[i]
		hs := h.Status.DeepCopy()
		hs.ObservedGeneration = h.Generation
		hs.LastHandledReconcileAt = handled(h, hs.LastHandledReconcileAt)
		p.notReady(&hs.Conditions, h.Generation, dectv1alpha1.ReasonBaseNotReady, fmt.Sprintf("DectBase %s is not ready: %s", base.Name, message), false)
		out.Handsets[h.Name] = *hs
	}
	return out
}

// BaseMissing is the status of a Handset whose DectBase does not exist, and when it turns
// from waiting into Stalled (zero when it already has). The handset keeps the slot its
// status reports: a DectBase created again gives it back (slots.Assign, rule 3).
func BaseMissing(h *dectv1alpha1.Handset, p Policy) (dectv1alpha1.HandsetStatus, time.Time) {
	st := h.Status.DeepCopy()
	st.ObservedGeneration = h.Generation
	st.LastHandledReconcileAt = handled(h, st.LastHandledReconcileAt)
	msg := fmt.Sprintf("DectBase %s does not exist in namespace %s", h.Spec.BaseRef.Name, h.Namespace)
	if st.Slot != nil {
		msg += fmt.Sprintf("; the handset keeps slot %d for when it does", *st.Slot)
	}
	next := p.notReady(&st.Conditions, h.Generation, dectv1alpha1.ReasonBaseNotFound, msg, true)
	return *st, next
}

// waitable tells whether waiting may solve a problem: an object that a GitOps tool, or a
// secrets operator such as SealedSecrets or External Secrets, may still create. A Secret
// not (yet) labelled consumable counts as one too: a repository applied in any order, or
// Secrets labelled one by one after an upgrade, add the label moments later, and the
// label's arrival wakes the base (the manager watches labelled Secrets). Until then the
// last good values are served, as for a missing Secret; after StallAfter a person must
// label it.
func waitable(reason string) bool {
	switch reason {
	case dectv1alpha1.ReasonSecretNotFound, dectv1alpha1.ReasonAuthSecretNotFound, dectv1alpha1.ReasonBaseNotFound,
		dectv1alpha1.ReasonSecretNotConsumable:
		return true
	}
	return false
}

// handled is the reconcile request an object's status acknowledges: the annotation's
// value now, or the one acknowledged before.
func handled(o metav1.Object, before string) string {
	if v := o.GetAnnotations()[dectv1alpha1.AnnotationReconcileRequest]; v != "" {
		return v
	}
	return before
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// windowStatus is the registration window's status and its next transition.
func windowStatus(base *dectv1alpha1.DectBase, out *Result, now time.Time) (*dectv1alpha1.WindowStatus, time.Time) {
	w := out.Window
	ws := &dectv1alpha1.WindowStatus{Mode: base.Spec.Registration.Window.Mode, Generation: out.File.Generation}
	if ws.Mode == "" {
		ws.Mode = dectv1alpha1.WindowAlways
	}
	if w.Duration > 0 {
		start := metav1.NewTime(time.Unix(w.Start, 0).UTC())
		ws.Start = &start
		ws.Duration = &metav1.Duration{Duration: time.Duration(w.Duration) * time.Second}
	}
	// The window counts as fetched once the device fetched any file that already carried
	// it and the same reservations, so the generation that first carried both is kept
	// while they stay the same.
	if prev := base.Status.RegistrationWindow; prev != nil && prev.Generation > 0 &&
		equality.Semantic.DeepEqual(prev.Start, ws.Start) && equality.Semantic.DeepEqual(prev.Duration, ws.Duration) &&
		slices.Equal(reservedIPUIs(base.Status.Slots), reservedIPUIs(slotTable(out))) {
		ws.Generation = prev.Generation
	}
	// The device arms the window when it applies a new file; the server records every
	// re-check too, so the first record of each generation is kept.
	prev := base.Status.RegistrationWindow
	if d := base.Status.LastDelivery; d != nil {
		if prev != nil && prev.FetchedAt != nil && prev.FetchedGeneration == d.Generation {
			ws.FetchedAt, ws.FetchedGeneration = prev.FetchedAt, prev.FetchedGeneration
		} else {
			t := d.Time
			ws.FetchedAt, ws.FetchedGeneration = &t, d.Generation
		}
	}
	var fetchedAt *time.Time
	if ws.FetchedAt != nil && ws.FetchedGeneration >= ws.Generation {
		t := ws.FetchedAt.Time
		fetchedAt = &t
	}
	obs := window.Observe(w, out.Reserved, fetchedAt, now)
	ws.State = dectv1alpha1.WindowState(obs.State)
	ws.Message = obs.Message
	ws.OpensAt = metaTime(obs.OpensAt)
	ws.ClosesAt = metaTime(obs.ClosesAt)
	if req := base.Annotations[dectv1alpha1.AnnotationReopenWindow]; req != "" {
		ws.ReopenRequest = req
	}
	ws.ReopenedAt = metaTime(nonZero(out.ReopenedAt))
	return ws, obs.Next
}

// slotTable lists the assigned slots of the document.
func slotTable(out *Result) []dectv1alpha1.SlotAssignment {
	var table []dectv1alpha1.SlotAssignment
	for slot, s := range out.Document.Slots {
		if s.Owner != "" {
			table = append(table, dectv1alpha1.SlotAssignment{Slot: int32(slot), Handset: s.Owner, IPUI: s.IPUI})
		}
	}
	return table
}

func reservedIPUIs(table []dectv1alpha1.SlotAssignment) []string {
	var ipuis []string
	for _, s := range table {
		if s.IPUI != "" {
			ipuis = append(ipuis, fmt.Sprintf("%d=%s", s.Slot, s.IPUI))
		}
	}
	return ipuis
}

// handsetStatus is one handset's status, and when it turns from waiting into Stalled
// (zero when it does not wait).
func (p Policy) handsetStatus(h *dectv1alpha1.Handset, o Handset, generation int64, delivery *dectv1alpha1.Delivery) (dectv1alpha1.HandsetStatus, time.Time) {
	var stalls time.Time
	st := h.Status.DeepCopy()
	st.ObservedGeneration = h.Generation
	st.LastHandledReconcileAt = handled(h, st.LastHandledReconcileAt)
	st.Slot = nil
	if o.Slot != nil {
		s := int32(*o.Slot)
		st.Slot = &s
	}
	st.IPUI = o.IPUI

	if o.Problem != nil {
		msg := o.Problem.Message
		if o.Slot != nil {
			msg += fmt.Sprintf("; slot %d keeps its last good settings", *o.Slot)
		}
		stalls = p.notReady(&st.Conditions, h.Generation, o.Problem.Reason, msg, waitable(o.Problem.Reason))
	} else {
		if st.SettingsHash != o.SettingsHash {
			st.SettingsHash = o.SettingsHash
			st.SettingsGeneration = generation
		}
		reason, msg := dectv1alpha1.ReasonRendered, fmt.Sprintf("rendered in slot %d (SIP account and handset %d on the device)", *o.Slot, *o.Slot+1)
		if o.Moved != nil {
			reason, msg = dectv1alpha1.ReasonSlotMoved, msg+fmt.Sprintf("; not in slot %d: %s", o.Moved.From, o.Moved.Message)
		}
		p.ready(&st.Conditions, h.Generation, reason, msg)
	}
	p.setDelivered(&st.Conditions, h.Generation, delivery, st.SettingsGeneration, "the handset's current settings")
	return *st, stalls
}

// ready sets Ready=True and removes Reconciling and Stalled, which kstatus wants present
// only while true.
func (p Policy) ready(conds *[]metav1.Condition, gen int64, reason, message string) {
	p.set(conds, gen, dectv1alpha1.ConditionReady, metav1.ConditionTrue, reason, message)
	meta.RemoveStatusCondition(conds, dectv1alpha1.ConditionReconciling)
	meta.RemoveStatusCondition(conds, dectv1alpha1.ConditionStalled)
}

// notReady sets Ready=False, and Reconciling=True (kstatus InProgress) while a waitable
// problem is younger than StallAfter, Stalled=True (kstatus Failed) otherwise. It returns
// when a waiting problem turns Stalled, or zero. A problem's age counts from when Ready
// turned False; transient API errors are retried instead and never reach status.
func (p Policy) notReady(conds *[]metav1.Condition, gen int64, reason, message string, waitable bool) time.Time {
	since := p.Now
	if c := meta.FindStatusCondition(*conds, dectv1alpha1.ConditionReady); c != nil && c.Status != metav1.ConditionTrue && !c.LastTransitionTime.IsZero() {
		since = c.LastTransitionTime.Time
	}
	p.set(conds, gen, dectv1alpha1.ConditionReady, metav1.ConditionFalse, reason, message)
	if deadline := since.Add(p.StallAfter); waitable && p.Now.Before(deadline) {
		p.set(conds, gen, dectv1alpha1.ConditionReconciling, metav1.ConditionTrue, reason,
			fmt.Sprintf("%s; waiting for it until %s, then reported as stalled", message, deadline.UTC().Format(time.RFC3339)))
		meta.RemoveStatusCondition(conds, dectv1alpha1.ConditionStalled)
		return deadline
	}
	p.set(conds, gen, dectv1alpha1.ConditionStalled, metav1.ConditionTrue, reason, message)
	meta.RemoveStatusCondition(conds, dectv1alpha1.ConditionReconciling)
	return time.Time{}
}

// setDelivered reports whether the device fetched a file of generation gen or later, and
// returns true when it did.
func (p Policy) setDelivered(conds *[]metav1.Condition, objGen int64, d *dectv1alpha1.Delivery, gen int64, what string) bool {
	switch {
	case gen == 0:
		p.set(conds, objGen, dectv1alpha1.ConditionDelivered, metav1.ConditionUnknown, dectv1alpha1.ReasonProgressing,
			"nothing of this object has been rendered yet, so the device cannot have it")
		return false
	case d == nil:
		p.set(conds, objGen, dectv1alpha1.ConditionDelivered, metav1.ConditionUnknown, dectv1alpha1.ReasonNeverFetched,
			"the device has not fetched its file yet: check that it is told the provisioning server's URL (status.url of the DectBase)")
		return false
	case gen > 0 && d.Generation >= gen:
		// No time in the message: it would change with every re-check the server
		// records, and rewrite every handset's status each time (status.lastDelivery
		// of the DectBase has the time).
		p.set(conds, objGen, dectv1alpha1.ConditionDelivered, metav1.ConditionTrue, dectv1alpha1.ReasonDelivered,
			fmt.Sprintf("the device fetched %s (file generation %d or later)", what, gen))
		return true
	default:
		p.set(conds, objGen, dectv1alpha1.ConditionDelivered, metav1.ConditionUnknown, dectv1alpha1.ReasonAwaitingFetch,
			fmt.Sprintf("the device has file generation %d, not yet %s (generation %d); it fetches on reboot, on its update timer, or on a check-sync NOTIFY", d.Generation, what, gen))
		return false
	}
}

func (p Policy) setProtected(conds *[]metav1.Condition, base *dectv1alpha1.DectBase) {
	if base.Spec.Provisioning.AuthSecretRef != nil {
		p.set(conds, base.Generation, dectv1alpha1.ConditionProtected, metav1.ConditionTrue, dectv1alpha1.ReasonDigestConfigured,
			"the device must authenticate with HTTP Digest to fetch its file")
		return
	}
	p.set(conds, base.Generation, dectv1alpha1.ConditionProtected, metav1.ConditionFalse, dectv1alpha1.ReasonUnprotected,
		"anyone who can reach the provisioning server can fetch this base's file, SIP passwords included: set spec.provisioning.authSecretRef")
}

// set sets a condition; a changed status takes the policy's clock as its transition time.
func (p Policy) set(conds *[]metav1.Condition, gen int64, typ string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(conds, metav1.Condition{Type: typ, Status: status, Reason: reason, Message: message,
		ObservedGeneration: gen, LastTransitionTime: metav1.NewTime(p.Now)})
}

func summarise(items []string, most int) string {
	if len(items) <= most {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:most], ", "), len(items)-most)
}

func metaTime(t *time.Time) *metav1.Time {
	if t == nil {
		return nil
	}
	m := metav1.NewTime(t.UTC())
	return &m
}

func nonZero(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
