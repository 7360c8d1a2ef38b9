package feed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"

	"github.com/dect-operator/dect-operator/internal/provserver"
	"github.com/dect-operator/dect-operator/internal/testenv"
)

func TestListenAndParseURLTakeLoopbackOnly(t *testing.T) {
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:0", true},
		{"[::1]:0", true},
		{"127.0.0.2:0", true},
		{":0", false},
		{"0.0.0.0:0", false},
		{"localhost:0", false},
		{"192.0.2.1:0", false},
		{"127.0.0.1", false},
	} {
		ln, err := Listen(tc.addr)
		if ln != nil {
			_ = ln.Close()
		}
		if (err == nil) != tc.ok {
			t.Errorf("Listen(%q): %v, want ok=%t", tc.addr, err, tc.ok)
		}
	}
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8090", true},
		{"http://127.0.0.1:8090/", true},
		{"http://[::1]:8090", true},
		{"http://localhost:8090", false},
		{"http://10.0.0.1:8090", false},
		{"https://127.0.0.1:8090", false},
		{"http://127.0.0.1", false},
		{"http://127.0.0.1:8090/v1", false},
		{"http://127.0.0.1:8090?x=1", false},
		{"http://user:pw@127.0.0.1:8090", false},
		{"127.0.0.1:8090", false},
	} {
		u, err := ParseURL(tc.url)
		if (err == nil) != tc.ok {
			t.Errorf("ParseURL(%q): %v, want ok=%t", tc.url, err, tc.ok)
		}
		if err == nil && u.Path != "" {
			t.Errorf("ParseURL(%q) keeps the path %q", tc.url, u.Path)
		}
	}
}

// logSink collects every log line, to check that none shows a credential or a body.
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) logger() logr.Logger {
	return funcr.New(func(prefix, args string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.lines = append(l.lines, prefix+" "+args)
	}, funcr.Options{Verbosity: 9})
}

func (l *logSink) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// feedEnds is a Publisher served on a real loopback listener, with a Mirror and a
// Reporter pointed at it.
type feedEnds struct {
	pub       *Publisher
	url       *url.URL
	store     *provserver.Store
	mirror    *Mirror
	reporter  *Reporter
	delivered chan provserver.Delivery
	stop      func()
}

