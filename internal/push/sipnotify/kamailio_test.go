package sipnotify

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dect-operator/dect-operator/internal/push"
)

// kamailioConfig makes Kamailio a user agent server on loopback that checks each
// request with its sanity module (a malformed request gets no 200), logs the NOTIFY's
// headers as Kamailio parsed them, and answers 200 to check-sync, 489 to anything else.
const kamailioConfig = `#!KAMAILIO
debug=2
log_stderror=yes
fork=yes
children=1
tcp_children=1
auto_aliases=no
listen=udp:127.0.0.1:%[1]d
listen=tcp:127.0.0.1:%[1]d
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "sanity.so"
request_route {
	if (!sanity_check("17895", "7")) {
		xlog("L_NOTICE", "NOTIFY-CHECK rejected as malformed: $rm from $si\n");
		exit;
	}
	if (!is_method("NOTIFY")) { sl_send_reply("405", "Method Not Allowed"); exit; }
	xlog("L_NOTICE", "NOTIFY-CHECK proto=$pr ruri=$ru ruser=$rU to=$tu from=$fu ftag=$ft callid=$ci cseq=[$hdr(CSeq)] event=[$hdr(Event)] substate=[$hdr(Subscription-State)] maxfwd=$hdr(Max-Forwards) clen=$cl via=[$hdr(Via)] contact=[$hdr(Contact)] ua=[$ua]\n");
	if ($hdr(Event) != "check-sync") { sl_send_reply("489", "Bad Event"); exit; }
	sl_send_reply("200", "OK");
}
`

// TestKamailioParsesTheNotify sends the operator's NOTIFY to Kamailio, an independent
// SIP stack, over UDP and TCP. It needs the kamailio binary (Debian's kamailio
// package) and runs only when DECT_REAL_PEERS=1, so that a machine without it skips
// rather than fails; hack/kamailio-notify-check.sh runs it.
func TestKamailioParsesTheNotify(t *testing.T) {
	if os.Getenv("DECT_REAL_PEERS") != "1" {
		t.Skip("set DECT_REAL_PEERS=1 (and install kamailio) to check the NOTIFY against Kamailio")
	}
	bin, err := exec.LookPath("kamailio")
	if err != nil {
		t.Fatalf("DECT_REAL_PEERS=1 but no kamailio binary: %v (apt-get install -y kamailio)", err)
	}
	port := freePort(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kamailio.cfg")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(kamailioConfig, port)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", cfg, "-DD", "-E", "-Y", dir, "-P", filepath.Join(dir, "kamailio.pid"))
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	// Kamailio forks its workers: they get a process group of their own so that the
	// cleanup stops all of them, not only the main process.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("kamailio's output:\n%s", out.String())
		}
	})
	waitListening(t, port, out)

	for i, transport := range []push.Transport{push.UDP, push.TCP} {
		res := (&Direct{}).Notify(context.Background(), push.Target{Host: "127.0.0.1", Port: port, Transport: transport, Account: office})
		if !res.OK || res.Status != "200 OK" {
			t.Fatalf("%s: result %+v", transport, res)
		}
		lines := waitLines(t, out, i+1)
		line := lines[i]
		t.Logf("Kamailio (%s): %s", transport, line)
		for _, want := range []string{
			"proto=" + strings.ToLower(string(transport)),
			fmt.Sprintf("ruri=sip:1001@127.0.0.1:%d", port),
			"ruser=1001",
			"to=sip:1001@pbx.example.net",
			"from=sip:dect-operator@pbx.example.net",
			"NOTIFY]",
			"event=[check-sync]",
			"substate=[terminated]",
			"maxfwd=70",
			"clen=0",
			"branch=z9hG4bK",
		} {
			if !strings.Contains(line, want) {
				t.Errorf("%s: Kamailio's log lacks %q", transport, want)
			}
		}
	}
	if strings.Contains(out.String(), "rejected as malformed") {
		t.Error("Kamailio's sanity check rejected a request")
	}
}

var checkLine = regexp.MustCompile(`NOTIFY-CHECK proto=.*`)

func waitLines(t *testing.T, out *lockedBuffer, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		lines := checkLine.FindAllString(out.String(), -1)
		if len(lines) >= n || time.Now().After(deadline) {
			if len(lines) < n {
				t.Fatalf("Kamailio logged %d NOTIFYs, want %d", len(lines), n)
			}
			return lines
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitListening(t *testing.T, port int, out *lockedBuffer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			time.Sleep(200 * time.Millisecond) // the UDP workers start with the TCP ones
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("kamailio did not listen on %d:\n%s", port, out.String())
}

// freePort finds a loopback port free for both TCP and UDP.
func freePort(t *testing.T) int {
	t.Helper()
	for i := 0; i < 20; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no port free for TCP and UDP")
	return 0
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
