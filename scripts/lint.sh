#!/usr/bin/env bash
# npm run lint: the contract lints clean and breaks nothing released, generated code is current,
# and every workspace type-checks.
set -euo pipefail
cd "$(dirname "$0")/.."

npx tsx scripts/proto-deps.ts >/dev/null
npx buf lint
bash scripts/check-contract.sh

# Regenerate into a scratch dir and compare with what is committed.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
npx buf generate --output "$scratch"
if ! diff -r "$scratch/proto/gen/src" proto/gen/src >/dev/null; then
  echo "lint: proto/gen is stale; run 'npm run generate' and commit the result" >&2
  diff -r "$scratch/proto/gen/src" proto/gen/src | head -20 >&2
  exit 1
fi

npx tsc --noEmit -p tsconfig.json
echo "lint: ok"
