package feed

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/dect-operator/dect-operator/internal/fuzzing"
	"github.com/dect-operator/dect-operator/internal/provserver"
)

func TestMain(m *testing.M) { fuzzing.Main(m) }

// FuzzDecodeUpdate reads arbitrary bytes as the sidecar reads the manager's answer: no
// panic; what it accepts the Store accepts, entry by entry, a nonce key only in a full
// set and long enough, and it encodes and decodes to the same Update.
func FuzzDecodeUpdate(f *testing.F) {
	var full, changes bytes.Buffer
	_ = EncodeUpdate(&full, Update{Epoch: "e1", Version: 2, Full: true, Entries: []provserver.Entry{entry(macA, "a"), entry(macB, "b")}, NonceKey: nonceKey})
	_ = EncodeUpdate(&changes, Update{Epoch: "e1", Version: 3, Entries: []provserver.Entry{entry(macC, "c")}, Deleted: []string{macA}})
	for _, s := range []string{
		full.String(), changes.String(),
		`{"epoch":"e","version":1,"full":true,"deleted":[],"entries":[]}`,
		`{"epoch":"e","version":1,"full":false,"deleted":["7c2f80000001"],"entries":null}`,
		`{"epoch":"e","version":18446744073709551615,"full":true,"entries":[{"namespace":"n","base":"b","mac":"7C2F80000001","body":"","hash":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}]}`,
		`{"epoch":"e","version":1,"full":true,"deleted":[],"entries":[],"nonceKey":"c2hvcnQ="}`,
		`{"epoch":"e","version":2,"full":false,"deleted":[],"entries":[],"nonceKey":"` + nonceKeyB64 + `"}`,
		`{"epoch":"e","version":1,"full":true,"deleted":[],"entries":[],"nonceKey":null}`,
		`{"EPOCH":"e","version":1}`, `null`, `[]`, `{}`, "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := DecodeUpdate(bytes.NewReader(data))
		if err != nil {
			return
		}
		if u.NonceKey != nil && (!u.Full || len(u.NonceKey) < provserver.MinNonceKeyLen) {
			t.Fatalf("accepted a nonce key of %d bytes in an update with Full %v", len(u.NonceKey), u.Full)
		}
		store := provserver.NewStore()
		for _, e := range u.Entries {
			if err := store.Set(e); err != nil {
				t.Fatalf("decoded an entry the Store refuses: %v", err)
			}
		}
		var again bytes.Buffer
		if err := EncodeUpdate(&again, u); err != nil {
			t.Fatal(err)
		}
		u2, err := DecodeUpdate(&again)
		if err != nil {
			t.Fatalf("an accepted update does not decode again: %v", err)
		}
		if !reflect.DeepEqual(normal(u), normal(u2)) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", u2, u)
		}
	})
}

// normal makes empty lists nil, for comparing.
func normal(u Update) Update {
	if len(u.Entries) == 0 {
		u.Entries = nil
	}
	for i := range u.Entries {
		if len(u.Entries[i].Body) == 0 {
			u.Entries[i].Body = nil
		}
		if len(u.Entries[i].AllowedSources) == 0 {
			u.Entries[i].AllowedSources = nil
		}
	}
	if len(u.Deleted) == 0 {
		u.Deleted = nil
	}
	return u
}

// FuzzDecodeDeliveries reads arbitrary bytes as the manager reads the sidecar's
// deliveries: no panic; what it accepts is within the limits, and encodes and decodes
// to the same records.
func FuzzDecodeDeliveries(f *testing.F) {
	var b bytes.Buffer
	_ = EncodeDeliveries(&b, []provserver.Delivery{delivery(0), delivery(1)})
	for _, s := range []string{
		b.String(), `{"deliveries":[]}`, `{"deliveries":null}`,
		`{"deliveries":[{"namespace":"n","base":"b","mac":"7c2f80000001","time":"2026-01-01T00:00:00Z","source":"::ffff:192.0.2.1","hash":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}]}`,
		`{"deliveries":[{"time":"0001-01-01T00:00:00Z"}]}`, `{"deliveries":[{"source":"zz"}]}`, "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := DecodeDeliveries(bytes.NewReader(data))
		if err != nil {
			return
		}
		if len(ds) > MaxDeliveries {
			t.Fatalf("%d deliveries accepted", len(ds))
		}
		for _, d := range ds {
			if _, ok := canonicalMAC(d.MAC); !ok || d.MAC != string(bytes.ToUpper([]byte(d.MAC))) || !d.Source.IsValid() || d.Time.IsZero() || !isSHA256(d.Hash) {
				t.Fatalf("accepted %+v", d)
			}
		}
		var again bytes.Buffer
		if err := EncodeDeliveries(&again, ds); err != nil {
			t.Fatal(err)
		}
		ds2, err := DecodeDeliveries(&again)
		if err != nil {
			t.Fatalf("accepted deliveries do not decode again: %v", err)
		}
		if len(ds) != len(ds2) {
			t.Fatalf("round trip: %d, then %d deliveries", len(ds), len(ds2))
		}
		for i := range ds {
			// Times compare with Equal: a decoded time's location may differ.
			a, b := ds[i], ds2[i]
			if !a.Time.Equal(b.Time) {
				t.Fatalf("delivery %d: time %v, then %v", i, a.Time, b.Time)
			}
			a.Time = b.Time
			if a != b {
				t.Fatalf("delivery %d:\n got %+v\nwant %+v", i, b, a)
			}
		}
	})
}
