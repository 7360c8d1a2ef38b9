#!/usr/bin/env bash
# Fails when the generated deepcopy code, CRDs or RBAC differ from what controller-gen
# makes of the current sources. It regenerates in a scratch copy of the tree, so it
# neither needs a clean work tree nor changes the real one.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

cd "$here"
tar --exclude=./.git --exclude=./bin -cf - . | tar -xf - -C "$scratch"
(cd "$scratch" && make --no-print-directory -s generate manifests >/dev/null)

status=0
for path in api config/crd config/rbac docs/api.md; do
  [ -e "$here/$path" ] || [ -e "$scratch/$path" ] || continue
  if ! diff -ruN "$here/$path" "$scratch/$path"; then
    status=1
  fi
done
if [ "$status" -ne 0 ]; then
  echo "Generated files are stale: run 'make generate manifests' and commit the result." >&2
fi
exit "$status"
