package sipnotify

import (
	"bufio"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/dect-operator/dect-operator/internal/push"
)

// peer is a SIP device reduced to what the tests need: it reads raw requests from a
// socket, records them, and answers with whatever answer returns (nil = stay silent).
type peer struct {
	mu   sync.Mutex
	got  []*sip.Request
	raw  []string
	addr *net.UDPAddr
	tcp  net.Addr
}

func (p *peer) record(data []byte) (*sip.Request, int) {
	msg, err := sip.ParseMessage(data)
	if err != nil {
		return nil, 0
	}
	req, ok := msg.(*sip.Request)
	if !ok {
		return nil, 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, req)
	p.raw = append(p.raw, string(data))
	return req, len(p.got)
}

func (p *peer) requests() []*sip.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*sip.Request(nil), p.got...)
}

type answerFunc func(req *sip.Request, n int) []*sip.Response

func reply(code int, reason string) answerFunc {
	return func(req *sip.Request, _ int) []*sip.Response {
		return []*sip.Response{sip.NewResponseFromRequest(req, code, reason, nil)}
	}
}

func udpPeer(t *testing.T, answer answerFunc) *peer {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	p := &peer{addr: conn.LocalAddr().(*net.UDPAddr)}
	go func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			req, i := p.record(append([]byte(nil), buf[:n]...))
			if req == nil {
				continue
			}
			for _, r := range answer(req, i) {
				_, _ = conn.WriteToUDP([]byte(r.String()), from)
			}
		}
	}()
	return p
}

func tcpPeer(t *testing.T, answer answerFunc) *peer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p := &peer{tcp: l.Addr()}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					data, err := readStreamMessage(r)
					if err != nil {
						return
					}
					req, i := p.record(data)
					if req == nil {
						return
					}
					for _, resp := range answer(req, i) {
						_, _ = io.WriteString(c, resp.String())
					}
				}
			}()
		}
	}()
	return p
}

// readStreamMessage reads one message framed by Content-Length, as RFC 3261 18.3 says.
func readStreamMessage(r *bufio.Reader) ([]byte, error) {
	var b strings.Builder
	length := 0
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		b.WriteString(line)
		l := strings.TrimRight(line, "\r\n")
		if l == "" {
			break
		}
		if k, v, ok := strings.Cut(l, ":"); ok && (strings.EqualFold(strings.TrimSpace(k), "Content-Length") || strings.TrimSpace(k) == "l") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	b.Write(body)
	return []byte(b.String()), nil
}

var office = push.Account{User: "1001", Domain: "pbx.example.net"}

func TestDirectUDPSendsAWellFormedCheckSync(t *testing.T) {
	p := udpPeer(t, reply(200, "OK"))
	res := (&Direct{}).Notify(context.Background(), push.Target{Host: "127.0.0.1", Port: p.addr.Port, Account: office})
	if !res.OK || res.Status != "200 OK" || res.Method != push.Direct {
		t.Fatalf("result %+v", res)
	}
	reqs := p.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	checkNotify(t, reqs[0], "UDP", p.addr.Port)
	t.Logf("on the wire:\n%s", p.raw[0])
}

func TestDirectTCP(t *testing.T) {
	p := tcpPeer(t, func(req *sip.Request, n int) []*sip.Response {
		return []*sip.Response{
			sip.NewResponseFromRequest(req, 100, "Trying", nil),
			sip.NewResponseFromRequest(req, 200, "OK", nil),
		}
	})
	port := p.tcp.(*net.TCPAddr).Port
	res := (&Direct{}).Notify(context.Background(), push.Target{Host: "127.0.0.1", Port: port, Transport: push.TCP, Account: office})
	if !res.OK || res.Status != "200 OK" {
		t.Fatalf("result %+v", res)
	}
	reqs := p.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	checkNotify(t, reqs[0], "TCP", port)
}

