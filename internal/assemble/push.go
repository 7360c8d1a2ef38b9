package assemble

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/push"
)

// PushMethod is the base's declared push method; None when spec.push is absent.
func PushMethod(base *dectv1alpha1.DectBase) push.Method {
	if base.Spec.Push == nil || base.Spec.Push.Method == "" {
		return push.None
	}
	return push.Method(base.Spec.Push.Method)
}

// PushFacts is what the push scheduler needs to know about a base whose status st was
// just decided: which file is served, which one the device fetched and when, the next
// opening of a Scheduled registration window, and a resync annotation not yet handled (status keeps
// the last handled value, so that a restarted operator does not push for it again).
func PushFacts(base *dectv1alpha1.DectBase, st *dectv1alpha1.DectBaseStatus) push.Facts {
	var f push.Facts
	if st.Document != nil {
		f.Current = st.Document.Hash
	}
	if d := st.LastDelivery; d != nil {
		f.Delivered, f.DeliveredAt = d.Hash, d.Time.Time
	}
	// Only a Scheduled window opens at a time of its own, which a device with an older
	// file would miss; the others open after the device fetched (the file's change is
	// pushed for anyway).
	if w := st.RegistrationWindow; w != nil && w.Mode == dectv1alpha1.WindowScheduled && w.State == dectv1alpha1.WindowStateScheduled && w.OpensAt != nil {
		f.WindowOpensAt = w.OpensAt.Time
	}
	force := base.Annotations[dectv1alpha1.AnnotationResync]
	if st.Push == nil || st.Push.LastHandledResync != force {
		f.Force = force
	}
	return f
}

