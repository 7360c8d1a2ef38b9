package ami

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dect-operator/dect-operator/internal/push"
)

// fakeAsterisk speaks the manager protocol as Asterisk's documentation describes it:
// a greeting line, then CRLF-separated "Key: Value" messages ended by an empty line,
// Login before anything else, answers carrying the action's ActionID, events in
// between, and a closed connection after a failed login or a Logoff.
type fakeAsterisk struct {
	username, secret string
	endpoints        map[string]bool // PJSIP endpoints and chan_sip peers it knows
	silent           bool            // accepts connections and never answers

	mu      sync.Mutex
	actions []Message // every action received, the Secret blanked
	secrets []string  // the secrets offered at Login
}

func (f *fakeAsterisk) start(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return l.Addr().String()
}

func (f *fakeAsterisk) serve(c net.Conn) {
	defer c.Close()
	if f.silent {
		_, _ = bufio.NewReader(c).ReadString(0)
		return
	}
	fmt.Fprint(c, "Asterisk Call Manager/9.0.0\r\n")
	r := bufio.NewReader(c)
	loggedIn := false
	for {
		m, err := ReadMessage(r)
		if err != nil {
			return
		}
		f.mu.Lock()
		logged := Message{}
		for _, fl := range m {
			if strings.EqualFold(fl.Key, "Secret") {
				f.secrets = append(f.secrets, fl.Value)
				fl.Value = ""
			}
			logged = append(logged, fl)
		}
		f.actions = append(f.actions, logged)
		f.mu.Unlock()

		answer := func(fields ...Field) {
			out := Message{}
			out = append(out, fields[0])
			if id := m.Get("ActionID"); id != "" {
				out = append(out, Field{"ActionID", id})
			}
			out = append(out, fields[1:]...)
			fmt.Fprint(c, out.String())
		}
		action := strings.ToLower(m.Get("Action"))
		switch {
		case action == "login":
			if m.Get("Username") != f.username || m.Get("Secret") != f.secret {
				answer(Field{"Response", "Error"}, Field{"Message", "Authentication failed"})
				return
			}
			loggedIn = true
			answer(Field{"Response", "Success"}, Field{"Message", "Authentication accepted"})
			// Asterisk announces itself once a session is up, Events: off or not.
			fmt.Fprint(c, Message{{"Event", "FullyBooted"}, {"Privilege", "system,all"}, {"Status", "Fully Booted"}}.String())
		case !loggedIn:
			answer(Field{"Response", "Error"}, Field{"Message", "Permission denied"})
		case action == "logoff":
			answer(Field{"Response", "Goodbye"}, Field{"Message", "Thanks for all the fish."})
			return
		case action == "pjsipnotify":
			ep := m.Get("Endpoint")
			switch {
			case ep == "":
				answer(Field{"Response", "Error"}, Field{"Message", "PJSIPNotify requires either an endpoint or URI."})
			case m.Get("Variable") == "":
				answer(Field{"Response", "Error"}, Field{"Message", "PJSIPNotify requires variables to use in the NOTIFY."})
			case !f.endpoints[ep]:
				answer(Field{"Response", "Error"}, Field{"Message", "Unable to retrieve endpoint " + ep})
			default:
				answer(Field{"Response", "Success"}, Field{"Message", "NOTIFY sent"})
			}
		case action == "sipnotify":
			peer := strings.TrimPrefix(m.Get("Channel"), "SIP/")
			if !f.endpoints[peer] {
				answer(Field{"Response", "Error"}, Field{"Message", "Unable to build sip pvt data for notify (memory/socket error)"})
			} else {
				answer(Field{"Response", "Success"}, Field{"Message", "Notify Sent"})
			}
		default:
			answer(Field{"Response", "Error"}, Field{"Message", "Invalid/unknown command"})
		}
	}
}

func (f *fakeAsterisk) received() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Message(nil), f.actions...)
}

const secret = "s3cr3t-manager-pw"

func newFake() *fakeAsterisk {
	return &fakeAsterisk{username: "provd", secret: secret, endpoints: map[string]bool{"1001": true}}
}

var target = push.Target{Account: push.Account{User: "1001", Domain: "pbx.example.net"}}

func TestPJSIPNotifySuccess(t *testing.T) {
	f := newFake()
	n := &Notifier{Addr: f.start(t), Username: "provd", Secret: secret}
	res := n.Notify(context.Background(), target)
	if !res.OK || res.Method != push.AsteriskAMI || res.Status != "Asterisk PJSIPNotify to endpoint 1001: NOTIFY sent" {
		t.Fatalf("result %+v", res)
	}
	got := f.received()
	if len(got) != 3 || got[0].Get("Action") != "Login" || got[1].Get("Action") != "PJSIPNotify" || got[2].Get("Action") != "Logoff" {
		t.Fatalf("actions %v", got)
	}
	if got[0].Get("Events") != "off" || f.secrets[0] != secret {
		t.Errorf("login %v", got[0])
	}
	notify := got[1]
	if notify.Get("Endpoint") != "1001" || notify.Get("Variable") != "Event=check-sync" || notify.Get("ActionID") == "" {
		t.Errorf("PJSIPNotify %v", notify)
	}
}

