// Shared by the policy tests: the compiled policy (built on demand when missing or stale) and the decision table.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCheckedWasm } from '../../runtime/policy/manifest.ts';
import type { Decision, PolicyData, PolicyInput } from '../../runtime/policy/types.ts';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const paths = {
  sourcesDir: `${root}policies`,
  wasmPath: `${root}policies/build/policy.wasm`,
  manifestPath: `${root}policies/build/manifest.json`,
};

let built: Promise<void> | undefined;
/** Builds policies/build once per process when it is missing or stale (CI runs `make policy` first anyway). */
export function ensureBuilt(): Promise<void> {
  built ??= readCheckedWasm(paths).then(
    () => undefined,
    () => {
      execFileSync('bash', [`${root}scripts/policy-build.sh`], { stdio: 'pipe' });
    },
  );
  return built;
}

/** Builds the policy sources in `src` into `out` (for reload and diff tests). */
export function buildInto(src: string, out: string): void {
  execFileSync('bash', [`${root}scripts/policy-build.sh`, '--src', src, '--out', out], { stdio: 'pipe' });
}

export interface DecisionCase {
  name: string;
  input?: Record<string, unknown>;
  data?: Record<string, unknown>;
  expect: { allow: boolean; reasons?: string[] };
}

export interface DecisionTable {
  defaults: { input: PolicyInput; data: PolicyData };
  cases: DecisionCase[];
}

export function readDecisionTable(): DecisionTable {
  return (JSON.parse(readFileSync(`${root}policies/cases/decisions.json`, 'utf8')) as { decision_cases: DecisionTable })
    .decision_cases;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Rego's object.union: objects merge recursively, anything else on the right replaces. */
export function objectUnion<T>(left: T, right: unknown): T {
  if (!isObject(left) || !isObject(right)) return right as T;
  const out: Record<string, unknown> = { ...left };
  for (const [k, v] of Object.entries(right)) out[k] = k in out ? objectUnion(out[k], v) : v;
  return out as T;
}

export function caseInput(table: DecisionTable, c: DecisionCase): PolicyInput {
  return objectUnion(table.defaults.input, c.input ?? {});
}

export function caseData(table: DecisionTable, c: DecisionCase): PolicyData {
  return objectUnion(table.defaults.data, c.data ?? {});
}

export type { Decision };
