package controller_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/assemble"
	"github.com/dect-operator/dect-operator/internal/provfile"
)

// kstatusOf computes what Flux and `kubectl wait`-style tooling see for a live object.
func kstatusOf(t testing.TB, o client.Object) status.Status {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		t.Fatal(err)
	}
	res, err := status.Compute(&unstructured.Unstructured{Object: m})
	if err != nil {
		t.Fatal(err)
	}
	return res.Status
}

func waitKstatus(t testing.TB, ns, name string, o client.Object, want status.Status) {
	t.Helper()
	eventually(t, fmt.Sprintf("%s kstatus %s", name, want), func() error {
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, o); err != nil {
			return err
		}
		if got := kstatusOf(t, o); got != want {
			return fmt.Errorf("kstatus %s", got)
		}
		return nil
	})
}

func TestKstatus(t *testing.T) {
	ns := namespace(t)

	mac := gigasetExample(t, ns)
	waitKstatus(t, ns, "office", &dectv1alpha1.DectBase{}, status.CurrentStatus)
	// kstatus calls an object without status Current (hence config/flux's health
	// expressions): wait for the operator's first status of the handset.
	waitHandset(t, ns, "hs-1013", dectv1alpha1.ConditionReady, "True/Rendered")
	waitKstatus(t, ns, "hs-1013", &dectv1alpha1.Handset{}, status.CurrentStatus)

	// Waiting for a person to register a handset (nothing delivered yet) is still Current.
	h := get(t, ns, "hs-1013", &dectv1alpha1.Handset{})
	if got := condition(h.Status.Conditions, dectv1alpha1.ConditionDelivered); got != "Unknown/NeverFetched" {
		t.Fatalf("Delivered = %s", got)
	}

	// A missing Secret may still come: InProgress; once the grace period is over, it
	// needs a person: Failed.
	sec := &corev1.Secret{}
	sec.Namespace, sec.Name = ns, "sip-1014"
	if err := k8s.Delete(context.Background(), sec); err != nil {
		t.Fatal(err)
	}
	waitKstatus(t, ns, "hs-1014", &dectv1alpha1.Handset{}, status.InProgressStatus)
	clock.Advance(assemble.DefaultStallAfter + time.Second)
	requestReconcile(t, get(t, ns, "hs-1014", &dectv1alpha1.Handset{}))
	waitKstatus(t, ns, "hs-1014", &dectv1alpha1.Handset{}, status.FailedStatus)

	// A newer base with the same MAC: Failed.
	other := namespace(t)
	time.Sleep(1100 * time.Millisecond)
	create(t, newBase(other, "copy", mac))
	waitKstatus(t, other, "copy", &dectv1alpha1.DectBase{}, status.FailedStatus)

	// A spec change not yet observed: InProgress.
	b := get(t, ns, "office", &dectv1alpha1.DectBase{})
	b.Generation++
	if got := kstatusOf(t, b); got != status.InProgressStatus {
		t.Errorf("a base with a newer generation than observed: %s, want InProgress", got)
	}
}

// TestQuietAtRest: once converged, nothing is written while nothing changes.
func TestQuietAtRest(t *testing.T) {
	if testing.Short() {
		t.Skip("watches 30 s of rest; make test runs it in full")
	}
	ns := namespace(t)
	gigasetExample(t, ns)
	for _, name := range []string{"hs-1013", "hs-1014", "hs-1022"} {
		waitHandset(t, ns, name, dectv1alpha1.ConditionReady, "True/Rendered")
	}
	waitBase(t, ns, "office", dectv1alpha1.ConditionReady, "True/Rendered")
	// A fetch a minute ago: the registration window is open already, so no transition of
	// it falls into the quiet period (that one would be a legitimate write).
	deliver(t, ns, "office", clock.Now().Add(-time.Minute))
	waitHandset(t, ns, "hs-1022", dectv1alpha1.ConditionDelivered, "True/Delivered")
	waitWindow(t, ns, "office", dectv1alpha1.WindowStateOpen, nil)

	versions := func() map[string]string {
		v := map[string]string{}
		add := func(kind, name string, o client.Object) {
			v[kind+"/"+name] = get(t, ns, name, o).GetResourceVersion()
		}
		add("DectBase", "office", &dectv1alpha1.DectBase{})
		for _, n := range []string{"hs-1013", "hs-1014", "hs-1022"} {
			add("Handset", n, &dectv1alpha1.Handset{})
		}
		add("ConfigMap", provfile.ConfigMapName("office"), &corev1.ConfigMap{})
		add("Secret", provfile.SecretName("office"), &corev1.Secret{})
		return v
	}
	// Let the reconciles that the last writes caused settle, then watch for 30 seconds.
	time.Sleep(2 * time.Second)
	before := versions()
	time.Sleep(30 * time.Second)
	after := versions()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s was written at rest: resourceVersion %s -> %s", k, v, after[k])
		}
	}
}
