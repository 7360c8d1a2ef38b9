package assemble

import (
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/gigaset"
	"github.com/dect-operator/dect-operator/internal/window"
)

var now = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func base() *dectv1alpha1.DectBase {
	return &dectv1alpha1.DectBase{
		ObjectMeta: metav1.ObjectMeta{Name: "office", Namespace: "ns"},
		Spec:       dectv1alpha1.DectBaseSpec{MACAddress: "7c:2f:80:ca:21:e4", SIP: &dectv1alpha1.SIPProvider{Domain: "pbx.example.com"}},
	}
}

func handset(name, user, ipui string, minute int) dectv1alpha1.Handset {
	return dectv1alpha1.Handset{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", CreationTimestamp: metav1.NewTime(now.Add(time.Duration(minute) * time.Minute))},
		Spec: dectv1alpha1.HandsetSpec{
			BaseRef: dectv1alpha1.LocalObjectReference{Name: "office"},
			IPUI:    ipui,
			SIP:     dectv1alpha1.HandsetSIP{UserID: dectv1alpha1.Text(user), DisplayName: dectv1alpha1.Text("N720_" + user), Mailbox: "*2", PasswordSecretRef: dectv1alpha1.SecretKeyRef{Name: "sip-" + user}},
		},
	}
}

func secrets(users ...string) Secrets {
	s := Secrets{}
	for _, u := range users {
		s["sip-"+u] = map[string][]byte{"password": []byte("pw-" + u)}
	}
	return s
}

// build runs Build on in, completed with the defaults of these tests.
func build(t *testing.T, in Input) *Result {
	t.Helper()
	if in.Base == nil {
		in.Base = base()
	}
	if in.MAC == "" {
		in.MAC = mustMAC(t, in.Base)
	}
	if in.Now.IsZero() {
		in.Now = now
	}
	in.HashKey = []byte("key")
	out, err := Build(in)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return out
}

func mustMAC(t *testing.T, b *dectv1alpha1.DectBase) string {
	t.Helper()
	mac, err := gigaset.ParseMAC(b.Spec.MACAddress)
	if err != nil {
		t.Fatal(err)
	}
	return mac
}

func TestBuildGigasetExample(t *testing.T) {
	out := build(t, Input{
		Handsets: []dectv1alpha1.Handset{handset("c", "1022", "00 AB 9E 31 C2", 3), handset("a", "1013", "00 AB C5 08 71", 1), handset("b", "1014", "00ABB84A08", 2)},
		Secrets:  secrets("1013", "1014", "1022"),
	})
	d := out.Document
	if d.MAC != "7C2F80CA21E4" || d.ProfileName != "office" || d.Registration.PIN != "0000" {
		t.Errorf("base settings: MAC %q profile %q PIN %q", d.MAC, d.ProfileName, d.Registration.PIN)
	}
	if p := d.Provider; p == nil || p.Server != "pbx.example.com" || p.ServerPort != 5060 || p.Registrar != "pbx.example.com" || p.Transport != "UDP" || p.ReRegistrationSeconds != 180 {
		t.Errorf("provider defaults: %+v", d.Provider)
	}
	want := gigaset.Slot{Owner: "a", Active: true, UserID: "1013", LoginID: "1013", Password: "pw-1013", DisplayName: "N720_1013",
		AccountName: "1013", MailboxEnabled: true, MailboxNumber: "*2", IPUI: "00ABC50871"}
	if d.Slots[0] != want {
		t.Errorf("slot 0 = %+v\nwant     %+v", d.Slots[0], want)
	}
	for i, name := range []string{"a", "b", "c"} {
		h := out.Handsets[name]
		if h.Slot == nil || *h.Slot != i || h.Problem != nil || h.SettingsHash == "" {
			t.Errorf("handset %s: %+v", name, h)
		}
	}
	if out.Window != (window.Window{}) || !out.Reserved {
		t.Errorf("window %+v reserved %t", out.Window, out.Reserved)
	}
}