// startPublisher serves a new Publisher at addr ("127.0.0.1:0" for any port).
func startPublisher(t *testing.T, addr string, log logr.Logger) (*Publisher, *url.URL, func()) {
	t.Helper()
	pub := NewPublisher(log)
	ln, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(pub)
	go func() { _ = srv.Serve(ln) }()
	u, err := ParseURL("http://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return pub, u, func() { _ = srv.Close() }
}

// waitFor waits until check passes; the deadline only keeps a broken test from hanging.
func waitFor(t *testing.T, what string, check func() error) {
	t.Helper()
	testenv.EventuallyEvery(t, what, time.Minute, 5*time.Millisecond, check)
}

// holds checks that store holds exactly these MACs with bodies saying these words.
func holds(store *provserver.Store, want map[string]string) error {
	if store.Len() != len(want) {
		return fmt.Errorf("%d entries, want %d", store.Len(), len(want))
	}
	for mac, what := range want {
		e, ok := store.Lookup(mac)
		if !ok {
			return fmt.Errorf("%s missing", mac)
		}
		if !strings.HasPrefix(string(e.Body), "<Provider>"+what+" ") {
			return fmt.Errorf("%s holds another file", mac)
		}
	}
	return nil
}

// Both ends over a real loopback connection: nothing is served before the manager's
// first load, then the full set, then each change by long poll; a restarted manager
// (a new epoch) gives the full set again, and what it no longer has goes; deliveries
// reach the manager's Deliver; nothing logged shows a credential or a body.
func TestBothEndsOverLoopback(t *testing.T) {
	logs := &logSink{}
	pub, u, stop := startPublisher(t, "127.0.0.1:0", logs.logger().WithName("manager"))
	defer stop()
	delivered := make(chan provserver.Delivery, 10)
	pub.Deliver = func(d provserver.Delivery) { delivered <- d }
	pub.NonceKey = nonceKey

	store := provserver.NewStore()
	m := NewMirror(u, store, logs.logger().WithName("sidecar"))
	m.Wait, m.Retry = 10*time.Second, 10*time.Millisecond
	client := newClient(m.Wait)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The manager has not loaded yet: a poll gets nothing, and the sidecar is not ready.
	if err := m.poll(ctx, client, 0); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("a poll before the manager's load: %v, want a 503", err)
	}
	if m.Ready() || store.Len() != 0 {
		t.Fatal("the sidecar is ready, or holds entries, before the manager's first load")
	}

	// The manager loads; the sidecar, already polling, gets the full set.
	done := make(chan error, 2)
	go func() { done <- m.Run(ctx) }()
	_ = pub.Set(entry(macA, "a1"))
	_ = pub.Set(entry(macB, "b1"))
	pub.Commit()
	select {
	case <-m.Loaded():
	case <-time.After(time.Minute):
		t.Fatal("the sidecar never loaded")
	}
	if err := holds(store, map[string]string{macA: "a1", macB: "b1"}); err != nil {
		t.Fatalf("after the first load: %v", err)
	}
	if !bytes.Equal(m.NonceKey(), nonceKey) {
		t.Errorf("the sidecar holds a nonce key of %d bytes, not the manager's", len(m.NonceKey()))
	}
	if got, _ := store.Lookup(macA); got.Auth != entry(macA, "a1").Auth || !slices.Equal(got.AllowedSources, entry(macA, "a1").AllowedSources) {
		t.Errorf("the sidecar's entry %v differs from the manager's", got)
	}

	// A change and a deletion reach the sidecar by long poll.
	_ = pub.Set(entry(macA, "a2"))
	pub.Delete(macB)
	pub.Commit()
	waitFor(t, "the change", func() error { return holds(store, map[string]string{macA: "a2"}) })

	// The manager restarts (a new Publisher, a new epoch, at the same address): the
	// sidecar keeps serving meanwhile, then takes the new full set.
	stop()
	waitFor(t, "the first poll to the gone manager to fail", func() error {
		if !strings.Contains(logs.all(), "cannot get the files from the manager") {
			return errors.New("no failure logged yet")
		}
		return nil
	})
	if err := holds(store, map[string]string{macA: "a2"}); err != nil {
		t.Errorf("while the manager is gone: %v", err)
	}
	pub2, u2, stop2 := startPublisher(t, u.Host, logs.logger().WithName("manager2"))
	defer stop2()
	pub2.Deliver = pub.Deliver
	otherKey := bytes.Repeat([]byte{'k'}, provserver.MinNonceKeyLen)
	pub2.NonceKey = otherKey
	_ = pub2.Set(entry(macC, "c1"))
	_ = pub2.Set(entry(macA, "a2"))
	pub2.Commit()
	waitFor(t, "the new manager's set", func() error { return holds(store, map[string]string{macA: "a2", macC: "c1"}) })
	// Its other key (a rotated Secret) is logged and not taken: the handler was built
	// with the first.
	waitFor(t, "the other nonce key logged", func() error {
		if !strings.Contains(logs.all(), "another nonce key") {
			return errors.New("not logged")
		}
		return nil
	})
	if !bytes.Equal(m.NonceKey(), nonceKey) {
		t.Error("the sidecar took the restarted manager's other nonce key")
	}

	// Deliveries reach the manager.
	r := NewReporter(u2, logs.logger().WithName("reporter"))
	go func() { done <- r.Run(ctx) }()
	for i := range 3 {
		r.Record(delivery(i))
	}
	for i := range 3 {
		select {
		case d := <-delivered:
			if d != delivery(i) {
				t.Errorf("delivery %d: got %+v, want %+v", i, d, delivery(i))
			}
		case <-time.After(time.Minute):
			t.Fatalf("delivery %d never reached the manager", i)
		}
	}

	cancel()
	for range 2 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	all := logs.all()
	for _, secret := range []string{secretPassword, secretMACID, "<Provider>", string(nonceKey), nonceKeyB64, string(otherKey)} {
		if strings.Contains(all, secret) {
			t.Errorf("the log shows %q:\n%s", secret, all)
		}
	}
	if !strings.Contains(all, "files from the manager") {
		t.Errorf("the sidecar did not log its loads:\n%s", all)
	}
}

// The Reporter keeps what the manager does not take yet, and sends it once it does.
func TestReporterKeepsDeliveriesWhileTheManagerIsAway(t *testing.T) {
	var mu sync.Mutex
	var got []provserver.Delivery
	up := false
	pub := NewPublisher(logr.Discard())
	pub.Deliver = func(d provserver.Delivery) { mu.Lock(); got = append(got, d); mu.Unlock() }
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ok := up
		mu.Unlock()
		if !ok {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		pub.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	u, _ := ParseURL("http://" + ln.Addr().String())
	r := NewReporter(u, logr.Discard())
	r.Retry = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = r.Run(ctx) }()
	for i := range 5 {
		r.Record(delivery(i))
	}
	mu.Lock()
	up = true
	mu.Unlock()
	waitFor(t, "the deliveries", func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 5 {
			return fmt.Errorf("%d deliveries", len(got))
		}
		return nil
	})
	for i, d := range got {
		if d != delivery(i) {
			t.Errorf("delivery %d: %+v", i, d)
		}
	}
}
