// Package feed is the localhost protocol between the manager and its provisioning-server
// sidecar, both ends of it, so that the sidecar, the one container that faces the
// office LAN, holds no Kubernetes credentials at all.
//
// The manager's process reads the labelled ConfigMaps and Secrets and the DectBases from
// its own cache, checks who may speak for each device and builds the devices' entries
// (server.Source), and puts them in a Publisher (a server.Sink). The sidecar's Mirror
// fetches them from the Publisher and keeps its provserver.Store equal to them; its
// Reporter sends each delivery back, and the manager records it on the DectBase's
// status (server.Recorder) with its own client. Every replica of the Pod runs both ends,
// leader or not, so each sidecar serves from its own manager's warm cache and N
// replicas need no coordination to serve.
//
// # Files: a snapshot, then changes, by version
//
//	GET /v1/files?epoch=<e>&version=<v>&wait=<duration>
//
// answers 200 with an Update (JSON, see wire.go). Each Commit of the Source (one
// rebuild) that changed something is one version. A client that names the Publisher's
// epoch and a version it still has the deletions since gets the changes since then
// (Full false: entries set or replaced, MACs deleted); any other client (the first
// poll, a manager restarted with a new epoch, a version too old) gets the whole set
// (Full true), which replaces everything it holds. A client that is up to date waits up
// to wait (at most MaxWait) for the next version and, if none comes, gets an Update
// without changes. Until the Source has loaded the full set once from a synced cache
// the answer is 503, so a sidecar never serves a part of the set: its /readyz and its
// devices' port wait for the first full Update.
//
// # Deliveries: reported back
//
//	POST /v1/deliveries   {"deliveries": [...]}  ->  204
//
// carries at most MaxDeliveries records. The manager records a delivery only when the
// hash, MAC, namespace and base are those of the entry it currently publishes for that
// MAC (server.Source.Lookup): a sidecar cannot write one base's fetch on another's
// status, nor a file the manager never published.
//
// # Why loopback and no further authentication
//
// Both ends bind or dial a loopback address only (Listen and ParseURL refuse anything
// else). The containers of a Pod share one network namespace, and its loopback
// interface is reachable from nothing outside that namespace: not from other Pods, not
// from the node, not from the LAN. The only processes that can connect are the Pod's
// own containers, the manager and the sidecar, and the sidecar is entitled to every
// file the feed carries: it serves them. A shared secret would keep out no one that
// loopback does not already keep out. This holds as long as the Pod does not use
// hostNetwork, which would put the feed on the node's loopback: the manifests never set
// it, and test/manifests checks that.
//
// Entries carry SIP passwords and the devices' credentials: neither end logs a body,
// an Auth or an error that could hold one; provserver.Entry's formatting redacts them.
package feed
