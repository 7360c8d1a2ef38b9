package provserver

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseMAC(t *testing.T) {
	for in, want := range map[string]string{"7c2f80ca21e4": testMAC, testMAC: testMAC, "0004f2AbCdEf": "0004F2ABCDEF"} {
		if k, ok := parseMAC(in); !ok || k.String() != want {
			t.Errorf("parseMAC(%q) = %s, %v; want %s", in, k, ok, want)
		}
	}
	for _, in := range []string{"", "7C:2F:80:CA:21:E4", "7C2F80CA21E", "7C2F80CA21E4F", "7C2F80CA21EG"} {
		if k, ok := parseMAC(in); ok {
			t.Errorf("parseMAC(%q) = %s, want a refusal", in, k)
		}
	}
}

func TestMACFromPath(t *testing.T) {
	k, _ := parseMAC(testMAC)
	tests := []struct {
		path, prefix string
		ok           bool
	}{
		{"/7C2F80CA21E4.xml", "", true},
		{"/7c2f80ca21e4.xml", "", true},
		{"/dect/7C2F80CA21E4.xml", "/dect", true},
		{"/7C2F80CA21E4.xml", "/dect", false},
		{"/dect7C2F80CA21E4.xml", "/dect", false},
		{"/dect/7C2F80CA21E4.xml", "", false},
		{"/7C2F80CA21E4.xm", "", false},
		{"/7C2F80CA21E4.xmll", "", false},
		{"/7C2F80CA21E4-xml", "", false},
		{"7C2F80CA21E4.xml", "", false},
		{"/7C2F80CA21E4.xml\x00", "", false},
		{"/ 7C2F80CA21E.xml", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		got, ok := macFromPath(tc.path, tc.prefix)
		if ok != tc.ok || (ok && got != k) {
			t.Errorf("macFromPath(%q, %q) = %v, %v; want ok=%v", tc.path, tc.prefix, got, ok, tc.ok)
		}
	}
}

// FuzzRequestPath fuzzes the path-to-MAC parser and the whole handler with
// arbitrary method, path and headers. Whatever comes in: no panic, a status
// from the documented set, a file only for the unprotected base or the one
// firmware image, and no secret in the response.
func FuzzRequestPath(f *testing.F) {
	for _, s := range [][6]string{
		{"GET", "/7C2F80CA21E4.xml", "", "", "", testUA},
		{"GET", "/dect/0004f2000001.xml", "", "*", "", ""},
		{"HEAD", "/dect/0004F2000001.xml?x", "", `W/"x", "y"`, "10.0.0.1", ""},
		{"POST", "/dect/7C2F80CA21E4.xml", `Digest username="7C2F80CA21E4"`, "", "", ""},
		{"GET", "/dect/7C2F80CA21E4.xml", `Digest username="u", realm="dect-operator", nonce="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", uri="/dect/7C2F80CA21E4.xml", response="0123456789abcdef0123456789abcdef", qop=auth, nc=00000001, cnonce="c"`, "", "", ""},
		{"GET", "/dect/../7C2F80CA21E4.xml", "Basic x", "", "", "\xff"},
		{"GET", "/dect/firmware/einsteiniwu117_70.bin?mac=7C2F80CA21E4&x.bin", "", "", "", testUA},
		{"HEAD", "/dect/firmware/../firmware/einsteiniwu117_70.bin", "", "*", "", ""},
		{"", "", "", "", "", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5])
	}
	store := NewStore()
	if err := store.Set(entry(bothAuth)); err != nil {
		f.Fatal(err)
	}
	open := Entry{Namespace: testNS, Base: "open", MAC: otherMAC, Body: testBody}
	if err := store.Set(open); err != nil {
		f.Fatal(err)
	}
	allowed := map[int]bool{200: true, 304: true, 401: true, 404: true, 405: true, 429: true}
	fwDir := f.TempDir()
	if err := os.WriteFile(filepath.Join(fwDir, "einsteiniwu117_70.bin"), []byte("image"), 0o644); err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, method, target, authz, inm, xff, ua string) {
		path, _, _ := strings.Cut(target, "?")
		for _, prefix := range []string{"", "/dect"} {
			if k, ok := macFromPath(path, prefix); ok {
				want := prefix + "/" + k.String() + ".xml"
				if !strings.EqualFold(path, want) || !strings.HasPrefix(path, prefix+"/") {
					t.Fatalf("macFromPath(%q, %q) = %s, but the path is not %s", path, prefix, k, want)
				}
			}
		}

		r := &http.Request{
			Method:     method,
			URL:        &url.URL{Path: path},
			RequestURI: target,
			Header:     http.Header{},
			RemoteAddr: "192.0.2.1:1234",
		}
		for k, v := range map[string]string{"Authorization": authz, "If-None-Match": inm, "X-Forwarded-For": xff, "User-Agent": ua} {
			if v != "" {
				r.Header[k] = []string{v}
			}
		}
		// A fresh handler each time, so that a failure does not depend on
		// what earlier inputs left in the guard or the replay table.
		h, err := NewHandler(store, Options{PathPrefix: "/dect", FirmwareDir: fwDir})
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if !allowed[w.Code] {
			t.Fatalf("%s %q: status %d", method, target, w.Code)
		}
		if w.Code == 200 || w.Code == 304 {
			k, ok := macFromPath(path, "/dect")
			image := path == "/dect/firmware/einsteiniwu117_70.bin"
			if (!image && (!ok || k.String() != otherMAC)) || (method != "GET" && method != "HEAD") {
				t.Fatalf("%s %q (Authorization %q): status %d for something other than the open base", method, target, authz, w.Code)
			}
		}
		noSecrets(t, "fuzzed request", w.Header(), w.Body.Bytes())
	})
}

