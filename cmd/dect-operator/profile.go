package main

import (
	"flag"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/dect-operator/dect-operator/internal/gigaset"
)

// runProfile prints the device profile: every parameter the operator writes, its ID and
// encoding, and whether Gigaset's documentation confirms it. A DectBase's
// spec.parameterOverrides corrects an entry by its parameter name.
func runProfile(args []string) error {
	fs := flag.NewFlagSet("profile", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARAMETER\tID\tENCODING\tCONFIRMED\tNOTE")
	for _, e := range gigaset.N720().Entries() {
		confirmed := "yes"
		if !e.Confirmed {
			confirmed = "NO"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Param, e.ID, e.Encoding, confirmed, e.Note)
	}
	return tw.Flush()
}
