package simulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// CheckSyncEvent is the event package that makes the N720 re-check its file.
const CheckSyncEvent = "check-sync"

// SIPConfig configures a device's SIP side.
type SIPConfig struct {
	// Addr is where to listen, UDP and TCP on the same port: "127.0.0.1:5060", or
	// "127.0.0.1:0" for a free port.
	Addr string
	// ServerURL is the provisioning server the device fetches from after a check-sync
	// (what DHCP option 114 or its web UI told it).
	ServerURL string
	// Logger receives the SIP library's messages; nil discards them.
	Logger *slog.Logger
	// NoCheckSync makes a device whose firmware knows no check-sync: it answers a
	// well-formed check-sync NOTIFY 489 Bad Event, as to any other event package.
	NoCheckSync bool
}

// SIPListener is a device's SIP user agent: it answers NOTIFY and OPTIONS and fetches
// the file when told to check-sync. Its methods are safe for concurrent use.
type SIPListener struct {
	d           *Device
	serverURL   string
	noCheckSync bool
	port        int
	ua          *sipgo.UserAgent
	udp         net.PacketConn
	tcp         net.Listener
	ctx         context.Context
	cancel      context.CancelFunc
	serving     sync.WaitGroup // the two Serve loops
	fetching    sync.WaitGroup // fetches a check-sync started

	mu      sync.Mutex
	closed  bool // no fetch starts once Close began waiting for them
	counts  SIPCounts
	fetches []FetchResult
}

// SIPCounts counts the NOTIFY transactions a device received (a retransmission of one
// is not a new one) and how it answered them.
type SIPCounts struct {
	Notifies   int         // every NOTIFY transaction
	CheckSyncs int         // those answered 200 and followed by a fetch
	Answers    map[int]int // NOTIFYs by status code answered
}

// ListenSIP starts the device's SIP side. Close stops it.
func (d *Device) ListenSIP(cfg SIPConfig) (*SIPListener, error) {
	if _, err := fileURL(cfg.ServerURL, d.mac); err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	tcp, udp, err := listenBoth(cfg.Addr)
	if err != nil {
		return nil, err
	}
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent("Gigaset N720 DM PRO/"+d.Firmware()),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(logger)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(logger)),
	)
	if err != nil {
		tcp.Close()
		udp.Close()
		return nil, err
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(logger))
	if err != nil {
		ua.Close()
		tcp.Close()
		udp.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &SIPListener{
		d: d, serverURL: cfg.ServerURL, port: tcp.Addr().(*net.TCPAddr).Port, noCheckSync: cfg.NoCheckSync,
		ua: ua, udp: udp, tcp: tcp, ctx: ctx, cancel: cancel,
		counts: SIPCounts{Answers: map[int]int{}},
	}
	srv.OnNotify(l.onNotify)
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	l.serving.Add(2)
	go func() { defer l.serving.Done(); _ = srv.ServeUDP(udp) }()
	go func() { defer l.serving.Done(); _ = srv.ServeTCP(tcp) }()
	return l, nil
}

// listenBoth opens TCP and UDP on one port. With port 0 the kernel picks TCP's, which
// may be taken for UDP; a few tries find a port free for both.
func listenBoth(addr string) (net.Listener, net.PacketConn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("SIP address %q: %w", addr, err)
	}
	var lastErr error
	for try := 0; try < 10; try++ {
		tcp, err := net.Listen("tcp", net.JoinHostPort(host, port))
		if err != nil {
			return nil, nil, err
		}
		p := strconv.Itoa(tcp.Addr().(*net.TCPAddr).Port)
		udp, err := net.ListenPacket("udp", net.JoinHostPort(host, p))
		if err == nil {
			return tcp, udp, nil
		}
		tcp.Close()
		lastErr = err
		if port != "0" {
			break
		}
	}
	return nil, nil, lastErr
}

// Port is the SIP port, the same for UDP and TCP.
func (l *SIPListener) Port() int { return l.port }

// Counts returns what the device received so far.
func (l *SIPListener) Counts() SIPCounts {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.counts
	c.Answers = make(map[int]int, len(l.counts.Answers))
	for k, v := range l.counts.Answers {
		c.Answers[k] = v
	}
	return c
}

// Fetches returns the results of the fetches check-syncs started, oldest first; a
// fetch still running is not in it yet.
func (l *SIPListener) Fetches() []FetchResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]FetchResult(nil), l.fetches...)
}

