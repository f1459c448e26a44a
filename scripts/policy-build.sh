#!/usr/bin/env bash
# Compiles policies/*.rego (tests excluded) to WASM with the pinned OPA CLI (policies/go.mod `tool`):
#   policies/build/bundle.tar.gz, policies/build/policy.wasm and policies/build/manifest.json
#   ({ sourceHash, wasmSha256, opaVersion, entrypoint, builtAt }).
# `--capabilities policies/capabilities.json` restricts the builtins to those @open-policy-agent/opa-wasm
# implements, so an unsupported builtin fails here rather than at call time.
# The runtime recomputes sourceHash (runtime/policy/manifest.ts) and refuses a stale build.
#
# Usage: scripts/policy-build.sh [--src DIR] [--out DIR]   build (defaults: policies, policies/build);
#                                                         DIR may be outside the repo (policy diff, tests)
#        scripts/policy-build.sh --capabilities           regenerate policies/capabilities.json from the
#                                                         pinned OPA CLI and the installed opa-wasm's list
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
SRC="$ROOT/policies"
OUT="$ROOT/policies/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --src) SRC="$(cd "$2" && pwd)"; shift 2 ;;
    --out) mkdir -p "$2"; OUT="$(cd "$2" && pwd)"; shift 2 ;;
    --capabilities) MODE=capabilities; shift ;;
    *) echo "policy-build: unknown argument $1" >&2; exit 2 ;;
  esac
done
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

# Found as Node finds the package (a node_modules here or in a folder above: a copy of the repository inside another).
OPA_WASM_CAPS="$(node -p 'require("path").resolve(require.resolve("@open-policy-agent/opa-wasm"), "../../capabilities.json")')"
opa() { (cd "$ROOT/policies" && go tool opa "$@"); }

if [ "${MODE:-}" = "capabilities" ]; then
  caps_tmp="$(mktemp)"; trap 'rm -f "$caps_tmp"' EXIT
  opa capabilities --current > "$caps_tmp"
  node -e '
    const fs = require("fs");
    const opa = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
    const wasm = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    const names = new Set(wasm.builtins.map((b) => b.name));
    const builtins = opa.builtins.filter((b) => names.has(b.name));
    const out = { builtins, future_keywords: opa.future_keywords, features: opa.features, wasm_abi_versions: wasm.wasm_abi_versions };
    fs.writeFileSync("policies/capabilities.json", JSON.stringify(out, null, 2) + "\n");
    console.log(`policy-build: policies/capabilities.json lists ${builtins.length} builtins`);
  ' "$OPA_WASM_CAPS" "$caps_tmp"
  exit 0
fi

# Every builtin we allow must be one opa-wasm implements (guards against a stale capabilities file).
node -e '
  const fs = require("fs");
  const ours = JSON.parse(fs.readFileSync(process.argv[2], "utf8")).builtins.map((b) => b.name);
  const theirs = new Set(JSON.parse(fs.readFileSync(process.argv[1], "utf8")).builtins.map((b) => b.name));
  const extra = ours.filter((n) => !theirs.has(n));
  if (extra.length) { console.error("policy-build: capabilities.json lists builtins opa-wasm lacks: " + extra.join(", ")); process.exit(1); }
' "$OPA_WASM_CAPS" "$SRC/capabilities.json"

mkdir -p "$OUT"
mapfile -t sources < <(cd "$SRC" && ls -1 *.rego | grep -v '_test\.rego$' | sort | sed "s|^|$SRC/|")
[ ${#sources[@]} -gt 0 ] || { echo "policy-build: no .rego file in $SRC" >&2; exit 1; }

# Build next to the output, then move into place (manifest last): a watching gateway never loads a half-written file.
STAGE="$(mktemp -d "$OUT/.stage.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
# moodle_mcp/pattern_index (evaluated once per data load, runtime/policy/engine.ts) is optional: policies from
# before it existed must still build (`moodle-mcp policy diff <old-ref>`).
entrypoints=(-e moodle_mcp/decision)
if grep -q '^pattern_index\b' "${sources[@]}"; then entrypoints+=(-e moodle_mcp/pattern_index); fi
opa build -t wasm "${entrypoints[@]}" --capabilities "$SRC/capabilities.json" -o "$STAGE/bundle.tar.gz" "${sources[@]}"
tar -xzf "$STAGE/bundle.tar.gz" -C "$STAGE" /policy.wasm 2>/dev/null || tar -xzf "$STAGE/bundle.tar.gz" -C "$STAGE" policy.wasm

node --import tsx -e '
  const { writeBuildManifest } = await import(process.argv[1] + "/runtime/policy/manifest.ts");
  const [, root, src, stage, opaVersion] = process.argv;
  const m = await writeBuildManifest({ sourcesDir: src, wasmPath: stage + "/policy.wasm", manifestPath: stage + "/manifest.json", opaVersion });
  console.log(`policy-build: policy.wasm ${m.wasmSha256.slice(0, 16)} (sources ${m.sourceHash.slice(0, 16)})`);
' "$ROOT" "$SRC" "$STAGE" "$(opa version | sed -n "s/^Version: //p")"
mv -f "$STAGE/bundle.tar.gz" "$OUT/bundle.tar.gz"
mv -f "$STAGE/policy.wasm" "$OUT/policy.wasm"
mv -f "$STAGE/manifest.json" "$OUT/manifest.json"
echo "policy-build: wrote $OUT/{policy.wasm,manifest.json,bundle.tar.gz}"
