package feed

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dect-operator/dect-operator/internal/provserver"
)

// The credentials of the test entries: no error, log line or formatting may show them.
const (
	secretPassword = "pw-Zq8#secret"
	secretMACID    = "7C2F80CA21E4-S3CR"
)

// nonceKey is a valid nonce key, and nonceKeyB64 how the wire carries it: neither may
// show in an error either.
var (
	nonceKey    = []byte("nonce-key-0123456789abcdefghijklmnop")
	nonceKeyB64 = base64.StdEncoding.EncodeToString(nonceKey)
)

// entry returns a valid entry for mac whose body says what.
func entry(mac, what string) provserver.Entry {
	e, err := provserver.Check(provserver.Entry{
		Namespace: "telephony", Base: "base-" + mac, MAC: mac,
		Body:           []byte("<Provider>" + what + " " + secretPassword + "</Provider>"),
		Auth:           provserver.Auth{Username: "admin", Password: secretPassword, MACID: secretMACID},
		AllowedSources: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")},
	})
	if err != nil {
		panic(err)
	}
	return e
}

func encode(t *testing.T, u Update) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := EncodeUpdate(&b, u); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestUpdateRoundTrip(t *testing.T) {
	plain := entry("7C2F80000002", "plain")
	plain.Auth, plain.AllowedSources = provserver.Auth{}, []netip.Prefix{}
	for _, u := range []Update{
		{Epoch: "e1", Version: 1, Full: true, Entries: []provserver.Entry{entry("7C2F80000001", "a"), plain}},
		{Epoch: "e1", Version: 1, Full: true, Entries: []provserver.Entry{}},
		{Epoch: "e1", Version: 2, Full: true, Entries: []provserver.Entry{entry("7C2F80000001", "a")}, NonceKey: nonceKey},
		{Epoch: "e1", Version: 7, Entries: []provserver.Entry{entry("7C2F80000001", "b")}, Deleted: []string{"7C2F80000003"}},
		{Epoch: "e1", Version: 1<<64 - 1},
	} {
		got, err := DecodeUpdate(bytes.NewReader(encode(t, u)))
		if err != nil {
			t.Fatalf("%+v: %v", u, err)
		}
		// Decoding gives empty lists as nil, and AllowedSources as Check gives them.
		if len(u.Entries) == 0 {
			u.Entries = nil
		}
		if !reflect.DeepEqual(got, u) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, u)
		}
	}
}

// Each way an Update can be wrong is refused with an error that says which, and never
// holds a credential or a body.
func TestDecodeUpdateRefuses(t *testing.T) {
	good := encode(t, Update{Epoch: "e1", Version: 3, Full: true, Entries: []provserver.Entry{entry("7C2F80000001", "a")}, NonceKey: nonceKey})
	swap := func(old, new string) string { return strings.Replace(string(good), old, new, 1) }
	if !strings.Contains(string(good), `"nonceKey":"`+nonceKeyB64+`"`) {
		t.Fatalf("a full update does not carry the nonce key as base64: %s", good)
	}
	short := base64.StdEncoding.EncodeToString(nonceKey[:provserver.MinNonceKeyLen-1])
	e := entry("7C2F80000001", "a")
	tests := []struct {
		name, in, want string
	}{
		{"not JSON", "<html>", "decoding the files"},
		{"cut short", string(good[:len(good)/2]), "decoding the files"},
		{"data after it", string(good) + "{}", "data after the JSON value"},
		{"an unknown field", swap(`"full":true`, `"full":true,"extra":1`), `unknown field "extra"`},
		{"no epoch", swap(`"epoch":"e1"`, `"epoch":""`), "epoch"},
		{"an odd epoch", swap(`"epoch":"e1"`, `"epoch":"e 1"`), "epoch"},
		{"version 0", swap(`"version":3`, `"version":0`), "version 0"},
		{"a negative version", swap(`"version":3`, `"version":-3`), "decoding the files"},
		{"full with deletions", swap(`"deleted":[]`, `"deleted":["7C2F80000009"]`), "full update with deletions"},
		{"no hash", swap(`"hash":"`+e.Hash+`"`, `"hash":""`), "no hash"},
		{"a body changed on the way", swap(`"hash":"`+e.Hash, `"hash":"0`+e.Hash[1:]), "Hash is not the hex SHA-256"},
		{"a bad MAC", swap(`"mac":"7C2F80000001"`, `"mac":"7C:2F:80:00:00:01"`), "not 12 hex digits"},
		{"no namespace", swap(`"namespace":"telephony"`, `"namespace":""`), "namespace"},
		{"a user without password", swap(`"password":"`+secretPassword+`",`, ``), "both Username and Password"},
		{"not base64", swap(`"body":"`, `"body":"!`), "decoding the files"},
		{"a bad prefix", swap(`"192.0.2.0/24"`, `"192.0.2.0/99"`), "decoding the files"},
		{"a MAC twice", string(encode(t, Update{Epoch: "e1", Version: 3, Full: true, Entries: []provserver.Entry{e, e}})), "twice"},
		{"a bad deletion", `{"epoch":"e1","version":2,"full":false,"deleted":["nope"],"entries":[]}`, "deletion 0 is not a MAC"},
		{"a nonce key in changes", swap(`"full":true`, `"full":false`), "nonce key in an update that is not full"},
		{"a short nonce key", swap(nonceKeyB64, short), "nonce key of 31 bytes, want at least 32"},
		{"an empty nonce key", swap(nonceKeyB64, ""), "nonce key of 0 bytes"},
		{"set and deleted", string(encode(t, Update{Epoch: "e1", Version: 3, Entries: []provserver.Entry{e}, Deleted: []string{e.MAC}})), "twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeUpdate(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
			for _, s := range []string{secretPassword, secretMACID, "<Provider>", nonceKeyB64, string(nonceKey[:8]), short[:8]} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the error shows %q: %v", s, err)
				}
			}
		})
	}
}

