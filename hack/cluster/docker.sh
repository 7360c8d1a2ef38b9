#!/usr/bin/env bash
# A Docker engine for `make image` on a machine that has none running:
#
#   hack/cluster/docker.sh start   # prints DOCKER_HOST=unix://... for the caller to export
#   hack/cluster/docker.sh stop
#
# If a daemon already answers (DOCKER_HOST, or the default socket), `start` prints its
# address and starts nothing. Otherwise it installs Debian's docker.io when dockerd is
# missing and starts a private dockerd: its own socket, data and exec folders under
# $CLUSTER_DIR/docker, so that it cannot disturb a system daemon or another user's.
# It only builds and runs images locally, so it gets no bridge and touches no iptables
# rules (--bridge=none --iptables=false): containers it runs use --network none.
set -euo pipefail

CLUSTER_DIR=${CLUSTER_DIR:-/var/tmp/dect-operator-cluster}
dir="$CLUSTER_DIR/docker"
sock="$dir/docker.sock"

log() { printf 'docker: %s\n' "$*" >&2; }

answers() { DOCKER_HOST=$1 timeout 10 docker version >/dev/null 2>&1; }

start() {
  if [ -n "${DOCKER_HOST:-}" ] && answers "$DOCKER_HOST"; then
    echo "DOCKER_HOST=$DOCKER_HOST"; return
  fi
  if [ -z "${DOCKER_HOST:-}" ] && [ -S /var/run/docker.sock ] && answers unix:///var/run/docker.sock; then
    echo "DOCKER_HOST=unix:///var/run/docker.sock"; return
  fi
  if answers "unix://$sock"; then
    echo "DOCKER_HOST=unix://$sock"; return
  fi
  if ! command -v dockerd >/dev/null; then
    log "installing Debian's docker.io"
    apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker.io >&2
  fi
  mkdir -p "$dir/data" "$dir/exec"
  log "starting a private dockerd (log: $dir/dockerd.log)"
  # setsid: the daemon outlives this script (and the make that ran it) until `stop`.
  setsid dockerd --host "unix://$sock" --data-root "$dir/data" --exec-root "$dir/exec" \
    --pidfile "$dir/dockerd.pid" --bridge=none --iptables=false --ip-masq=false \
    --storage-driver overlay2 >"$dir/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    if answers "unix://$sock"; then echo "DOCKER_HOST=unix://$sock"; return; fi
    sleep 1
  done
  log "dockerd did not answer within 60 s; its log:"; tail -20 "$dir/dockerd.log" >&2
  exit 1
}

stop() {
  local pid
  [ -f "$dir/dockerd.pid" ] || return 0
  pid=$(cat "$dir/dockerd.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    # dockerd stops its own containerd; give both the time to unmount.
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
  rm -f "$dir/dockerd.pid"
}

case ${1:-} in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