func TestBuildProblemsKeepLastGoodSettings(t *testing.T) {
	first := build(t, Input{
		Handsets: []dectv1alpha1.Handset{handset("a", "1013", "00ABC50871", 1), handset("b", "1014", "00ABB84A08", 2)},
		Secrets:  secrets("1013", "1014"),
	})
	lastGood := first.Document.Slots[1]

	tests := []struct {
		name    string
		secrets Secrets
		refused Refused
		reason  string
	}{
		{"Secret missing", secrets("1013"), nil, dectv1alpha1.ReasonSecretNotFound},
		{"key missing", Secrets{"sip-1013": {"password": []byte("x")}, "sip-1014": {"other": []byte("x")}}, nil, dectv1alpha1.ReasonSecretNotFound},
		{"password with a quote", Secrets{"sip-1013": {"password": []byte("x")}, "sip-1014": {"password": []byte(`se"cret`)}}, nil, dectv1alpha1.ReasonInvalidSettings},
		{"password outside Latin-1", Secrets{"sip-1013": {"password": []byte("x")}, "sip-1014": {"password": []byte("пароль")}}, nil, dectv1alpha1.ReasonInvalidSettings},
		{"Secret not consumable", secrets("1013"), Refused{"sip-1014": "Secret sip-1014 exists but is not labelled"}, dectv1alpha1.ReasonSecretNotConsumable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := handset("b", "1014", "00ABB84A08", 2)
			b.Spec.SIP.DisplayName = "Changed meanwhile"
			out := build(t, Input{
				Handsets: []dectv1alpha1.Handset{handset("a", "1013", "00ABC50871", 1), b},
				Secrets:  tt.secrets,
				Refused:  tt.refused,
				Stored:   &first.File,
			})
			h := out.Handsets["b"]
			if h.Problem == nil || h.Problem.Reason != tt.reason {
				t.Fatalf("problem = %+v, want reason %s", h.Problem, tt.reason)
			}
			for _, secret := range []string{`se"cret`, "пароль"} {
				if strings.Contains(h.Problem.Message, secret) {
					t.Errorf("the message shows the password: %q", h.Problem.Message)
				}
			}
			if out.Document.Slots[1] != lastGood {
				t.Errorf("slot 1 = %+v, want the last good %+v", out.Document.Slots[1], lastGood)
			}
			if out.Document.Slots[0].Password == "pw-1013" && out.Handsets["a"].Problem != nil {
				t.Errorf("the other handset suffered: %+v", out.Handsets["a"])
			}
		})
	}

	t.Run("new handset with a problem holds an empty slot", func(t *testing.T) {
		out := build(t, Input{Handsets: []dectv1alpha1.Handset{handset("a", "1013", "00ABC50871", 1)}, Secrets: Secrets{}})
		if s := out.Document.Slots[0]; s != (gigaset.Slot{Owner: "a"}) {
			t.Errorf("slot 0 = %+v, want claimed and inactive", s)
		}
	})
}

func TestBuildDuplicateIPUIDropsTheLosersReservation(t *testing.T) {
	first := build(t, Input{
		Handsets: []dectv1alpha1.Handset{handset("a", "1013", "00ABC50871", 1), handset("b", "1014", "00ABB84A08", 2)},
		Secrets:  secrets("1013", "1014"),
	})
	// The older handset takes the younger one's IPUI: the younger loses it and keeps its
	// slot, but its last good reservation must go, or the device would get one IPUI twice.
	a := handset("a", "1013", "00ABB84A08", 1)
	out := build(t, Input{Handsets: []dectv1alpha1.Handset{a, handset("b", "1014", "00ABB84A08", 2)}, Secrets: secrets("1013", "1014"), Stored: &first.File})
	if p := out.Handsets["b"].Problem; p == nil || p.Reason != "DuplicateIPUI" || !strings.Contains(p.Message, "Handset a") {
		t.Fatalf("b: %+v", out.Handsets["b"].Problem)
	}
	if out.Document.Slots[0].IPUI != "00ABB84A08" || out.Document.Slots[1].IPUI != "" || out.Document.Slots[1].UserID != "1014" {
		t.Errorf("slots: %+v / %+v", out.Document.Slots[0], out.Document.Slots[1])
	}
}

func TestBuildDisabledHandset(t *testing.T) {
	h := handset("a", "1013", "00ABC50871", 1)
	off := false
	h.Spec.Enabled = &off
	out := build(t, Input{Handsets: []dectv1alpha1.Handset{h}, Secrets: secrets("1013")})
	s := out.Document.Slots[0]
	if s.Active || s.IPUI != "" || s.UserID != "1013" || s.Owner != "a" {
		t.Errorf("disabled slot = %+v, want inactive, unreserved, settings kept", s)
	}
	if out.Reserved {
		t.Error("a disabled handset keeps a reservation")
	}
}

