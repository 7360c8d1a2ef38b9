package main

import (
	"flag"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/dect-operator/dect-operator/internal/server"
)

func runServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var o server.Options
	fs.StringVar(&o.Addr, "addr", ":8088", "address the devices fetch their files from")
	fs.StringVar(&o.MetricsAddr, "metrics-addr", ":8082", "address of /metrics and /unknown-devices; 0 disables it")
	fs.StringVar(&o.ProbeAddr, "probe-addr", ":8083", "address of /healthz and /readyz; 0 disables them")
	fs.StringVar(&o.PathPrefix, "path-prefix", "", "serve files under <prefix>/<MAC>.xml; keep the device's URL within 74 characters")
	fs.StringVar(&o.Realm, "realm", "", "HTTP Digest realm")
	fs.StringVar(&o.Namespace, "namespace", "", "serve only the bases of this namespace (default: all)")
	fs.StringVar(&o.FirmwareDir, "firmware-dir", "", "folder of firmware images (.bin) served unauthenticated at <prefix>/firmware/<file>.bin, e.g. a mounted volume; empty serves none")
	fs.DurationVar(&o.DeliveryInterval, "delivery-record-interval", 0, "least time between two delivery records of a base served the same file (default 1m)")
	if err := parseClusterFlags(fs, args); err != nil {
		return err
	}
	return server.Run(ctrl.SetupSignalHandler(), ctrl.GetConfigOrDie(), o)
}
