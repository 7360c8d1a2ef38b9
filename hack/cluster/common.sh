# Shared settings of hack/cluster/*.sh (sourced, not run).

# Everything a running cluster holds: certificates, etcd, logs, containerd's and the
# kubelet's state, pid files. Outside the repository; removed by down.sh (but for the
# private Docker engine's image store, docker/, which is kept for the next run).
CLUSTER_DIR=${CLUSTER_DIR:-/var/tmp/dect-operator-cluster}
NODE_NAME=dect-node
# The pods' bridge, created by up.sh; its address is the node's address.
BRIDGE=dect-br0
POD_CIDR=10.244.0.0/24
NODE_IP=10.244.0.1
SERVICE_CIDR=10.96.0.0/16
KUBERNETES_SERVICE_IP=10.96.0.1
ETCD_PORT=23790
ETCD_ADDR=127.0.0.1:$ETCD_PORT
CONTAINERD_SOCK=$CLUSTER_DIR/containerd.sock
PAUSE_IMAGE=dect-operator.local/pause:1

log() { printf 'cluster: %s\n' "$*" >&2; }
