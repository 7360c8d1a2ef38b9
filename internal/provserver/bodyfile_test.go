package provserver

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// largeBody is a file above minFileBody, with a Latin-1 byte, that differs
// from any other largeBody of another version in every line.
func largeBody(version int) []byte {
	b := []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<ProviderFrame><Provider>\n")
	for i := 0; len(b) < 120<<10; i++ {
		b = fmt.Appendf(b, "<SYMB_ITEM ID=\"x[%d]\" class=\"symb_item\" value='\"M\xfcller v%d\"'/>\n", i, version)
	}
	return append(b, "</Provider></ProviderFrame>\n"...)
}

// rawGet sends one GET on conn and returns the status line and header
// lines (Date removed) and the body, read by Content-Length.
func rawGet(t *testing.T, conn net.Conn, br *bufio.Reader, method string) (string, []byte) {
	t.Helper()
	fmt.Fprintf(conn, "%s /%s.xml HTTP/1.1\r\nHost: x\r\n\r\n", method, testMAC)
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	resp.Header.Del("Date")
	var head strings.Builder
	fmt.Fprintf(&head, "%s %d\n", resp.Proto, resp.StatusCode)
	resp.Header.Write(&head)
	fmt.Fprintf(&head, "ContentLength %d\n", resp.ContentLength)
	return head.String(), body
}

// hideWriter hides the ResponseWriter's ReadFrom and Flush, so that the
// handler writes Body.
type hideWriter struct{ http.ResponseWriter }

// TestLargeBodyFromFile: a large body sent from the entry's file is
// byte for byte the response written from memory, header included, over one
// keep-alive connection, for GET and HEAD, many times in a row.
func TestLargeBodyFromFile(t *testing.T) {
	body := largeBody(1)
	e := newEnv(t, Options{}, Entry{Namespace: testNS, Base: testBase, MAC: testMAC, Body: body})
	file := httptest.NewServer(e.h)
	defer file.Close()
	memory := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.h.ServeHTTP(hideWriter{w}, r)
	}))
	defer memory.Close()

	var heads [2]string
	for i, srv := range []*httptest.Server{file, memory} {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		for n := range 20 {
			method := http.MethodGet
			if n%5 == 4 {
				method = http.MethodHead
			}
			head, got := rawGet(t, conn, br, method)
			if n == 0 {
				heads[i] = head
			} else if head != heads[i] && method == http.MethodGet {
				t.Fatalf("request %d: header\n%s\nwas first\n%s", n, head, heads[i])
			}
			want := body
			if method == http.MethodHead {
				want = nil
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s request %d (%s): %d bytes that differ from the %d of the file", srv.URL, n, method, len(got), len(want))
			}
		}
	}
	if heads[0] != heads[1] {
		t.Errorf("header from the file:\n%s\nfrom memory:\n%s", heads[0], heads[1])
	}
	if got := e.store.get(mustKey(t, testMAC)).file.hasFile(); got != (runtime.GOOS == "linux") {
		t.Errorf("entry has a file: %v, on %s", got, runtime.GOOS)
	}
}

// TestSmallBodyHasNoFile: a body below minFileBody is written from memory.
func TestSmallBodyHasNoFile(t *testing.T) {
	e := newEnv(t, Options{}, entry(Auth{}))
	srv := e.serve()
	resp, err := srv.Client().Get(srv.URL + "/" + testMAC + ".xml")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, testBody) {
		t.Fatalf("body %q", got)
	}
	if e.store.get(mustKey(t, testMAC)).file.hasFile() {
		t.Error("a small body got a file")
	}
}

// TestLargeBodyAbortedThenWhole: a client that leaves in the middle of a body
// does not spoil the next response, which reuses the same file.
func TestLargeBodyAbortedThenWhole(t *testing.T) {
	body := largeBody(1)
	e := newEnv(t, Options{}, Entry{Namespace: testNS, Base: testBase, MAC: testMAC, Body: body})
	srv := e.serve()
	for range 5 {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET /%s.xml HTTP/1.1\r\nHost: x\r\n\r\n", testMAC)
		if _, err := io.ReadFull(conn, make([]byte, 10<<10)); err != nil {
			t.Fatal(err)
		}
		conn.Close()
	}
	client := srv.Client()
	for range 5 {
		resp, err := client.Get(srv.URL + "/" + testMAC + ".xml")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("after aborted fetches: %d bytes that differ from the %d of the file, %v", len(got), len(body), err)
		}
	}
}

// TestLargeBodyConcurrentReplace: while many clients fetch, the entry is
// replaced again and again; every response is one whole version.
func TestLargeBodyConcurrentReplace(t *testing.T) {
	const versions = 8
	bodies := make(map[string]int, versions)
	for v := range versions {
		bodies[string(largeBody(v))] = v
	}
	e := newEnv(t, Options{}, Entry{Namespace: testNS, Base: testBase, MAC: testMAC, Body: largeBody(0)})
	srv := e.serve()
	tr := &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}

	stop := make(chan struct{})
	var swaps sync.WaitGroup
	swaps.Go(func() {
		for v := 1; ; v++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := e.store.Set(Entry{Namespace: testNS, Base: testBase, MAC: testMAC, Body: largeBody(v % versions)}); err != nil {
				t.Error(err)
				return
			}
			runtime.Gosched()
		}
	})
	var clients sync.WaitGroup
	for range 16 {
		clients.Go(func() {
			for range 25 {
				resp, err := client.Get(srv.URL + "/" + testMAC + ".xml")
				if err != nil {
					t.Error(err)
					return
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Error(err)
					return
				}
				v, ok := bodies[string(got)]
				if !ok {
					t.Errorf("a response of %d bytes is no version of the file", len(got))
					return
				}
				if want := `"` + e.hashOf(largeBody(v)) + `"`; resp.Header.Get("ETag") != want {
					t.Errorf("version %d with ETag %s, want %s", v, resp.Header.Get("ETag"), want)
					return
				}
			}
		})
	}
	clients.Wait()
	close(stop)
	swaps.Wait()
}

func mustKey(t *testing.T, mac string) macKey {
	t.Helper()
	k, ok := parseMAC(mac)
	if !ok {
		t.Fatalf("bad MAC %q", mac)
	}
	return k
}

func (e *env) hashOf(body []byte) string {
	v, err := newServed(Entry{MAC: testMAC, Body: body})
	if err != nil {
		e.t.Fatal(err)
	}
	return v.Hash
}
