package esl

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/dect-operator/dect-operator/internal/fuzzing"

	"github.com/dect-operator/dect-operator/internal/push/textconn"
)

func TestMain(m *testing.M) { fuzzing.Main(m) }

// FuzzReadMessage reads arbitrary server output as a session does: no panic, bodies
// within their bound and exactly as long as announced.
func FuzzReadMessage(f *testing.F) {
	for _, s := range []string{
		"Content-Type: auth/request\n\nContent-Type: command/reply\nReply-Text: +OK accepted\n\n",
		"Content-Type: api/response\nContent-Length: 4\n\n+OK\n",
		"Content-Type: text/disconnect-notice\nContent-Length: 67\n\nDisconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n",
		"Content-Type: api/response\nContent-Length: -1\n\n",
		"Content-Length: 99999999999999999999\n\n",
		"\n\nno colon\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		for i := 0; i < 100; i++ {
			m, err := ReadMessage(r)
			if err != nil {
				return
			}
			if len(m.Body) > maxBody || len(m.Headers) == 0 || len(m.Headers) > maxHeaders {
				t.Fatalf("message with %d headers and %d body bytes", len(m.Headers), len(m.Body))
			}
			_ = describeReply(m.Header("Reply-Text"))
			_ = textconn.Printable(firstLine(string(m.Body)))
		}
	})
}