func TestBuildBaseSecrets(t *testing.T) {
	b := base()
	b.Spec.WebPasswordSecretRef = &dectv1alpha1.SecretKeyRef{Name: "web", Key: "password"}
	v := "0x01"
	b.Spec.ExtraItems = []dectv1alpha1.ExtraItem{
		{ID: "BS_IP_Data.ucB_DO_CHECK_FOR_PROFILE_UPDATES", Value: &v},
		{ID: "BS_IP_Data.aucS_SECRET_THING[%]", ValueFrom: &dectv1alpha1.SecretKeyRef{Name: "extra", Key: "token"}},
	}
	in := Input{Base: b, Secrets: Secrets{"web": {"password": []byte("admin-pw")}, "extra": {"token": []byte(`"tok"`)}}}
	out := build(t, in)
	if out.Document.WebPassword != "admin-pw" || len(out.Document.Extra) != 2 || !out.Document.Extra[1].Secret {
		t.Fatalf("web password %q extras %+v", out.Document.WebPassword, out.Document.Extra)
	}

	// The Secrets go away: the base reports it and keeps the values it had.
	in.Secrets, in.Stored = Secrets{}, &out.File
	again := build(t, in)
	if again.BaseProblem == nil || again.BaseProblem.Reason != dectv1alpha1.ReasonSecretNotFound {
		t.Fatalf("base problem %+v", again.BaseProblem)
	}
	if again.Document.WebPassword != "admin-pw" || len(again.Document.Extra) != 2 || again.Document.Extra[1].Value != `"tok"` {
		t.Errorf("last good base values lost: %q %+v", again.Document.WebPassword, again.Document.Extra)
	}
	if strings.Contains(again.BaseProblem.Message, "admin-pw") {
		t.Errorf("message shows the secret: %s", again.BaseProblem.Message)
	}

	// One of them exists but did not opt in: that is the reason shown, since a person
	// can fix it now; the message names both, and the values stay the last good ones.
	in.Refused = Refused{"web": "Secret web exists but is not labelled"}
	refused := build(t, in)
	if p := refused.BaseProblem; p == nil || p.Reason != dectv1alpha1.ReasonSecretNotConsumable ||
		!strings.Contains(p.Message, "Secret web exists") || !strings.Contains(p.Message, "Secret extra") {
		t.Fatalf("base problem %+v, want SecretNotConsumable naming both", refused.BaseProblem)
	}
	if refused.Document.WebPassword != "admin-pw" {
		t.Errorf("last good web password lost: %q", refused.Document.WebPassword)
	}
}

// A refused authentication Secret keeps the authentication stored before: a Secret
// whose label is removed must not open the base to anyone.
func TestBuildRefusedAuthSecretKeepsTheStoredAuth(t *testing.T) {
	b := base()
	b.Spec.Provisioning.AuthSecretRef = &dectv1alpha1.LocalObjectReference{Name: "auth"}
	in := Input{Base: b, Secrets: Secrets{"auth": {"username": []byte("dev"), "password": []byte("pw")}}}
	first := build(t, in)
	if first.BaseProblem != nil || !first.File.Auth.Enabled() {
		t.Fatalf("first: problem %+v, auth enabled %t", first.BaseProblem, first.File.Auth.Enabled())
	}
	in.Secrets, in.Refused, in.Stored = Secrets{}, Refused{"auth": "Secret auth exists but is not labelled"}, &first.File
	out := build(t, in)
	if p := out.BaseProblem; p == nil || p.Reason != dectv1alpha1.ReasonSecretNotConsumable {
		t.Fatalf("base problem %+v, want SecretNotConsumable", out.BaseProblem)
	}
	if out.File.Auth != first.File.Auth {
		t.Errorf("auth = %+v, want the stored %+v kept", out.File.Auth, first.File.Auth)
	}
}

func TestBuildOnChangeWindow(t *testing.T) {
	b := base()
	b.Spec.Registration.Window = dectv1alpha1.RegistrationWindow{Mode: dectv1alpha1.WindowOnChange, Duration: &metav1.Duration{Duration: time.Hour}}
	in := Input{Base: b, Handsets: []dectv1alpha1.Handset{handset("a", "1013", "00ABC50871", 1)}, Secrets: secrets("1013", "1014")}
	first := build(t, in)
	if first.Window.Start != now.Unix() || first.Window.Duration != 3600 {
		t.Fatalf("first window %+v", first.Window)
	}
	in.Stored, in.Now = &first.File, now.Add(time.Hour)
	if same := build(t, in); same.Window != first.Window {
		t.Errorf("unchanged reservations moved the window: %+v", same.Window)
	}
	in.Handsets = append(in.Handsets, handset("b", "1014", "00ABB84A08", 2))
	if moved := build(t, in); moved.Window.Start != now.Add(time.Hour).Unix() {
		t.Errorf("a new reservation did not open a window: %+v", moved.Window)
	}
}

func TestBuildRefusesABadProfileBase(t *testing.T) {
	b := base()
	b.Spec.ProfileName = `bad"name`
	_, err := Build(Input{Base: b, MAC: mustMAC(t, b), Now: now})
	var e *Error
	if !errors.As(err, &e) || e.Reason != dectv1alpha1.ReasonInvalidSettings {
		t.Fatalf("Build = %v, want an InvalidSettings error: a base whose own settings cannot render was accepted", err)
	}
}
