#!/usr/bin/env bash
# Runs the Rego unit tests (policies/*_test.rego) and the shared decision table (policies/cases/decisions.json)
# with the pinned OPA CLI (after `opa check --strict` and an `opa fmt` check), then fails when coverage of
# the policy (non-test) files is under 95 % (MIN_COVERAGE).
set -euo pipefail
cd "$(dirname "$0")/../policies"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
MIN_COVERAGE="${MIN_COVERAGE:-95}"

mapfile -t files < <(ls -1 *.rego | sort)
go tool opa check --strict "${files[@]}"
unformatted="$(go tool opa fmt -l "${files[@]}")"
if [ -n "$unformatted" ]; then echo "policy-test: not opa-fmt formatted (run go tool opa fmt -w in policies/): $unformatted" >&2; exit 1; fi
report="$(mktemp)"; trap 'rm -f "$report"' EXIT
# One run: --coverage also exits non-zero when a test fails; only then the readable run shows what failed.
if ! go tool opa test --coverage "${files[@]}" cases/decisions.json > "$report"; then
  go tool opa test "${files[@]}" cases/decisions.json || true
  echo "policy-test: opa test failed" >&2
  exit 1
fi
node -e 'const t = require(process.argv[1]).decision_cases; console.log(`policy-test: ${t.cases.length} decision cases (policies/cases/decisions.json), shared with test/policy/parity.test.ts`)' "$PWD/cases/decisions.json"
node -e '
  const fs = require("fs");
  const min = Number(process.argv[2]);
  const report = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  let covered = 0, notCovered = 0;
  for (const [file, f] of Object.entries(report.files ?? {})) {
    if (file.endsWith("_test.rego")) continue;
    const count = (ranges) => { const rows = new Set(); for (const r of ranges ?? []) for (let i = r.start.row; i <= r.end.row; i++) rows.add(i); return rows.size; };
    const c = count(f.covered), u = count(f.not_covered);
    covered += c; notCovered += u;
    const pct = c + u ? (100 * c) / (c + u) : 100;
    console.log(`policy-test: ${file} ${pct.toFixed(1)} % covered`);
    if (u) console.log(`  not covered: lines ${[...new Set((f.not_covered ?? []).map((r) => r.start.row === r.end.row ? r.start.row : `${r.start.row}-${r.end.row}`))].join(", ")}`);
  }
  const pct = covered + notCovered ? (100 * covered) / (covered + notCovered) : 0;
  console.log(`policy-test: coverage ${pct.toFixed(1)} % (minimum ${min} %)`);
  if (pct < min) process.exit(1);
' "$report" "$MIN_COVERAGE"
