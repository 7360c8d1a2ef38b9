// Package ami has Asterisk send the check-sync NOTIFY (push method AsteriskAMI),
// through the Asterisk Manager Interface, the way wazo-provd does.
//
// One push is one short TCP session: read the greeting ("Asterisk Call Manager/x.y"),
// Action: Login with Events: off, then Action: PJSIPNotify with Endpoint: <peer> and
// Variable: Event=check-sync (or, for chan_sip, Action: SIPnotify with
// Channel: SIP/<peer>), then Action: Logoff. Each action carries an ActionID and the
// answer with that ActionID decides: Response: Success or Error, with its Message.
// Events the server sends anyway are skipped.
//
// Asterisk answers Success once it has sent the NOTIFY; it does not wait for the
// device's answer, so a Success only says the PBX knew the endpoint.
//
// Written from Asterisk's published AMI documentation and tested against a protocol
// fake; not yet against a real Asterisk, which no package here provides.
package ami

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/dect-operator/dect-operator/internal/push"
	"github.com/dect-operator/dect-operator/internal/push/textconn"
)

// DefaultPort is the manager interface's usual port.
const DefaultPort = 5038

// DefaultTimeout bounds the whole session.
const DefaultTimeout = 5 * time.Second

// Variant selects the channel driver that sends the NOTIFY.
type Variant string

const (
	// PJSIP uses Action: PJSIPNotify (Asterisk 12 and later, the default driver).
	PJSIP Variant = "PJSIP"
	// ChanSIP uses Action: SIPnotify (chan_sip, removed in Asterisk 21).
	ChanSIP Variant = "SIP"
)

// Notifier asks one Asterisk to send check-sync.
type Notifier struct {
	// Addr is host[:port] of the manager interface.
	Addr string
	// Username and Secret are the manager account's (from a Secret). The secret is
	// sent only in the Login action and never appears in a Result.
	Username, Secret string
	// Variant is PJSIP ("" means PJSIP) or ChanSIP.
	Variant Variant
	// Timeout bounds one session; 0 means DefaultTimeout.
	Timeout time.Duration
}

var _ push.Notifier = (*Notifier)(nil)

// Notify runs one manager session that asks Asterisk to send check-sync to t's peer.
func (n *Notifier) Notify(ctx context.Context, t push.Target) push.Result {
	start := time.Now()
	status, ok := n.notify(ctx, t)
	return push.Result{Method: push.AsteriskAMI, OK: ok, Status: n.scrub(status), Took: time.Since(start)}
}

// scrub removes the secret from text that a server could have echoed.
func (n *Notifier) scrub(s string) string {
	if n.Secret == "" {
		return s
	}
	return strings.ReplaceAll(s, n.Secret, "[secret]")
}

func (n *Notifier) addr() string {
	if _, _, err := net.SplitHostPort(n.Addr); err == nil {
		return n.Addr
	}
	return net.JoinHostPort(n.Addr, strconv.Itoa(DefaultPort))
}

func (n *Notifier) notify(ctx context.Context, t push.Target) (string, bool) {
	timeout := n.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	peer := t.PeerName()
	if peer == "" {
		return "no SIP account to notify", false
	}
	if strings.ContainsAny(peer, "\r\n") || strings.ContainsAny(n.Username, "\r\n") || strings.ContainsAny(n.Secret, "\r\n") {
		return "the peer name or the manager credentials contain a line break", false
	}
	if strings.TrimSpace(n.Addr) == "" {
		return "no Asterisk manager address", false
	}
	addr := n.addr()
	where := "Asterisk manager at " + addr

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, closeConn, err := textconn.Dial(ctx, addr)
	if err != nil {
		return where + ": " + textconn.DialError(err, timeout), false
	}
	defer closeConn()

	r := bufio.NewReader(conn)
	greeting, err := ReadGreeting(r)
	if err != nil {
		return where + ": " + textconn.ReadError(ctx, err, timeout, "greeting"), false
	}
	if !strings.HasPrefix(greeting, "Asterisk Call Manager") {
		return fmt.Sprintf("%s: not an Asterisk manager interface (greeting %q)", where, clip(greeting)), false
	}

	s := session{w: conn, r: r}
	login, err := s.do(Message{
		{"Action", "Login"}, {"Username", n.Username}, {"Secret", n.Secret}, {"Events", "off"},
	})
	if err != nil {
		return where + ": " + textconn.ReadError(ctx, err, timeout, "login"), false
	}
	if !login.Success() {
		return fmt.Sprintf("Asterisk login as %q: %s", n.Username, login.Text()), false
	}

	var action Message
	var what string
	switch n.Variant {
	case "", PJSIP:
		action = Message{{"Action", "PJSIPNotify"}, {"Endpoint", peer}, {"Variable", "Event=" + push.Event}}
		what = "PJSIPNotify to endpoint " + peer
	case ChanSIP:
		action = Message{{"Action", "SIPnotify"}, {"Channel", "SIP/" + peer}, {"Variable", "Event=" + push.Event}}
		what = "SIPnotify to peer SIP/" + peer
	default:
		return fmt.Sprintf("unknown Asterisk variant %q (PJSIP or SIP)", n.Variant), false
	}
	resp, err := s.do(action)
	if err != nil {
		return fmt.Sprintf("Asterisk %s: %s", what, textconn.ReadError(ctx, err, timeout, "answer")), false
	}
	// A polite goodbye; the session's outcome is already known.
	_, _ = s.do(Message{{"Action", "Logoff"}})
	if !resp.Success() {
		return fmt.Sprintf("Asterisk %s: %s", what, resp.Text()), false
	}
	return fmt.Sprintf("Asterisk %s: %s", what, resp.Text()), true
}

type session struct {
	w      io.Writer
	r      *bufio.Reader
	nextID int
}

// do sends one action and returns the answer with its ActionID, skipping events and
// answers to other actions.
func (s *session) do(action Message) (Message, error) {
	s.nextID++
	id := "dect-operator-" + strconv.Itoa(s.nextID)
	action = append(action, Field{"ActionID", id})
	if _, err := io.WriteString(s.w, action.String()); err != nil {
		return nil, err
	}
	for skipped := 0; skipped < maxSkipped; skipped++ {
		m, err := ReadMessage(s.r)
		if err != nil {
			return nil, err
		}
		if m.Get("Response") != "" && (m.Get("ActionID") == id || m.Get("ActionID") == "") {
			return m, nil
		}
	}
	return nil, errors.New("no answer among the server's messages")
}

// maxSkipped bounds the events and foreign answers read while waiting for one answer.
const maxSkipped = 1000

func clip(s string) string {
	s = textconn.Printable(s)
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "..."
	}
	return s
}

// Method is push.AsteriskAMI.
func (*Notifier) Method() push.Method { return push.AsteriskAMI }
