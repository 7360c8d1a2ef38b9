package controller_test

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
)

// TestAdmissionRejectsInvalidObjects sends objects that one object's rules can refuse to
// the real API server and checks each refusal carries the message written for people.
func TestAdmissionRejectsInvalidObjects(t *testing.T) {
	ns := namespace(t)
	base := func(mut func(*dectv1alpha1.DectBase)) client.Object {
		b := newBase(ns, "b", "7C2F80CA21E4")
		mut(b)
		return b
	}
	handset := func(mut func(*dectv1alpha1.Handset)) client.Object {
		h := newHandset(ns, "h", "b", "1013", "00ABC50871")
		mut(h)
		return h
	}
	str := func(s string) *string { return &s }
	slot := func(s int32) *int32 { return &s }
	dur := func(s string) *metav1.Duration {
		d, err := parseDuration(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	tests := []struct {
		name string
		obj  client.Object
		want string
	}{
		{"MAC too short", base(func(b *dectv1alpha1.DectBase) { b.Spec.MACAddress = "7C2F80CA21" }), "macAddress must be 12 hex digits"},
		{"MAC with a non-hex digit", base(func(b *dectv1alpha1.DectBase) { b.Spec.MACAddress = "7C:2F:80:CA:21:EG" }), "macAddress must be 12 hex digits"},
		{"MAC with mixed separators", base(func(b *dectv1alpha1.DectBase) { b.Spec.MACAddress = "7C:2F-80:CA:21:E4" }), "macAddress must be 12 hex digits"},
		{"profile name with a quote", base(func(b *dectv1alpha1.DectBase) { b.Spec.ProfileName = `office "1"` }), "neither \" nor '"},
		{"profile name outside Latin-1", base(func(b *dectv1alpha1.DectBase) { b.Spec.ProfileName = "office €" }), "printable Latin-1"},
		{"profile name with a control character", base(func(b *dectv1alpha1.DectBase) { b.Spec.ProfileName = "a\tb" }), "printable Latin-1"},
		{"SIP domain too long", base(func(b *dectv1alpha1.DectBase) { b.Spec.SIP.Domain = dectv1alpha1.Text(strings.Repeat("a", 75)) }), "may not be more than 74"},
		{"SIP port out of range", base(func(b *dectv1alpha1.DectBase) { b.Spec.SIP.Port = 70000 }), "should be less than or equal to 65535"},
		{"PIN of three digits", base(func(b *dectv1alpha1.DectBase) { b.Spec.Registration.PIN = "123" }), "pin must be exactly 4 digits"},
		{"PIN with letters", base(func(b *dectv1alpha1.DectBase) { b.Spec.Registration.PIN = "12a4" }), "pin must be exactly 4 digits"},
		{"AsteriskAMI push without its block", base(func(b *dectv1alpha1.DectBase) {
			b.Spec.Push = &dectv1alpha1.Push{Method: dectv1alpha1.PushAsteriskAMI}
		}), "method AsteriskAMI needs asteriskAMI"},
		{"FreeSWITCH push without its block", base(func(b *dectv1alpha1.DectBase) {
			b.Spec.Push = &dectv1alpha1.Push{Method: dectv1alpha1.PushFreeSWITCH}
		}), "method FreeSWITCH needs freeSWITCH"},
		{"Direct push with an AMI block", base(func(b *dectv1alpha1.DectBase) {
			b.Spec.Push = &dectv1alpha1.Push{Method: dectv1alpha1.PushDirect, AsteriskAMI: &dectv1alpha1.AsteriskAMIPush{
				Address: "pbx:5038", CredentialsSecretRef: dectv1alpha1.LocalObjectReference{Name: "ami"}}}
		}), "asteriskAMI applies only to method AsteriskAMI"},
		{"push block without its method", base(func(b *dectv1alpha1.DectBase) {
			b.Spec.Push = &dectv1alpha1.Push{Direct: &dectv1alpha1.DirectPush{Port: 5060}}
		}), "direct applies only to method Direct"},
		{"scheduled window without start", base(func(b *dectv1alpha1.DectBase) {
			b.Spec.Registration.Window = dectv1alpha1.RegistrationWindow{Mode: dectv1alpha1.WindowScheduled, Duration: dur("1h")}
		}), "a Scheduled window needs start and duration"},
		{"on-change window without duration", base(func(b *dectv1alpha1.DectBase) {
			b.Spec.Registration.Window = dectv1alpha1.RegistrationWindow{Mode: dectv1alpha1.WindowOnChange}
		}), "an OnChange window needs a duration"},
		{"window duration too short", base(func(b *dectv1alpha1.DectBase) {
			b.Spec.Registration.Window = dectv1alpha1.RegistrationWindow{Mode: dectv1alpha1.WindowOnChange, Duration: dur("10s")}
		}), "duration must be between 1m and 720h"},
		{"always window with a duration", base(func(b *dectv1alpha1.DectBase) {
			b.Spec.Registration.Window = dectv1alpha1.RegistrationWindow{Mode: dectv1alpha1.WindowAlways, Duration: dur("1h")}
		}), "an Always window takes neither start nor duration"},
		{"re-registration too frequent", base(func(b *dectv1alpha1.DectBase) { b.Spec.SIP.ReRegistrationInterval = dur("1s") }), "reRegistrationInterval must be between 10s and 24h"},
		{"malformed Secret name", base(func(b *dectv1alpha1.DectBase) {
			b.Spec.WebPasswordSecretRef = &dectv1alpha1.SecretKeyRef{Name: "Web_Password"}
		}), "must be a valid Secret name"},
		{"extra item with both value and valueFrom", base(func(b *dectv1alpha1.DectBase) {
			b.Spec.ExtraItems = []dectv1alpha1.ExtraItem{{ID: "BS_IP_Data.ucB_X", Value: str("1"), ValueFrom: &dectv1alpha1.SecretKeyRef{Name: "s"}}}
		}), "set exactly one of value and valueFrom"},
		{"extra item with a malformed ID", base(func(b *dectv1alpha1.DectBase) {
			b.Spec.ExtraItems = []dectv1alpha1.ExtraItem{{ID: "not an id", Value: str("1")}}
		}), "id must be a parameter path"},
		{"allowed source that is no CIDR", base(func(b *dectv1alpha1.DectBase) { b.Spec.Provisioning.AllowedSourceCIDRs = []string{"10.0.0.300/8"} }), "each allowed source must be a CIDR"},
		{"IPUI of nine digits", handset(func(h *dectv1alpha1.Handset) { h.Spec.IPUI = "00ABC5087" }), "ipui must be 10 hex digits"},
		{"IPUI with a non-hex digit", handset(func(h *dectv1alpha1.Handset) { h.Spec.IPUI = "00 AB C5 08 7Z" }), "ipui must be 10 hex digits"},
		{"slot 100", handset(func(h *dectv1alpha1.Handset) { h.Spec.Slot = slot(100) }), "should be less than or equal to 99"},
		{"negative slot", handset(func(h *dectv1alpha1.Handset) { h.Spec.Slot = slot(-1) }), "should be greater than or equal to 0"},
		{"empty user ID", handset(func(h *dectv1alpha1.Handset) { h.Spec.SIP.UserID = "" }), "should be at least 1 chars long"},
		{"display name with an apostrophe", handset(func(h *dectv1alpha1.Handset) { h.Spec.SIP.DisplayName = "O'Brien" }), "neither \" nor '"},
		{"display name in Cyrillic", handset(func(h *dectv1alpha1.Handset) { h.Spec.SIP.DisplayName = "Иван" }), "printable Latin-1"},
		{"display name too long", handset(func(h *dectv1alpha1.Handset) { h.Spec.SIP.DisplayName = dectv1alpha1.Text(strings.Repeat("x", 33)) }), "may not be more than 32"},
		{"password Secret key malformed", handset(func(h *dectv1alpha1.Handset) { h.Spec.SIP.PasswordSecretRef.Key = "pass word" }), "must be a valid Secret key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := k8s.Create(context.Background(), tt.obj)
			if err == nil {
				t.Fatalf("accepted; want a refusal with %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("refused with %q; want %q", err, tt.want)
			}
		})
	}
	if len(tests) < 15 {
		t.Fatalf("only %d invalid objects", len(tests))
	}
}

func TestAdmissionAcceptsEveryDocumentedNotation(t *testing.T) {
	ns := namespace(t)
	for i, mac := range []string{"7C:2F:80:CA:30:01", "7c-2f-80-ca-30-02", "7C2F80CA3003", "7c2f.80ca.3004"} {
		b := newBase(ns, "b"+string(rune('a'+i)), mac)
		if err := k8s.Create(context.Background(), b); err != nil {
			t.Errorf("MAC %q refused: %v", mac, err)
		}
	}
	for i, ipui := range []string{"00 AB C5 08 71", "00ABC50872", "00:ab:c5:08:73", "00-AB-C5-08-74"} {
		h := newHandset(ns, "h"+string(rune('a'+i)), "ba", "1013", ipui)
		if err := k8s.Create(context.Background(), h); err != nil {
			t.Errorf("IPUI %q refused: %v", ipui, err)
		}
	}
}

func TestBaseRefIsImmutable(t *testing.T) {
	ns := namespace(t)
	h := newHandset(ns, "h", "one", "1013", "")
	create(t, h)
	// A merge patch, not an update: the reconciler may have written the status since,
	// and an update would then fail on the resourceVersion instead of the rule.
	patched := h.DeepCopy()
	patched.Spec.BaseRef.Name = "two"
	err := k8s.Patch(context.Background(), patched, client.MergeFrom(h))
	if err == nil || !strings.Contains(err.Error(), "baseRef is immutable") {
		t.Fatalf("update of baseRef: %v; want a refusal saying it is immutable", err)
	}
}

func parseDuration(s string) (*metav1.Duration, error) {
	var d metav1.Duration
	err := d.UnmarshalJSON([]byte(`"` + s + `"`))
	return &d, err
}