// FuzzCleanTarget: whatever a client sends as its request target, the listed form is
// printable ASCII without spaces and bounded; a target that is already so and short
// enough is listed unchanged, and only a target too long for the bound is cut.
func FuzzCleanTarget(f *testing.F) {
	for _, s := range []string{"/70/1/master.bin", "/a b\x00\xfc", strings.Repeat("%", 300), "/einsteiniwu117_70.bin?mac=7C2F80CA21E4&x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := cleanTarget(in)
		body, cut := strings.CutSuffix(out, "...")
		if cut && len(out) <= maxTargetLen { // "..." ending the input itself
			body, cut = out, false
		}
		if len(body) > maxTargetLen {
			t.Fatalf("cleanTarget(%q) is %d bytes", in, len(out))
		}
		for i := 0; i < len(out); i++ {
			if c := out[i]; c <= ' ' || c >= 0x7F {
				t.Fatalf("cleanTarget(%q) = %q holds byte %#x", in, out, c)
			}
		}
		printable := strings.IndexFunc(in, func(r rune) bool { return r <= ' ' || r >= 0x7F }) < 0
		if printable && len(in) <= maxTargetLen && out != in {
			t.Fatalf("cleanTarget(%q) = %q, want it unchanged", in, out)
		}
		// Escaping at most triples a byte: an input that fits a third of the bound
		// is never cut.
		if cut && 3*len(in) <= maxTargetLen {
			t.Fatalf("cleanTarget(%q) = %q was cut", in, out)
		}
	})
}

// FuzzFirmwareName: a name firmwareName accepts is one safe path segment, and it is
// exactly what follows the firmware path.
func FuzzFirmwareName(f *testing.F) {
	for _, s := range []string{"/dect/firmware/einsteiniwu117_70.bin", "/dect/firmware/../x.bin", "/dect/firmware/a/b.bin", "/dect/firmware/.bin"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		name, ok := firmwareName(path, "/dect")
		if !ok {
			return
		}
		if path != "/dect"+FirmwarePath+name || strings.ContainsAny(name, "/\\\x00") || name == "." || name == ".." || name[0] == '.' || !strings.HasSuffix(name, ".bin") || len(name) > maxFirmwareName || filepath.Base(name) != name {
			t.Fatalf("firmwareName(%q) accepted %q", path, name)
		}
	})
}

// FuzzNoneMatch: an exact match implies a match; a header that lists the ETag
// itself, or its weak form, as one element matches exactly; "*" alone matches
// but not exactly; a header without "*" and without the tag never matches.
func FuzzNoneMatch(f *testing.F) {
	const etag = `"abc"`
	for _, s := range []string{`*`, `"abc"`, `W/"abc"`, `"x", "abc"`, `"abc`, `, ,*`, `W/`, `"a""abc"`} {
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, v1, v2 string) {
		values := []string{v1}
		if v2 != "" {
			values = append(values, v2)
		}
		matched, exact := noneMatch(values, etag)
		if exact && !matched {
			t.Fatalf("%q: exact without a match", values)
		}
		joined := strings.Join(values, ",")
		if exact && !strings.Contains(joined, etag) {
			t.Fatalf("%q: exact match without the tag", values)
		}
		if matched && !exact && !strings.Contains(joined, "*") {
			t.Fatalf("%q: a match that is neither the tag nor *", values)
		}
		if m, e := noneMatch([]string{v1 + ", " + etag}, etag); !strings.Contains(v1, `"`) && (!m || !e) {
			t.Fatalf("%q followed by the tag: matched %v exact %v", v1, m, e)
		}
	})
}
