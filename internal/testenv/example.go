package testenv

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
)

// ExampleHandset is one account of Gigaset's own provisioning example.
type ExampleHandset struct {
	Name, User, IPUI string
}

// Example is Gigaset's own provisioning example: three accounts and their handsets, in
// the order they are declared (and so take slots 0, 1 and 2).
var Example = []ExampleHandset{
	{Name: "hs-1013", User: "1013", IPUI: "00 AB C5 08 71"},
	{Name: "hs-1014", User: "1014", IPUI: "00 AB B8 4A 08"},
	{Name: "hs-1022", User: "1022", IPUI: "00 AB 9E 31 C2"},
}

// Password is the SIP password the fixtures give user.
func Password(user string) string { return "pw-" + user }

// DisplayName is the display name the fixtures give user, as in Gigaset's example.
func DisplayName(user string) string { return "N720_" + user }

// SecretName is the name of the Secret that holds user's password.
func SecretName(user string) string { return "sip-" + user }

// Consumable is the label a Secret needs for DectBases and Handsets to use it
// (dectv1alpha1.LabelConsumable), as a fresh map to put in its metadata.
func Consumable() map[string]string { return map[string]string{dectv1alpha1.LabelConsumable: "true"} }

// Handset is the Handset object of h on base, in namespace ns.
func (h ExampleHandset) Handset(ns, base string) *dectv1alpha1.Handset {
	return &dectv1alpha1.Handset{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: h.Name},
		Spec: dectv1alpha1.HandsetSpec{
			BaseRef: dectv1alpha1.LocalObjectReference{Name: base},
			IPUI:    h.IPUI,
			SIP: dectv1alpha1.HandsetSIP{
				UserID:            dectv1alpha1.Text(h.User),
				DisplayName:       dectv1alpha1.Text(DisplayName(h.User)),
				Mailbox:           "*2",
				PasswordSecretRef: dectv1alpha1.SecretKeyRef{Name: SecretName(h.User)},
			},
		},
	}
}

// Secret is the Secret that holds h's SIP password, in namespace ns, labelled so that
// the operator may use it.
func (h ExampleHandset) Secret(ns string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: SecretName(h.User), Labels: Consumable()},
		StringData: map[string]string{"password": Password(h.User)},
	}
}
