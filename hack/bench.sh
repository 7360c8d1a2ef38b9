#!/usr/bin/env bash
# `make bench`: runs every benchmark and prints the figures the issues ask for. Timings
# live here and never in pass/fail tests. KUBEBUILDER_ASSETS must be set (make does it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

section() { printf '\n== %s\n' "$*"; }
gobench() { go test -run '^$' -benchmem "$@" | grep -E '^(Benchmark|goos|cpu|ok|FAIL|---)' ; }

section "document engine: render and parse of a full 100-handset document"
gobench -bench . ./internal/gigaset/

section "reconciler (envtest): one base, 100 handsets created at once"
gobench -bench HundredHandsetsAtOnce -benchtime 3x ./internal/controller/

section "handset status writer: one base falling due while 100,000 statuses wait"
gobench -bench DueInAFleet -benchtime 200x ./internal/handsetstatus/

section "provisioning server: Digest-authenticated fetch and cached fetch"
gobench -bench 'ServeCached|DigestFetch|ParseAuthorization|ChallengeVerify' ./internal/provserver/ ./internal/digest/

section "provisioning server: 50,000 connection attempts, with and without connection caps"
gobench -bench ConnectionFlood -benchtime 1x ./internal/provserver/
section "scale (envtest, real binary): 5,000, 10,000 and 20,000 handsets in bases of 100, hack/scale.sh" && hack/scale.sh -sizes 5000,10000,20000 -pairs 3 -idle 10s -poll 0 -manager-limit 12
section "scale with two manager shards: 5,000 handsets, hack/scale.sh -shards 2" && hack/scale.sh -bases 50 -shards 2 -idle 10s -poll 0 -bare=false

section "manager memory with 2,000 unrelated 10 KiB Secrets in the cluster (envtest, real binary), hack/secretmem"
go run ./hack/secretmem

section "provisioning server against nginx: wrk on loopback, 64 connections, the 100-handset file"
hack/bench-http.sh