// Close stops listening and waits for the fetches in flight.
func (l *SIPListener) Close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.cancel()
	err := errors.Join(l.udp.Close(), l.tcp.Close())
	l.serving.Wait()
	l.fetching.Wait()
	_ = l.ua.Close()
	return err
}

func (l *SIPListener) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	code, reason, extra := AnswerNotify(req, l.d.hasAccount)
	if code == 200 && l.noCheckSync {
		code, reason, extra = 489, "Bad Event", nil
	}
	resp := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range extra {
		resp.AppendHeader(h)
	}
	// Counted before the answer goes out, so that whoever got the answer sees it.
	l.mu.Lock()
	l.counts.Notifies++
	l.counts.Answers[code]++
	if code == 200 {
		l.counts.CheckSyncs++
	}
	l.mu.Unlock()
	// The answer goes out before the fetch starts, as on a device that answers the
	// transaction first and then works.
	_ = tx.Respond(resp)

	event := "-"
	if h := req.GetHeader("Event"); h != nil {
		event = h.Value()
	}
	l.d.logFetch(newEvent(l.d.clock.Now(), EventNotifyReceived, "NOTIFY %s (Event: %s) from %s over %s: %d %s",
		req.Recipient.String(), event, req.Source(), req.Transport(), code, reason))
	if code != 200 {
		return
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.fetching.Add(1)
	l.mu.Unlock()
	go func() {
		defer l.fetching.Done()
		res, err := l.d.Fetch(l.ctx, l.serverURL)
		if err != nil {
			return // Fetch logged it
		}
		l.mu.Lock()
		l.fetches = append(l.fetches, res)
		l.mu.Unlock()
	}()
}

// hasAccount reports whether user names one of the device's active SIP accounts (its
// user ID or its authentication login).
func (d *Device) hasAccount(user string) bool {
	if user == "" {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range d.db.slots {
		if s.Active && (s.UserID == user || s.LoginID == user) {
			return true
		}
	}
	return false
}

// AnswerNotify decides the device's answer to a NOTIFY, as a SIP user agent does:
//  1. A request that lacks what RFC 3261 makes mandatory (From, To, Call-ID, a CSeq
//     naming NOTIFY, Via) or that RFC 6665 makes mandatory for NOTIFY (Event): 400.
//  2. A To tag means the request claims a dialog; the device has none with the
//     sender: 481 Call/Transaction Does Not Exist (RFC 3261 12.2.2).
//  3. An event package other than check-sync: 489 Bad Event, with Allow-Events
//     naming the one it takes (RFC 6665 8.2.2). Parameters of check-sync (reboot=)
//     are ignored: the N720 does not support them.
//  4. A Request-URI whose user is none of the device's active accounts: 404 Not Found
//     (RFC 3261 8.2.2.1: not an address the UAS accepts requests for). 481 is kept
//     for rule 2: it means "no such subscription or dialog", not "no such account".
//  5. Otherwise 200 OK, and the device fetches its file.
//
// Requests the library cannot parse at all never reach here; like most user agents,
// the device drops them without an answer (over UDP there may be no Via to answer to).
func AnswerNotify(req *sip.Request, hasAccount func(user string) bool) (code int, reason string, extra []sip.Header) {
	switch {
	case req.From() == nil:
		return 400, "Missing From", nil
	case req.To() == nil:
		return 400, "Missing To", nil
	case req.CallID() == nil || req.CallID().Value() == "":
		return 400, "Missing Call-ID", nil
	case req.CSeq() == nil || req.CSeq().MethodName != sip.NOTIFY:
		return 400, "Bad CSeq", nil
	case req.Via() == nil:
		return 400, "Missing Via", nil
	}
	ev := req.GetHeader("Event")
	if ev == nil || strings.TrimSpace(ev.Value()) == "" {
		return 400, "Missing Event", nil
	}
	if req.To().Params != nil && req.To().Params.Has("tag") {
		return 481, "Call/Transaction Does Not Exist", nil
	}
	pkg, _, _ := strings.Cut(ev.Value(), ";")
	if strings.TrimSpace(pkg) != CheckSyncEvent {
		return 489, "Bad Event", []sip.Header{sip.NewHeader("Allow-Events", CheckSyncEvent)}
	}
	if !hasAccount(req.Recipient.User) {
		return 404, "Not Found", nil
	}
	return 200, "OK", nil
}
