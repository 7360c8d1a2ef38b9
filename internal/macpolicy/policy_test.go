package macpolicy

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const mac = "7C2F80CA21E4"

// claim is ns/name created at t seconds; a trailing "!" marks it as being deleted.
func claim(id string, t int64) Claim {
	ns, name, _ := strings.Cut(id, "/")
	name, deleting := strings.CutSuffix(name, "!")
	return Claim{Namespace: ns, Name: name, Created: time.Unix(t, 0), Deleting: deleting}
}

func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		name        string
		mode        Mode
		annotations map[string]string
		claims      []Claim
		// want is the holder ("" for none) and, per claim, its reason.
		holder  string
		reasons []Reason
	}{
		{
			name:   "first-come without annotations: the oldest holds",
			claims: []Claim{claim("b/late", 200), claim("a/early", 100)},
			holder: "a/early", reasons: []Reason{DuplicateMAC, ""},
		},
		{
			name:   "ties by namespace, then name",
			claims: []Claim{claim("b/x", 100), claim("a/z", 100), claim("a/y", 100)},
			holder: "a/y", reasons: []Reason{DuplicateMAC, DuplicateMAC, ""},
		},
		{
			name:   "rule 5: a base being deleted never holds while another may",
			claims: []Claim{claim("a/old!", 1), claim("b/new", 200)},
			holder: "b/new", reasons: []Reason{DuplicateMAC, ""},
		},
		{
			name:   "rule 6: every claim being deleted: the oldest keeps the MAC until it is gone",
			claims: []Claim{claim("b/new!", 200), claim("a/old!", 1)},
			holder: "a/old", reasons: []Reason{DuplicateMAC, ""},
		},
		{
			name:   "no claims",
			holder: "",
		},
		{
			name:        "rule 1: a namespace whose annotation does not parse holds nothing",
			annotations: map[string]string{"a": mac + ", oops"},
			claims:      []Claim{claim("a/office", 100)},
			holder:      "", reasons: []Reason{PolicyInvalid},
		},
		{
			name:        "rule 1: ... and what parses stays reserved for it",
			annotations: map[string]string{"a": mac + ", oops"},
			claims:      []Claim{claim("a/office", 200), claim("b/squatter", 100)},
			holder:      "", reasons: []Reason{PolicyInvalid, NotAllowed},
		},
		{
			name:        "rule 1 also in a namespace that does not list the MAC",
			annotations: map[string]string{"a": "oops"},
			claims:      []Claim{claim("a/office", 100), claim("b/desk", 200)},
			holder:      "b/desk", reasons: []Reason{PolicyInvalid, ""},
		},
		{
			name:        "rule 2: a reserved MAC goes to its namespace, though another came first",
			annotations: map[string]string{"a": mac},
			claims:      []Claim{claim("b/squatter", 100), claim("a/office", 200)},
			holder:      "a/office", reasons: []Reason{NotAllowed, ""},
		},
		{
			name:        "rule 2: a prefix reserves too",
			annotations: map[string]string{"a": "7C2F80*"},
			claims:      []Claim{claim("b/squatter", 100)},
			holder:      "", reasons: []Reason{NotAllowed},
		},
		{
			name:        "rule 2: the most specific entry wins",
			annotations: map[string]string{"msp": "7C2F80*", "a": mac},
			claims:      []Claim{claim("msp/office", 100), claim("a/office", 200)},
			holder:      "a/office", reasons: []Reason{NotAllowed, ""},
		},
		{
			name:        "rule 2: a catch-all loses to every entry",
			annotations: map[string]string{"admin": "*", "a": "7C*"},
			claims:      []Claim{claim("admin/x", 100), claim("a/office", 200), claim("b/free", 50)},
			holder:      "a/office", reasons: []Reason{NotAllowed, "", NotAllowed},
		},
		{
			name:        "rule 2: namespaces listing it equally share it, first-come",
			annotations: map[string]string{"a": mac, "b": "7C:2F:80:CA:21:E4"},
			claims:      []Claim{claim("a/office", 200), claim("b/desk", 100), claim("c/other", 1)},
			holder:      "b/desk", reasons: []Reason{DuplicateMAC, "", NotAllowed},
		},
		{
			name:        "rule 3: an annotation restricts its own namespace",
			annotations: map[string]string{"a": "7C2F81*"},
			claims:      []Claim{claim("a/office", 100), claim("b/desk", 200)},
			holder:      "b/desk", reasons: []Reason{NotAllowed, ""},
		},
		{
			name:        "rule 3: an empty annotation allows nothing",
			annotations: map[string]string{"a": ""},
			claims:      []Claim{claim("a/office", 100)},
			holder:      "", reasons: []Reason{NotAllowed},
		},
		{
			name:   "rule 4: allow-list refuses a namespace without the annotation",
			mode:   AllowList,
			claims: []Claim{claim("a/office", 100)},
			holder: "", reasons: []Reason{NotAllowed},
		},
		{
			name:        "rule 4: allow-list serves what is listed",
			mode:        AllowList,
			annotations: map[string]string{"b": "7C2F80*"},
			claims:      []Claim{claim("a/office", 100), claim("b/desk", 200)},
			holder:      "b/desk", reasons: []Reason{NotAllowed, ""},
		},
		{
			name:   "an unknown mode is as strict as allow-list",
			mode:   Mode("typo"),
			claims: []Claim{claim("a/office", 100)},
			holder: "", reasons: []Reason{NotAllowed},
		},
		{
			name:        "rules 2 and 5: a refused claim never holds, even when every allowed one is being deleted",
			annotations: map[string]string{"a": mac},
			claims:      []Claim{claim("a/office!", 200), claim("b/squatter", 100)},
			holder:      "a/office", reasons: []Reason{"", NotAllowed},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := New(tc.mode, tc.annotations).Decide(mac, tc.claims)
			holder := ""
			if d.Holder >= 0 {
				c := tc.claims[d.Holder]
				holder = c.Namespace + "/" + c.Name
			}
			if holder != tc.holder {
				t.Errorf("holder %q, want %q", holder, tc.holder)
			}
			for i, v := range d.Verdicts {
				if v.Reason != tc.reasons[i] {
					t.Errorf("claim %d (%s/%s): reason %q (%s), want %q", i, tc.claims[i].Namespace, tc.claims[i].Name, v.Reason, v.Message, tc.reasons[i])
				}
				if (v.Reason == "") != (i == d.Holder) {
					t.Errorf("claim %d: reason %q, holder %v", i, v.Reason, i == d.Holder)
				}
				if v.Reason != "" && v.Message == "" {
					t.Errorf("claim %d: refused without a message", i)
				}
			}
		})
	}
}

