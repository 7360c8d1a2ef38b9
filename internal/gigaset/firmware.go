package gigaset

import (
	"fmt"
	"strconv"
	"strings"
)

// The top-level elements that pin the firmware images (see Firmware).
const (
	ElementFirmwareManager = "S_SPECIAL_DATA_SRV_IWU"
	ElementFirmwareBases   = "S_SPECIAL_DATA_SRV_SAT"
)

// MaxFirmwareURL bounds a firmware URL. The device's limit is unknown; URLs of about 95
// characters were reported to work (KnownFirmwareURL).
const (
	MaxFirmwareURL   = 255
	KnownFirmwareURL = 95
)

// MinIPUIFirmware is the first DECT Manager firmware with IPUI pre-registration
// (Gigaset's IPUI FAQ: firmware 108).
const MinIPUIFirmware = 108

// checkFirmwareURL returns why url cannot be a firmware URL, or "".
func checkFirmwareURL(url string) string {
	if msg := checkText(url, MaxFirmwareURL, false); msg != "" {
		return msg
	}
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return fmt.Sprintf("firmware URL %s: expected http:// or https://", quoteInput(url))
	}
	if !strings.HasSuffix(url, ".bin") {
		return fmt.Sprintf("firmware URL %s: must end with the image's file name (….bin)", quoteInput(url))
	}
	if strings.ContainsAny(url, " \t") {
		return fmt.Sprintf("firmware URL %s: no spaces", quoteInput(url))
	}
	return ""
}

// FirmwareVersion returns the DECT Manager firmware version that an image's file name
// names in Gigaset's scheme, einsteiniwu<build>_<major>.bin, e.g. einsteiniwu117_70.bin
// = 70.117.00.000.000, the form the device reports in its User-Agent. ok is false for
// a name in another scheme (the version is then known only once the device reports it).
func FirmwareVersion(url string) (version string, ok bool) {
	name := url[strings.LastIndexAny(url, "/?&=")+1:]
	rest, found := strings.CutPrefix(name, "einsteiniwu")
	if !found {
		return "", false
	}
	rest, found = strings.CutSuffix(rest, ".bin")
	build, major, found2 := strings.Cut(rest, "_")
	if !found || !found2 {
		return "", false
	}
	b, err1 := strconv.Atoi(build)
	m, err2 := strconv.Atoi(major)
	if err1 != nil || err2 != nil || b < 0 || b > 999 || m < 0 || m > 99 {
		return "", false
	}
	return fmt.Sprintf("%02d.%03d.00.000.000", m, b), true
}

// FirmwareBuild returns the build number of a version the device reports,
// 70.108.00.000.000 = 108, or false when version is not of that form.
func FirmwareBuild(version string) (int, bool) {
	parts := strings.Split(version, ".")
	if len(parts) < 2 {
		return 0, false
	}
	n, err := strconv.Atoi(parts[1])
	return n, err == nil && n >= 0
}
