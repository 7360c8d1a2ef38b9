package esl

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

// fakeFreeSWITCH speaks the inbound event socket protocol as FreeSWITCH's
// documentation describes it: auth/request first; "auth <password>" answered by a
// command/reply +OK accepted or -ERR invalid followed by a disconnect notice; "api
// <command>" answered by an api/response with a Content-Length body; "exit" answered
// by +OK bye and a disconnect.
type fakeFreeSWITCH struct {
	password string
	profiles map[string]bool
	users    map[string]bool // user@domain registered
	silent   bool

	mu       sync.Mutex
	commands []string // every command received, the auth password blanked
}

func (f *fakeFreeSWITCH) start(t *testing.T) string {
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

func (f *fakeFreeSWITCH) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	if f.silent {
		_, _ = r.ReadString(0)
		return
	}
	fmt.Fprint(c, "Content-Type: auth/request\n\n")
	authed := false
	disconnect := func() {
		body := "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
		fmt.Fprintf(c, "Content-Type: text/disconnect-notice\nContent-Length: %d\n\n%s", len(body), body)
	}
	api := func(body string) {
		fmt.Fprintf(c, "Content-Type: api/response\nContent-Length: %d\n\n%s", len(body), body)
	}
	for {
		var lines []string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			if line == "" {
				break
			}
			lines = append(lines, line)
		}
		if len(lines) == 0 {
			continue
		}
		cmd := lines[0]
		f.mu.Lock()
		if strings.HasPrefix(cmd, "auth ") {
			f.commands = append(f.commands, "auth")
		} else {
			f.commands = append(f.commands, cmd)
		}
		f.mu.Unlock()
		switch {
		case strings.HasPrefix(cmd, "auth "):
			if strings.TrimPrefix(cmd, "auth ") != f.password {
				fmt.Fprint(c, "Content-Type: command/reply\nReply-Text: -ERR invalid\n\n")
				disconnect()
				return
			}
			authed = true
			fmt.Fprint(c, "Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
			// Events a subscription would bring; a client must skip what it did not ask for.
			body := "Event-Name: HEARTBEAT\n"
			fmt.Fprintf(c, "Content-Type: text/event-plain\nContent-Length: %d\n\n%s", len(body), body)
		case !authed:
			fmt.Fprint(c, "Content-Type: command/reply\nReply-Text: -ERR command not found\n\n")
		case cmd == "exit":
			fmt.Fprint(c, "Content-Type: command/reply\nReply-Text: +OK bye\n\n")
			disconnect()
			return
		case strings.HasPrefix(cmd, "api sofia profile "):
			args := strings.Fields(strings.TrimPrefix(cmd, "api sofia profile "))
			switch {
			case len(args) < 2 || !f.profiles[args[0]]:
				api("Invalid Profile [" + args[0] + "]")
			case args[1] != "check_sync":
				api("-ERR Unknown command!\n")
			case len(args) == 3 && !f.users[args[2]]:
				// What sofia prints for a user with no registration is not documented;
				// the fake says so in the -ERR form the operator must report verbatim.
				api("-ERR no registration for " + args[2] + "\n")
			default:
				api("+OK syncing all registrations matching specified call_id\n")
			}
		default:
			api("-ERR " + strings.Fields(strings.TrimPrefix(cmd, "api "))[0] + " Command not found!\n")
		}
	}
}

func (f *fakeFreeSWITCH) received() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.commands...)
}

const password = "ClueCon-not-really"

func newFake() *fakeFreeSWITCH {
	return &fakeFreeSWITCH{password: password, profiles: map[string]bool{"internal": true},
		users: map[string]bool{"1001@pbx.example.net": true}}
}

var target = push.Target{Account: push.Account{User: "1001", Domain: "pbx.example.net"}}

func TestCheckSyncSuccess(t *testing.T) {
	f := newFake()
	res := (&Notifier{Addr: f.start(t), Password: password}).Notify(context.Background(), target)
	want := "FreeSWITCH sofia profile internal check_sync 1001@pbx.example.net: +OK syncing all registrations matching specified call_id"
	if !res.OK || res.Method != push.FreeSWITCH || res.Status != want {
		t.Fatalf("result %+v", res)
	}
	if got := strings.Join(f.received(), "|"); got != "auth|api sofia profile internal check_sync 1001@pbx.example.net|exit" {
		t.Errorf("commands %s", got)
	}
}

func TestWrongPassword(t *testing.T) {
	f := newFake()
	res := (&Notifier{Addr: f.start(t), Password: "wrong-" + password}).Notify(context.Background(), target)
	if res.OK || res.Status != "FreeSWITCH auth: -ERR invalid (wrong password)" {
		t.Fatalf("result %+v", res)
	}
	if strings.Contains(fmt.Sprint(res), password) {
		t.Errorf("the password leaked: %v", res)
	}
	if got := f.received(); len(got) != 1 {
		t.Errorf("commands after a failed auth: %v", got)
	}
}

func TestUnknownProfileAndUser(t *testing.T) {
	f := newFake()
	addr := f.start(t)
	res := (&Notifier{Addr: addr, Password: password, Profile: "external"}).Notify(context.Background(), target)
	if res.OK || res.Status != "FreeSWITCH sofia profile external check_sync 1001@pbx.example.net: Invalid Profile [external]" {
		t.Fatalf("result %+v", res)
	}
	other := target
	other.Account.User = "1999"
	res = (&Notifier{Addr: addr, Password: password}).Notify(context.Background(), other)
	if res.OK || res.Status != "FreeSWITCH sofia profile internal check_sync 1999@pbx.example.net: -ERR no registration for 1999@pbx.example.net" {
		t.Fatalf("result %+v", res)
	}
}

func TestUnreachableEventSocket(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	res := (&Notifier{Addr: addr, Password: password}).Notify(context.Background(), target)
	if res.OK || res.Status != "FreeSWITCH event socket at "+addr+": connection refused" {
		t.Fatalf("result %+v", res)
	}
}

func TestSilentEventSocketTimesOut(t *testing.T) {
	f := &fakeFreeSWITCH{silent: true}
	addr := f.start(t)
	res := (&Notifier{Addr: addr, Password: password, Timeout: 300 * time.Millisecond}).Notify(context.Background(), target)
	if res.OK || res.Status != "FreeSWITCH event socket at "+addr+": no greeting within 300ms" {
		t.Fatalf("result %+v", res)
	}
}

func TestCommandInjectionIsRefused(t *testing.T) {
	f := newFake()
	bad := target
	bad.Account.User = "1001 all\n\napi shutdown"
	res := (&Notifier{Addr: f.start(t), Password: password}).Notify(context.Background(), bad)
	if res.OK || len(f.received()) != 0 {
		t.Fatalf("result %+v, commands %v", res, f.received())
	}
}

func TestNoAddress(t *testing.T) {
	if res := (&Notifier{Password: password}).Notify(context.Background(), target); res.OK || res.Status != "no FreeSWITCH event socket address" {
		t.Fatalf("result %+v", res)
	}
}
