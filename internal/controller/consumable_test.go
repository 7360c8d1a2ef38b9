package controller_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/provfile"
)

// unlabelledSecret is a Secret holding password that did not opt in.
func unlabelledSecret(ns, name, password string) *corev1.Secret {
	s := newSecret(ns, name, password)
	s.Labels = nil
	return s
}

// label sets the consumable label on Secret name, as its owner would to opt it in.
func label(t *testing.T, ns, name string) {
	t.Helper()
	patch := []byte(fmt.Sprintf(`{"metadata":{"labels":{%q:"true"}}}`, dectv1alpha1.LabelConsumable))
	s := &corev1.Secret{}
	s.Namespace, s.Name = ns, name
	if err := k8s.Patch(context.Background(), s, client.RawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatalf("labelling Secret %s: %v", name, err)
	}
}

// A Secret that did not opt in is reported where it is referenced (SecretNotConsumable,
// with how to fix it) and never read: the manager asks for its metadata alone, the file
// is rendered without it, and its value appears nowhere. Labelling it makes the objects
// Ready without any other change.
func TestSecretNotConsumableUntilLabelled(t *testing.T) {
	ns := namespace(t)
	b := newBase(ns, "office", uniqueMAC())
	b.Spec.WebPasswordSecretRef = &dectv1alpha1.SecretKeyRef{Name: "web"}
	create(t, b)
	create(t, unlabelledSecret(ns, "web", "admin-LEAK-1"))
	create(t, unlabelledSecret(ns, "sip-1013", "sip-LEAK-2"))
	create(t, newHandset(ns, "alice", "office", "1013", "00ABC50871"))

	h := waitHandset(t, ns, "alice", dectv1alpha1.ConditionReady, "False/SecretNotConsumable")
	wantFix := "kubectl label secret -n " + ns + " sip-1013 " + dectv1alpha1.LabelConsumable + "=true"
	if msg := meta.FindStatusCondition(h.Status.Conditions, dectv1alpha1.ConditionReady).Message; !strings.Contains(msg, wantFix) {
		t.Errorf("Handset message %q does not say how to fix it (%q)", msg, wantFix)
	}
	if got := condition(h.Status.Conditions, dectv1alpha1.ConditionReconciling); got != "True/SecretNotConsumable" {
		t.Errorf("Handset Reconciling = %s: a label may be on its way, so it is waited for", got)
	}
	base := waitBase(t, ns, "office", dectv1alpha1.ConditionReady, "False/SecretNotConsumable")
	if msg := meta.FindStatusCondition(base.Status.Conditions, dectv1alpha1.ConditionReady).Message; !strings.Contains(msg, "Secret web") {
		t.Errorf("DectBase message %q does not name Secret web", msg)
	}

	// The file is there, the handset's slot claimed but empty.
	d, err := storedFile(ns, "office")
	if err != nil {
		t.Fatal(err)
	}
	if d.Slots[0].Owner != "alice" || d.Slots[0].Active || d.Slots[0].Password != "" || d.WebPassword != "" {
		t.Errorf("slot 0 = %+v, web password %q: rendered with a Secret that did not opt in", d.Slots[0], d.WebPassword)
	}
	// While it is waited for, the Event is a Normal one.
	var events eventsv1.EventList
	eventually(t, "an Event SecretNotConsumable on alice", func() error {
		if err := k8s.List(context.Background(), &events, client.InNamespace(ns)); err != nil {
			return err
		}
		for _, e := range events.Items {
			if e.Regarding.Name == "alice" && e.Reason == dectv1alpha1.ReasonSecretNotConsumable {
				return nil
			}
		}
		return fmt.Errorf("none among %d", len(events.Items))
	})
	cm := get(t, ns, provfile.ConfigMapName("office"), &corev1.ConfigMap{})
	for _, where := range findLeaks(t, "LEAK", cm, base.Status, h.Status, events.Items) {
		t.Errorf("the value of a Secret that did not opt in reached %s", where)
	}
	for k, v := range get(t, ns, provfile.SecretName("office"), &corev1.Secret{}).Data {
		if strings.Contains(string(v), "LEAK") {
			t.Errorf("the value of a Secret that did not opt in reached the credentials Secret, key %s", k)
		}
	}
	// Nothing of the manager asked for the two Secrets' data.
	for _, r := range managerSecretRequests(ns, "web", "sip-1013") {
		if !r.metadataOnly {
			t.Errorf("the manager read a Secret that did not opt in: %s %s", r.method, r.path)
		}
	}
	if len(managerSecretRequests(ns, "web", "sip-1013")) == 0 {
		t.Error("the manager never asked for the Secrets by name, yet reported them: it knew them some other way (a cache of every Secret?)")
	}

	label(t, ns, "sip-1013")
	label(t, ns, "web")
	waitHandset(t, ns, "alice", dectv1alpha1.ConditionReady, "True/Rendered")
	waitBase(t, ns, "office", dectv1alpha1.ConditionReady, "True/Rendered")
	if _, s := slotOf(t, ns, "office", "alice"); s.Password != "sip-LEAK-2" {
		t.Errorf("slot password %q after labelling, want the Secret's", s.Password)
	}
}

