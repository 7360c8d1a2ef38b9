package provserver

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/dect-operator/dect-operator/internal/simulator"
)

// TestSimulatedDeviceUpdatesFirmware: a base whose file pins an image from the
// server's firmware directory; the simulated N720 fetches its file, downloads the
// image, and its next delivery carries the new firmware in its User-Agent.
func TestSimulatedDeviceUpdatesFirmware(t *testing.T) {
	dir := t.TempDir()
	image := bytes.Repeat([]byte{0x5A}, 3<<20)
	if err := os.WriteFile(filepath.Join(dir, "einsteiniwu117_70.bin"), image, 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Options{PathPrefix: "/dect", FirmwareDir: dir})
	srv := e.serve()
	body := []byte(`<?xml version="1.0" encoding="ISO-8859-1"?>
<ProviderFrame><Provider>
<MAC_ADDRESS value="` + testMAC + `"/>
<PROFILE_NAME class="string" value="hq"/>
<S_SPECIAL_DATA_SRV_IWU class="string" value='"` + srv.URL + `/dect/firmware/einsteiniwu117_70.bin?mac=` + testMAC + `&amp;server_einstein_iwu117.bin"'/>
</Provider></ProviderFrame>
`)
	if err := e.store.Set(Entry{Namespace: testNS, Base: testBase, MAC: testMAC, Body: body}); err != nil {
		t.Fatal(err)
	}
	d, err := simulator.New(simulator.Config{MAC: testMAC, MACID: testMAC + "-ABCD"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Fetch(context.Background(), srv.URL+"/dect")
	if err != nil || !res.Applied || res.Firmware == nil || !res.Firmware.Updated {
		t.Fatalf("fetch: %v, %+v, firmware %+v", err, res.ApplyResult, res.Firmware)
	}
	// The next check: the file is unchanged (304), and the device says what it runs.
	if res, err := d.Fetch(context.Background(), srv.URL+"/dect"); err != nil || !res.NotModified {
		t.Fatalf("second fetch: %v, %+v", err, res)
	}
	if d.Firmware() != "70.117.00.000.000" {
		t.Fatalf("device runs %s, want 70.117.00.000.000; events %v", d.Firmware(), d.Events())
	}
	got := e.delivered()
	if len(got) != 2 || got[0].Firmware != simulator.DefaultFirmware || got[1].Firmware != "70.117.00.000.000" {
		t.Errorf("deliveries %+v, want the old firmware, then 70.117.00.000.000", got)
	}
	if n := metricValue(t, e.reg, MetricFirmware); n != 1 {
		t.Errorf("%v firmware requests counted, want 1", n)
	}
}
