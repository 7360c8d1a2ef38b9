package controller

import (
	"cmp"
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/assemble"
	"github.com/dect-operator/dect-operator/internal/push"
	"github.com/dect-operator/dect-operator/internal/push/ami"
	"github.com/dect-operator/dect-operator/internal/push/esl"
	"github.com/dect-operator/dect-operator/internal/push/sipnotify"
)

// stepPush runs the base's push scheduler once its file and statuses are written (st is
// what was written), sends a push when one is due, and records the outcome in
// status.push. It returns when the scheduler wants to be asked again (zero: when
// something changes).
func (r *DectBaseReconciler) stepPush(ctx context.Context, base *dectv1alpha1.DectBase, handsets []dectv1alpha1.Handset,
	st assemble.Statuses, secrets assemble.Secrets, refused assemble.Refused) (time.Time, error) {
	key := client.ObjectKeyFromObject(base).String()
	written := base.DeepCopy()
	written.Status = st.Base
	patched := written.DeepCopy()

	method := assemble.PushMethod(base)
	if method == push.None || r.Pusher == nil {
		if r.Pusher != nil {
			r.Pusher.Forget(key)
		}
		assemble.PushOff(&patched.Status)
		return time.Time{}, r.writeStatus(ctx, written, patched)
	}

	// status.push is decided from the status as stored now: the cache may not hold the
	// previous reconcile's write yet, and a patch computed against a stale copy would
	// leave out what did not change relative to that copy.
	if r.APIReader != nil {
		live := &dectv1alpha1.DectBase{}
		if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(base), live); err != nil {
			return time.Time{}, client.IgnoreNotFound(err)
		}
		written, patched, st.Base = live, live.DeepCopy(), live.Status
	}

	now := r.now()
	target, why := assemble.PushTarget(base, st, handsets)
	if why != "" {
		assemble.PushWaiting(&patched.Status, method, why)
		return time.Time{}, r.writeStatus(ctx, written, patched)
	}

	d, res := r.Pusher.Step(ctx, key, assemble.PushFacts(base, &st.Base), notifierFor(base.Spec.Push, secrets, refused), target, now)
	out := assemble.PushStatus(&patched.Status, base.Generation, method, d, res, now)
	if res != nil {
		logf.FromContext(ctx).Info("push sent", "method", method, "reason", d.Reason,
			"account", target.Account.String(), "ok", res.OK, "result", res.Status, "took", res.Took)
	}
	if out.Warning != "" && r.Recorder != nil {
		r.Recorder.Eventf(base, nil, corev1.EventTypeWarning, dectv1alpha1.ReasonPushFailed, "Push", "%s", out.Warning)
	}
	if err := r.writeStatus(ctx, written, patched); err != nil {
		return time.Time{}, fmt.Errorf("writing the push status of DectBase %s: %w", base.Name, err)
	}
	return d.Next, nil
}

// notifierFor builds the Notifier of a base's declared push method, with its
// credentials from the Secrets already read. A missing or refused Secret or a missing key
// makes a notifier that fails with that message, so the scheduler's backoff and the
// status apply to it like to any failed push.
func notifierFor(p *dectv1alpha1.Push, secrets assemble.Secrets, refused assemble.Refused) push.Notifier {
	switch p.Method {
	case dectv1alpha1.PushAsteriskAMI:
		a := p.AsteriskAMI
		if a == nil {
			return unavailable{push.AsteriskAMI, "spec.push.asteriskAMI is not set"}
		}
		ref := a.CredentialsSecretRef.Name
		if why, ok := refused[ref]; ok {
			return unavailable{push.AsteriskAMI, why + " (spec.push.asteriskAMI.credentialsSecretRef)"}
		}
		user, okUser := secrets[ref]["username"]
		secret, okSecret := secrets[ref]["secret"]
		if !okUser || !okSecret {
			return unavailable{push.AsteriskAMI, fmt.Sprintf("Secret %s (spec.push.asteriskAMI.credentialsSecretRef) is missing or lacks the keys username and secret", ref)}
		}
		variant := ami.PJSIP
		if a.Variant == "chan_sip" {
			variant = ami.ChanSIP
		}
		return &ami.Notifier{Addr: a.Address, Username: string(user), Secret: string(secret), Variant: variant}
	case dectv1alpha1.PushFreeSWITCH:
		f := p.FreeSWITCH
		if f == nil {
			return unavailable{push.FreeSWITCH, "spec.push.freeSWITCH is not set"}
		}
		ref, key := f.PasswordSecretRef.Name, cmp.Or(f.PasswordSecretRef.Key, "password")
		if why, ok := refused[ref]; ok {
			return unavailable{push.FreeSWITCH, why + " (spec.push.freeSWITCH.passwordSecretRef)"}
		}
		password, ok := secrets[ref][key]
		if !ok {
			return unavailable{push.FreeSWITCH, fmt.Sprintf("Secret %s (spec.push.freeSWITCH.passwordSecretRef) is missing or lacks the key %s", ref, key)}
		}
		return &esl.Notifier{Addr: f.Address, Password: string(password), Profile: f.Profile}
	default:
		return &sipnotify.Direct{}
	}
}

// unavailable is the Notifier of a push method that cannot be used as declared.
type unavailable struct {
	method push.Method
	why    string
}

func (u unavailable) Notify(context.Context, push.Target) push.Result {
	return push.Result{Method: u.method, Status: u.why}
}

func (u unavailable) Method() push.Method { return u.method }
