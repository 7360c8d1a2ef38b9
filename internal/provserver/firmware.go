package provserver

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"
)

// FirmwarePath is where, under the path prefix, the server serves firmware images:
// <prefix>/firmware/<file>.bin.
const FirmwarePath = "/firmware/"

// maxFirmwareName bounds a firmware file name; Gigaset's are about 30 characters
// (einsteiniwu117_70.bin, sat7111100000000.bin).
const maxFirmwareName = 128

// firmwareName returns the file name of a request path of the form
// prefix + FirmwarePath + name, where name is one path segment of letters, digits,
// '.', '_' and '-' that starts with a letter or digit and ends in ".bin". Anything
// else is refused, so that no path can leave the firmware directory: a name has no
// slash, no backslash and cannot be "." or "..".
func firmwareName(path, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix+FirmwarePath)
	if !ok || len(rest) > maxFirmwareName || !strings.HasSuffix(rest, ".bin") || len(rest) == len(".bin") {
		return "", false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case (c == '.' || c == '_' || c == '-') && i > 0:
		default:
			return "", false
		}
	}
	return rest, true
}

var octetStream = []string{"application/octet-stream"}

// serveFirmware answers a GET or HEAD for a firmware image with http.ServeContent,
// which gives devices Range requests, so that an interrupted download of a large
// image resumes. It reports whether the file existed; a missing one is the
// caller's 404.
func (h *Handler) serveFirmware(w http.ResponseWriter, r *http.Request, name string) bool {
	f, err := h.firmware.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	hdr := w.Header()
	hdr["Content-Type"] = octetStream
	hdr["X-Content-Type-Options"] = nosniff
	http.ServeContent(w, r, name, st.ModTime(), f)
	return true
}

// openFirmwareDir opens dir as a root that no name can escape, symbolic links
// included.
func openFirmwareDir(dir string) (*os.Root, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("provserver: firmware directory %q does not exist", dir)
		}
		return nil, fmt.Errorf("provserver: firmware directory: %w", err)
	}
	return root, nil
}
