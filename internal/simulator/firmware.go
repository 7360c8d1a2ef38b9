package simulator

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
)

// MaxFirmwareSize bounds a firmware download. Gigaset's DECT Manager images are a few
// MB; a server that sends more is broken.
const MaxFirmwareSize = 64 << 20

// FirmwareUpdate is what the device made of the firmware URL of an applied file.
type FirmwareUpdate struct {
	URL     string
	Version string // the version the URL names; "" when it names none
	Bytes   int64  // downloaded
	Updated bool   // the device now runs Version
	Error   string // why not, when a download was attempted or the URL is unusable
}

// firmwareImage is Gigaset's file name of a DECT Manager image, as in the production
// template's einsteiniwu117_70.bin: build 117 for the model series 70 (the N720),
// which the device reports as 70.117.00.000.000.
var firmwareImage = regexp.MustCompile(`^einsteiniwu([0-9]{3})_([0-9]{2})\.bin$`)

// firmwareVersion returns the version a DECT Manager image URL names. A real device
// reads the version from the image itself; the simulator, which has no real images,
// takes it from the file name, the one part of the URL Gigaset's firmware requires
// (the URL must end with the image's file name).
func firmwareVersion(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("firmware URL %q is not an http URL", truncateText(raw, 120))
	}
	if !strings.HasSuffix(raw, ".bin") {
		return "", fmt.Errorf("firmware URL %q does not end with the image's file name (.bin)", truncateText(raw, 120))
	}
	m := firmwareImage.FindStringSubmatch(path.Base(u.Path))
	if m == nil {
		return "", fmt.Errorf("firmware URL %q names no DECT Manager image (einsteiniwu<build>_<series>.bin)", truncateText(raw, 120))
	}
	return m[2] + "." + m[1] + ".00.000.000", nil
}

// pendingFirmware returns the firmware URL the device should act on after a file was
// applied: one whose image is not the running one. The caller holds d.mu.
func (d *Device) pendingFirmware() string {
	u := d.db.firmwareURL
	if u == "" {
		return ""
	}
	if v, err := firmwareVersion(u); err == nil && v == d.firmware {
		return ""
	}
	return u
}

// updateFirmware downloads the image at raw and, when the whole image arrived, runs
// it: the User-Agent reports the new version from the next request on. The device's
// reboot after an update is not simulated. It runs without d.mu, under fetchMu.
func (d *Device) updateFirmware(ctx context.Context, raw string) *FirmwareUpdate {
	up := &FirmwareUpdate{URL: raw}
	fail := func(format string, args ...any) *FirmwareUpdate {
		up.Error = fmt.Sprintf(format, args...)
		d.logFetch(newEvent(d.clock.Now(), EventFirmwareFailed, "%s", up.Error))
		return up
	}
	version, err := firmwareVersion(raw)
	if err != nil {
		return fail("%v; firmware kept", err)
	}
	up.Version = version
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return fail("firmware %s: %v; firmware kept", version, err)
	}
	req.Header.Set("User-Agent", d.UserAgent())
	resp, err := d.client.Do(req)
	if err != nil {
		return fail("firmware %s: %v; firmware kept", version, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		drain(resp)
		return fail("firmware %s from %s: %s; firmware kept", version, truncateText(raw, 120), resp.Status)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, MaxFirmwareSize+1))
	up.Bytes = n
	switch {
	case err != nil:
		return fail("firmware %s: download broke off after %d bytes: %v; firmware kept", version, n, err)
	case n == 0:
		return fail("firmware %s: empty image; firmware kept", version)
	case n > MaxFirmwareSize:
		return fail("firmware %s: image larger than %d bytes; firmware kept", version, MaxFirmwareSize)
	case resp.ContentLength >= 0 && n != resp.ContentLength:
		return fail("firmware %s: %d of %d bytes; firmware kept", version, n, resp.ContentLength)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.clock.Now()
	d.advance(now)
	d.events.add(newEvent(now, EventFirmwareUpdated, "%s to %s (%d bytes)", d.firmware, version, n))
	d.firmware = version
	up.Updated = true
	return up
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
