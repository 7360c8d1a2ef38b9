package main

import (
	"cmp"
	"errors"
	"flag"
	"os"

	"k8s.io/apimachinery/pkg/types"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/dect-operator/dect-operator/internal/controller"
	"github.com/dect-operator/dect-operator/internal/handsetstatus"
	"github.com/dect-operator/dect-operator/internal/shard"
)

func runManager(args []string) error {
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	var o controller.Options
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8443", "address of the metrics endpoint (HTTPS, for clients the API server authenticates and allows to get the path); 0 disables it")
	fs.BoolVar(&o.MetricsInsecure, "metrics-insecure", false, "serve metrics over plain HTTP to anyone who reaches the port (local runs only)")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", ":8081", "address of /healthz and /readyz; 0 disables them")
	fs.BoolVar(&o.LeaderElection, "leader-elect", false, "elect a leader, so that only one replica reconciles")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader lease when running outside a cluster")
	fs.StringVar(&o.LeaderElectionID, "leader-election-id", controller.DefaultLeaderElectionID, "name of the leader lease; each manager shard needs its own, shared by its replicas")
	shardSelector := fs.String("shard-selector", "", "label selector over Namespaces (e.g. provisioning.dect-operator.dev/shard=a): this manager reconciles and writes only in the namespaces it selects, a shard among several, each with its own --leader-election-id; empty: every namespace")
	fs.DurationVar(&o.ShardHandoverDelay, "shard-handover-delay", shard.DefaultHandoverDelay, "with --shard-selector: how long after seeing a namespace relabelled to this shard the manager waits before it writes there, so that the shard that lost it has seen the new label; must exceed the watch lag of every shard")
	fs.StringVar(&o.ServerURL, "server-url", "", "URL at which devices reach the provisioning server (reported in each DectBase's status); keep it within 74 characters")
	fs.DurationVar(&o.StallAfter, "stall-after", 0, "how long a missing Secret or DectBase is reported as Reconciling (waited for) before it is Stalled (default 2m)")
	fs.IntVar(&o.Concurrency, "concurrency", controller.DefaultConcurrency, "how many bases are reconciled at once")
	macPolicyFlag(fs, &o.MACPolicy)
	fs.StringVar(&o.FilesAddr, "files-addr", "", "loopback address (e.g. 127.0.0.1:8090) where this manager serves the provisioning files to its sidecar (serve --files-from) and records the deliveries it reports, in every replica; empty: none, for a separate server Deployment")
	fs.StringVar(&o.ServerAdminURL, "server-admin-url", "", "the sidecar's metrics address (serve --metrics-addr, e.g. http://127.0.0.1:8082), which the metrics endpoint then serves at /unknown-devices and /server-metrics; empty: not served")
	fs.DurationVar(&o.DeliveryInterval, "delivery-record-interval", 0, "with --files-addr: least time between two delivery records of a base served the same file (default 1m)")
	secretName := fs.String("nonce-key-secret", "", "name of the Secret, in the manager's namespace (POD_NAMESPACE, else --leader-election-namespace), holding the key that signs the Digest nonces; created with a random key if missing; with --files-addr sent to the sidecar, so that every replica's sidecar accepts the others' nonces (a separate server mounts the Secret: serve --nonce-key-file); empty: none")
	fs.DurationVar(&o.HandsetStatusHold, "handset-status-hold", handsetstatus.DefaultHold, "a base's handset statuses are written once none of them changed for this long (so that a fetch that follows a render lands in the same write)...")
	fs.DurationVar(&o.HandsetStatusMaxHold, "handset-status-max-hold", handsetstatus.DefaultMaxHold, "...or this long after the oldest of them was decided, while the base keeps changing")
	pprofAddr := pprofFlag(fs)
	qps := fs.Float64("kube-api-qps", 100, "requests per second to the API server, sustained; the writes of handset statuses have a budget of their own of the same size")
	burst := fs.Int("kube-api-burst", 200, "requests to the API server in a burst")
	if err := parseClusterFlags(fs, args); err != nil {
		return err
	}
	if err := startPprof(*pprofAddr); err != nil {
		return err
	}
	var err error
	if o.ShardSelector, err = shard.ParseSelector(*shardSelector); err != nil {
		return err
	}
	if o.ShardHandoverDelay <= 0 {
		return errors.New("--shard-handover-delay must be positive: a shard taking a namespace over must leave the one losing it time to notice")
	}
	if o.NonceKeySecret, err = nonceKeySecret(*secretName, os.Getenv("POD_NAMESPACE"), o.LeaderElectionNamespace); err != nil {
		return err
	}
	cfg := clusterConfig()
	cfg.QPS, cfg.Burst = float32(*qps), *burst
	return controller.Run(ctrl.SetupSignalHandler(), cfg, o)
}

// nonceKeySecret returns the Secret of --nonce-key-secret name: in the Pod's namespace
// (the downward API's POD_NAMESPACE), else the lease's, which a manager run outside a
// cluster is given. With --files-addr the key goes to the sidecar through the feed;
// without, the manager only makes sure the Secret exists, for a separate server
// Deployment that mounts it (config/overlays/separate-server).
func nonceKeySecret(name, podNamespace, leaseNamespace string) (types.NamespacedName, error) {
	if name == "" {
		return types.NamespacedName{}, nil
	}
	ns := cmp.Or(podNamespace, leaseNamespace)
	if ns == "" {
		return types.NamespacedName{}, errors.New("--nonce-key-secret needs the manager's namespace: set POD_NAMESPACE (the downward API's metadata.namespace) or --leader-election-namespace")
	}
	return types.NamespacedName{Namespace: ns, Name: name}, nil
}
