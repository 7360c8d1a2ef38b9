package provserver

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dect-operator/dect-operator/internal/digest"
)

// benchBody is a provisioning file the size of a base with 100 handsets
// (about 114 KB, as gigaset renders it; hack/benchserver serves the real one).
func benchBody() []byte {
	b := []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<ProviderFrame><Provider>\n<MAC_ADDRESS value=\"7C2F80CA21E4\"/>\n")
	for i := 0; len(b) < 114*1024; i++ {
		b = fmt.Appendf(b, "<SYMB_ITEM ID=\"BS_VOIP_Data.astVoipAccounts[%d].aucS_SIP_USER_ID[0]\" class=\"symb_item\" value='\"%d\"'/>\n", i%100, 1000+i)
	}
	return append(b, "</Provider></ProviderFrame>\n"...)
}

// discard is a ResponseWriter that keeps only what a benchmark checks, so the
// handler's own cost is measured rather than a recorder's copying.
type discard struct {
	h    http.Header
	code int
	n    int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(code int)        { d.code = code }
func (d *discard) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }
func (d *discard) reset()                      { clear(d.h); d.code, d.n = 0, 0 }

func benchHandler(b *testing.B, auth Auth) (*Handler, []byte) {
	b.Helper()
	body := benchBody()
	store := NewStore()
	if err := store.Set(Entry{Namespace: testNS, Base: testBase, MAC: testMAC, Body: body, Auth: auth}); err != nil {
		b.Fatal(err)
	}
	h, err := NewHandler(store, Options{OnDelivery: func(Delivery) {}})
	if err != nil {
		b.Fatal(err)
	}
	return h, body
}

// BenchmarkServeCached: a plain GET of a 100-handset file, no authentication.
func BenchmarkServeCached(b *testing.B) {
	b.Run("handler", func(b *testing.B) {
		h, body := benchHandler(b, Auth{})
		r := httptest.NewRequest("GET", "/"+testMAC+".xml", nil)
		r.Header.Set("User-Agent", testUA)
		w := &discard{h: http.Header{}}
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			w.reset()
			h.ServeHTTP(w, r)
			if w.code != 200 || w.n != len(body) {
				b.Fatalf("status %d, %d bytes", w.code, w.n)
			}
		}
	})
	b.Run("loopback-64conns", func(b *testing.B) {
		h, body := benchHandler(b, Auth{})
		srv := httptest.NewServer(h)
		defer srv.Close()
		tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr}
		url := srv.URL + "/" + testMAC + ".xml"
		b.SetBytes(int64(len(body)))
		b.SetParallelism(32) // 64 goroutines on 2 cores, like wrk -c64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				resp, err := client.Get(url)
				if err != nil {
					b.Error(err)
					return
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || int(n) != len(body) {
					b.Errorf("status %d, %d bytes", resp.StatusCode, n)
					return
				}
			}
		})
	})
}

// BenchmarkDigestFetch: one full Digest-authenticated fetch, the 401 and the
// authorised 200, client-side hashing included.
func BenchmarkDigestFetch(b *testing.B) {
	uri := "/" + testMAC + ".xml"
	b.Run("handler", func(b *testing.B) {
		h, body := benchHandler(b, configuredAuth)
		w := &discard{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			r := httptest.NewRequest("GET", uri, nil)
			w.reset()
			h.ServeHTTP(w, r)
			if w.code != 401 {
				b.Fatalf("first request: %d", w.code)
			}
			a, err := digest.Respond(w.h["Www-Authenticate"][0], "GET", uri, testUser, testPassword)
			if err != nil {
				b.Fatal(err)
			}
			r.Header.Set("Authorization", a)
			w.reset()
			h.ServeHTTP(w, r)
			if w.code != 200 || w.n != len(body) {
				b.Fatalf("authorised request: %d, %d bytes", w.code, w.n)
			}
		}
	})
	b.Run("loopback", func(b *testing.B) {
		h, body := benchHandler(b, configuredAuth)
		srv := httptest.NewServer(h)
		defer srv.Close()
		client := srv.Client()
		url := srv.URL + uri
		b.ReportAllocs()
		for b.Loop() {
			resp, err := client.Get(url)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			a, err := digest.Respond(resp.Header.Get("WWW-Authenticate"), "GET", uri, testUser, testPassword)
			if err != nil {
				b.Fatal(err)
			}
			r, _ := http.NewRequest("GET", url, nil)
			r.Header.Set("Authorization", a)
			resp, err = client.Do(r)
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || int(n) != len(body) {
				b.Fatalf("authorised request: %d, %d bytes", resp.StatusCode, n)
			}
		}
	})
}
