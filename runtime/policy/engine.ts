import { createHash } from 'node:crypto';
import { watch as watchPath, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { PolicyError } from './errors.ts';
import { ENTRYPOINT, PATTERN_INDEX_ENTRYPOINT, readCheckedWasm } from './manifest.ts';
import type { Decision, PolicyData, PolicyInput } from './types.ts';
import { evaluator, type Evaluate } from './evaluate.ts';
import { buildPolicyInput } from './input.ts';
import { validatePolicyData } from './data.ts';

export type PolicyEvent =
  | { type: 'policy.loaded'; version: string; wasmSha256: string; reason: 'start' | 'reload' | 'data' }
  | { type: 'policy.rejected'; error: string; keptVersion: string }
  | { type: 'policy.error'; error: string; version: string };

export interface PolicyEngineOptions {
  /** `policies/build/policy.wasm` */
  wasmPath: string;
  /** `policies/build/manifest.json` */
  manifestPath: string;
  /** `policies/`: its sources are hashed and compared with the manifest (a stale build is refused). */
  sourcesDir: string;
  data: PolicyData;
  onEvent?: (event: PolicyEvent) => void;
  /** Debounce for `watch()`, default 250 ms. */
  debounceMs?: number;
}

export interface PolicyEngine {
  /** Evaluates `data.moodle_mcp.decision`. Never throws: an evaluation error denies with "policy error" and sets ready=false. */
  decide(input: PolicyInput): Decision;
  /** 16 hex digits of sha256(wasm + data): recorded in audit records. */
  readonly version: string;
  /** false after an evaluation error, until a reload or setData succeeds. */
  readonly ready: boolean;
  /** Re-reads and checks the WASM (SIGHUP, file change); keeps the old policy and rejects when the new one fails. */
  reload(): Promise<void>;
  /** Replaces `data` (config reload) atomically; throws PolicyError and keeps the old data when it is invalid. */
  setData(data: PolicyData): void;
  /**
   * Watches the WASM's directory for changes and reloads (debounced). Not the sources: an edit there only makes the
   * build stale; `make policy` rewrites the build directory. Returns the unwatch function.
   */
  watch(): () => void;
  close(): void;
}

interface Compiled {
  module: WebAssembly.Module;
  wasmSha256: string;
  wasmHash: ReturnType<typeof createHash>;
}

interface Loaded extends Compiled {
  /** `data.moodle_mcp.decision` of the loaded instance. */
  evaluate: Evaluate;
  version: string;
  data: PolicyData;
}

// The ESM entry of opa-wasm only re-exports the async loadPolicy; the CJS module also has loadPolicySync,
// which lets setData swap a fresh instance in synchronously.
const { loadPolicySync } = createRequire(import.meta.url)('@open-policy-agent/opa-wasm') as typeof import('@open-policy-agent/opa-wasm');

const POLICY_ERROR = 'policy error: the access policy could not be evaluated';

/** A probe that every working policy must answer with a decision (checked before a policy is swapped in). */
const PROBE: PolicyInput = buildPolicyInput({
  action: 'tools/list',
  connection: { id: 'probe', profile: '', scopes: [], auth_method: 'probe', site_admin: false },
  clientIp: '0.0.0.0',
  fn: { name: 'probe', access: 'read', courseRefs: [] },
  nowMs: 0,
});

function toDecision(resultSet: unknown): Decision {
  const result = Array.isArray(resultSet) ? (resultSet[0] as { result?: unknown } | undefined)?.result : undefined;
  const r = result as Partial<Decision> | undefined;
  if (
    !r ||
    typeof r.allow !== 'boolean' ||
    !Array.isArray(r.reasons) ||
    !r.reasons.every((x) => typeof x === 'string') ||
    (r.rate_limited !== undefined && typeof r.rate_limited !== 'boolean')
  ) {
    throw new PolicyError('the policy returned no {allow, reasons} decision');
  }
  return r.rate_limited === undefined ? { allow: r.allow, reasons: r.reasons } : { allow: r.allow, reasons: r.reasons, rate_limited: r.rate_limited };
}

function instantiate(module: WebAssembly.Module, data: PolicyData): Evaluate {
  const policy: LoadedPolicy = loadPolicySync(module);
  if (!policy.entrypoints || !(ENTRYPOINT in policy.entrypoints)) {
    throw new PolicyError(`the compiled policy has no entrypoint ${ENTRYPOINT}`);
  }
  policy.setData(data);
  if (PATTERN_INDEX_ENTRYPOINT in policy.entrypoints) {
    // Worked out once here instead of on every decision; the policy falls back to computing it when absent.
    const index = (policy.evaluate(undefined, PATTERN_INDEX_ENTRYPOINT) as { result?: unknown }[] | undefined)?.[0]?.result;
    if (!index || typeof index !== 'object') throw new PolicyError(`the policy returned no ${PATTERN_INDEX_ENTRYPOINT}`);
    policy.setData({ ...data, pattern_index: index });
  }
  const evaluate = evaluator(policy, ENTRYPOINT);
  toDecision(evaluate(PROBE));
  return evaluate;
}

function versionOf(wasmHash: ReturnType<typeof createHash>, data: PolicyData): string {
  return wasmHash.copy().update(JSON.stringify(data)).digest('hex').slice(0, 16);
}

/** Reads, checks and compiles the WASM (the slow, asynchronous part of a load). */
async function compile(opts: PolicyEngineOptions): Promise<Compiled> {
  const { wasm, manifest } = await readCheckedWasm(opts);
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(new Uint8Array(wasm));
  } catch (err) {
    throw new PolicyError(`compiled policy ${opts.wasmPath} is not valid WebAssembly: ${(err as Error).message}`);
  }
  return { module, wasmSha256: manifest.wasmSha256, wasmHash: createHash('sha256').update(wasm) };
}

