#!/usr/bin/env bash
# Prints the folder that holds kube-apiserver, etcd and kubectl for envtest, so that
# callers can run `KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test ./...`.
#
# It tries, in order:
#   1. KUBEBUILDER_ASSETS, when it is set and holds the binaries;
#   2. setup-envtest's own store (a folder per version, outside the repository);
#   3. `setup-envtest use`, where its download site can be reached;
#   4. a build from the Go module proxy into that same store folder, so that the next
#      call (and setup-envtest itself) finds them. The first build takes a few minutes;
#      later calls answer in well under a second.
#
# Everything but the folder's path goes to stderr.
set -euo pipefail

K8S_VERSION=${ENVTEST_K8S_VERSION:-1.37.2}
ETCD_VERSION=${ENVTEST_ETCD_VERSION:-3.6.16}
# The published staging modules (k8s.io/api, ...) carry the minor version 0.x for 1.x.
STAGING_VERSION=v0.${K8S_VERSION#1.}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
goos=$(go env GOOS)
goarch=$(go env GOARCH)
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
store="$data_home/kubebuilder-envtest/k8s/${K8S_VERSION}-${goos}-${goarch}"

log() { printf 'envtest-assets: %s\n' "$*" >&2; }

complete() {
  local dir=$1
  [ -x "$dir/kube-apiserver" ] && [ -x "$dir/etcd" ] && [ -x "$dir/kubectl" ]
}

if [ -n "${KUBEBUILDER_ASSETS:-}" ] && complete "$KUBEBUILDER_ASSETS"; then
  echo "$KUBEBUILDER_ASSETS"
  exit 0
fi
if complete "$store"; then
  echo "$store"
  exit 0
fi

mkdir -p "$store"
# One build at a time per machine: parallel callers wait for the first one.
exec 9>"$store.lock"
flock 9
if complete "$store"; then
  echo "$store"
  exit 0
fi

if [ -z "${ENVTEST_SKIP_DOWNLOAD:-}" ]; then
  log "trying setup-envtest use $K8S_VERSION"
  if dir=$(cd "$here" && timeout 60 go tool setup-envtest use "$K8S_VERSION" \
      --bin-dir "$data_home/kubebuilder-envtest" -p path 2>/dev/null) && complete "$dir"; then
    echo "$dir"
    exit 0
  fi
  log "no download available; building kube-apiserver $K8S_VERSION and etcd $ETCD_VERSION from the Go module proxy"
fi

scratch="$(go env GOCACHE)/../dect-operator-envtest-build"
mkdir -p "$scratch/kubernetes" "$scratch/etcd"

build_kubernetes() {
  local mod="$scratch/kubernetes"
  local gomod
  gomod=$(cd "$mod" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  {
    echo "module dect-operator.local/envtest-kubernetes"
    echo
    echo "go $(go env GOVERSION | sed 's/^go\([0-9]*\.[0-9]*\).*/\1/')"
    echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo
    # k8s.io/kubernetes replaces each staging module by a folder of its own repository;
    # outside it, the published module of the same release stands in for that folder.
    grep -E '^[[:space:]]*(replace[[:space:]]+)?k8s\.io/[^ ]+ => \./staging/' "$gomod" |
      sed -E 's/^[[:space:]]*(replace[[:space:]]+)?(k8s\.io\/[^ ]+) => .*/replace \2 => \2 '"$STAGING_VERSION"'/'
  } >"$mod/go.mod"
  (cd "$mod" &&
    GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true
    cat >"$mod/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
    GOFLAGS=-mod=mod go mod tidy >&2
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -o "$store/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver >&2
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -o "$store/kubectl" k8s.io/kubernetes/cmd/kubectl >&2)
}

build_etcd() {
  local mod="$scratch/etcd"
  cat >"$mod/go.mod" <<GOMOD
module dect-operator.local/envtest-etcd

go $(go env GOVERSION | sed 's/^go\([0-9]*\.[0-9]*\).*/\1/')

require go.etcd.io/etcd/server/v3 v$ETCD_VERSION
GOMOD
  cat >"$mod/tools.go" <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
  (cd "$mod" &&
    GOFLAGS=-mod=mod go mod tidy >&2 &&
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -o "$store/etcd" go.etcd.io/etcd/server/v3 >&2)
}

start=$(date +%s)
[ -x "$store/etcd" ] || build_etcd
[ -x "$store/kube-apiserver" ] && [ -x "$store/kubectl" ] || build_kubernetes
complete "$store" || { log "build finished but $store is incomplete"; exit 1; }
log "built in $(( $(date +%s) - start ))s into $store"
echo "$store"
