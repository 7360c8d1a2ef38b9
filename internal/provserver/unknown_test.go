package provserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestUnknownDevices(t *testing.T) {
	e := newEnv(t, Options{}, entry(configuredAuth))
	for i, r := range []req{
		{target: "/0004f2000001.xml", remote: "192.0.2.1:1", header: http.Header{"User-Agent": {"Gigaset N720 DM PRO/70.108.00.000.000"}}},
		{target: "/0004F2000002.xml", remote: "192.0.2.2:1"},
		{target: "/0004F2000001.xml", remote: "192.0.2.3:1", header: http.Header{"User-Agent": {testUA}}},
		{target: "/index.html", remote: "192.0.2.9:1"}, // not a MAC: listed as a request, not a device
		{target: "/" + testMAC + ".xml"},               // known: not listed
		{method: "POST", target: "/0004F2000003.xml"},  // not a fetch: not listed
	} {
		e.clock.Advance(time.Second)
		if w := e.do(r); i < 3 && w.Code != 404 {
			t.Fatalf("request %d: %d, want 404", i, w.Code)
		}
	}
	w := httptest.NewRecorder()
	e.h.UnknownDevicesHandler().ServeHTTP(w, httptest.NewRequest("GET", "/unknown-devices", nil))
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, type %q", w.Code, w.Header().Get("Content-Type"))
	}
	var got struct {
		Devices        []UnknownDevice
		DevicesDropped uint64
		Requests       []UnknownRequest
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("JSON %q: %v", w.Body.String(), err)
	}
	start := newClock().Now()
	want := []UnknownDevice{
		{MAC: "0004F2000001", Sighting: Sighting{Source: netip.MustParseAddr("192.0.2.3"), UserAgent: testUA, Model: "N720 DM PRO",
			Firmware: "70.108.00.000.000", FirstSeen: start.Add(time.Second), LastSeen: start.Add(3 * time.Second), Count: 2}},
		{MAC: "0004F2000002", Sighting: Sighting{Source: netip.MustParseAddr("192.0.2.2"), FirstSeen: start.Add(2 * time.Second),
			LastSeen: start.Add(2 * time.Second), Count: 1}},
	}
	if len(got.Devices) != len(want) || got.DevicesDropped != 0 {
		t.Fatalf("devices %+v (%d dropped), want %+v", got.Devices, got.DevicesDropped, want)
	}
	if len(got.Requests) != 1 || got.Requests[0].Path != "/index.html" || got.Requests[0].Source != netip.MustParseAddr("192.0.2.9") {
		t.Errorf("requests %+v, want the one for /index.html from 192.0.2.9", got.Requests)
	}
	for i := range want {
		g := got.Devices[i]
		if g.MAC != want[i].MAC || g.Source != want[i].Source || g.UserAgent != want[i].UserAgent ||
			g.Model != want[i].Model || g.Firmware != want[i].Firmware || g.Count != want[i].Count ||
			!g.FirstSeen.Equal(want[i].FirstSeen) || !g.LastSeen.Equal(want[i].LastSeen) {
			t.Errorf("device %d = %+v\nwant       %+v", i, g, want[i])
		}
	}

	w = httptest.NewRecorder()
	e.h.UnknownDevicesHandler().ServeHTTP(w, httptest.NewRequest("DELETE", "/unknown-devices", nil))
	if w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("DELETE: %d, Allow %q; want 405, GET, HEAD", w.Code, w.Header().Get("Allow"))
	}
}

func TestUnknownDevicesBounded(t *testing.T) {
	e := newEnv(t, Options{})
	const n = maxUnknownDevices + 50
	for i := range n {
		e.do(req{target: fmt.Sprintf("/0004F2%06X.xml", i)})
	}
	list := e.h.UnknownDevices()
	if len(list) != maxUnknownDevices {
		t.Fatalf("%d devices listed, want %d", len(list), maxUnknownDevices)
	}
	if list[0].MAC != fmt.Sprintf("0004F2%06X", n-1) || list[len(list)-1].MAC != fmt.Sprintf("0004F2%06X", n-maxUnknownDevices) {
		t.Errorf("list runs from %s to %s, want the most recent first and the oldest dropped", list[0].MAC, list[len(list)-1].MAC)
	}
	if _, dropped := e.h.unknown.devices.list(); dropped != n-maxUnknownDevices {
		t.Errorf("%d devices counted as dropped, want %d", dropped, n-maxUnknownDevices)
	}
	// Seeing a listed device again moves it to the front, not a new entry.
	e.do(req{target: fmt.Sprintf("/0004F2%06X.xml", n-maxUnknownDevices)})
	list = e.h.UnknownDevices()
	if len(list) != maxUnknownDevices || list[0].Count != 2 {
		t.Errorf("after a repeat: %d devices, first counted %d; want %d and 2", len(list), list[0].Count, maxUnknownDevices)
	}
}

