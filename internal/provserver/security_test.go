package provserver

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// Item 4 of issue 11: a configured MAC asked from a refused source address and
// an unknown MAC get the same answer (status, body, headers); only the unknown
// MAC is listed, the refusal is counted for the base.
func TestRefusedSourceLooksUnknown(t *testing.T) {
	for _, method := range []string{"GET", "HEAD"} {
		t.Run(method, func(t *testing.T) {
			restricted := entry(bothAuth)
			restricted.AllowedSources = mustPrefixes("10.0.0.0/8")
			e := newEnv(t, Options{}, restricted)
			const outsider = "192.0.2.66:4000"
			refused := e.do(req{method: method, remote: outsider})
			unknown := e.do(req{method: method, remote: outsider, target: "/" + otherMAC + ".xml"})
			if refused.Code != 404 || unknown.Code != 404 {
				t.Fatalf("refused %d, unknown %d; want 404 for both", refused.Code, unknown.Code)
			}
			if !maps.EqualFunc(refused.Header(), unknown.Header(), slices.Equal[[]string]) {
				t.Errorf("headers differ:\nrefused %v\nunknown %v", refused.Header(), unknown.Header())
			}
			if refused.Body.String() != unknown.Body.String() {
				t.Errorf("bodies differ: %q vs %q", refused.Body, unknown.Body)
			}
			list, _ := e.h.unknown.devices.list()
			if len(list) != 1 || list[0].MAC != otherMAC {
				t.Errorf("unknown devices %+v, want only %s", list, otherMAC)
			}
			if got := metricValue(t, e.reg, MetricUnknownMAC); got != 1 {
				t.Errorf("%s = %v, want 1", MetricUnknownMAC, got)
			}
			if got := metricValue(t, e.reg, MetricRequests, "namespace", testNS, "base", testBase, "result", "forbidden"); got != 1 {
				t.Errorf("forbidden requests for the base = %v, want 1", got)
			}
		})
	}
}

// Item 5 of issue 11: a 304 records a delivery only when the device named
// the file's own ETag; "*" matches (304) but says nothing of which file the
// device has.
func TestNotModifiedRecordsOnlyExactMatch(t *testing.T) {
	e0 := newEnv(t, Options{}, entry(Auth{}))
	etag := e0.do(req{}).Header().Get("ETag")
	tests := []struct {
		name      string
		inm       []string
		code      int
		delivered bool
	}{
		{"star", []string{"*"}, 304, false},
		{"star among others", []string{`"other", *`}, 304, false},
		{"exact", []string{etag}, 304, true},
		{"weak form of the ETag", []string{"W/" + etag}, 304, true},
		{"star then exact", []string{"*", etag}, 304, true},
		{"exact in a list", []string{`"other", ` + etag}, 304, true},
		{"other", []string{`"other"`}, 200, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Options{}, entry(Auth{}))
			w := e.do(req{header: http.Header{"If-None-Match": tc.inm}})
			if w.Code != tc.code {
				t.Fatalf("status %d, want %d", w.Code, tc.code)
			}
			if got := len(e.delivered()) == 1; got != tc.delivered {
				t.Errorf("delivery recorded: %v, want %v", got, tc.delivered)
			}
		})
	}
}

// Item 3 of issue 11: replicas. With a shared NonceKey, a challenge from one
// handler is answered to another: 200. With different keys (or a restart), the
// right password over the other's nonce gets 401 stale=true and is not counted
// as a failure, and the retry with the fresh nonce gets 200.
func TestReplicasShareNonceKey(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	uri := "/" + testMAC + ".xml"
	tests := []struct {
		name       string
		keyA, keyB []byte
	}{
		{"shared key", key, key},
		{"different keys", key, []byte(strings.Repeat("x", 32))},
		{"random keys (restart)", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			shared := tc.keyA != nil && string(tc.keyA) == string(tc.keyB)
			// FailureLimit 1: a single counted failure would lock the lane.
			a := newEnv(t, Options{NonceKey: tc.keyA, FailureLimit: 1}, entry(bothAuth))
			b := newEnv(t, Options{NonceKey: tc.keyB, FailureLimit: 1}, entry(bothAuth))
			for i := range 3 {
				auth := authorize(t, a.do(req{}).Header(), "SHA-256", "GET", uri, testUser, testPassword)
				w := b.do(req{header: http.Header{"Authorization": {auth}}})
				if shared {
					if w.Code != 200 {
						t.Fatalf("answer %d to the other replica: %d, want 200", i, w.Code)
					}
					continue
				}
				if w.Code != 401 || !strings.Contains(w.Header().Get("WWW-Authenticate"), "stale=true") {
					t.Fatalf("answer %d to the other replica: %d %q, want 401 stale=true", i, w.Code, w.Header().Get("WWW-Authenticate"))
				}
				auth = authorize(t, w.Header(), "SHA-256", "GET", uri, testUser, testPassword)
				if w := b.do(req{header: http.Header{"Authorization": {auth}}}); w.Code != 200 {
					t.Fatalf("retry %d with the fresh nonce: %d, want 200 (stale is no failure)", i, w.Code)
				}
			}
		})
	}
}

func TestNewHandlerRefusesShortNonceKey(t *testing.T) {
	if _, err := NewHandler(NewStore(), Options{NonceKey: []byte("short")}); err == nil {
		t.Error("NewHandler accepted a 5-byte NonceKey")
	}
}

// Item 8 of issue 11: /unknown-devices says how many devices and requests it
// dropped, in its JSON.
func TestUnknownDevicesSaysDropped(t *testing.T) {
	e := newEnv(t, Options{})
	const extra = 7
	for i := range maxUnknownDevices + extra {
		e.do(req{target: fmt.Sprintf("/0004F2%06X.xml", i)})
	}
	for i := range maxUnknownRequests + extra + 1 {
		e.do(req{target: fmt.Sprintf("/p%d", i)})
	}
	w := httptest.NewRecorder()
	e.h.UnknownDevicesHandler().ServeHTTP(w, httptest.NewRequest("GET", "/unknown-devices", nil))
	var got struct {
		Devices                         []json.RawMessage
		DevicesDropped, RequestsDropped uint64
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Devices) != maxUnknownDevices || got.DevicesDropped != extra || got.RequestsDropped != extra+1 {
		t.Errorf("%d devices, devicesDropped %d, requestsDropped %d; want %d, %d, %d",
			len(got.Devices), got.DevicesDropped, got.RequestsDropped, maxUnknownDevices, extra, extra+1)
	}
}
