#!/usr/bin/env bash
# Stops the test cluster that hack/cluster/up.sh started and removes what it created:
# its processes (by the pids up.sh recorded), its containers, mounts, network
# namespaces, bridge, route and kube-proxy's iptables rules, and its state folder.
# The cached binaries and the private Docker engine's image store stay.
#
#   hack/cluster/down.sh           # the cluster; a private dockerd keeps running
#   hack/cluster/down.sh --docker  # the private dockerd too
#
# Safe to run at any time, also when nothing or only a part runs.
set -uo pipefail # no -e: tear down as much as possible, whatever fails

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=hack/cluster/common.sh
source "$here/common.sh"

# Whether up.sh ran since the last down.sh: only then are the machine-wide leftovers
# below (iptables chains, cgroups) this cluster's and not another kubelet's.
ours=false
[ -d "$CLUSTER_DIR/run" ] && ours=true

# stop NAME: SIGTERM, then SIGKILL after 15 s, the process up.sh started as NAME.
stop() {
  local pidfile="$CLUSTER_DIR/run/$1.pid" pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$pidfile"
}

# The node first, so that nothing restarts the containers removed below.
stop kubelet
stop kube-proxy

# The containers: every task in containerd's k8s.io namespace is ours (this containerd
# serves only this cluster). Killing the tasks ends their shims; the network
# namespaces are then unmounted below, which takes the Pods' veths with them.
if [ -S "$CONTAINERD_SOCK" ]; then
  ctrk() { timeout 30 ctr --address "$CONTAINERD_SOCK" -n k8s.io "$@"; }
  for id in $(ctrk tasks ls -q 2>/dev/null); do ctrk tasks kill -s SIGKILL "$id" >/dev/null 2>&1; done
  sleep 1
  for id in $(ctrk tasks ls -q 2>/dev/null); do ctrk tasks delete -f "$id" >/dev/null 2>&1; done
  for id in $(ctrk containers ls -q 2>/dev/null); do ctrk containers delete "$id" >/dev/null 2>&1; done
fi
stop containerd

stop kube-scheduler
stop kube-controller-manager
stop kube-apiserver
stop etcd

# kube-proxy's iptables chains (KUBE-*), which outlive it.
bin="${XDG_DATA_HOME:-$HOME/.local/share}/dect-operator/cluster"
proxy=$(ls -d "$bin"/*/kube-proxy 2>/dev/null | head -1)
if [ -n "$proxy" ] && iptables -t nat -nL KUBE-SERVICES >/dev/null 2>&1; then
  "$proxy" --cleanup >/dev/null 2>&1 || log "kube-proxy --cleanup failed; KUBE-* chains may remain"
fi

# The kubelet's own chains (it keeps no --cleanup): KUBE-FIREWALL, which drops
# martian packets to 127.0.0.0/8, and the canary chains it watches for flushes.
$ours && for ipt in iptables ip6tables; do
  command -v "$ipt" >/dev/null || continue
  while "$ipt" -D INPUT -j KUBE-FIREWALL 2>/dev/null; do :; done
  while "$ipt" -D OUTPUT -j KUBE-FIREWALL 2>/dev/null; do :; done
  for table in filter nat mangle; do
    for chain in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do
      "$ipt" -t "$table" -F "$chain" 2>/dev/null && "$ipt" -t "$table" -X "$chain" 2>/dev/null
    done
  done
done

# Mounts under our folder (the kubelet's volumes, containerd's snapshots and the Pods'
# network namespaces), deepest first. The private Docker engine's are its own.
if [ -d "$CLUSTER_DIR" ]; then
  findmnt -rn -o TARGET | grep -F "$CLUSTER_DIR/" | grep -vF "$CLUSTER_DIR/docker/" | sort -r |
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
fi

ip link show "$BRIDGE" >/dev/null 2>&1 && ip link delete "$BRIDGE"
ip route show "$SERVICE_CIDR" 2>/dev/null | grep -q . && ip route delete "$SERVICE_CIDR"

# The kubelet's (now empty) cgroups, kubepods/... in each cgroup v1 hierarchy or in
# the v2 tree; rmdir removes only empty ones.
$ours && for d in /sys/fs/cgroup/kubepods /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods.slice; do
  [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
done

if [ -d "$CLUSTER_DIR" ]; then
  find "$CLUSTER_DIR" -mindepth 1 -maxdepth 1 ! -name docker -exec rm -rf --one-file-system {} + 2>/dev/null ||
    log "could not remove everything under $CLUSTER_DIR"
fi

if [ "${1:-}" = --docker ]; then
  "$here/docker.sh" stop
fi
log "stopped"
