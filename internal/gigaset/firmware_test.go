package gigaset

import (
	"bytes"
	"strings"
	"testing"
)

func TestFirmwareRoundTrip(t *testing.T) {
	d := exampleDocument()
	d.Firmware = Firmware{
		Manager: "http://dect-provisioning.dect-system.svc/firmware/einsteiniwu117_70.bin",
		Bases:   "http://host/path/sat_70_117.bin?mac=7C2F80CA21E4&server_sat117.bin",
	}
	r, err := Render(d, N720())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<S_SPECIAL_DATA_SRV_IWU class="string" value='"http://dect-provisioning.dect-system.svc/firmware/einsteiniwu117_70.bin"'/>`,
		`<S_SPECIAL_DATA_SRV_SAT class="string" value='"http://host/path/sat_70_117.bin?mac=7C2F80CA21E4&amp;server_sat117.bin"'/>`,
	} {
		if !bytes.Contains(r.Document, []byte(want)) {
			t.Errorf("document lacks %s", want)
		}
	}
	back, err := Parse(Join(r.Document, r.Credentials), N720())
	if err != nil {
		t.Fatal(err)
	}
	if back.Firmware != d.Firmware {
		t.Errorf("firmware read back as %+v, want %+v", back.Firmware, d.Firmware)
	}
	d.Firmware = Firmware{}
	r, _ = Render(d, N720())
	if bytes.Contains(r.Document, []byte("S_SPECIAL_DATA_SRV")) {
		t.Error("a document without firmware pins writes firmware elements")
	}
}

func TestFirmwareURLValidation(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"ftp://host/einsteiniwu117_70.bin", "expected http:// or https://"},
		{"http://host/einsteiniwu117_70.img", "must end with the image's file name"},
		{"http://host/a b.bin", "no spaces"},
		{`http://host/"x".bin`, `"`},
		{"http://host/" + strings.Repeat("a", MaxFirmwareURL) + ".bin", "at most 255"},
	} {
		d := exampleDocument()
		d.Firmware.Manager = tc.url
		_, err := Render(d, N720())
		if err == nil || !strings.Contains(err.Error(), "firmware.manager") {
			t.Errorf("%q: error %v, want one on firmware.manager", tc.url, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %q lacks %q", tc.url, err, tc.want)
		}
	}
}

func TestFirmwareVersion(t *testing.T) {
	for url, want := range map[string]string{
		"http://h/einsteiniwu117_70.bin":                                               "70.117.00.000.000",
		"http://h/p/einsteiniwu117_70.bin?mac=7C2F80CA21E4&server_einstein_iwu117.bin": "",
		"einsteiniwu89_70.bin":                                                         "70.089.00.000.000",
		"http://h/sat117.bin":                                                          "",
		"http://h/einsteiniwuX_70.bin":                                                 "",
	} {
		got, ok := FirmwareVersion(url)
		if got != want || ok != (want != "") {
			t.Errorf("FirmwareVersion(%q) = %q, %v; want %q", url, got, ok, want)
		}
	}
	for v, want := range map[string]int{"70.108.00.000.000": 108, "70.089.00.000.000": 89} {
		if got, ok := FirmwareBuild(v); !ok || got != want {
			t.Errorf("FirmwareBuild(%q) = %d, %v; want %d", v, got, ok, want)
		}
	}
	if _, ok := FirmwareBuild("N720"); ok {
		t.Error("FirmwareBuild accepted a version without a build")
	}
}