// PushTarget is where a push for base goes: the SIP account of one of its rendered
// handsets that the device has (a device answers a check-sync only for an account it
// has), lowest slot first; and, for Direct, the declared address or else the one the
// device last fetched from. A handset whose latest settings the device has fetched is
// preferred; one still waiting for its latest settings (AwaitingFetch) may be new to
// the device, and is taken only when none is. The reason is not empty when no account
// can be named: then nothing is worth sending.
func PushTarget(base *dectv1alpha1.DectBase, st Statuses, handsets []dectv1alpha1.Handset) (push.Target, string) {
	var t push.Target
	if p := base.Spec.Push; p != nil && p.Direct != nil {
		t.Host, t.Port, t.Transport = p.Direct.Address, int(p.Direct.Port), push.Transport(p.Direct.Transport)
	}
	if t.Host == "" && st.Base.LastDelivery != nil {
		t.Host = st.Base.LastDelivery.Source
	}
	if st.Base.LastDelivery == nil {
		return t, "the device has not fetched a file yet, so it has none of the base's SIP accounts to address a push to; it fetches on its own (reboot, timer)"
	}
	type candidate struct {
		user      string
		slot      int32
		delivered bool
	}
	var cs []candidate
	for i := range handsets {
		h := &handsets[i]
		hs, ok := st.Handsets[h.Name]
		if !ok || hs.Slot == nil || !meta.IsStatusConditionTrue(hs.Conditions, dectv1alpha1.ConditionReady) || h.Spec.SIP.UserID == "" {
			continue
		}
		delivered := meta.FindStatusCondition(hs.Conditions, dectv1alpha1.ConditionDelivered)
		if delivered == nil || (delivered.Status != metav1.ConditionTrue && delivered.Reason != dectv1alpha1.ReasonAwaitingFetch) {
			continue
		}
		cs = append(cs, candidate{string(h.Spec.SIP.UserID), *hs.Slot, delivered.Status == metav1.ConditionTrue})
	}
	if len(cs) == 0 {
		return t, "no handset of the base is rendered and fetched by the device, so no SIP account can address a push"
	}
	best := slices.MinFunc(cs, func(a, b candidate) int {
		if a.delivered != b.delivered {
			if a.delivered {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.slot, b.slot)
	})
	t.Account.User = best.user
	if base.Spec.SIP != nil {
		t.Account.Domain = string(base.Spec.SIP.Domain)
	}
	if t.Account.Domain == "" {
		t.Account.Domain = t.Host
	}
	return t, ""
}

// PushWaiting records in st that no push can be addressed now, and why.
func PushWaiting(st *dectv1alpha1.DectBaseStatus, method push.Method, why string) {
	ps := &dectv1alpha1.PushStatus{}
	if st.Push != nil {
		ps = st.Push.DeepCopy()
	}
	ps.Method, ps.State, ps.Message, ps.NextPushTime = dectv1alpha1.PushMethod(method), ReasonNoAccount, why, nil
	st.Push = ps
}

// ReasonNoAccount is status.push.state while no account can address a push.
const ReasonNoAccount = "NoAccount"

// PushOutcome is what one step of the push scheduler changes on a base.
type PushOutcome struct {
	// Warning, when not empty, is the note of a Warning Event: a push failed and the
	// previous one did not fail the same way. Retries that fail alike stay quiet.
	Warning string
}

// PushStatus records one step of the push scheduler in st: the push sent (res, nil when
// none was), the fetch that followed one, what the scheduler waits for, and the Pushed
// condition (True while the last push was accepted, False with reason PushFailed when
// it was not; absent before the first push). It never touches Ready, Reconciling or
// Stalled: a push that fails leaves the file served, and kstatus unaffected.
func PushStatus(st *dectv1alpha1.DectBaseStatus, gen int64, method push.Method, d push.Decision, res *push.Result, now time.Time) PushOutcome {
	var out PushOutcome
	prev := st.Push
	ps := &dectv1alpha1.PushStatus{}
	if prev != nil {
		ps = prev.DeepCopy()
	}
	ps.Method = dectv1alpha1.PushMethod(method)
	if res != nil {
		if !res.OK && (prev == nil || prev.Accepted || prev.Result != res.Status) {
			out.Warning = fmt.Sprintf("push by %s failed: %s", method, res.Status)
		}
		ps.LastPushTime, ps.Result, ps.Accepted = seconds(now), res.Status, res.OK
		ps.FetchedAt, ps.FetchedAfter = nil, nil
		if res.OK {
			ps.ConsecutiveFailures = 0
		} else {
			ps.ConsecutiveFailures++
		}
	}
	if d.Fetched && ps.LastPushTime != nil {
		ps.FetchedAt, ps.FetchedAfter = seconds(ps.LastPushTime.Add(d.FetchedAfter)), &metav1.Duration{Duration: d.FetchedAfter.Round(time.Millisecond)}
	}
	ps.State, ps.Message = string(d.Reason), d.Message
	ps.NextPushTime = nil
	if !d.Next.IsZero() {
		ps.NextPushTime = seconds(d.Next)
	}
	if d.State.Forced != "" {
		ps.LastHandledResync = d.State.Forced
	}
	st.Push = ps

	if ps.LastPushTime != nil {
		p := Policy{Now: now}
		if ps.Accepted {
			p.set(&st.Conditions, gen, dectv1alpha1.ConditionPushed, metav1.ConditionTrue, dectv1alpha1.ReasonPushAccepted,
				fmt.Sprintf("the last push (%s) was accepted: %s", method, ps.Result))
		} else {
			p.set(&st.Conditions, gen, dectv1alpha1.ConditionPushed, metav1.ConditionFalse, dectv1alpha1.ReasonPushFailed,
				fmt.Sprintf("%d push(es) by %s in a row failed, the last one: %s; the device still fetches on its own timer", ps.ConsecutiveFailures, method, ps.Result))
		}
	}
	return out
}

// PushOff removes what pushes wrote, for a base whose push method is None.
func PushOff(st *dectv1alpha1.DectBaseStatus) {
	st.Push = nil
	meta.RemoveStatusCondition(&st.Conditions, dectv1alpha1.ConditionPushed)
}

// seconds is t as status keeps it: whole seconds, so that what is computed again
// compares equal to what was stored.
func seconds(t time.Time) *metav1.Time {
	m := metav1.NewTime(t.UTC().Truncate(time.Second))
	return &m
}