func TestSIPnotifyVariant(t *testing.T) {
	f := newFake()
	n := &Notifier{Addr: f.start(t), Username: "provd", Secret: secret, Variant: ChanSIP}
	tgt := target
	tgt.Peer = "1001"
	tgt.Account.User = "someone-else"
	res := n.Notify(context.Background(), tgt)
	if !res.OK || res.Status != "Asterisk SIPnotify to peer SIP/1001: Notify Sent" {
		t.Fatalf("result %+v", res)
	}
	if a := f.received()[1]; a.Get("Action") != "SIPnotify" || a.Get("Channel") != "SIP/1001" || a.Get("Variable") != "Event=check-sync" {
		t.Errorf("SIPnotify %v", a)
	}
}

func TestWrongSecret(t *testing.T) {
	f := newFake()
	n := &Notifier{Addr: f.start(t), Username: "provd", Secret: "wrong-" + secret}
	res := n.Notify(context.Background(), target)
	if res.OK || res.Status != `Asterisk login as "provd": Authentication failed` {
		t.Fatalf("result %+v", res)
	}
	if strings.Contains(fmt.Sprint(res), secret) {
		t.Errorf("the secret leaked: %v", res)
	}
	if n := len(f.received()); n != 1 {
		t.Errorf("%d actions after a failed login, want only the Login", n)
	}
}

func TestUnknownEndpoint(t *testing.T) {
	f := newFake()
	n := &Notifier{Addr: f.start(t), Username: "provd", Secret: secret}
	tgt := target
	tgt.Account.User = "1999"
	res := n.Notify(context.Background(), tgt)
	if res.OK || res.Status != "Asterisk PJSIPNotify to endpoint 1999: Unable to retrieve endpoint 1999" {
		t.Fatalf("result %+v", res)
	}
}

func TestUnreachableManager(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	res := (&Notifier{Addr: addr, Username: "provd", Secret: secret}).Notify(context.Background(), target)
	if res.OK || res.Status != "Asterisk manager at "+addr+": connection refused" {
		t.Fatalf("result %+v", res)
	}
}

func TestSilentManagerTimesOut(t *testing.T) {
	f := &fakeAsterisk{silent: true}
	addr := f.start(t)
	res := (&Notifier{Addr: addr, Username: "provd", Secret: secret, Timeout: 300 * time.Millisecond}).Notify(context.Background(), target)
	if res.OK || res.Status != "Asterisk manager at "+addr+": no greeting within 300ms" {
		t.Fatalf("result %+v", res)
	}
}

func TestNotAManager(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err == nil {
			fmt.Fprint(c, "SSH-2.0-OpenSSH_9.6\r\n")
			time.Sleep(100 * time.Millisecond)
			c.Close()
		}
	}()
	res := (&Notifier{Addr: l.Addr().String(), Username: "provd", Secret: secret}).Notify(context.Background(), target)
	if res.OK || !strings.Contains(res.Status, `not an Asterisk manager interface (greeting "SSH-2.0-OpenSSH_9.6")`) {
		t.Fatalf("result %+v", res)
	}
}

func TestAnEchoedSecretIsScrubbed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		fmt.Fprint(c, "Asterisk Call Manager/9.0.0\r\n")
		m, _ := ReadMessage(bufio.NewReader(c))
		fmt.Fprint(c, Message{{"Response", "Error"}, {"ActionID", m.Get("ActionID")}, {"Message", "bad secret " + m.Get("Secret")}}.String())
	}()
	res := (&Notifier{Addr: l.Addr().String(), Username: "provd", Secret: secret}).Notify(context.Background(), target)
	if res.OK || strings.Contains(res.Status, secret) || !strings.Contains(res.Status, "[secret]") {
		t.Fatalf("result %+v", res)
	}
}

func TestLineBreaksAreRefused(t *testing.T) {
	f := newFake()
	n := &Notifier{Addr: f.start(t), Username: "provd", Secret: secret}
	tgt := target
	tgt.Peer = "1001\r\nAction: Originate"
	if res := n.Notify(context.Background(), tgt); res.OK {
		t.Fatalf("result %+v", res)
	}
	if got := f.received(); len(got) != 0 {
		t.Errorf("actions sent: %v", got)
	}
}

func TestNoAddress(t *testing.T) {
	if res := (&Notifier{Username: "provd", Secret: secret}).Notify(context.Background(), target); res.OK || res.Status != "no Asterisk manager address" {
		t.Fatalf("result %+v", res)
	}
}
