#!/usr/bin/env bash
# Fails when the contract in proto/ breaks the released one (proto/released/taskplane-v1.binpb,
# refreshed deliberately at a release with `npm run release-contract`), by buf's FILE rules:
# workers in other languages are built from it. Image against image, because buf cannot compare
# a multi-module workspace with an image directly (bufbuild/buf#567).
# Usage: check-contract.sh [workspace dir, default: the repository]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
workspace="${1:-$repo}"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd "$workspace" && "$repo/node_modules/.bin/buf" build -o "$scratch/current.binpb")
"$repo/node_modules/.bin/buf" breaking "$scratch/current.binpb" --against "$repo/proto/released/taskplane-v1.binpb" --config "$repo/buf.yaml"
