#!/usr/bin/env bash
# npm run lint: the contract lints clean and breaks nothing released, generated code and the
# dashboard's build are current, and every workspace type-checks.
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

# The dashboard ships prebuilt (dashboard/dist, served at /ui with no build step): rebuild it the
# same way and compare. The build is deterministic (content-hashed names, no timestamps).
npx vite build --config dashboard/vite.config.ts --outDir "$scratch/dashboard" --emptyOutDir --logLevel warn
if ! diff -r "$scratch/dashboard" dashboard/dist >/dev/null; then
  echo "lint: dashboard/dist is stale; run 'npm run build -w dashboard' and commit the result" >&2
  diff -r "$scratch/dashboard" dashboard/dist | head -20 >&2
  exit 1
fi

npx tsc --noEmit -p tsconfig.json
npx tsc --noEmit -p dashboard/tsconfig.json
echo "lint: ok"
