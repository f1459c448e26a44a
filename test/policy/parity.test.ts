// The decision table that `opa test` runs (policies/moodle_mcp_test.rego), run here through the compiled
// WASM and the runtime engine: the Rego semantics and what the gateway enforces can't drift apart.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { loadPolicyEngine, type PolicyEngine } from '../../runtime/policy/engine.ts';
import { PolicyError } from '../../runtime/policy/errors.ts';
import { caseData, caseInput, ensureBuilt, paths, readDecisionTable } from './helpers.ts';

const table = readDecisionTable();

describe('policy parity: decision table through the compiled WASM', () => {
  let engine: PolicyEngine;
  let raw: LoadedPolicy;
  before(async () => {
    await ensureBuilt();
    engine = await loadPolicyEngine({ ...paths, data: table.defaults.data });
    raw = await loadPolicy(await readFile(paths.wasmPath));
  });

  it('has cases for every rule group', () => {
    const names = table.cases.map((c) => c.name).join('\n');
    for (const topic of ['mode', 'scope', 'IP', 'pattern', 'course', 'rate', 'site-admin', 'list', 'profile', 'input']) {
      assert.match(names, new RegExp(topic), `no case mentions ${topic}`);
    }
    assert.ok(table.cases.some((c) => c.expect.allow) && table.cases.some((c) => !c.expect.allow));
  });

  for (const c of table.cases) {
    it(c.name, () => {
      const data = caseData(table, c);
      const input = caseInput(table, c);
      // The bare WASM, with data exactly as the table gives it (even data the engine would refuse).
      raw.setData(data);
      const [{ result }] = raw.evaluate(input, 'moodle_mcp/decision');
      assert.equal(result.allow, c.expect.allow, `allow; reasons: ${JSON.stringify(result.reasons)}`);
      if (c.expect.reasons) assert.deepEqual(result.reasons, c.expect.reasons);

      // The runtime engine (setData swaps data atomically, as on a config reload).
      try {
        engine.setData(data);
      } catch (err) {
        assert.ok(err instanceof PolicyError, String(err));
        return; // invalid config never reaches the engine; the Rego still denies it above
      }
      assert.deepEqual(engine.decide(input), result);
      assert.equal(engine.ready, true);
    });
  }
});
