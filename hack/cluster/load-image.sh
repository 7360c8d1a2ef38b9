#!/usr/bin/env bash
# Copies an image from the Docker engine into the test cluster's containerd (its
# "k8s.io" namespace, where the kubelet looks), like `kind load docker-image`: the
# node cannot pull from a registry, and the Deployment's imagePullPolicy IfNotPresent
# then finds it.
#
#   hack/cluster/load-image.sh NAME:TAG...
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=hack/cluster/common.sh
source "$here/common.sh"
[ -n "${DOCKER_HOST:-}" ] || export "$("$here/docker.sh" start)"
for image in "$@"; do
  docker save "$image" | ctr --address "$CONTAINERD_SOCK" -n k8s.io images import - >/dev/null
  log "loaded $image into the node's containerd"
done
