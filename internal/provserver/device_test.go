package provserver

import (
	"bytes"
	"net/netip"
	"slices"
	"testing"
)

// The device's real sequence over HTTP, for each way a base can be set up,
// with both algorithms.
func TestDeviceSequence(t *testing.T) {
	tests := []struct {
		name       string
		auth       Auth
		user, pass string // configured on the device
		macID      string // the device's own MAC-ID
		want       []int
	}{
		{"built-in identity accepted", bothAuth, testUser, testPassword, testMACID, []int{401, 200}},
		{"only built-in identity configured", macIDAuth, "", "", testMACID, []int{401, 200}},
		{"MAC-ID not configured: 401 again, then configured credentials", configuredAuth, testUser, testPassword, testMACID, []int{401, 401, 200}},
		{"MAC-ID configured wrong: configured credentials still work", Auth{Username: testUser, Password: testPassword, MACID: "000000000000-0000"},
			testUser, testPassword, testMACID, []int{401, 401, 200}},
		{"device has wrong configured password", configuredAuth, testUser, "wrong", testMACID, []int{401, 401, 401}},
		{"device has no configured credentials", configuredAuth, "", "", testMACID, []int{401, 401}},
		{"device has wrong MAC-ID, no configured credentials", macIDAuth, "", "", "7C2F80CA21E4-0000", []int{401, 401}},
		{"unprotected base", Auth{}, "", "", testMACID, []int{200}},
	}
	for _, alg := range []string{"SHA-256", "MD5"} {
		for _, tc := range tests {
			t.Run(alg+"/"+tc.name, func(t *testing.T) {
				e := newEnv(t, Options{}, entry(tc.auth))
				d := e.device(e.serve(), alg)
				d.user, d.pass, d.macID = tc.user, tc.pass, tc.macID
				codes, body, hdr := d.fetch(t)
				if !slices.Equal(codes, tc.want) {
					t.Fatalf("status sequence %v, want %v", codes, tc.want)
				}
				noSecrets(t, "final response", hdr, body)
				deliveries := e.delivered()
				if tc.want[len(tc.want)-1] != 200 {
					if len(deliveries) != 0 {
						t.Errorf("%d deliveries reported for a failed fetch", len(deliveries))
					}
					return
				}
				if !bytes.Equal(body, testBody) {
					t.Errorf("body %q, want %q", body, testBody)
				}
				if len(deliveries) != 1 {
					t.Fatalf("%d deliveries reported, want 1", len(deliveries))
				}
				want := Delivery{
					Namespace: testNS, Base: testBase, MAC: testMAC, Time: e.clock.Now(),
					Source: netip.MustParseAddr("127.0.0.1"), UserAgent: testUA,
					Firmware: "70.108.00.000.000", Hash: mustLookup(t, e.store).Hash,
				}
				if deliveries[0] != want {
					t.Errorf("delivery %+v\nwant     %+v", deliveries[0], want)
				}
			})
		}
	}
}

func mustLookup(t *testing.T, s *Store) Entry {
	t.Helper()
	en, ok := s.Lookup(testMAC)
	if !ok {
		t.Fatal("test entry missing")
	}
	return en
}

// The device asks with If-None-Match after authenticating: 304, reported as a
// delivery too.
func TestDeviceSequenceNotModified(t *testing.T) {
	e := newEnv(t, Options{}, entry(configuredAuth))
	d := e.device(e.serve(), "SHA-256")
	d.user, d.pass = testUser, testPassword
	d.ifNoneMatch = `"` + mustLookup(t, e.store).Hash + `"`
	codes, body, hdr := d.fetch(t)
	if !slices.Equal(codes, []int{401, 401, 304}) {
		t.Fatalf("status sequence %v, want [401 401 304]", codes)
	}
	if len(body) != 0 || hdr.Get("ETag") != d.ifNoneMatch {
		t.Errorf("304 with body %q and ETag %q, want no body and ETag %s", body, hdr.Get("ETag"), d.ifNoneMatch)
	}
	if n := len(e.delivered()); n != 1 {
		t.Errorf("%d deliveries for a 304, want 1", n)
	}
}
