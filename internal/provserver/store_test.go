package provserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

func TestStoreSetLookupDelete(t *testing.T) {
	s := NewStore()
	body := []byte("file")
	en := Entry{Namespace: "ns", Base: "b", MAC: "7c2f80ca21e4", Body: body,
		AllowedSources: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/8")}}
	if err := s.Set(en); err != nil {
		t.Fatal(err)
	}
	body[0] = 'X' // the Store keeps its own copy
	got, ok := s.Lookup("7C2F80CA21E4")
	if !ok {
		t.Fatal("Lookup after Set: not found")
	}
	sum := sha256.Sum256([]byte("file"))
	if got.MAC != "7C2F80CA21E4" || string(got.Body) != "file" || got.Hash != hex.EncodeToString(sum[:]) {
		t.Errorf("Lookup = %v, want canonical MAC, own copy of the body and its hash", got)
	}
	if got.AllowedSources[0] != netip.MustParsePrefix("10.0.0.0/8") {
		t.Errorf("prefix %v not masked", got.AllowedSources[0])
	}
	if _, ok := s.Lookup("7c2f80ca21e4"); !ok {
		t.Error("Lookup is case-sensitive")
	}
	for _, bad := range []string{"", "7C2F80CA21E", "7C:2F:80:CA:21:E4"} {
		if _, ok := s.Lookup(bad); ok {
			t.Errorf("Lookup(%q) found something", bad)
		}
	}
	s.Delete("not-a-mac") // ignored
	s.Delete("7c2f80ca21e4")
	if _, ok := s.Lookup(testMAC); ok || s.Len() != 0 {
		t.Error("entry still there after Delete")
	}
}

// Check returns the entry as the Store holds it, without copying the body.
func TestCheck(t *testing.T) {
	body := []byte("file")
	got, err := Check(Entry{Namespace: "ns", Base: "b", MAC: "7c2f80ca21e4", Body: body,
		AllowedSources: []netip.Prefix{netip.MustParsePrefix("::ffff:10.1.2.3/104")}})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	if got.MAC != "7C2F80CA21E4" || got.Hash != hex.EncodeToString(sum[:]) || &got.Body[0] != &body[0] {
		t.Errorf("Check = %v, want the canonical MAC, the body's hash, and the body itself", got)
	}
	if want := netip.MustParsePrefix("10.0.0.0/8"); len(got.AllowedSources) != 1 || got.AllowedSources[0] != want {
		t.Errorf("AllowedSources = %v, want [%v]", got.AllowedSources, want)
	}
}

func TestStoreRefusesInvalid(t *testing.T) {
	good := entry(configuredAuth)
	tests := []struct {
		name string
		mod  func(*Entry)
		want string
	}{
		{"bad MAC", func(e *Entry) { e.MAC = "7C:2F:80:CA:21:E4" }, "not 12 hex digits"},
		{"wrong hash", func(e *Entry) { e.Hash = strings.Repeat("0", 64) }, "Hash"},
		{"user without password", func(e *Entry) { e.Auth.Password = "" }, "both Username and Password"},
		{"password without user", func(e *Entry) { e.Auth.Username = "" }, "both Username and Password"},
		{"invalid prefix", func(e *Entry) { e.AllowedSources = []netip.Prefix{{}} }, "AllowedSources[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewStore()
			e := good
			tc.mod(&e)
			// Check refuses what Set refuses, with the same error.
			_, checkErr := Check(e)
			err := s.Set(e)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Set error = %v, want one mentioning %q", err, tc.want)
			}
			if checkErr == nil || checkErr.Error() != err.Error() {
				t.Errorf("Check error = %v, Set error = %v: want the same", checkErr, err)
			}
			if s.Len() != 0 {
				t.Error("invalid entry stored")
			}
			for _, secret := range secrets {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains a secret", err)
				}
			}
		})
	}
	// A correct hash given by the caller is accepted.
	e := good
	sum := sha256.Sum256(e.Body)
	e.Hash = hex.EncodeToString(sum[:])
	if err := NewStore().Set(e); err != nil {
		t.Errorf("Set with the right hash: %v", err)
	}
}

// Readers running against writers always see a whole entry: the body and the
// hash served together belong together. Run with -race.
func TestStoreConcurrent(t *testing.T) {
	s := NewStore()
	bodies := [][]byte{bytes.Repeat([]byte("a"), 1000), bytes.Repeat([]byte("b"), 2000)}
	hashes := map[byte]string{}
	for _, b := range bodies {
		sum := sha256.Sum256(b)
		hashes[b[0]] = hex.EncodeToString(sum[:])
	}
	stop := make(chan struct{})
	var writer sync.WaitGroup
	writer.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.Set(Entry{Namespace: "ns", Base: "b", MAC: testMAC, Body: bodies[i%2]})
			if i%7 == 0 {
				s.Delete(testMAC)
			}
		}
	})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for range 20000 {
				e, ok := s.Lookup(testMAC)
				if ok && hashes[e.Body[0]] != e.Hash {
					t.Error("entry with a body from one version and a hash from another")
					return
				}
			}
		})
	}
	readers.Wait()
	close(stop)
	writer.Wait()
}