/** Instantiates a compiled policy with `data`, synchronously: callers swap it in with no await in between. */
function swap(compiled: Compiled, data: PolicyData): Loaded {
  const evaluate = wrap(() => instantiate(compiled.module, data));
  return { ...compiled, evaluate, version: versionOf(compiled.wasmHash, data), data };
}

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PolicyError) throw err;
    // opa-wasm throws strings or Errors from the WASM runtime.
    throw new PolicyError(`policy load failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Loads the compiled policy (checked against its manifest and sources; a stale or missing build throws
 * PolicyError: the gateway must not start) and returns the engine that decides every call and listing.
 */
export async function loadPolicyEngine(opts: PolicyEngineOptions): Promise<PolicyEngine> {
  const emit = (event: PolicyEvent) => {
    try {
      opts.onEvent?.(event);
    } catch {
      // an observer's failure must not affect decisions
    }
  };
  const startData = validatePolicyData(opts.data);
  let current = swap(await compile(opts), startData);
  let ready = true;
  let reloading: Promise<void> = Promise.resolve();
  const watchers = new Set<() => void>();
  emit({ type: 'policy.loaded', version: current.version, wasmSha256: current.wasmSha256, reason: 'start' });

  const reloadNow = async () => {
    try {
      const compiled = await compile(opts);
      // current.data is read only now: a setData during the awaits above must not be undone.
      const next = swap(compiled, current.data);
      current = next;
      ready = true;
      emit({ type: 'policy.loaded', version: next.version, wasmSha256: next.wasmSha256, reason: 'reload' });
    } catch (err) {
      emit({ type: 'policy.rejected', error: (err as Error).message, keptVersion: current.version });
    }
  };

  const engine: PolicyEngine = {
    decide(input) {
      const loaded = current;
      try {
        return toDecision(loaded.evaluate(input));
      } catch (err) {
        ready = false;
        emit({ type: 'policy.error', error: err instanceof Error ? err.message : String(err), version: loaded.version });
        return { allow: false, reasons: [POLICY_ERROR] };
      }
    },
    get version() {
      return current.version;
    },
    get ready() {
      return ready;
    },
    reload() {
      reloading = reloading.then(reloadNow);
      return reloading;
    },
    setData(data) {
      const checked = validatePolicyData(data);
      current = swap(current, checked);
      ready = true;
      emit({ type: 'policy.loaded', version: current.version, wasmSha256: current.wasmSha256, reason: 'data' });
    },
    watch() {
      let timer: NodeJS.Timeout | undefined;
      const schedule = () => {
        clearTimeout(timer);
        timer = setTimeout(() => void engine.reload(), opts.debounceMs ?? 250);
      };
      const dir = dirname(opts.wasmPath);
      let fsWatcher: FSWatcher | undefined;
      try {
        fsWatcher = watchPath(dir, { persistent: false }, schedule);
      } catch (err) {
        emit({ type: 'policy.rejected', error: `cannot watch ${dir}: ${(err as Error).message}`, keptVersion: current.version });
      }
      const stop = () => {
        clearTimeout(timer);
        fsWatcher?.close();
        watchers.delete(stop);
      };
      watchers.add(stop);
      return stop;
    },
    close() {
      for (const stop of [...watchers]) stop();
    },
  };
  return engine;
}
