package sipnotify

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/dect-operator/dect-operator/internal/fuzzing"
)

func TestMain(m *testing.M) { fuzzing.Main(m) }

// FuzzDescribe feeds arbitrary bytes, as a device could send them, through the
// library's parser and Describe: nothing may panic, only a 2xx counts as success, and
// the status stays one short printable line.
func FuzzDescribe(f *testing.F) {
	for _, s := range []string{
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK.1\r\nCall-ID: a\r\nCSeq: 1 NOTIFY\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nContent-Length: 0\r\n\r\n",
		"SIP/2.0 489 Bad Event\r\nContent-Length: 0\r\n\r\n",
		"SIP/2.0 481 Subscription Does Not Exist\r\n\r\n",
		"SIP/2.0 999 \x01\x7f\r\n\r\n",
		"SIP/2.0 2000 OK\r\n\r\n",
		"NOTIFY sip:a@b SIP/2.0\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := sip.ParseMessage(data)
		if err != nil {
			return
		}
		resp, ok := msg.(*sip.Response)
		if !ok {
			return
		}
		status, success := Describe(resp)
		if success != (resp.StatusCode >= 200 && resp.StatusCode < 300) {
			t.Fatalf("status %d counted as success=%v", resp.StatusCode, success)
		}
		if strings.ContainsAny(status, "\r\n\x00") || len(status) > 200 {
			t.Fatalf("status %q is not one short line", status)
		}
	})
}
