package provserver

import (
	"container/list"
	"encoding/json"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/dect-operator/dect-operator/internal/useragent"
)

// UnknownDevice is a device that asked for a MAC no base declares: usually a
// DECT Manager waiting for someone to create its DectBase, or a typo in one.
type UnknownDevice struct {
	MAC string `json:"mac"`
	Sighting
}

// Sighting is who asked, with what, and how often.
type Sighting struct {
	Source    netip.Addr `json:"source"`
	UserAgent string     `json:"userAgent,omitempty"`
	Model     string     `json:"model,omitempty"`
	Firmware  string     `json:"firmware,omitempty"`
	FirstSeen time.Time  `json:"firstSeen"`
	LastSeen  time.Time  `json:"lastSeen"`
	Count     uint64     `json:"count"`
}

// seen records one more request from src with User-Agent ua at now.
func (s *Sighting) seen(src netip.Addr, ua string, now time.Time) {
	info := useragent.Parse(ua)
	s.Source, s.UserAgent, s.Model, s.Firmware = src, useragent.Clean(ua), info.Model, info.Firmware
	s.LastSeen = now
	s.Count++
}

// UnknownRequest is a GET or HEAD for something other than <prefix>/<MAC>.xml, such
// as the firmware chain a Gigaset device asks for (/70/1/master.bin) or another file
// name scheme. Listing them shows what a real device expects of the server.
type UnknownRequest struct {
	// Path is the request target (path and query) as the client sent it, escaped:
	// bytes outside printable ASCII as %XX, at most maxTargetLen bytes, "..." when
	// cut.
	Path string `json:"path"`
	Sighting
}

// maxTargetLen bounds a listed request target: enough for Gigaset's firmware URLs
// (about 100 bytes), and with maxUnknownRequests it bounds the listing's memory.
const maxTargetLen = 256

// requestKey identifies one listed request: the same path from another client is
// another entry, so that each device's requests stay visible.
type requestKey struct {
	source netip.Addr
	path   string
}

// recent keeps the most recently seen values by key, at most max, forgetting the
// least recently seen first and counting how many it forgot.
type recent[K comparable, V any] struct {
	max int

	mu      sync.Mutex
	m       map[K]*list.Element // of *recentItem[K, V]
	lru     list.List           // most recent first
	dropped uint64
}

type recentItem[K comparable, V any] struct {
	key K
	val V
}

func newRecent[K comparable, V any](max int) *recent[K, V] {
	return &recent[K, V]{max: max, m: make(map[K]*list.Element)}
}

// touch moves k to the front, creating its value with create if it is new, and
// then lets update change it.
func (r *recent[K, V]) touch(k K, create func() V, update func(*V)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var it *recentItem[K, V]
	if el, ok := r.m[k]; ok {
		it = el.Value.(*recentItem[K, V])
		r.lru.MoveToFront(el)
	} else {
		if r.lru.Len() >= r.max {
			old := r.lru.Back()
			delete(r.m, old.Value.(*recentItem[K, V]).key)
			r.lru.Remove(old)
			r.dropped++
		}
		it = &recentItem[K, V]{key: k, val: create()}
		r.m[k] = r.lru.PushFront(it)
	}
	update(&it.val)
}

// list returns copies of the values, most recently seen first, and how many
// entries were forgotten to stay within max.
func (r *recent[K, V]) list() ([]V, uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]V, 0, r.lru.Len())
	for el := r.lru.Front(); el != nil; el = el.Next() {
		out = append(out, el.Value.(*recentItem[K, V]).val)
	}
	return out, r.dropped
}

// unknown holds what the handler lists at /unknown-devices.
type unknown struct {
	devices  *recent[macKey, UnknownDevice]
	requests *recent[requestKey, UnknownRequest]
}

func newUnknown(maxDevices, maxRequests int) *unknown {
	return &unknown{
		devices:  newRecent[macKey, UnknownDevice](maxDevices),
		requests: newRecent[requestKey, UnknownRequest](maxRequests),
	}
}

func (u *unknown) recordMAC(k macKey, src netip.Addr, ua string, now time.Time) {
	u.devices.touch(k, func() UnknownDevice {
		return UnknownDevice{MAC: k.String(), Sighting: Sighting{FirstSeen: now}}
	}, func(d *UnknownDevice) { d.seen(src, ua, now) })
}

func (u *unknown) recordRequest(target string, src netip.Addr, ua string, now time.Time) {
	path := cleanTarget(target)
	u.requests.touch(requestKey{src, path}, func() UnknownRequest {
		return UnknownRequest{Path: path, Sighting: Sighting{FirstSeen: now}}
	}, func(q *UnknownRequest) { q.seen(src, ua, now) })
}

// cleanTarget makes a request target safe to store and show: printable ASCII kept,
// every other byte (controls, spaces, non-ASCII) written as %XX, cut at
// maxTargetLen bytes with "..." appended. It never splits a %XX.
func cleanTarget(s string) string {
	const hex = "0123456789ABCDEF"
	out := make([]byte, 0, min(len(s), maxTargetLen)+3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		n := 1
		if c <= ' ' || c >= 0x7F {
			n = 3
		}
		if len(out)+n > maxTargetLen {
			return string(append(out, "..."...))
		}
		if n == 1 {
			out = append(out, c)
		} else {
			out = append(out, '%', hex[c>>4], hex[c&0xF])
		}
	}
	return string(out)
}

// UnknownDevices returns the devices that recently asked for a MAC no base
// declares, most recently seen first.
func (h *Handler) UnknownDevices() []UnknownDevice {
	l, _ := h.unknown.devices.list()
	return l
}

// UnknownRequests returns the recent GET and HEAD requests for paths other than
// <prefix>/<MAC>.xml, most recently seen first.
func (h *Handler) UnknownRequests() []UnknownRequest {
	l, _ := h.unknown.requests.list()
	return l
}

// UnknownDevicesHandler serves the unknown devices and the unknown requests as
// JSON:
//
//	{"devices": [...], "devicesDropped": N, "requests": [...], "requestsDropped": N}
//
// Each list keeps the most recently seen entries (at most maxUnknownDevices and
// maxUnknownRequests); the Dropped counts say how many older entries were
// forgotten since the server started. It is meant for the admin/metrics port, not
// the devices' port: it reveals which devices exist on the network.
func (h *Handler) UnknownDevicesHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header()["Allow"] = allowGetHead
			writeStatus(w, http.StatusMethodNotAllowed)
			return
		}
		var listing struct {
			Devices         []UnknownDevice  `json:"devices"`
			DevicesDropped  uint64           `json:"devicesDropped"`
			Requests        []UnknownRequest `json:"requests"`
			RequestsDropped uint64           `json:"requestsDropped"`
		}
		listing.Devices, listing.DevicesDropped = h.unknown.devices.list()
		listing.Requests, listing.RequestsDropped = h.unknown.requests.list()
		body, err := json.Marshal(listing)
		if err != nil {
			// Only a netip.Addr or time.Time could fail, and ours cannot.
			writeStatus(w, http.StatusInternalServerError)
			return
		}
		body = append(body, '\n')
		hdr := w.Header()
		hdr["Content-Type"] = []string{"application/json"}
		hdr["Cache-Control"] = noStore
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(body)
		}
	})
}
