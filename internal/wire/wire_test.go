package wire

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
)

func TestStoredMatchesWhatTheAPIServerSendsBack(t *testing.T) {
	at := time.Date(2026, 12, 2, 9, 0, 0, 123456789, time.UTC)
	written := dectv1alpha1.HandsetStatus{
		IPUI:       "0123456789",
		Conditions: []metav1.Condition{{Type: "Ready", Status: metav1.ConditionTrue, Reason: "Rendered", LastTransitionTime: metav1.NewTime(at)}},
	}
	// What the API server stores and sends back: times in whole seconds.
	back := *written.DeepCopy()
	back.Conditions[0].LastTransitionTime = metav1.NewTime(at.Truncate(time.Second))

	if equality.Semantic.DeepEqual(back, written) {
		t.Fatal("the test needs a written status that differs from the stored one")
	}
	if got := Stored(written); !equality.Semantic.DeepEqual(back, got) {
		t.Errorf("Stored = %+v, want %+v", got, back)
	}
	if got := Stored(written); equality.Semantic.DeepEqual(got, Stored(dectv1alpha1.HandsetStatus{IPUI: "0123456780"})) {
		t.Error("Stored made two different statuses equal")
	}
}