// TestUnknownRequests: a device asking for Gigaset's firmware chain, or any path that
// is not <prefix>/<MAC>.xml, gets 404 and is listed with its address, the path as
// sent and its User-Agent.
func TestUnknownRequests(t *testing.T) {
	e := newEnv(t, Options{PathPrefix: "/dect"}, entry(Auth{}))
	const ua = "Gigaset N720 DM PRO/70.117.00.000.000;7C2F80CA21E4"
	for i, r := range []req{
		{target: "/70/1/master.bin", remote: "192.0.2.5:1", header: http.Header{"User-Agent": {ua}}},
		{target: "/dect/einsteiniwu117_70.bin?mac=7C2F80CA21E4&server_einstein_iwu117.bin", remote: "192.0.2.5:1"},
		{method: "HEAD", target: "/7C2F80CA21E4.xml", remote: "192.0.2.6:1"}, // a MAC outside the prefix
		{target: "/70/1/master.bin", remote: "192.0.2.5:1", header: http.Header{"User-Agent": {ua}}},
		{method: "POST", target: "/upload", remote: "192.0.2.7:1"},   // not a fetch: 404, not listed
		{target: "/dect/" + testMAC + ".xml", remote: "192.0.2.8:1"}, // served: not listed
	} {
		e.clock.Advance(time.Second)
		want := 404
		if i == 5 {
			want = 200
		}
		if w := e.do(r); w.Code != want {
			t.Fatalf("request %d (%s %s): %d, want %d", i, r.method, r.target, w.Code, want)
		}
	}
	start := newClock().Now()
	want := []UnknownRequest{
		{Path: "/70/1/master.bin", Sighting: Sighting{Source: netip.MustParseAddr("192.0.2.5"), UserAgent: ua, Model: "N720 DM PRO", Firmware: "70.117.00.000.000",
			FirstSeen: start.Add(time.Second), LastSeen: start.Add(4 * time.Second), Count: 2}},
		{Path: "/7C2F80CA21E4.xml", Sighting: Sighting{Source: netip.MustParseAddr("192.0.2.6"), FirstSeen: start.Add(3 * time.Second), LastSeen: start.Add(3 * time.Second), Count: 1}},
		{Path: "/dect/einsteiniwu117_70.bin?mac=7C2F80CA21E4&server_einstein_iwu117.bin", Sighting: Sighting{Source: netip.MustParseAddr("192.0.2.5"),
			FirstSeen: start.Add(2 * time.Second), LastSeen: start.Add(2 * time.Second), Count: 1}},
	}
	got := e.h.UnknownRequests()
	if len(got) != len(want) {
		t.Fatalf("requests %+v, want %+v", got, want)
	}
	for i := range want {
		g := got[i]
		if g.Path != want[i].Path || g.Source != want[i].Source || g.UserAgent != want[i].UserAgent || g.Model != want[i].Model ||
			g.Firmware != want[i].Firmware || g.Count != want[i].Count || !g.FirstSeen.Equal(want[i].FirstSeen) || !g.LastSeen.Equal(want[i].LastSeen) {
			t.Errorf("request %d = %+v\nwant        %+v", i, g, want[i])
		}
	}
	if len(e.h.UnknownDevices()) != 0 {
		t.Errorf("paths were listed as devices: %+v", e.h.UnknownDevices())
	}
}

// TestUnknownRequestsBounded: the listing keeps the newest entries, says how many it
// dropped, and stores a hostile path bounded and escaped.
func TestUnknownRequestsBounded(t *testing.T) {
	e := newEnv(t, Options{})
	const n = maxUnknownRequests + 30
	for i := range n {
		e.do(req{target: fmt.Sprintf("/fw/%d.bin", i)})
	}
	w := httptest.NewRecorder()
	e.h.UnknownDevicesHandler().ServeHTTP(w, httptest.NewRequest("GET", "/unknown-devices", nil))
	var got struct {
		Requests        []UnknownRequest
		RequestsDropped uint64
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Requests) != maxUnknownRequests || got.RequestsDropped != n-maxUnknownRequests {
		t.Fatalf("%d requests listed, %d dropped; want %d and %d", len(got.Requests), got.RequestsDropped, maxUnknownRequests, n-maxUnknownRequests)
	}
	if got.Requests[0].Path != fmt.Sprintf("/fw/%d.bin", n-1) || got.Requests[len(got.Requests)-1].Path != fmt.Sprintf("/fw/%d.bin", n-maxUnknownRequests) {
		t.Errorf("list runs from %s to %s, want the most recent first and the oldest dropped", got.Requests[0].Path, got.Requests[len(got.Requests)-1].Path)
	}

	r := httptest.NewRequest("GET", "/x", nil)
	r.RequestURI = "/a b\x00\xfc" + strings.Repeat("y", 400)
	e.h.ServeHTTP(httptest.NewRecorder(), r)
	p := e.h.UnknownRequests()[0].Path
	if !strings.HasPrefix(p, "/a%20b%00%FCyyy") || !strings.HasSuffix(p, "...") || len(p) != maxTargetLen+3 {
		t.Errorf("hostile target stored as %q (%d bytes)", p, len(p))
	}
}

func TestCleanTarget(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "",
		"/70/1/master.bin":     "/70/1/master.bin",
		"/a?b=c&d":             "/a?b=c&d",
		"/\r\n\t \x7f\x80\xff": "/%0D%0A%09%20%7F%80%FF",
		"/" + strings.Repeat("z", maxTargetLen-1):    "/" + strings.Repeat("z", maxTargetLen-1),
		"/" + strings.Repeat("z", maxTargetLen):      "/" + strings.Repeat("z", maxTargetLen-1) + "...",
		strings.Repeat("z", maxTargetLen-2) + "\x00": strings.Repeat("z", maxTargetLen-2) + "...", // %00 would not fit whole
	} {
		if got := cleanTarget(in); got != want {
			t.Errorf("cleanTarget(%q) = %q, want %q", in, got, want)
		}
	}
}
