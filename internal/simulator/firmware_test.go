package simulator

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// firmwareServer serves one provisioning file and firmware images, recording the
// User-Agent of every request.
type firmwareServer struct {
	*httptest.Server
	file   []byte
	images map[string][]byte

	mu     sync.Mutex
	agents []string // "path UA"
}

func newFirmwareServer(t *testing.T, images map[string][]byte) *firmwareServer {
	s := &firmwareServer{images: images}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.agents = append(s.agents, r.URL.Path+" "+r.UserAgent())
		file := s.file
		s.mu.Unlock()
		if r.URL.Path == filePath {
			w.Write(file)
			return
		}
		img, ok := s.images[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, r.URL.Path, t0, bytes.NewReader(img))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *firmwareServer) serve(lines ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.file = doc(lines...)
}

func (s *firmwareServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.agents...)
}

func iwu(url string) string { return `<S_SPECIAL_DATA_SRV_IWU class="string" value='"` + url + `"'/>` }

// TestFirmwareUpdate: a file pinning another DECT Manager image makes the device
// download it and report the new version in its User-Agent; the same file again
// downloads nothing.
func TestFirmwareUpdate(t *testing.T) {
	image := bytes.Repeat([]byte{0xEE}, 100_000)
	s := newFirmwareServer(t, map[string][]byte{"/fw/einsteiniwu117_70.bin": image})
	d, _ := newTestDevice(t)
	// The production template writes the & raw, which is not well-formed XML; the
	// simulator, like every XML parser, wants &amp;.
	s.serve(iwu(s.URL+"/fw/einsteiniwu117_70.bin?mac="+testMAC+"&amp;server_einstein_iwu117.bin"),
		`<S_SPECIAL_DATA_SRV_SAT class="string" value='"`+s.URL+`/fw/sat7111100000000.bin"'/>`)

	res, err := d.Fetch(context.Background(), s.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Applied || res.Firmware == nil || !res.Firmware.Updated || res.Firmware.Version != "70.117.00.000.000" || res.Firmware.Bytes != int64(len(image)) {
		t.Fatalf("fetch %+v, firmware %+v; want the image downloaded and running", res.ApplyResult, res.Firmware)
	}
	if d.Firmware() != "70.117.00.000.000" || !strings.Contains(d.UserAgent(), "/70.117.00.000.000;") {
		t.Errorf("device reports %s (%s) after the update", d.Firmware(), d.UserAgent())
	}
	if snap := d.Snapshot(); !strings.HasSuffix(snap.SATFirmwareURL, "/fw/sat7111100000000.bin") || snap.Firmware != "70.117.00.000.000" {
		t.Errorf("snapshot firmware %q, base station image %q", snap.Firmware, snap.SATFirmwareURL)
	}

	res, err = d.Fetch(context.Background(), s.URL)
	if err != nil || res.Firmware != nil {
		t.Fatalf("second fetch of the same file: %v, firmware %+v; want no download", err, res.Firmware)
	}
	want := []string{
		filePath + " Gigaset N720 DM PRO/" + DefaultFirmware + ";" + testMAC,
		"/fw/einsteiniwu117_70.bin Gigaset N720 DM PRO/" + DefaultFirmware + ";" + testMAC,
		filePath + " Gigaset N720 DM PRO/70.117.00.000.000;" + testMAC,
	}
	if got := s.requests(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ev := eventsOf(d, EventFirmwareUpdated); len(ev) != 1 || !strings.Contains(ev[0].Detail, DefaultFirmware+" to 70.117.00.000.000") {
		t.Errorf("firmware events %v", ev)
	}
}

// TestFirmwareKept: the device keeps its firmware when the image cannot be had or
// the URL names none, and says why.
func TestFirmwareKept(t *testing.T) {
	s := newFirmwareServer(t, map[string][]byte{"/fw/einsteiniwu118_70.bin": {}})
	for _, tc := range []struct {
		name, url, want string
	}{
		{"missing image", s.URL + "/fw/einsteiniwu117_70.bin", "404"},
		{"empty image", s.URL + "/fw/einsteiniwu118_70.bin", "empty image"},
		{"URL not ending with the file name", s.URL + "/fw/einsteiniwu117_70.bin?mac=" + testMAC, "does not end with the image's file name"},
		{"not a DECT Manager image", s.URL + "/fw/sat7111100000000.bin", "names no DECT Manager image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := newTestDevice(t)
			s.serve(iwu(tc.url))
			res, err := d.Fetch(context.Background(), s.URL)
			if err != nil || !res.Applied {
				t.Fatalf("fetch: %v, %+v", err, res.ApplyResult)
			}
			if res.Firmware == nil || res.Firmware.Updated || !strings.Contains(res.Firmware.Error, tc.want) {
				t.Fatalf("firmware %+v, want kept because %q", res.Firmware, tc.want)
			}
			if d.Firmware() != DefaultFirmware || len(eventsOf(d, EventFirmwareFailed)) != 1 {
				t.Errorf("firmware %s, events %v", d.Firmware(), eventsOf(d, EventFirmwareFailed))
			}
		})
	}
}

func TestFirmwareElements(t *testing.T) {
	for _, tc := range []struct {
		name, element string
		applied       bool
		url           string
	}{
		{"quoted URL", iwu("http://fw.example/einsteiniwu117_70.bin"), true, "http://fw.example/einsteiniwu117_70.bin"},
		{"empty, as Wazo writes it", `<S_SPECIAL_DATA_SRV_IWU class="string" value=""/>`, true, ""},
		{"empty string", `<S_SPECIAL_DATA_SRV_IWU class="string" value='""'/>`, true, ""},
		{"unquoted URL", `<S_SPECIAL_DATA_SRV_IWU class="string" value="http://fw.example/x.bin"/>`, false, ""},
		{"wrong class", `<S_SPECIAL_DATA_SRV_IWU class="symb_item" value='"http://fw.example/x.bin"'/>`, false, ""},
		{"space in URL", iwu("http://fw.example/a b.bin"), false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := newTestDevice(t)
			res := d.ApplyFile(doc(tc.element))
			if res.Applied != tc.applied || d.Snapshot().FirmwareURL != tc.url {
				t.Errorf("applied %v (%v), URL %q; want %v, %q", res.Applied, res.Errors, d.Snapshot().FirmwareURL, tc.applied, tc.url)
			}
		})
	}
}
