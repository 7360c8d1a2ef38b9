package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/dect-operator/dect-operator/internal/digest"
	"github.com/dect-operator/dect-operator/internal/feed"
	"github.com/dect-operator/dect-operator/internal/provserver"
	"github.com/dect-operator/dect-operator/internal/testenv"
)

// freeAddrs returns n loopback addresses with ports that were free a moment ago.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, ln.Addr().String())
		defer ln.Close()
	}
	return addrs
}

func get(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// The sidecar process, against a Publisher on loopback: before the manager's first load
// it is not ready, its devices' port is not even open and /unknown-devices answers 503;
// then it serves, signs its Digest nonces with the manager's nonce key, reports the
// delivery back, and serves its metrics and /unknown-devices on the admin port.
func TestRunSidecar(t *testing.T) {
	pub := feed.NewPublisher(logr.Discard())
	pub.NonceKey = []byte("the-replicas-shared-nonce-key-0123456789")
	delivered := make(chan provserver.Delivery, 1)
	pub.Deliver = func(d provserver.Delivery) { delivered <- d }
	ln, err := feed.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := feed.NewServer(pub)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	addrs := freeAddrs(t, 3)
	o := Options{Addr: addrs[0], MetricsAddr: addrs[1], ProbeAddr: addrs[2], FilesFrom: "http://" + ln.Addr().String()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunSidecar(ctx, o) }()

	waitFor := func(what string, check func() error) {
		t.Helper()
		testenv.EventuallyEvery(t, what, time.Minute, 10*time.Millisecond, check) // the deadline only keeps a broken test from hanging
	}
	waitFor("the probe port", func() error {
		_, _, err := get("http://" + o.ProbeAddr + "/healthz")
		return err
	})
	if code, _, _ := get("http://" + o.ProbeAddr + "/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz before the manager's load: %d, want 503", code)
	}
	if _, _, err := get("http://" + o.Addr + "/" + mac + ".xml"); err == nil {
		t.Error("the devices' port is open before the manager's load")
	}
	if code, _, _ := get("http://" + o.MetricsAddr + "/unknown-devices"); code != http.StatusServiceUnavailable {
		t.Errorf("/unknown-devices before the manager's load: %d, want 503", code)
	}

	if err := pub.Set(provserver.Entry{Namespace: "a", Base: "office", MAC: mac, Body: []byte("<Provider/>")}); err != nil {
		t.Fatal(err)
	}
	if err := pub.Set(protected); err != nil {
		t.Fatal(err)
	}
	pub.Commit()
	waitFor("ready", func() error {
		if code, _, err := get("http://" + o.ProbeAddr + "/readyz"); err != nil || code != http.StatusOK {
			return fmt.Errorf("/readyz %d, %v", code, err)
		}
		return nil
	})
	waitFor("the devices' port", func() error {
		code, body, err := get("http://" + o.Addr + "/" + mac + ".xml")
		if err == nil && (code != http.StatusOK || body != "<Provider/>") {
			err = fmt.Errorf("%d %q", code, body)
		}
		return err
	})
	select {
	case d := <-delivered:
		if d.MAC != mac || d.Namespace != "a" || d.Base != "office" {
			t.Errorf("delivery %+v", d)
		}
	case <-time.After(time.Minute):
		t.Fatal("no delivery reached the manager")
	}
	// A challenge of the sidecar, answered to another server holding the manager's key,
	// passes there; and to one with another key, it does not: the key came through the
	// feed.
	if code := answerElsewhere(t, "http://"+o.Addr, pub.NonceKey); code != http.StatusOK {
		t.Errorf("the sidecar's challenge answered to a server with the manager's key: %d, want 200", code)
	}
	if code := answerElsewhere(t, "http://"+o.Addr, []byte("another-nonce-key-0123456789abcdefghijk")); code == http.StatusOK {
		t.Error("the sidecar's challenge passed at a server with another key")
	}

	_, _, _ = get("http://" + o.Addr + "/7C2F80EEEEEE.xml")
	if code, body, _ := get("http://" + o.MetricsAddr + "/unknown-devices"); code != 200 || !strings.Contains(body, "7C2F80EEEEEE") {
		t.Errorf("/unknown-devices: %d %s", code, body)
	}
	if code, body, _ := get("http://" + o.MetricsAddr + "/metrics"); code != 200 || !strings.Contains(body, provserver.MetricRequests) {
		t.Errorf("/metrics: %d, lacks %s", code, provserver.MetricRequests)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunSidecar: %v", err)
	}
}

// protected is an entry that needs the device's Digest credentials.
var protected = provserver.Entry{
	Namespace: "a", Base: "lobby", MAC: "7C2F80000002", Body: []byte("<Provider/>"),
	Auth: provserver.Auth{MACID: "7C2F80000002-AB12"},
}

// answerElsewhere gets a Digest challenge for protected from sidecar and sends the
// answer to a handler of its own signing with key, as a device does whose second request
// the Service sends to another replica; it returns that handler's status.
func answerElsewhere(t *testing.T, sidecar string, key []byte) int {
	t.Helper()
	path := "/" + protected.MAC + ".xml"
	resp, err := http.Get(sidecar + path)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the sidecar answered %d, want a 401 challenge", resp.StatusCode)
	}
	authz, err := digest.Respond(resp.Header.Get("WWW-Authenticate"), http.MethodGet, path, protected.MAC, protected.Auth.MACID)
	if err != nil {
		t.Fatal(err)
	}
	store := provserver.NewStore()
	if err := store.Set(protected); err != nil {
		t.Fatal(err)
	}
	other, err := provserver.NewHandler(store, provserver.Options{NonceKey: key})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", authz)
	w := httptest.NewRecorder()
	other.ServeHTTP(w, req)
	return w.Code
}
