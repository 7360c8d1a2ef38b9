package controller

import (
	"context"
	"strings"
	"testing"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/assemble"
	"github.com/dect-operator/dect-operator/internal/push"
	"github.com/dect-operator/dect-operator/internal/push/ami"
	"github.com/dect-operator/dect-operator/internal/push/esl"
)

// A push's credentials Secret that did not opt in makes a push that fails saying so,
// like a missing one: the status tells the person what to label.
func TestNotifierForRefusedSecrets(t *testing.T) {
	amiPush := &dectv1alpha1.Push{Method: dectv1alpha1.PushAsteriskAMI, AsteriskAMI: &dectv1alpha1.AsteriskAMIPush{
		Address: "pbx:5038", CredentialsSecretRef: dectv1alpha1.LocalObjectReference{Name: "ami"}}}
	eslPush := &dectv1alpha1.Push{Method: dectv1alpha1.PushFreeSWITCH, FreeSWITCH: &dectv1alpha1.FreeSWITCHPush{
		Address: "pbx:8021", PasswordSecretRef: dectv1alpha1.SecretKeyRef{Name: "esl"}}}
	refused := assemble.Refused{"ami": "Secret ami exists but is not labelled", "esl": "Secret esl exists but is not labelled"}
	usable := assemble.Secrets{"ami": {"username": []byte("u"), "secret": []byte("s")}, "esl": {"password": []byte("p")}}
	for _, tt := range []struct {
		name    string
		p       *dectv1alpha1.Push
		secrets assemble.Secrets
		refused assemble.Refused
		// want is what the failed push says; "" when a real notifier is expected.
		want string
	}{
		{"AMI refused", amiPush, nil, refused, "Secret ami exists but is not labelled (spec.push.asteriskAMI.credentialsSecretRef)"},
		{"AMI missing", amiPush, nil, nil, "Secret ami (spec.push.asteriskAMI.credentialsSecretRef) is missing"},
		{"AMI usable", amiPush, usable, nil, ""},
		{"FreeSWITCH refused", eslPush, nil, refused, "Secret esl exists but is not labelled (spec.push.freeSWITCH.passwordSecretRef)"},
		{"FreeSWITCH missing", eslPush, nil, nil, "Secret esl (spec.push.freeSWITCH.passwordSecretRef) is missing"},
		{"FreeSWITCH usable", eslPush, usable, nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := notifierFor(tt.p, tt.secrets, tt.refused)
			u, failed := n.(unavailable)
			switch {
			case tt.want == "":
				_, isAMI := n.(*ami.Notifier)
				_, isESL := n.(*esl.Notifier)
				if !isAMI && !isESL {
					t.Errorf("notifier %T, want a real one", n)
				}
			case !failed:
				t.Errorf("notifier %T, want one that fails", n)
			default:
				if res := u.Notify(context.Background(), push.Target{}); res.OK || !strings.Contains(res.Status, tt.want) {
					t.Errorf("push result %+v, want a failure saying %q", res, tt.want)
				}
			}
		})
	}
}
