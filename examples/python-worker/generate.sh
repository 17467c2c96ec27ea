#!/usr/bin/env bash
# Generates the Python messages and gRPC stubs for the Taskplane contract (proto/) into gen/, with
# Debian's protoc and grpc_python_plugin. gen/ is never committed: run this after a checkout and
# whenever proto/ changes.
# Run: bash examples/python-worker/generate.sh (deterministic; recreates gen/).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
deps="$root/build/proto-deps"
# Where Debian's libprotobuf-dev (a Recommends of protobuf-compiler) puts the well-known types.
wkt=/usr/include
install_hint="apt-get install -y protobuf-compiler protobuf-compiler-grpc libprotobuf-dev"

for tool in protoc grpc_python_plugin; do
  if ! command -v "$tool" >/dev/null; then
    echo "generate.sh: $tool is missing; install it with: $install_hint" >&2
    exit 1
  fi
done
if [ ! -f "$wkt/google/protobuf/timestamp.proto" ]; then
  echo "generate.sh: the well-known types are missing from $wkt; install them with: $install_hint" >&2
  exit 1
fi
# The contract imports buf/validate/validate.proto, which scripts/proto-deps.ts writes from an npm package.
if [ ! -f "$deps/buf/validate/validate.proto" ]; then
  (cd "$root" && npx tsx scripts/proto-deps.ts >/dev/null)
fi

rm -rf "$here/gen"
mkdir -p "$here/gen"
# validate.proto is compiled too: the contract's modules import it to register its annotations'
# extensions (its structure is all they need; nothing here validates). The well-known types'
# modules come with python3-protobuf, so they are not generated.
protoc \
  --proto_path="$root/proto" --proto_path="$deps" --proto_path="$wkt" \
  --python_out="$here/gen" --pyi_out="$here/gen" \
  --grpc_out="$here/gen" --plugin=protoc-gen-grpc="$(command -v grpc_python_plugin)" \
  "$root"/proto/taskplane/v1/*.proto "$deps/buf/validate/validate.proto"
echo "generate.sh: wrote $(find "$here/gen" -type f | wc -l | tr -d " ") files to $here/gen"
