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
	MAC       string     `json:"mac"`
	Source    netip.Addr `json:"source"`
	UserAgent string     `json:"userAgent,omitempty"`
	Model     string     `json:"model,omitempty"`
	Firmware  string     `json:"firmware,omitempty"`
	FirstSeen time.Time  `json:"firstSeen"`
	LastSeen  time.Time  `json:"lastSeen"`
	Count     uint64     `json:"count"`
}

// unknownDevices keeps the most recently seen unknown devices, at most max,
// forgetting the least recently seen first.
type unknownDevices struct {
	max int

	mu  sync.Mutex
	m   map[macKey]*list.Element // of *UnknownDevice
	lru list.List                // most recent first
}

func newUnknownDevices(max int) *unknownDevices {
	return &unknownDevices{max: max, m: make(map[macKey]*list.Element)}
}

func (u *unknownDevices) record(k macKey, src netip.Addr, ua string, now time.Time) {
	info := useragent.Parse(ua)
	ua = useragent.Clean(ua)
	u.mu.Lock()
	defer u.mu.Unlock()
	var d *UnknownDevice
	if el, ok := u.m[k]; ok {
		d = el.Value.(*UnknownDevice)
		u.lru.MoveToFront(el)
	} else {
		if u.lru.Len() >= u.max {
			old := u.lru.Back()
			k, _ := parseMAC(old.Value.(*UnknownDevice).MAC)
			delete(u.m, k)
			u.lru.Remove(old)
		}
		d = &UnknownDevice{MAC: k.String(), FirstSeen: now}
		u.m[k] = u.lru.PushFront(d)
	}
	d.Source, d.UserAgent, d.Model, d.Firmware = src, ua, info.Model, info.Firmware
	d.LastSeen = now
	d.Count++
}

// list returns copies of the devices, most recently seen first.
func (u *unknownDevices) list() []UnknownDevice {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]UnknownDevice, 0, u.lru.Len())
	for el := u.lru.Front(); el != nil; el = el.Next() {
		out = append(out, *el.Value.(*UnknownDevice))
	}
	return out
}

// UnknownDevices returns the devices that recently asked for a MAC no base
// declares, most recently seen first.
func (h *Handler) UnknownDevices() []UnknownDevice { return h.unknown.list() }

// UnknownDevicesHandler serves UnknownDevices as JSON, {"devices": [...]}. It is
// meant for the admin/metrics port, not the devices' port: it reveals which
// devices exist on the network.
func (h *Handler) UnknownDevicesHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header()["Allow"] = allowGetHead
			writeStatus(w, http.StatusMethodNotAllowed)
			return
		}
		body, err := json.Marshal(struct {
			Devices []UnknownDevice `json:"devices"`
		}{h.unknown.list()})
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
