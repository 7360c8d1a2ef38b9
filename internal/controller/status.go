package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/assemble"
	"github.com/dect-operator/dect-operator/internal/wire"
)

// writeStatuses writes what assemble decided for the base, and hands what it decided for
// each handset to the handset status writer, which writes it shortly after, together
// with the base's other handsets (handsetstatus.Writer).
func (r *DectBaseReconciler) writeStatuses(ctx context.Context, base *dectv1alpha1.DectBase, handsets []dectv1alpha1.Handset, st assemble.Statuses) error {
	key := client.ObjectKeyFromObject(base)
	for i := range handsets {
		if hs, ok := st.Handsets[handsets[i].Name]; ok {
			r.HandsetStatuses.Set(key, &handsets[i], hs)
		}
	}
	return r.patchBaseStatus(ctx, base, &st.Base)
}

// stall marks base as needing a person, and its handsets as waiting for it.
func (r *DectBaseReconciler) stall(ctx context.Context, base *dectv1alpha1.DectBase, handsets []dectv1alpha1.Handset, reason, message string) error {
	return r.writeStatuses(ctx, base, handsets, assemble.Stalled(base, handsets, reason, message, r.policy(r.now())))
}

func (r *DectBaseReconciler) patchBaseStatus(ctx context.Context, base *dectv1alpha1.DectBase, st *dectv1alpha1.DectBaseStatus) error {
	patched := base.DeepCopy()
	patched.Status = *st
	if err := r.writeStatus(ctx, base, patched); err != nil {
		return fmt.Errorf("writing the status of DectBase %s: %w", base.Name, err)
	}
	return nil
}

// writeStatus patches the status of orig to that of patched, only when it changed. A
// merge patch carries only what changed, so the provisioning server's delivery record
// (its own field of a DectBase's status) is never overwritten with a stale copy.
func (r *DectBaseReconciler) writeStatus(ctx context.Context, orig, patched *dectv1alpha1.DectBase) error {
	if equality.Semantic.DeepEqual(orig, patched) {
		return nil
	}
	r.eventOnChange(patched, orig.Status.Conditions, patched.Status.Conditions)
	stored := wire.Stored(patched.Status)
	r.echoes.expect("DectBase", client.ObjectKeyFromObject(patched), func(o client.Object) bool {
		got, ok := o.(*dectv1alpha1.DectBase)
		return ok && got.Generation == patched.Generation && equality.Semantic.DeepEqual(got.Status, stored)
	})
	err := r.Status().Patch(ctx, patched, client.MergeFrom(orig))
	r.echoes.written("DectBase", patched, err)
	return err
}

// eventOnChange emits an Event when what a person should know changes: a Warning when
// an object stalls (a person must act) or a handset did not get its slot back, a Normal
// one while a missing object is waited for and once a problem is solved. Unchanged
// conditions emit nothing, so a base at rest is quiet.
func (r *DectBaseReconciler) eventOnChange(obj client.Object, before, after []metav1.Condition) {
	if r.Recorder == nil {
		return
	}
	changed := func(typ string) (*metav1.Condition, bool) {
		was, now := meta.FindStatusCondition(before, typ), meta.FindStatusCondition(after, typ)
		if now == nil || now.Status != metav1.ConditionTrue {
			return now, false
		}
		return now, was == nil || was.Status != now.Status || was.Reason != now.Reason || was.Message != now.Message
	}
	if c, ok := changed(dectv1alpha1.ConditionStalled); ok {
		r.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, c.Reason, "Reconcile", "%s", c.Message)
		return
	}
	if c, ok := changed(dectv1alpha1.ConditionReconciling); ok {
		r.Recorder.Eventf(obj, nil, corev1.EventTypeNormal, c.Reason, "Reconcile", "%s", c.Message)
		return
	}
	was := meta.FindStatusCondition(before, dectv1alpha1.ConditionReady)
	if c, ok := changed(dectv1alpha1.ConditionReady); ok {
		switch {
		case c.Reason == dectv1alpha1.ReasonSlotMoved:
			r.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, c.Reason, "Reconcile", "%s", c.Message)
		case was != nil && was.Status != metav1.ConditionTrue:
			r.Recorder.Eventf(obj, nil, corev1.EventTypeNormal, c.Reason, "Reconcile", "%s", c.Message)
		}
	}
}
