#!/usr/bin/env bash
# Prints the folder that holds the Kubernetes binaries of the one-node test cluster
# (hack/cluster/up.sh): kube-apiserver, kube-controller-manager, kube-scheduler,
# kubelet and kube-proxy, all v$K8S_VERSION and built from the Go module proxy, since
# no release download site can be reached from the project's machines.
#
# They are built like hack/envtest-assets.sh builds kube-apiserver (a scratch module
# outside the repository that requires k8s.io/kubernetes and replaces its staging
# modules by their published versions), with the version stamped in by -ldflags: the
# kubelet reports it as the node's version, and a binary built without it says
# v0.0.0-master. etcd and kubectl come from hack/envtest-assets.sh, which this script
# calls first so that both builds share the Go build cache instead of competing for it.
#
# The binaries live outside the repository (a fresh clone finds them), in
#   ${XDG_DATA_HOME:-~/.local/share}/dect-operator/cluster/<version>-<os>-<arch>
# First build: a few minutes on top of envtest's; later calls answer at once.
# Everything but the folder's path goes to stderr.
set -euo pipefail

K8S_VERSION=${CLUSTER_K8S_VERSION:-1.37.2}
STAGING_VERSION=v0.${K8S_VERSION#1.}
COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
store="$data_home/dect-operator/cluster/${K8S_VERSION}-$(go env GOOS)-$(go env GOARCH)"

log() { printf 'cluster-binaries: %s\n' "$*" >&2; }

complete() {
  local c
  for c in "${COMPONENTS[@]}"; do [ -x "$store/$c" ] || return 1; done
}

# etcd and kubectl (and a warm build cache for the Kubernetes packages).
envtest=$("$here/hack/envtest-assets.sh")
link_envtest() {
  ln -sf "$envtest/etcd" "$store/etcd"
  ln -sf "$envtest/kubectl" "$store/kubectl"
}

if complete; then
  link_envtest
  echo "$store"
  exit 0
fi

mkdir -p "$store"
exec 9>"$store.lock" # one build per machine; parallel callers wait for it
flock 9
if complete; then
  link_envtest
  echo "$store"
  exit 0
fi

log "building ${COMPONENTS[*]} v$K8S_VERSION from the Go module proxy"
start=$(date +%s)
mod="$(go env GOCACHE)/../dect-operator-cluster-build"
mkdir -p "$mod"
gomod=$(cd "$mod" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" |
  sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
{
  echo "module dect-operator.local/cluster-kubernetes"
  echo
  echo "go $(go env GOVERSION | sed 's/^go\([0-9]*\.[0-9]*\).*/\1/')"
  echo
  echo "require k8s.io/kubernetes v$K8S_VERSION"
  echo
  # As in hack/envtest-assets.sh: the published staging modules stand in for the
  # ./staging folders that k8s.io/kubernetes's own go.mod points at.
  grep -E '^[[:space:]]*(replace[[:space:]]+)?k8s\.io/[^ ]+ => \./staging/' "$gomod" |
    sed -E 's/^[[:space:]]*(replace[[:space:]]+)?(k8s\.io\/[^ ]+) => .*/replace \2 => \2 '"$STAGING_VERSION"'/'
} >"$mod/go.mod"
{
  echo '//go:build tools'
  echo
  echo 'package tools'
  echo
  echo 'import ('
  for c in "${COMPONENTS[@]}"; do echo "	_ \"k8s.io/kubernetes/cmd/$c\""; done
  echo ')'
} >"$mod/tools.go"

minor=${K8S_VERSION#1.}
minor=${minor%%.*}
ldflags="-X k8s.io/component-base/version.gitVersion=v$K8S_VERSION"
ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
pkgs=()
for c in "${COMPONENTS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
(cd "$mod" &&
  GOFLAGS=-mod=mod go mod tidy >&2 &&
  # One go build for all five: the go command schedules their packages together.
  CGO_ENABLED=0 GOFLAGS=-mod=mod go build -ldflags "$ldflags" -o "$store/" "${pkgs[@]}" >&2)
complete || { log "build finished but $store is incomplete"; exit 1; }
link_envtest
log "built in $(( $(date +%s) - start ))s into $store"
echo "$store"
