#!/usr/bin/env bash
# hack/kamailio-notify-check.sh: checks the operator's check-sync NOTIFY against
# Kamailio, an independent SIP stack. The Go test TestKamailioParsesTheNotify starts
# kamailio on 127.0.0.1 (a free port, UDP and TCP) with a configuration that runs its
# sanity checks, logs the NOTIFY's headers as Kamailio parsed them and answers 200;
# the test sends the NOTIFY with push/sipnotify.Direct and asserts on that log line,
# which it prints.
#
# The test installs nothing. This script installs Debian's kamailio package when the
# binary is missing (as root, or through sudo), then runs the test with
# DECT_REAL_PEERS=1. Loopback only; kamailio is stopped when the test ends.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v kamailio >/dev/null; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq kamailio >/dev/null
fi

DECT_REAL_PEERS=1 go test -count=1 -v -run 'TestKamailioParsesTheNotify' ./internal/push/sipnotify/ |
	grep -E 'Kamailio \(|^(--- |ok|FAIL|PASS)'
