package simulator

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// fileServer serves whatever file it holds, without authentication, and counts GETs.
type fileServer struct {
	mu   sync.Mutex
	file []byte
	gets int
}

func (f *fileServer) set(b []byte) { f.mu.Lock(); f.file = b; f.mu.Unlock() }

func (f *fileServer) start(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.gets++
		w.Write(f.file)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// sipDevice is a device with account 1013 applied and its SIP side listening.
func sipDevice(t *testing.T) (*Device, *SIPListener, *fileServer) {
	t.Helper()
	d, _ := newTestDevice(t)
	mustApply(t, d, doc(account(0, "1013", "Anna")...))
	files := &fileServer{}
	files.set(doc(concat(account(0, "1013", "Anna"), account(1, "1014", "Ben"))...))
	l, err := d.ListenSIP(SIPConfig{Addr: "127.0.0.1:0", ServerURL: files.start(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return d, l, files
}

// notify sends one NOTIFY with the given Event (none if "") to user at the device and
// returns the final answer. The sender is sipgo's client, not the operator's code.
func notify(t *testing.T, port int, transport, user, event string, edit func(*sip.Request)) *sip.Response {
	t.Helper()
	ua, err := sipgo.NewUA()
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	c, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	req := sip.NewRequest(sip.NOTIFY, sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: port})
	req.SetTransport(transport)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "pbx.example.net"}})
	if event != "" {
		req.AppendHeader(sip.NewHeader("Event", event))
	}
	req.AppendHeader(sip.NewHeader("Subscription-State", "terminated"))
	if edit != nil {
		edit(req)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := c.Do(ctx, req)
	if err != nil {
		t.Fatalf("NOTIFY: %v", err)
	}
	return resp
}

// waitFetches waits until the listener has recorded n fetches.
func waitFetches(t *testing.T, l *SIPListener, n int) []FetchResult {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if f := l.Fetches(); len(f) >= n {
			return f
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no fetch %d after 5 s: %v", n, l.Fetches())
	return nil
}

func TestSIPCheckSyncFetchesTheFile(t *testing.T) {
	for _, transport := range []string{"UDP", "TCP"} {
		t.Run(transport, func(t *testing.T) {
			d, l, files := sipDevice(t)
			resp := notify(t, l.Port(), transport, "1013", "check-sync", nil)
			if resp.StatusCode != 200 {
				t.Fatalf("answer %d %s", resp.StatusCode, resp.Reason)
			}
			fetched := waitFetches(t, l, 1)
			if !fetched[0].Applied {
				t.Fatalf("fetch %+v", fetched[0])
			}
			if s := d.Slot(1); !s.Active || s.UserID != "1014" {
				t.Errorf("slot 1 after the push: %+v", s)
			}
			c := l.Counts()
			if c.Notifies != 1 || c.CheckSyncs != 1 || c.Answers[200] != 1 || files.gets != 1 {
				t.Errorf("counts %+v, GETs %d", c, files.gets)
			}
			if ev := eventsOf(d, EventNotifyReceived); len(ev) != 1 || !strings.Contains(ev[0].Detail, "Event: check-sync") || !strings.Contains(ev[0].Detail, "200 OK") {
				t.Errorf("events %v", ev)
			}
		})
	}
}

func TestSIPAnswersWhatAUserAgentAnswers(t *testing.T) {
	tests := []struct {
		name   string
		user   string
		event  string
		edit   func(*sip.Request)
		code   int
		header string // a header the answer must carry
	}{
		{name: "another event package", user: "1013", event: "presence", code: 489, header: "Allow-Events: check-sync"},
		{name: "reboot parameter is ignored", user: "1013", event: "check-sync;reboot=true", code: 200},
		{name: "unknown account", user: "1099", event: "check-sync", code: 404},
		{name: "inactive slot", user: "", event: "check-sync", code: 404},
		{name: "no Event header", user: "1013", code: 400},
		{name: "a dialog the device does not have", user: "1013", event: "check-sync", code: 481,
			edit: func(r *sip.Request) { r.To().Params = sip.NewParams(); r.To().Params.Add("tag", "abc") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, l, files := sipDevice(t)
			resp := notify(t, l.Port(), "UDP", tt.user, tt.event, tt.edit)
			if int(resp.StatusCode) != tt.code {
				t.Fatalf("answer %d %s, want %d", resp.StatusCode, resp.Reason, tt.code)
			}
			if tt.header != "" && !strings.Contains(resp.String(), tt.header+"\r\n") {
				t.Errorf("answer lacks %q:\n%s", tt.header, resp)
			}
			if tt.code == 200 {
				waitFetches(t, l, 1)
				return
			}
			time.Sleep(50 * time.Millisecond)
			if n := len(l.Fetches()); n != 0 || files.gets != 0 {
				t.Errorf("a %d answer was followed by a fetch", tt.code)
			}
			if c := l.Counts(); c.Notifies != 1 || c.CheckSyncs != 0 || c.Answers[tt.code] != 1 {
				t.Errorf("counts %+v", c)
			}
		})
	}
}

func TestSIPRetransmissionIsOneNotify(t *testing.T) {
	_, l, files := sipDevice(t)
	conn, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", l.Port()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().(*net.UDPAddr)
	raw := fmt.Sprintf("NOTIFY sip:1013@127.0.0.1:%d SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-retransmitted\r\n"+
		"From: <sip:pbx@pbx.example.net>;tag=1\r\nTo: <sip:1013@pbx.example.net>\r\n"+
		"Call-ID: retransmitted@127.0.0.1\r\nCSeq: 7 NOTIFY\r\nMax-Forwards: 70\r\n"+
		"Event: check-sync\r\nSubscription-State: terminated\r\nContent-Length: 0\r\n\r\n", l.Port(), local.Port)
	answers := 0
	buf := make([]byte, 4096)
	for i := 0; i < 3; i++ {
		if _, err := conn.Write([]byte(raw)); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("copy %d: no answer: %v", i, err)
		}
		if strings.HasPrefix(string(buf[:n]), "SIP/2.0 200 OK") {
			answers++
		}
	}
	waitFetches(t, l, 1)
	time.Sleep(50 * time.Millisecond)
	if c := l.Counts(); c.Notifies != 1 || c.CheckSyncs != 1 || answers != 3 || files.gets != 1 {
		t.Errorf("three copies of one NOTIFY: counts %+v, 200 answers %d, GETs %d", c, answers, files.gets)
	}
}

func TestSIPGarbageIsDropped(t *testing.T) {
	_, l, _ := sipDevice(t)
	conn, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", l.Port()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = conn.Write([]byte("NOTIFY this is not SIP\r\n\r\n"))
	// The device still answers a good NOTIFY afterwards.
	if resp := notify(t, l.Port(), "UDP", "1013", "check-sync", nil); resp.StatusCode != 200 {
		t.Fatalf("answer %d", resp.StatusCode)
	}
	if c := l.Counts(); c.Notifies != 1 {
		t.Errorf("counts %+v", c)
	}
}
