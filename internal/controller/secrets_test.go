package controller_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/provfile"
)

// TestSecretsNeverLeak: passwords reach the Secret the operator writes and nothing
// else: not the ConfigMap, not status, not Events, not even when a password is refused.
func TestSecretsNeverLeak(t *testing.T) {
	ns := namespace(t)
	b := newBase(ns, "office", uniqueMAC())
	b.Spec.WebPasswordSecretRef = &dectv1alpha1.SecretKeyRef{Name: "web"}
	create(t, b)
	create(t, newSecret(ns, "web", "admin-LEAK-1"))
	create(t, newSecret(ns, "sip-1013", "good-LEAK-2"))
	create(t, newHandset(ns, "good", "office", "1013", "00ABC50871"))
	// A password the device cannot take: refused, and the refusal must not quote it.
	create(t, newSecret(ns, "sip-1014", `bad"LEAK-3`))
	create(t, newHandset(ns, "bad", "office", "1014", "00ABB84A08"))

	waitHandset(t, ns, "good", dectv1alpha1.ConditionReady, "True/Rendered")
	waitHandset(t, ns, "bad", dectv1alpha1.ConditionReady, "False/InvalidSettings")
	waitForEvent(t, ns, "bad", dectv1alpha1.ReasonInvalidSettings)

	var seen []string
	add := func(o any) {
		raw, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, string(raw))
	}
	add(get(t, ns, provfile.ConfigMapName("office"), &corev1.ConfigMap{}))
	add(get(t, ns, "office", &dectv1alpha1.DectBase{}).Status)
	add(get(t, ns, "good", &dectv1alpha1.Handset{}).Status)
	add(get(t, ns, "bad", &dectv1alpha1.Handset{}).Status)
	var events eventsv1.EventList
	if err := k8s.List(context.Background(), &events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	add(events.Items)
	for _, s := range seen {
		if strings.Contains(s, "LEAK") {
			t.Errorf("a password leaked into: %.300s", s)
		}
	}

	// The Secret the operator writes does hold the good passwords: the check above is
	// not vacuous.
	sec := get(t, ns, provfile.SecretName("office"), &corev1.Secret{})
	var all string
	for _, v := range sec.Data {
		all += string(v)
	}
	if !strings.Contains(all, "good-LEAK-2") || !strings.Contains(all, "admin-LEAK-1") {
		t.Error("the credentials Secret lacks the passwords")
	}
}
