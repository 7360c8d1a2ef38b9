// Command dect-operator is the operator's one binary. Its subcommands:
//
//	manager  the reconcilers (the controller container)
//	serve    the provisioning server (the sidecar container)
//	render   render files offline from YAML, with no cluster
//	slots    slots export: the live slot table as spec.slot pins, for Git
//	profile  list the device profile (parameter IDs and encodings, confirmed or not)
package main

import (
	"flag"
	"fmt"
	"os"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/dect-operator/dect-operator/internal/memlimit"
)

type command struct {
	name, summary string
	run           func(args []string) error
}

func commands() []command {
	return []command{
		{"manager", "run the reconcilers", runManager},
		{"serve", "serve each device its provisioning file", runServe},
		{"render", "render files offline from YAML, with no cluster", runRender},
		{"slots", "slots export: print the live slot table as spec.slot pins, for Git", runSlots},
		{"profile", "list the N720 device profile: parameter IDs, encodings, what is unconfirmed", runProfile},
	}
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	for _, c := range commands() {
		if c.name == os.Args[1] {
			if err := c.run(os.Args[2:]); err != nil {
				fmt.Fprintf(os.Stderr, "dect-operator %s: %v\n", c.name, err)
				os.Exit(1)
			}
			return
		}
	}
	usage()
	os.Exit(2)
}

// parseClusterFlags parses the flags of a subcommand that talks to a cluster: it adds
// --kubeconfig (as every controller-runtime binary has it; KUBECONFIG and the in-cluster
// configuration work without it) and the logging flags, and sets up the logger.
func parseClusterFlags(fs *flag.FlagSet, args []string) error {
	config.RegisterFlags(fs)
	zopts := zap.Options{}
	zopts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zopts)))
	// The Go runtime does not see the container's memory limit: without GOMEMLIMIT it
	// lets the heap grow until the kernel kills the process.
	if limit, from, err := memlimit.Set(memlimit.DefaultFraction); err != nil {
		ctrl.Log.Info("memory limit not set from the container's", "reason", err.Error())
	} else if limit > 0 {
		ctrl.Log.V(1).Info("memory limit set", "bytes", limit, "from", from)
	}
	return nil
}

// clusterConfig is the API server's address and credentials, as controller-runtime finds
// them (--kubeconfig, KUBECONFIG, the Pod's service account), with response compression
// off. The API server gzips a watch event by event when the client accepts it, and the
// CPU that costs both sides is the scarce thing, not the bandwidth to an API server on
// the cluster's own network: at 10,000 handsets the compression of the manager's
// watches was nearly 40 % of the API server's CPU for serving them, and 7 % of the
// manager's CPU, while a fleet was applied (docs/scale.md).
func clusterConfig() *rest.Config {
	cfg := ctrl.GetConfigOrDie()
	cfg.DisableCompression = true
	return cfg
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: dect-operator <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", c.name, c.summary)
	}
}
