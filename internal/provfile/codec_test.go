package provfile

import (
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
)

func sample() *File {
	return &File{
		Namespace: "telephony", Base: "office", MAC: "7C2F80CA21E4",
		Document:       []byte("<ProviderFrame>public</ProviderFrame>"),
		Credentials:    []byte(`<SYMB_ITEM ID="x" class="symb_item" value='"secret"'/>`),
		Hash:           "abc123",
		HashKey:        []byte("0123456789abcdef0123456789abcdef"),
		Generation:     7,
		RenderedAt:     time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		BaseCreated:    time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC),
		AllowedSources: []string{"10.0.0.0/8", "2001:db8::/64"},
		HoldUntil:      time.Date(2026, 3, 1, 12, 2, 0, 0, time.UTC),
		Auth:           Auth{Username: "admin", Password: "digest-pw", MACID: "7C2F80CA21E4-ABCD"},
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for name, f := range map[string]*File{
		"everything":        sample(),
		"no auth, no CIDRs": func() *File { f := sample(); f.Auth, f.AllowedSources = Auth{}, nil; return f }(),
	} {
		t.Run(name, func(t *testing.T) {
			cm, sec := Encode(f)
			got, err := Decode(cm, sec)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, f) {
				t.Errorf("Decode(Encode(f)) =\n%+v\nwant\n%+v", got, f)
			}
		})
	}
}

func TestEncodeKeepsSecretsOutOfTheConfigMap(t *testing.T) {
	cm, _ := Encode(sample())
	for _, leak := range []string{"secret", "digest-pw", "ABCD", "0123456789abcdef"} {
		for k, v := range cm.BinaryData {
			if strings.Contains(string(v), leak) {
				t.Errorf("ConfigMap key %s holds %q", k, leak)
			}
		}
		for k, v := range cm.Annotations {
			if strings.Contains(v, leak) {
				t.Errorf("ConfigMap annotation %s holds %q", k, leak)
			}
		}
	}
}

func TestDecodeWithoutSecretServesTheDocumentAlone(t *testing.T) {
	cm, _ := Encode(sample())
	got, err := Decode(cm, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Credentials != nil || got.HashKey != nil || got.Auth.Enabled() {
		t.Errorf("decoded without a Secret: credentials %q, hash key %q, auth %+v", got.Credentials, got.HashKey, got.Auth)
	}
	if string(got.Document) != string(sample().Document) {
		t.Errorf("document %q", got.Document)
	}
}

func TestDecodeWithoutConfigMapKeepsTheSecretsKeyAndAuth(t *testing.T) {
	_, sec := Encode(sample())
	got, err := Decode(nil, sec)
	if err != nil {
		t.Fatal(err)
	}
	want := sample()
	if got.Document != nil || got.Credentials != nil || string(got.HashKey) != string(want.HashKey) || got.Auth != want.Auth {
		t.Errorf("decoded from the Secret alone: %+v", got)
	}
}

func TestDecodeRefusesAConfigMapWithoutAMACFile(t *testing.T) {
	for name, data := range map[string]map[string][]byte{
		"no data":            nil,
		"not .xml":           {"7C2F80CA21E4.txt": []byte("x")},
		"lower-case MAC":     {"7c2f80ca21e4.xml": []byte("x")},
		"MAC with colons":    {"7C:2F:80:CA:21:E4.xml": []byte("x")},
		"eleven hex digits":  {"7C2F80CA21E.xml": []byte("x")},
		"path in the key":    {"../7C2F80CA21E4.xml": []byte("x")},
		"not hex":            {"7C2F80CA21EG.xml": []byte("x")},
		"only in Data field": nil,
	} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "office-provisioning"}, BinaryData: data}
		if name == "only in Data field" {
			cm.Data = map[string]string{"7C2F80CA21E4.xml": "x"}
		}
		if _, err := Decode(cm, nil); err == nil || !strings.Contains(err.Error(), "no file named <MAC>.xml") {
			t.Errorf("%s: Decode error %v, want one saying there is no <MAC>.xml", name, err)
		}
	}
}

func TestDecodeReadsUnparsableAnnotationsAsZero(t *testing.T) {
	cm, sec := Encode(sample())
	cm.Annotations[AnnotationGeneration] = "seven"
	cm.Annotations[AnnotationRenderedAt] = "yesterday"
	delete(cm.Annotations, AnnotationBaseCreated)
	got, err := Decode(cm, sec)
	if err != nil {
		t.Fatal(err)
	}
	if got.Generation != 0 || !got.RenderedAt.IsZero() || !got.BaseCreated.IsZero() {
		t.Errorf("generation %d, renderedAt %v, baseCreated %v: want zeros", got.Generation, got.RenderedAt, got.BaseCreated)
	}
}

func TestOlderClaim(t *testing.T) {
	at := func(ns, base string, created time.Time) *File {
		return &File{Namespace: ns, Base: base, BaseCreated: created}
	}
	t1 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Second)
	for _, c := range []struct {
		name string
		a, b *File
		want bool
	}{
		{"created first wins", at("z", "z", t1), at("a", "a", t2), true},
		{"created later loses", at("a", "a", t2), at("z", "z", t1), false},
		{"same time: namespace decides", at("a", "x", t1), at("b", "a", t1), true},
		{"same time and namespace: name decides", at("a", "b", t1), at("a", "a", t1), false},
		{"no creation time is the newest claim", at("a", "a", time.Time{}), at("z", "z", t2), false},
		{"against no creation time, any claim is older", at("z", "z", t2), at("a", "a", time.Time{}), true},
	} {
		if got := OlderClaim(c.a, c.b); got != c.want {
			t.Errorf("%s: OlderClaim = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestOwnsEveryKeyEncodeWrites(t *testing.T) {
	cm, sec := Encode(sample())
	for _, m := range []map[string]string{cm.Labels, cm.Annotations, sec.Labels} {
		for k := range m {
			if !Owns(k) {
				t.Errorf("Encode writes %s but Owns does not claim it: a stale value would survive", k)
			}
		}
	}
	for _, k := range []string{LabelRetained, AnnotationAllowedSources, AnnotationHoldUntil} {
		if !Owns(k) {
			t.Errorf("%s is written only sometimes; Owns must claim it so that it can go", k)
		}
	}
	if Owns("argocd.argoproj.io/instance") || Owns("team") {
		t.Error("Owns claims keys others add")
	}
}

// The manager caches only Secrets labelled consumable: the Secret Encode writes must be
// one of them, or the manager would not see its own record. The ConfigMap needs no such
// label, and carries none.
func TestEncodedSecretIsInTheManagersCache(t *testing.T) {
	cm, sec := Encode(sample())
	if sec.Labels[dectv1alpha1.LabelConsumable] != "true" {
		t.Errorf("Secret labels %v lack %s=true", sec.Labels, dectv1alpha1.LabelConsumable)
	}
	if _, ok := cm.Labels[dectv1alpha1.LabelConsumable]; ok {
		t.Errorf("ConfigMap labels %v carry %s", cm.Labels, dectv1alpha1.LabelConsumable)
	}
}
