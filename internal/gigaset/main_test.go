package gigaset

import (
	"flag"
	"os"
	"testing"
)

// TestMain lowers the fuzzer's default minimisation time from 60s to 1s unless
// -fuzzminimizetime is given. A valid N720 document is over 100 KB, because every
// one of the 100 slots is always written, and Go's fuzzer minimises each new
// interesting input byte by byte: with the default, one minimisation of one document
// takes a whole one-minute fuzzing run and FuzzParse does almost no fuzzing.
func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.fuzzminimizetime" })
	if !explicit {
		if err := flag.Set("test.fuzzminimizetime", "1s"); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