// TestMessagesNameNoOtherNamespace: a refused tenant learns what to ask for, never who
// else declares or reserves its MAC.
func TestMessagesNameNoOtherNamespace(t *testing.T) {
	p := New(FirstCome, map[string]string{"reserver": "7C2F80CA21E4", "broken": "nonsense", "narrow": "00*"})
	const free = "AA0000000001" // listed by no namespace
	cases := []struct {
		mac    string
		claims []Claim
		reason Reason
		words  []string
	}{
		{free, []Claim{claim("holder-ns/holder-base", 1), claim("tenant/mine", 2)}, DuplicateMAC,
			[]string{free, "another namespace", "tenant", Annotation}},
		{mac, []Claim{claim("reserver/reserver-base", 3), claim("tenant/mine", 2)}, NotAllowed,
			[]string{mac, "reserved for another namespace", "tenant", Annotation}},
		{mac, []Claim{claim("tenant/mine", 2)}, NotAllowed, []string{mac, "reserved for another namespace"}},
	}
	for i, c := range cases {
		d := p.Decide(c.mac, c.claims)
		v := d.Verdicts[len(c.claims)-1]
		if v.Reason != c.reason {
			t.Errorf("case %d: reason %s, want %s", i, v.Reason, c.reason)
		}
		for _, other := range []string{"holder-ns", "holder-base", "reserver", "broken", "narrow"} {
			if strings.Contains(v.Message, other) {
				t.Errorf("case %d: the message names %q: %s", i, other, v.Message)
			}
		}
		for _, w := range c.words {
			if !strings.Contains(v.Message, w) {
				t.Errorf("case %d: the message lacks %q: %s", i, w, v.Message)
			}
		}
	}

	// In its own namespace, the holder is named: the tenant can fix it alone.
	d := p.Decide(free, []Claim{claim("tenant/first", 1), claim("tenant/second", 2)})
	if v := d.Verdicts[1]; !strings.Contains(v.Message, "DectBase first") {
		t.Errorf("same-namespace duplicate does not name the holder: %s", v.Message)
	}
	// Its own annotation's problem is the namespace's to read.
	d = p.Decide(free, []Claim{claim("broken/x", 1)})
	if v := d.Verdicts[0]; v.Reason != PolicyInvalid || !strings.Contains(v.Message, `"nonsense"`) {
		t.Errorf("invalid annotation: %s %s", v.Reason, v.Message)
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]string{"": "first-come", "first-come": "first-come", "allow-list": "allow-list", "strict": "error"} {
		got, err := ParseMode(in)
		if err != nil {
			got = "error"
		}
		if string(got) != want {
			t.Errorf("ParseMode(%q) = %s, want %s", in, got, want)
		}
	}
	if m := (Policy{}).Mode(); m != FirstCome {
		t.Errorf("the zero Policy's mode is %q", m)
	}
}

func ExamplePolicy_Decide() {
	p := New(FirstCome, map[string]string{"tenant-a": "7C:2F:80:CA:21:E4"})
	d := p.Decide("7C2F80CA21E4", []Claim{
		{Namespace: "tenant-b", Name: "squatter", Created: time.Unix(100, 0)},
		{Namespace: "tenant-a", Name: "office", Created: time.Unix(200, 0)},
	})
	fmt.Println("holder:", d.Holder)
	fmt.Println(d.Verdicts[0].Reason)
	// Output:
	// holder: 1
	// MACNotAllowed
}