func checkNotify(t *testing.T, req *sip.Request, transport string, port int) {
	t.Helper()
	if req.Method != sip.NOTIFY {
		t.Errorf("method %s", req.Method)
	}
	if req.Recipient.User != "1001" || req.Recipient.Host != "127.0.0.1" || req.Recipient.Port != port {
		t.Errorf("Request-URI %s", req.Recipient.String())
	}
	if to := req.To(); to == nil || to.Address.User != "1001" || to.Address.Host != "pbx.example.net" {
		t.Errorf("To %v", to)
	}
	if from := req.From(); from == nil || from.Params == nil || !from.Params.Has("tag") {
		t.Errorf("From without a tag: %v", from)
	}
	header := func(name string) string {
		if h := req.GetHeader(name); h != nil {
			return h.Value()
		}
		return ""
	}
	for name, want := range map[string]string{
		"Event":              "check-sync",
		"Subscription-State": "terminated",
		"Max-Forwards":       "70",
		"Content-Length":     "0",
	} {
		if got := header(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if cseq := req.CSeq(); cseq == nil || cseq.MethodName != sip.NOTIFY {
		t.Errorf("CSeq %v", cseq)
	}
	if header("Call-ID") == "" || header("Contact") == "" {
		t.Errorf("Call-ID %q Contact %q", header("Call-ID"), header("Contact"))
	}
	via := req.Via()
	if via == nil || via.Transport != transport {
		t.Fatalf("Via %v", via)
	}
	if b, _ := via.Params.Get("branch"); !strings.HasPrefix(b, "z9hG4bK") {
		t.Errorf("Via branch %q lacks the RFC 3261 magic cookie", b)
	}
	if len(req.Body()) != 0 {
		t.Errorf("body %q", req.Body())
	}
}

func TestDirectDeviceAnswers489(t *testing.T) {
	p := udpPeer(t, reply(489, "Bad Event"))
	res := (&Direct{}).Notify(context.Background(), push.Target{Host: "127.0.0.1", Port: p.addr.Port, Account: office})
	if res.OK || res.Status != "489 Bad Event (the device does not take check-sync)" {
		t.Fatalf("result %+v", res)
	}
}

func TestDirectDeviceAnswers481(t *testing.T) {
	p := udpPeer(t, reply(481, "Subscription Does Not Exist"))
	res := (&Direct{}).Notify(context.Background(), push.Target{Host: "127.0.0.1", Port: p.addr.Port, Account: office})
	if res.OK || !strings.HasPrefix(res.Status, "481 Subscription Does Not Exist") {
		t.Fatalf("result %+v", res)
	}
}

func TestDirectUDPRetransmitsUntilAnswered(t *testing.T) {
	// The device misses the first two datagrams (a lost packet each time).
	p := udpPeer(t, func(req *sip.Request, n int) []*sip.Response {
		if n < 3 {
			return nil
		}
		return []*sip.Response{sip.NewResponseFromRequest(req, 200, "OK", nil)}
	})
	res := (&Direct{}).Notify(context.Background(), push.Target{Host: "127.0.0.1", Port: p.addr.Port, Account: office})
	if !res.OK {
		t.Fatalf("result %+v", res)
	}
	reqs := p.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d copies, want 3", len(reqs))
	}
	b0, _ := reqs[0].Via().Params.Get("branch")
	for _, r := range reqs[1:] {
		if b, _ := r.Via().Params.Get("branch"); b != b0 || r.CallID().Value() != reqs[0].CallID().Value() {
			t.Errorf("a retransmission is a new request: branch %s vs %s", b, b0)
		}
	}
	t.Logf("answered after %v", res.Took)
}

func TestDirectSilentDeviceTimesOut(t *testing.T) {
	p := udpPeer(t, func(*sip.Request, int) []*sip.Response { return nil })
	d := &Direct{Timeout: 1200 * time.Millisecond}
	res := d.Notify(context.Background(), push.Target{Host: "127.0.0.1", Port: p.addr.Port, Account: office})
	want := "no answer from 127.0.0.1:" + strconv.Itoa(p.addr.Port) + " (UDP) within 1.2s"
	if res.OK || res.Status != want {
		t.Fatalf("result %+v, want %q", res, want)
	}
	if n := len(p.requests()); n < 2 {
		t.Errorf("%d copies sent in 1.2 s; timer E retransmits at 500 ms", n)
	}
}

func TestDirectConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	res := (&Direct{Timeout: 2 * time.Second}).Notify(context.Background(), push.Target{Host: "127.0.0.1", Port: port, Transport: push.TCP, Account: office})
	want := "connection refused by 127.0.0.1:" + strconv.Itoa(port) + " (TCP)"
	if res.OK || res.Status != want {
		t.Fatalf("result %+v, want %q", res, want)
	}
}

func TestDirectRejectsWhatItCannotSend(t *testing.T) {
	for _, tc := range []struct {
		t    push.Target
		want string
	}{
		{push.Target{Account: office}, "no device address: it has not fetched its file yet and none is declared"},
		{push.Target{Host: "127.0.0.1"}, "no SIP account to address the NOTIFY to"},
		{push.Target{Host: "127.0.0.1", Account: office, Transport: "SCTP"}, `transport "SCTP" is not supported (UDP or TCP)`},
	} {
		if res := (&Direct{}).Notify(context.Background(), tc.t); res.OK || res.Status != tc.want {
			t.Errorf("%+v: %+v", tc.t, res)
		}
	}
}
