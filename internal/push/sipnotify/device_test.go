package sipnotify_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dect-operator/dect-operator/internal/push"
	"github.com/dect-operator/dect-operator/internal/push/sipnotify"
	"github.com/dect-operator/dect-operator/internal/simulator"
)

// station is one base as the operator sees it: the file it serves (with its
// delivery record, as the provisioning server keeps it) and the simulated N720 that
// fetches it.
type station struct {
	mac     string
	dev     *simulator.Device
	sip     *simulator.SIPListener
	mu      sync.Mutex
	file    []byte
	current string // hash of file
	served  string // hash of the last file served
	at      time.Time
}

func hash(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:8]) }

// document is a file with users[i] in slot i, as the renderer writes the items the
// simulator needs.
func document(mac string, users int) []byte {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<ProviderFrame>\n  <Provider>\n")
	fmt.Fprintf(&b, "    <MAC_ADDRESS value=%q/>\n", mac)
	for i := 0; i < users; i++ {
		item := func(member, value string) {
			fmt.Fprintf(&b, "    <SYMB_ITEM ID=\"BS_VOIP_Data.astVoipAccounts[%d].%s\" class=\"symb_item\" value='%s'/>\n", i, member, value)
		}
		item("ucB_SIP_ACCOUNT_IS_ACTIVE_1", "1")
		item("aucS_SIP_USER_ID[0]", fmt.Sprintf("\"%d\"", 1001+i))
	}
	b.WriteString("  </Provider>\n</ProviderFrame>\n")
	return []byte(b.String())
}

func newStation(t *testing.T, n int) *station {
	t.Helper()
	mac := fmt.Sprintf("7C2F80CA21%02X", n)
	st := &station{mac: mac}
	st.set(document(mac, 1))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st.mu.Lock()
		defer st.mu.Unlock()
		st.served, st.at = st.current, time.Now()
		w.Write(st.file)
	}))
	t.Cleanup(srv.Close)
	dev, err := simulator.New(simulator.Config{MAC: mac, MACID: mac + "-K3Q9"})
	if err != nil {
		t.Fatal(err)
	}
	// The device boots and fetches once; from then on only a push makes it fetch.
	if res, err := dev.Fetch(context.Background(), srv.URL); err != nil || !res.Applied {
		t.Fatalf("first fetch: %v %+v", err, res)
	}
	l, err := dev.ListenSIP(simulator.SIPConfig{Addr: "127.0.0.1:0", ServerURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	st.dev, st.sip = dev, l
	return st
}

func (st *station) set(file []byte) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.file, st.current = file, hash(file)
}

func (st *station) facts() push.Facts {
	st.mu.Lock()
	defer st.mu.Unlock()
	return push.Facts{Current: st.current, Delivered: st.served, DeliveredAt: st.at}
}

// drive runs the decision loop a reconciler would, polling every 10 ms (more often
// than any reconciler: Decide must not send more for being asked more), until stop.
// It returns the pushes' results and the push-to-fetch latencies reported.
func drive(st *station, stop <-chan struct{}) (results []push.Result, fetchedAfter []time.Duration) {
	var s push.State
	target := push.Target{Host: "127.0.0.1", Port: st.sip.Port(), Account: push.Account{User: "1001", Domain: "pbx.example.net"}}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		d := push.Decide(push.Policy{}, s, st.facts(), time.Now())
		s = d.State
		if d.Fetched {
			fetchedAfter = append(fetchedAfter, d.FetchedAfter)
		}
		if d.Send {
			results = append(results, (&sipnotify.Direct{}).Notify(context.Background(), target))
		}
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

func TestBurstOf100HandsetsIsOneNotifyPerBase(t *testing.T) {
	const bases = 3
	var stations []*station
	for i := range bases {
		stations = append(stations, newStation(t, i))
	}
	stop := make(chan struct{})
	type outcome struct {
		results []push.Result
		latency []time.Duration
	}
	outcomes := make([]outcome, bases)
	var wg sync.WaitGroup
	for i, st := range stations {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcomes[i].results, outcomes[i].latency = drive(st, stop)
		}()
	}
	// kubectl apply of 100 handsets: every base's file changes 100 times, 10 ms apart.
	start := time.Now()
	for n := 2; n <= 100; n++ {
		for _, st := range stations {
			st.set(document(st.mac, n))
		}
		time.Sleep(10 * time.Millisecond)
	}
	applied := time.Now()
	deadline := time.Now().Add(20 * time.Second)
	for _, st := range stations {
		for st.dev.Slot(99).UserID != "1100" {
			if time.Now().After(deadline) {
				t.Fatalf("base %s never got the 100th handset; SIP %+v", st.mac, st.sip.Counts())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	fetched := time.Since(applied)
	// Long enough for a wrong retry or a second push to show.
	time.Sleep(push.DefaultBackoff / 10)
	close(stop)
	wg.Wait()

	for i, st := range stations {
		c := st.sip.Counts()
		if c.Notifies != 1 || c.CheckSyncs != 1 {
			t.Errorf("base %s received %d NOTIFYs (%d check-syncs), want exactly 1", st.mac, c.Notifies, c.CheckSyncs)
		}
		if r := outcomes[i].results; len(r) != 1 || !r[0].OK || r[0].Status != "200 OK" {
			t.Errorf("base %s: results %v", st.mac, r)
		}
		if len(outcomes[i].latency) != 1 {
			t.Errorf("base %s: push-to-fetch latencies %v, want one", st.mac, outcomes[i].latency)
		}
	}
	var lat []time.Duration
	for _, o := range outcomes {
		lat = append(lat, o.latency...)
	}
	slices.Sort(lat)
	t.Logf("burst of 99 changes over %v; every base had the last file %v after the burst; push-to-fetch %v",
		applied.Sub(start).Round(time.Millisecond), fetched.Round(time.Millisecond), lat)
}

func TestSingleChangeReachesTheDevice(t *testing.T) {
	st := newStation(t, 9)
	stop := make(chan struct{})
	done := make(chan []time.Duration)
	go func() { _, l := drive(st, stop); done <- l }()
	changed := time.Now()
	st.set(document(st.mac, 2))
	for st.dev.Slot(1).UserID != "1002" {
		if time.Since(changed) > 10*time.Second {
			t.Fatal("the device never fetched the new file")
		}
		time.Sleep(5 * time.Millisecond)
	}
	took := time.Since(changed)
	time.Sleep(100 * time.Millisecond) // for the loop to see the delivery
	close(stop)
	lat := <-done
	if c := st.sip.Counts(); c.CheckSyncs != 1 || len(lat) != 1 {
		t.Errorf("counts %+v, push-to-fetch %v", c, lat)
	}
	t.Logf("change to fetch %v (debounce %v); push to fetch %v", took.Round(time.Millisecond), push.DefaultDebounce, lat)
}
