package main

import (
	"flag"
	"fmt"
	"strings"

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
	fs.StringVar(&o.NonceKeyFile, "nonce-key-file", "", "file holding the key (32 bytes or more) that signs Digest nonces; replicas given the same key accept each other's nonces (default: a random key per process)")
	fs.IntVar(&o.MaxConnections, "max-connections", 2048, "open connections from devices at most, all ports together; 0: no cap")
	fs.IntVar(&o.MaxConnectionsPerSource, "max-connections-per-source", 256, "open connections from one address (IPv6: one /64) at most; 0: no cap")
	fs.StringVar(&o.TLSAddr, "tls-addr", "", "also serve HTTPS at this address (e.g. :8443), with --tls-cert-file and --tls-key-file")
	fs.StringVar(&o.TLSCertFile, "tls-cert-file", "", "PEM certificate for --tls-addr, reloaded when it changes")
	fs.StringVar(&o.TLSKeyFile, "tls-key-file", "", "PEM key for --tls-addr, reloaded when it changes")
	fs.DurationVar(&o.DeliveryInterval, "delivery-record-interval", 0, "least time between two delivery records of a base served the same file (default 1m); not with --files-from, where the manager records them")
	fs.StringVar(&o.FilesFrom, "files-from", "", "take the files from the manager's --files-addr at this loopback URL (e.g. http://127.0.0.1:8090) and report deliveries there: the sidecar mode, with no Kubernetes credentials; empty: read them from the cluster (a separate server Deployment)")
	macPolicyFlag(fs, &o.MACPolicy)
	pprofAddr := pprofFlag(fs)
	if err := parseClusterFlags(fs, args); err != nil {
		return err
	}
	if err := startPprof(*pprofAddr); err != nil {
		return err
	}
	if o.FilesFrom == "" {
		return server.Run(ctrl.SetupSignalHandler(), clusterConfig(), o)
	}
	// The sidecar mode never builds a client: a flag that only a client would use is a
	// mistake, said at once rather than ignored.
	var clusterOnly []string
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "kubeconfig", "namespace", "delivery-record-interval", "mac-policy":
			clusterOnly = append(clusterOnly, "--"+f.Name)
		}
	})
	if len(clusterOnly) > 0 {
		return fmt.Errorf("%s: not with --files-from, which takes the files from the manager (that is where they apply)", strings.Join(clusterOnly, ", "))
	}
	return server.RunSidecar(ctrl.SetupSignalHandler(), o)
}
