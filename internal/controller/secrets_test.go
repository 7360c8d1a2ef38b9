package controller_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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

	cm := get(t, ns, provfile.ConfigMapName("office"), &corev1.ConfigMap{})
	var events eventsv1.EventList
	if err := k8s.List(context.Background(), &events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	others := []any{
		get(t, ns, "office", &dectv1alpha1.DectBase{}).Status,
		get(t, ns, "good", &dectv1alpha1.Handset{}).Status,
		get(t, ns, "bad", &dectv1alpha1.Handset{}).Status,
		events.Items,
	}
	for _, where := range findLeaks(t, "LEAK", cm, others...) {
		t.Errorf("a password leaked into %s", where)
	}

	// The check can fail: the same ConfigMap with a password planted in its document
	// is caught.
	if len(findLeaks(t, "LEAK", plantInDocument(cm, "good-LEAK-2"))) == 0 {
		t.Error("a password planted in the ConfigMap's document went unnoticed: the leak check is blind")
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

// findLeaks lists where marker appears in what a reader without access to Secrets sees:
// the ConfigMap's documents as the device's bytes (in JSON, BinaryData is base64, where
// no marker could ever match), its data, labels and annotations, and the other objects
// as JSON.
func findLeaks(t *testing.T, marker string, cm *corev1.ConfigMap, others ...any) []string {
	t.Helper()
	var found []string
	for k, v := range cm.BinaryData {
		if bytes.Contains(v, []byte(marker)) {
			found = append(found, "ConfigMap "+cm.Name+" document "+k)
		}
	}
	for what, m := range map[string]map[string]string{"data": cm.Data, "labels": cm.Labels, "annotations": cm.Annotations} {
		for k, v := range m {
			if strings.Contains(k+v, marker) {
				found = append(found, "ConfigMap "+cm.Name+" "+what+" "+k)
			}
		}
	}
	for _, o := range others {
		raw, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), marker) {
			found = append(found, fmt.Sprintf("%T: %.300s", o, raw))
		}
	}
	return found
}

// plantInDocument returns a copy of cm whose documents carry password in a SYMB_ITEM,
// as a renderer that forgot to keep credentials apart would write it.
func plantInDocument(cm *corev1.ConfigMap, password string) *corev1.ConfigMap {
	planted := cm.DeepCopy()
	for k, v := range planted.BinaryData {
		item := `<SYMB_ITEM ID="BS_VOIP_Data.astVoipAccounts[0].aucS_SIP_PASSWORD[0]" class="symb_item" value='"` + password + `"'/>`
		planted.BinaryData[k] = bytes.Replace(v, []byte("</Provider>"), []byte(item+"</Provider>"), 1)
	}
	return planted
}
