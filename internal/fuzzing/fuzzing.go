// Package fuzzing holds what the project's fuzz targets share.
package fuzzing

import (
	"flag"
	"os"
	"testing"
)

// Main runs a package's tests with the fuzzer's default minimisation time lowered from
// 60s to 1s, unless -test.fuzzminimizetime is given. A valid N720 document is over
// 100 KB (every one of the 100 slots is always written), and Go's fuzzer minimises each
// new interesting input byte by byte: with the default, one minimisation of one
// document takes a whole one-minute fuzzing run, and the target hardly fuzzes at all.
// Call it from TestMain.
func Main(m *testing.M) {
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