func delivery(i int) provserver.Delivery {
	e := entry("7C2F80000001", "a")
	return provserver.Delivery{
		Namespace: e.Namespace, Base: e.Base, MAC: e.MAC, Hash: e.Hash,
		Time:      time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC).Add(time.Duration(i) * time.Second),
		Source:    netip.MustParseAddr("192.0.2.7"),
		UserAgent: "Gigaset N720 DM/70.116.00.000.000;7C2F80CA21E4", Firmware: "70.116.00.000.000",
	}
}

func TestDeliveriesRoundTrip(t *testing.T) {
	noFirmware := delivery(1)
	noFirmware.Firmware, noFirmware.UserAgent = "", ""
	noFirmware.Source = netip.MustParseAddr("2001:db8::7")
	for _, ds := range [][]provserver.Delivery{{delivery(0)}, {delivery(0), noFirmware}, {}} {
		var b bytes.Buffer
		if err := EncodeDeliveries(&b, ds); err != nil {
			t.Fatal(err)
		}
		got, err := DecodeDeliveries(&b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, ds) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, ds)
		}
	}
	// A lower-case MAC comes back canonical.
	d := delivery(0)
	d.MAC = "7c2f80000001"
	var b bytes.Buffer
	_ = EncodeDeliveries(&b, []provserver.Delivery{d})
	if got, err := DecodeDeliveries(&b); err != nil || got[0].MAC != "7C2F80000001" {
		t.Errorf("decoded %+v, %v; want the MAC canonical", got, err)
	}
}

func TestDecodeDeliveriesRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(*provserver.Delivery)
		want   string
	}{
		{"a bad MAC", func(d *provserver.Delivery) { d.MAC = "7C2F8000000" }, "not a MAC"},
		{"no base", func(d *provserver.Delivery) { d.Base = "" }, "namespace and base"},
		{"no namespace", func(d *provserver.Delivery) { d.Namespace = "" }, "namespace and base"},
		{"a long name", func(d *provserver.Delivery) { d.Base = strings.Repeat("b", 254) }, "namespace and base"},
		{"no time", func(d *provserver.Delivery) { d.Time = time.Time{} }, "no time"},
		{"no source", func(d *provserver.Delivery) { d.Source = netip.Addr{} }, "no source"},
		{"a short hash", func(d *provserver.Delivery) { d.Hash = d.Hash[:63] }, "hex SHA-256"},
		{"an upper-case hash", func(d *provserver.Delivery) { d.Hash = strings.ToUpper(d.Hash) }, "hex SHA-256"},
		{"a long User-Agent", func(d *provserver.Delivery) { d.UserAgent = strings.Repeat("u", 257) }, "too long"},
		{"a long firmware", func(d *provserver.Delivery) { d.Firmware = strings.Repeat("7", 65) }, "too long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := delivery(0)
			tc.change(&d)
			var b bytes.Buffer
			if err := EncodeDeliveries(&b, []provserver.Delivery{delivery(1), d}); err != nil {
				t.Fatal(err)
			}
			got, err := DecodeDeliveries(&b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("decoded %d, error %v; want one with %q", len(got), err, tc.want)
			}
			if !strings.Contains(err.Error(), "delivery 1") {
				t.Errorf("the error %q does not say which delivery", err)
			}
		})
	}
	t.Run("too many", func(t *testing.T) {
		ds := make([]provserver.Delivery, MaxDeliveries+1)
		for i := range ds {
			ds[i] = delivery(i)
		}
		var b bytes.Buffer
		_ = EncodeDeliveries(&b, ds)
		if _, err := DecodeDeliveries(&b); err == nil || !strings.Contains(err.Error(), fmt.Sprint(MaxDeliveries+1)) {
			t.Errorf("error %v, want one about %d deliveries", err, MaxDeliveries+1)
		}
	})
	t.Run("too large", func(t *testing.T) {
		in := `{"deliveries":[],"pad":"` + strings.Repeat("x", maxDeliveriesBody) + `"}`
		if _, err := DecodeDeliveries(strings.NewReader(in)); err == nil {
			t.Error("a body over the limit was taken")
		}
	})
}
