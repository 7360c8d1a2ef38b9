package provserver

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// firmwareEnv is a handler with prefix /dect serving a firmware directory that holds
// one image, beside a secret file outside it and a link that points there.
func firmwareEnv(t *testing.T) (*env, []byte) {
	t.Helper()
	top := t.TempDir()
	dir := filepath.Join(top, "fw")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	image := bytes.Repeat([]byte("einstein"), 4096) // 32 KiB
	if err := os.WriteFile(filepath.Join(dir, "einsteiniwu117_70.bin"), image, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(top, "secret.bin"), []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(top, "secret.bin"), filepath.Join(dir, "link.bin")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	return newEnv(t, Options{PathPrefix: "/dect", FirmwareDir: dir}, entry(configuredAuth)), image
}

func TestFirmwareServed(t *testing.T) {
	e, image := firmwareEnv(t)
	const path = "/dect/firmware/einsteiniwu117_70.bin"

	w := e.do(req{target: path + "?mac=7C2F80CA21E4&server_einstein_iwu117.bin"})
	if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), image) || w.Header().Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("GET: %d, %d bytes, type %q; want 200 and the image", w.Code, w.Body.Len(), w.Header().Get("Content-Type"))
	}
	if w.Header().Get("WWW-Authenticate") != "" {
		t.Error("firmware is challenged; Gigaset's images are public downloads")
	}

	w = e.do(req{target: path, header: http.Header{"Range": {"bytes=100-199"}}})
	if w.Code != 206 || !bytes.Equal(w.Body.Bytes(), image[100:200]) || w.Header().Get("Content-Range") != "bytes 100-199/32768" {
		t.Errorf("Range: %d, %d bytes, Content-Range %q; want 206 with bytes 100-199", w.Code, w.Body.Len(), w.Header().Get("Content-Range"))
	}

	w = e.do(req{method: "HEAD", target: path})
	if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != "32768" {
		t.Errorf("HEAD: %d, body %d bytes, length %q", w.Code, w.Body.Len(), w.Header().Get("Content-Length"))
	}
	if len(e.h.UnknownRequests()) != 0 {
		t.Errorf("served firmware listed as unknown: %+v", e.h.UnknownRequests())
	}
	// The device's own file is unaffected.
	if w := e.do(req{target: "/dect/" + testMAC + ".xml"}); w.Code != 401 {
		t.Errorf("the base's file: %d, want 401 (it has credentials)", w.Code)
	}
}

// TestFirmwareStaysInItsDirectory: no spelling of a path reaches a file outside the
// directory, a directory, or a file that is not an image; each is a plain 404.
func TestFirmwareStaysInItsDirectory(t *testing.T) {
	e, _ := firmwareEnv(t)
	for _, target := range []string{
		"/dect/firmware/../secret.bin",
		"/dect/firmware/..%2fsecret.bin",
		"/dect/firmware/%2e%2e/secret.bin",
		"/dect/firmware/..\\secret.bin",
		"/dect/firmware/link.bin", // a symbolic link out of the directory
		"/dect/firmware/sub.bin",  // a directory
		"/dect/firmware/.bin",
		"/dect/firmware/missing.bin",
		"/dect/firmware/einsteiniwu117_70.BIN",
		"/dect/firmware/sub.bin/x.bin",
		"/firmware/einsteiniwu117_70.bin", // outside the prefix
	} {
		w := e.do(req{target: target})
		if w.Code != 404 || strings.Contains(w.Body.String(), "outside") {
			t.Errorf("%s: %d %q, want a plain 404", target, w.Code, w.Body.String())
		}
	}
	if w := e.do(req{method: "POST", target: "/dect/firmware/einsteiniwu117_70.bin"}); w.Code != 404 {
		t.Errorf("POST: %d, want 404", w.Code)
	}
	if got := len(e.h.UnknownRequests()); got != 11 {
		t.Errorf("%d unknown requests listed, want the 11 GETs", got)
	}
}

func TestFirmwareOff(t *testing.T) {
	e := newEnv(t, Options{})
	if w := e.do(req{target: "/firmware/einsteiniwu117_70.bin"}); w.Code != 404 {
		t.Errorf("without a firmware directory: %d, want 404", w.Code)
	}
	if _, err := NewHandler(NewStore(), Options{FirmwareDir: filepath.Join(t.TempDir(), "none")}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing firmware directory: %v", err)
	}
}

func TestFirmwareName(t *testing.T) {
	for path, want := range map[string]string{
		"/d/firmware/einsteiniwu117_70.bin": "einsteiniwu117_70.bin",
		"/d/firmware/sat7111100000000.bin":  "sat7111100000000.bin",
		"/d/firmware/a-b.c_d.bin":           "a-b.c_d.bin",
		"/d/firmware/..bin":                 "",
		"/d/firmware/.x.bin":                "",
		"/d/firmware/a/b.bin":               "",
		"/d/firmware/a b.bin":               "",
		"/d/firmware/x.bin.txt":             "",
		"/d/firmware/" + strings.Repeat("a", maxFirmwareName-4) + ".bin": strings.Repeat("a", maxFirmwareName-4) + ".bin",
		"/d/firmware/" + strings.Repeat("a", maxFirmwareName-3) + ".bin": "",
	} {
		got, ok := firmwareName(path, "/d")
		if got != want || ok != (want != "") {
			t.Errorf("firmwareName(%q) = %q, %v; want %q", path, got, ok, want)
		}
	}
}
