// The decision hot path (runtime/policy/evaluate.ts) must answer exactly as opa-wasm's own evaluate does.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { evaluator } from '../../runtime/policy/evaluate.ts';
import { caseData, caseInput, ensureBuilt, paths, readDecisionTable } from './helpers.ts';

const table = readDecisionTable();
const ENTRYPOINT = 'moodle_mcp/decision';

describe('policy evaluator (opa_eval with the input encoded in place)', () => {
  let policy: LoadedPolicy;
  before(async () => {
    await ensureBuilt();
    policy = await loadPolicy(await readFile(paths.wasmPath));
  });

  it('answers every decision case as LoadedPolicy.evaluate does', () => {
    const evaluate = evaluator(policy, ENTRYPOINT);
    for (const c of table.cases) {
      policy.setData(caseData(table, c)); // moves dataAddr and dataHeapPtr: read on every call
      const input = caseInput(table, c);
      assert.deepEqual(evaluate(input), policy.evaluate(input, ENTRYPOINT), c.name);
    }
  });

  it('grows the memory for a large input and still answers (non-ASCII included)', () => {
    policy.setData(table.defaults.data);
    const evaluate = evaluator(policy, ENTRYPOINT);
    const before = policy.mem.buffer.byteLength;
    const big = { ...table.defaults.input, connection: { ...table.defaults.input.connection, id: 'é€😀'.repeat(300_000) } };
    const [{ result }] = evaluate(big) as [{ result: { allow: boolean } }];
    assert.ok(policy.mem.buffer.byteLength > before, 'memory grew');
    assert.deepEqual(evaluate(big), policy.evaluate(big, ENTRYPOINT));
    assert.equal(result.allow, true);
    // and the next, small evaluation reuses the same region
    assert.deepEqual(evaluate(table.defaults.input), policy.evaluate(table.defaults.input, ENTRYPOINT));
  });

  it('evaluates without input like LoadedPolicy.evaluate(undefined)', () => {
    policy.setData(table.defaults.data);
    const evaluate = evaluator(policy, ENTRYPOINT);
    const [{ result }] = evaluate(undefined) as [{ result: { allow: boolean; reasons: string[] } }];
    assert.equal(result.allow, false);
    assert.deepEqual(evaluate(undefined), policy.evaluate(undefined, ENTRYPOINT));
  });

  it('falls back to LoadedPolicy.evaluate when the instance has no one-shot opa_eval (ABI < 1.2)', () => {
    const calls: unknown[] = [];
    const old = {
      minorVersion: 1,
      entrypoints: { [ENTRYPOINT]: 0 },
      wasmInstance: { exports: {} },
      evaluate: (input: unknown, entrypoint: string) => {
        calls.push([input, entrypoint]);
        return [{ result: 'from evaluate' }];
      },
    } as unknown as LoadedPolicy;
    assert.deepEqual(evaluator(old, ENTRYPOINT)({ a: 1 }), [{ result: 'from evaluate' }]);
    assert.deepEqual(calls, [[{ a: 1 }, ENTRYPOINT]]);
  });
});
