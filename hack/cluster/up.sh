#!/usr/bin/env bash
# Starts a one-node Kubernetes cluster on this machine, for the cluster test
# (make test-cluster) and for trying the operator the way users run it:
#
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler   (control plane)
#   containerd (Debian's, CRI plugin), kubelet, kube-proxy (iptables) (the node)
#   CNI: Debian's containernetworking-plugins, one bridge
#
#   hack/cluster/up.sh      # prints the variables to use: eval "$(hack/cluster/up.sh)"
#   hack/cluster/down.sh    # stops everything and removes what up.sh created
#
# Idempotent: when the cluster already answers, up.sh only prints the variables; when
# a previous one was left half-way (a crash, a killed test), it is torn down first.
# Everything runs as background processes whose state lives under $CLUSTER_DIR; the
# Kubernetes binaries are built once into a cache outside the repository
# (hack/cluster/binaries.sh). Needs root (network setup, containerd, kubelet).
#
# Network: everything stays on this machine. The node's address is the gateway of
# the pods' bridge, which this script creates (NODE_IP on BRIDGE); the API server,
# the kubelet and the node ports listen there only; the service range is routed to
# the same bridge, so that a packet for a ClusterIP never leaves through the
# machine's own network even before kube-proxy has its rules in place.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=hack/cluster/common.sh
source "$here/common.sh"

# ---------------------------------------------------------------- already running?
if [ -f "$CLUSTER_DIR/env" ] && (source "$CLUSTER_DIR/env" &&
  "$KUBECTL" --kubeconfig "$KUBECONFIG" wait --for=condition=Ready "node/$NODE_NAME" --timeout=5s) >/dev/null 2>&1; then
  log "already running"
  cat "$CLUSTER_DIR/env"
  exit 0
fi
if [ -d "$CLUSTER_DIR/run" ]; then
  log "tearing down what a previous run left"
  "$here/down.sh"
fi

start_time=$(date +%s)

# ---------------------------------------------------------------- packages
# Debian's packages, installed here so that a fresh machine (and CI) works.
need=()
command -v containerd >/dev/null || need+=(containerd)
command -v runc >/dev/null || need+=(runc)
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
command -v iptables >/dev/null || need+=(iptables)
command -v conntrack >/dev/null || need+=(conntrack)
command -v openssl >/dev/null || need+=(openssl)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >&2
fi

bin=$("$here/binaries.sh")
# The private Docker engine (or the machine's): builds the pause image here, and the
# operator's image in the test.
docker_env=$("$here/docker.sh" start)
export "${docker_env?}"

mkdir -p "$CLUSTER_DIR"/{run,logs,pki,etcd,kubelet,containerd,containerd-state,cni/net.d,cni/ipam,images}

# ---------------------------------------------------------------- network
# The bridge exists before the first Pod so that the node has its address from the
# start; the CNI bridge plugin finds it with that very address and uses it.
ip link add "$BRIDGE" type bridge
ip addr add "$NODE_IP/24" dev "$BRIDGE"
ip link set "$BRIDGE" up
ip route replace "$SERVICE_CIDR" dev "$BRIDGE" src "$NODE_IP"
# Forwarding between the bridge's ports and the host, and iptables on bridged traffic
# (a Pod reaching a Service that leads back to itself): what kube-proxy expects.
sysctl -qw net.ipv4.ip_forward=1
[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || modprobe br_netfilter 2>/dev/null || true
sysctl -qw net.bridge.bridge-nf-call-iptables=1 || log "br_netfilter not available: Pods cannot reach a Service that leads back to themselves"

# ---------------------------------------------------------------- certificates
# One CA for everything; a client certificate per component with the identity the
# built-in RBAC roles expect (system:kube-controller-manager, system:node:<name>, ...).
pki="$CLUSTER_DIR/pki"
newkey() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }
openssl_quiet() { openssl "$@" >/dev/null 2>&1; }
newkey "$pki/ca.key"
openssl_quiet req -x509 -new -key "$pki/ca.key" -subj "/CN=dect-operator-test-cluster-ca" -days 7 -out "$pki/ca.crt"
# cert NAME SUBJECT [SUBJECT_ALT_NAMES]
cert() {
  local name=$1 subj=$2 san=${3:-}
  newkey "$pki/$name.key"
  openssl_quiet req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr"
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=digitalSignature,keyEncipherment"
    if [ -n "$san" ]; then
      echo "extendedKeyUsage=serverAuth,clientAuth"
      echo "subjectAltName=$san"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } >"$pki/$name.ext"
  openssl_quiet x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 7 -extfile "$pki/$name.ext" -out "$pki/$name.crt"
}
cert apiserver "/CN=kube-apiserver" \
  "IP:$NODE_IP,IP:$KUBERNETES_SERVICE_IP,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
