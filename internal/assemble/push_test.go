package assemble

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/push"
)

func TestPushFactsResyncHandledOnce(t *testing.T) {
	base := &dectv1alpha1.DectBase{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{dectv1alpha1.AnnotationResync: "now"}}}
	st := &dectv1alpha1.DectBaseStatus{}
	if f := PushFacts(base, st); f.Force != "now" {
		t.Errorf("a new resync value: Force %q, want now", f.Force)
	}
	st.Push = &dectv1alpha1.PushStatus{LastHandledResync: "now"}
	if f := PushFacts(base, st); f.Force != "" {
		t.Errorf("a handled resync value (e.g. after a restart): Force %q, want none", f.Force)
	}
}

func TestPushFactsWindowLeadOnlyForScheduled(t *testing.T) {
	opens := metav1.NewTime(time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC))
	for mode, want := range map[dectv1alpha1.WindowMode]bool{dectv1alpha1.WindowScheduled: true, dectv1alpha1.WindowOnChange: false, dectv1alpha1.WindowAlways: false} {
		st := &dectv1alpha1.DectBaseStatus{RegistrationWindow: &dectv1alpha1.WindowStatus{Mode: mode, State: dectv1alpha1.WindowStateScheduled, OpensAt: &opens}}
		if got := !PushFacts(&dectv1alpha1.DectBase{}, st).WindowOpensAt.IsZero(); got != want {
			t.Errorf("%s window: WindowOpensAt set %v, want %v", mode, got, want)
		}
	}
}

func TestPushStatusWarnsOncePerFailure(t *testing.T) {
	now := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	st := &dectv1alpha1.DectBaseStatus{}
	refused := &push.Result{Method: push.AsteriskAMI, Status: "Asterisk manager at 127.0.0.1:5038: connection refused"}
	d := push.Decision{Send: true, Reason: push.Changed, Next: now.Add(30 * time.Second)}

	if out := PushStatus(st, 1, push.AsteriskAMI, d, refused, now); out.Warning == "" {
		t.Error("the first failure emits no Warning")
	}
	c := meta.FindStatusCondition(st.Conditions, dectv1alpha1.ConditionPushed)
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != dectv1alpha1.ReasonPushFailed {
		t.Fatalf("Pushed condition %+v, want False/PushFailed", c)
	}
	if out := PushStatus(st, 1, push.AsteriskAMI, d, refused, now.Add(30*time.Second)); out.Warning != "" {
		t.Errorf("a retry failing alike emits a Warning: %q", out.Warning)
	}
	if st.Push.ConsecutiveFailures != 2 || st.Push.Accepted || st.Push.NextPushTime == nil {
		t.Errorf("status.push %+v", st.Push)
	}
	ok := &push.Result{Method: push.AsteriskAMI, OK: true, Status: "Asterisk PJSIPNotify to endpoint 1013: NOTIFY sent"}
	if out := PushStatus(st, 1, push.AsteriskAMI, push.Decision{Send: true, Reason: push.Retry}, ok, now.Add(90*time.Second)); out.Warning != "" {
		t.Errorf("an accepted push emits a Warning: %q", out.Warning)
	}
	if !meta.IsStatusConditionTrue(st.Conditions, dectv1alpha1.ConditionPushed) || st.Push.ConsecutiveFailures != 0 {
		t.Errorf("after an accepted push: status.push %+v, conditions %+v", st.Push, st.Conditions)
	}
	for _, c := range st.Conditions {
		if c.Type == dectv1alpha1.ConditionReady || c.Type == dectv1alpha1.ConditionStalled {
			t.Errorf("a push touched %s", c.Type)
		}
	}
	PushStatus(st, 1, push.AsteriskAMI, push.Decision{Reason: push.UpToDate, Fetched: true, FetchedAfter: 1500 * time.Millisecond}, nil, now.Add(92*time.Second))
	if st.Push.FetchedAfter == nil || st.Push.FetchedAfter.Duration != 1500*time.Millisecond || st.Push.FetchedAt == nil {
		t.Errorf("the fetch after the push: status.push %+v", st.Push)
	}
}
