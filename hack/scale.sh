#!/usr/bin/env bash
# Scale benchmark (part of `make bench`): bases of 100 handsets declared at once, with
# the real binary's manager and server against envtest. Prints the bare creation time
# and the time to converge, the operator's API writes, the processes' peak memory, the
# time for one change to reach a device, and the writes at rest (docs/scale.md). Flags
# are passed on (e.g. -bases 5 for a quick run, -sizes 5000,10000 for a table; see `go
# run ./hack/scale -h`). KUBEBUILDER_ASSETS must be set (make does it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
: "${KUBEBUILDER_ASSETS:?KUBEBUILDER_ASSETS is not set: run make bench, or KUBEBUILDER_ASSETS=\$(hack/envtest-assets.sh) hack/scale.sh}"
exec go run ./hack/scale "$@"