cert admin "/O=system:masters/CN=dect-operator-test-admin"
cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
cert kube-controller-manager "/CN=system:kube-controller-manager"
cert kube-scheduler "/CN=system:kube-scheduler"
cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
cert kube-proxy "/CN=system:kube-proxy"
# ServiceAccount tokens: the API server signs them, the controller manager too.
openssl_quiet genrsa -out "$pki/sa.key" 2048
openssl_quiet rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub"

# kubeconfig NAME: a kubeconfig with NAME's client certificate.
kubeconfig() {
  local name=$1
  cat >"$CLUSTER_DIR/$name.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: dect-test
  cluster:
    server: https://$NODE_IP:6443
    certificate-authority: $pki/ca.crt
users:
- name: $name
  user:
    client-certificate: $pki/$name.crt
    client-key: $pki/$name.key
contexts:
- name: dect-test
  context: {cluster: dect-test, user: $name}
current-context: dect-test
EOF
}
for c in admin kube-controller-manager kube-scheduler kubelet kube-proxy; do kubeconfig "$c"; done

# ---------------------------------------------------------------- control plane
# start NAME COMMAND...: runs COMMAND in the background, in its own session so that a
# Ctrl-C meant for the caller does not kill it half-way; down.sh stops it by its pid.
start() {
  local name=$1
  shift
  setsid "$@" >"$CLUSTER_DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$CLUSTER_DIR/run/$name.pid"
}
# wait_for WHAT SECONDS COMMAND...
wait_for() {
  local what=$1 seconds=$2
  shift 2
  for _ in $(seq 1 "$seconds"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  log "$what not ready after ${seconds}s; see $CLUSTER_DIR/logs"
  return 1
}

start etcd "$bin/etcd" --data-dir "$CLUSTER_DIR/etcd" \
  --listen-client-urls "http://$ETCD_ADDR" --advertise-client-urls "http://$ETCD_ADDR" \
  --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
  --initial-cluster "default=http://127.0.0.1:$((ETCD_PORT + 1))" \
  --unsafe-no-fsync # a throw-away test cluster: durability buys nothing
wait_for etcd 30 curl -sf "http://$ETCD_ADDR/health"

start kube-apiserver "$bin/kube-apiserver" \
  --etcd-servers "http://$ETCD_ADDR" \
  --bind-address "$NODE_IP" --secure-port 6443 --advertise-address "$NODE_IP" \
  --service-cluster-ip-range "$SERVICE_CIDR" \
  --client-ca-file "$pki/ca.crt" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" \
  --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --authorization-mode Node,RBAC \
  --kubelet-preferred-address-types InternalIP \
  --enable-admission-plugins NodeRestriction \
  --shutdown-watch-termination-grace-period 2s
export KUBECONFIG="$CLUSTER_DIR/admin.kubeconfig"
kubectl() { "$bin/kubectl" "$@"; }
wait_for kube-apiserver 120 kubectl get --raw /readyz

start kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig "$CLUSTER_DIR/kube-controller-manager.kubeconfig" \
  --authentication-kubeconfig "$CLUSTER_DIR/kube-controller-manager.kubeconfig" \
  --authorization-kubeconfig "$CLUSTER_DIR/kube-controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 \
  --leader-elect=false \
  --use-service-account-credentials \
  --service-account-private-key-file "$pki/sa.key" \
  --root-ca-file "$pki/ca.crt" \
  --service-cluster-ip-range "$SERVICE_CIDR" \
  --controllers '*'
start kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig "$CLUSTER_DIR/kube-scheduler.kubeconfig" \
  --authentication-kubeconfig "$CLUSTER_DIR/kube-scheduler.kubeconfig" \
  --authorization-kubeconfig "$CLUSTER_DIR/kube-scheduler.kubeconfig" \
  --bind-address 127.0.0.1 \
  --leader-elect=false

# ---------------------------------------------------------------- containerd
# Debian's containerd, started on its own (not the one dockerd runs, whose CRI plugin
# is off), with everything under $CLUSTER_DIR. restrict_oom_score_adj: this machine
# forbids lowering oom_score_adj, and without it every sandbox fails with "can't get
# final child's PID from pipe". netns_mounts_under_state_dir keeps the Pods' network
# namespaces under our folder too, so that down.sh finds them.
cat >"$CLUSTER_DIR/containerd.toml" <<EOF
version = 2
root = "$CLUSTER_DIR/containerd"
state = "$CLUSTER_DIR/containerd-state"
[grpc]
  address = "$CONTAINERD_SOCK"
[debug]
  level = "info"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$CLUSTER_DIR/cni/net.d"
EOF
# The Pods' network, written before containerd starts so that its CRI plugin finds it.
cat >"$CLUSTER_DIR/cni/net.d/10-dect-test.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "dect-test",
  "plugins": [{
    "type": "bridge",
    "bridge": "$BRIDGE",
    "isGateway": true,
    "ipMasq": false,
    "hairpinMode": true,
    "ipam": {
      "type": "host-local",
      "dataDir": "$CLUSTER_DIR/cni/ipam",
      "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$NODE_IP"}]],
      "routes": [{"dst": "0.0.0.0/0"}]
    }
  }]
}
EOF
start containerd containerd --config "$CLUSTER_DIR/containerd.toml"
wait_for containerd 30 ctr --address "$CONTAINERD_SOCK" version