// The manager's cache lists and watches only Secrets that opted in: an unrelated
// Secret of the cluster never reaches it, whatever the namespace.
func TestManagerCachesOnlyConsumableSecrets(t *testing.T) {
	gigasetExample(t, namespace(t)) // the manager has read Secrets by now
	var collections []secretRequest
	secretRequests.Lock()
	for _, r := range secretRequests.list {
		if r.method == "GET" && strings.HasSuffix(r.path, "/secrets") {
			collections = append(collections, r)
		}
	}
	secretRequests.Unlock()
	if len(collections) == 0 {
		t.Fatal("the manager never listed Secrets: its cache must have")
	}
	for _, r := range collections {
		q, err := url.ParseQuery(r.query)
		if err != nil {
			t.Fatal(err)
		}
		if sel := q.Get("labelSelector"); sel != dectv1alpha1.LabelConsumable+"=true" {
			t.Errorf("the manager lists or watches Secrets with labelSelector %q (%s?%s), want only %s=true",
				sel, r.path, r.query, dectv1alpha1.LabelConsumable)
		}
	}
}

// A Handset may not name the credentials Secret the operator writes for a base, though
// it carries the label: it would copy another base's Digest credentials into its file.
func TestOperatorsOwnSecretIsNotConsumable(t *testing.T) {
	ns := namespace(t)
	gigasetExample(t, ns)
	waitBase(t, ns, "office", dectv1alpha1.ConditionReady, "True/Rendered")
	h := newHandset(ns, "thief", "office", "2000", "")
	h.Spec.SIP.PasswordSecretRef = dectv1alpha1.SecretKeyRef{Name: provfile.SecretName("office"), Key: provfile.KeyHashKey}
	create(t, h)
	got := waitHandset(t, ns, "thief", dectv1alpha1.ConditionReady, "False/SecretNotConsumable")
	if msg := meta.FindStatusCondition(got.Status.Conditions, dectv1alpha1.ConditionReady).Message; !strings.Contains(msg, "operator's own") {
		t.Errorf("message %q does not say the Secret is the operator's", msg)
	}
}

// A credentials Secret without the label (written before the label existed, or the
// label removed by hand) is taken back: labelled again, with the same hash key, so the
// file stays the same generation.
func TestOwnSecretWithoutTheLabelIsTakenBack(t *testing.T) {
	ns := namespace(t)
	gigasetExample(t, ns)
	before := waitExampleRendered(t, ns)
	sec := get(t, ns, provfile.SecretName("office"), &corev1.Secret{})
	key := sec.Data[provfile.KeyHashKey]
	patch := []byte(fmt.Sprintf(`{"metadata":{"labels":{%q:null}}}`, dectv1alpha1.LabelConsumable))
	if err := k8s.Patch(context.Background(), sec, client.RawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the label back on the credentials Secret", func() error {
		s := get(t, ns, provfile.SecretName("office"), &corev1.Secret{})
		if s.Labels[dectv1alpha1.LabelConsumable] != "true" {
			return fmt.Errorf("labels %v", s.Labels)
		}
		if string(s.Data[provfile.KeyHashKey]) != string(key) {
			return fmt.Errorf("the hash key changed")
		}
		return nil
	})
	after := waitBase(t, ns, "office", dectv1alpha1.ConditionReady, "True/Rendered")
	if after.Status.Document.Generation != before.Status.Document.Generation {
		t.Errorf("file generation %d, was %d: taking the Secret back changed the file", after.Status.Document.Generation, before.Status.Document.Generation)
	}
}

// managerSecretRequests lists the manager's requests for the named Secrets of ns.
func managerSecretRequests(ns string, names ...string) []secretRequest {
	secretRequests.Lock()
	defer secretRequests.Unlock()
	var out []secretRequest
	for _, r := range secretRequests.list {
		for _, n := range names {
			if strings.HasSuffix(r.path, "/namespaces/"+ns+"/secrets/"+n) {
				out = append(out, r)
			}
		}
	}
	return slices.Clip(out)
}
