// Command demo runs the whole system on one machine: a local control plane (envtest's
// kube-apiserver and etcd), the operator's manager and provisioning server, the sample
// objects, and a simulated N720 that fetches its file and registers its handsets.
//
// It is a development tool, kept out of the operator's binary: the control plane it
// starts (envtest) has no place in what runs in a cluster. `make demo` builds and runs it.
package main

import (
	"flag"
	"fmt"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"
)

func main() {
	fs := flag.NewFlagSet("demo", flag.ExitOnError)
	o := Options{Out: os.Stdout}
	fs.BoolVar(&o.Once, "once", false, "run the flow once and exit 0 only if the simulated device got every account")
	fs.StringVar(&o.Binary, "binary", "", "the dect-operator binary to run; empty: build one from this checkout (as TestDemoOnce does)")
	fs.StringVar(&o.Samples, "samples", "config/samples", "folder of the sample objects (a kustomization)")
	fs.StringVar(&o.Workdir, "workdir", ".demo", "folder for the demo's kubeconfig")
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8088", "address of the provisioning server")
	fs.StringVar(&o.Namespace, "namespace", "telephony", "namespace of the sample objects")
	_ = fs.Parse(os.Args[1:])
	if err := Run(ctrl.SetupSignalHandler(), o); err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
}