# The sandbox image: no registry can be reached to pull registry.k8s.io/pause, so a
# static binary that waits for SIGTERM stands in for it.
CGO_ENABLED=0 go build -C "$repo" -trimpath -ldflags="-s -w" -o "$CLUSTER_DIR/images/pause/pause" ./hack/cluster/pause
cp "$here/pause/Dockerfile" "$CLUSTER_DIR/images/pause/Dockerfile"
docker build -q -t "$PAUSE_IMAGE" "$CLUSTER_DIR/images/pause" >/dev/null
"$here/load-image.sh" "$PAUSE_IMAGE"

# ---------------------------------------------------------------- kubelet
# failCgroupV1: false, since this machine has cgroup v1 only; cgroupfs, since no
# systemd runs; failSwapOn: false for machines with swap.
cat >"$CLUSTER_DIR/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
healthzBindAddress: 127.0.0.1
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
failCgroupV1: false
cgroupDriver: cgroupfs
failSwapOn: false
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
clusterDomain: cluster.local
# No DNS for the Pods: the machine's resolver is outside this cluster, and nothing in
# it needs a name resolved (the operator reaches the API server by its ClusterIP).
resolvConf: ""
podLogsDirectory: $CLUSTER_DIR/pod-logs
serializeImagePulls: false
# A test machine's disk may be fuller than a production node's: only evict when it is
# really about to run out.
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%}
imageGCHighThresholdPercent: 100
EOF
start kubelet "$bin/kubelet" \
  --config "$CLUSTER_DIR/kubelet.yaml" \
  --kubeconfig "$CLUSTER_DIR/kubelet.kubeconfig" \
  --root-dir "$CLUSTER_DIR/kubelet" \
  --cert-dir "$CLUSTER_DIR/pki/kubelet-serving" \
  --hostname-override "$NODE_NAME" \
  --node-ip "$NODE_IP" \
  --v 1

# ---------------------------------------------------------------- kube-proxy
# iptables mode; node ports on the node's address only; conntrack sysctls left as
# they are (maxPerCore 0, timeouts 0), since this machine may not allow setting them.
cat >"$CLUSTER_DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: $CLUSTER_DIR/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
nodePortAddresses: ["$NODE_IP/32"]
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
conntrack:
  maxPerCore: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
start kube-proxy "$bin/kube-proxy" --config "$CLUSTER_DIR/kube-proxy.yaml"

wait_for "the node" 180 kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout=1s
# kube-proxy has its rules once the kubernetes Service's chain exists.
wait_for kube-proxy 60 curl -sf http://127.0.0.1:10256/healthz
wait_for "the default ServiceAccount" 60 kubectl -n default get serviceaccount default

cat >"$CLUSTER_DIR/env" <<EOF
KUBECONFIG=$CLUSTER_DIR/admin.kubeconfig
KUBECTL=$bin/kubectl
CONTAINERD_ADDRESS=$CONTAINERD_SOCK
$docker_env
NODE_IP=$NODE_IP
EOF
log "node $NODE_NAME Ready ($(kubectl get node "$NODE_NAME" -o jsonpath='{.status.nodeInfo.kubeletVersion}'), $(( $(date +%s) - start_time ))s); logs in $CLUSTER_DIR/logs"
cat "$CLUSTER_DIR/env"
