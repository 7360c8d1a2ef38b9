// Package e2e holds the end-to-end tests: the real dect-operator binary, running
// `manager` and `serve` as separate processes against a real API server (envtest), and
// a simulated Gigaset N720 (internal/simulator) fetching its file over HTTP and
// registering handsets. internal/testenv starts all of it. The shared stack runs serve
// as in the operator's Pod, the manager's sidecar with no Kubernetes credentials;
// TestForgedFilesAreNeverServed also runs a server in the direct mode (a separate
// Deployment), TestTwoReplicasServeFromTheirOwnManagers a stack of its own with two
// replicas, and TestShardsOwnTheirNamespacesAndHandOver one with two manager shards and
// the API server's audit log.
//
// Run them with `make test`, or alone with
//
//	KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test ./test/e2e/ -count=1 -v
package e2e
