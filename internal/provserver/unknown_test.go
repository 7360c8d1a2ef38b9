package provserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestUnknownDevices(t *testing.T) {
	e := newEnv(t, Options{}, entry(configuredAuth))
	for i, r := range []req{
		{target: "/0004f2000001.xml", remote: "192.0.2.1:1", header: http.Header{"User-Agent": {"Gigaset N720 DM PRO/70.108.00.000.000"}}},
		{target: "/0004F2000002.xml", remote: "192.0.2.2:1"},
		{target: "/0004F2000001.xml", remote: "192.0.2.3:1", header: http.Header{"User-Agent": {testUA}}},
		{target: "/index.html", remote: "192.0.2.9:1"}, // not a device: not listed
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
	var got struct{ Devices []UnknownDevice }
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("JSON %q: %v", w.Body.String(), err)
	}
	start := newClock().Now()
	want := []UnknownDevice{
		{MAC: "0004F2000001", Source: netip.MustParseAddr("192.0.2.3"), UserAgent: testUA, Model: "N720 DM PRO",
			Firmware: "70.108.00.000.000", FirstSeen: start.Add(time.Second), LastSeen: start.Add(3 * time.Second), Count: 2},
		{MAC: "0004F2000002", Source: netip.MustParseAddr("192.0.2.2"), FirstSeen: start.Add(2 * time.Second),
			LastSeen: start.Add(2 * time.Second), Count: 1},
	}
	if len(got.Devices) != len(want) {
		t.Fatalf("devices %+v, want %+v", got.Devices, want)
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
	// Seeing a listed device again moves it to the front, not a new entry.
	e.do(req{target: fmt.Sprintf("/0004F2%06X.xml", n-maxUnknownDevices)})
	list = e.h.UnknownDevices()
	if len(list) != maxUnknownDevices || list[0].Count != 2 {
		t.Errorf("after a repeat: %d devices, first counted %d; want %d and 2", len(list), list[0].Count, maxUnknownDevices)
	}
}
