// Package testenv is the one way the tests, the demo and the scale benchmark start a
// control plane and the operator:
//
//   - StartControlPlane: a real kube-apiserver and etcd (envtest) with the CRDs
//     installed, an admin client and kubeconfig, and an API server that can be stopped
//     and started again in place;
//   - Start: that control plane plus the real dect-operator binary running `manager` and
//     `serve` as separate processes, like the two containers of the operator's Pod: the
//     manager reaches the API server through a kubeconfig file, the server takes the
//     files from its manager over loopback and is started with no kubeconfig at all (or,
//     with Options.DirectServer, reads them from the cluster itself, as a separate
//     server Deployment does); with Options.Replicas, several such pairs, the managers
//     electing a leader; with Options.Shards, one pair per manager shard, each shard on
//     a lease and as a user of its own; with Options.AuditLog, the API server's audit
//     log of writes (ControlPlane.AuditEvents), to tell who wrote what and when;
//   - Stack.StartDirectServer: one more server in the direct mode beside a Stack.
//
// Tests that need the reconcilers on a fake clock run controller.Run in-process against
// StartControlPlane's configuration instead.
//
// It also holds what those callers share: Eventually (the one polling helper) and
// Gigaset's own provisioning example (Example), declared once.
package testenv
