package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/dect-operator/dect-operator/internal/gigaset"
)

// runProfile prints the device profile: every parameter the operator writes, its ID and
// encoding, whether it is confirmed, and the sources that say so (docs/device.md
// describes each source and how to check an unconfirmed entry on a device). The
// alternatives of an entry follow it on lines of their own; a DectBase's
// spec.parameterOverrides switches to one by the parameter name, with its ID and
// encoding.
func runProfile(args []string) error {
	fs := flag.NewFlagSet("profile", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARAMETER\tID\tENCODING\tCONFIRMED\tEVIDENCE\tNOTE")
	for _, e := range gigaset.N720().Entries() {
		confirmed := "yes"
		if !e.Confirmed {
			confirmed = "NO"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Param, e.ID, e.Encoding, confirmed, strings.Join(e.Evidence, ","), e.Note)
		for _, alt := range e.Alternatives {
			id := alt.ID
			if id == "" {
				id = e.ID
			}
			fmt.Fprintf(tw, "  or\t%s\t%s\t%s\t%s\t%s\n", id, alt.Encoding, "NO", strings.Join(alt.Evidence, ","), alt.Note)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Println("\nSOURCES")
	tw = tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	for _, s := range gigaset.Sources() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.ID, s.Kind, s.Where)
	}
	return tw.Flush()
}
