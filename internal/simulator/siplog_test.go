package simulator

import (
	"io"
	"log/slog"

	"github.com/emiago/sipgo/sip"
)

// The SIP library logs some connection bookkeeping through its package-wide logger;
// the tests' output is easier to read without it.
func init() { sip.SetDefaultLogger(slog.New(slog.NewTextHandler(io.Discard, nil))) }
