// Every one of the 759 functions gets a well-formed Moodle answer from the simulator (a test double): a result
// or a Moodle error body, in JSON and in XML, never a crash. Required parameters get the zero value of their type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSimulator, simulatorTokens } from '../../runtime/simulator/index.ts';
import { loadSimulatorData } from '../../runtime/simulator/data.ts';
import type { DescNode } from '../../runtime/simulator/descriptions.ts';
import { flattenForm } from '../../runtime/moodle/form.ts';

const sim = createSimulator();
const data = loadSimulatorData();

/** The smallest arguments that pass validation: required keys only, zero values, one item per list. */
function minimal(desc: DescNode): unknown {
  if (desc.kind === 'value') return desc.type === 'int' || desc.type === 'float' || desc.type === 'bool' ? 0 : desc.type === 'component' || desc.type === 'plugin' ? 'forum' : 'x';
  if (desc.kind === 'multiple_structure') return [minimal(desc.content)];
  return Object.fromEntries(Object.entries(desc.keys).filter(([, d]) => d.required === 'VALUE_REQUIRED').map(([k, d]) => [k, minimal(d)]));
}

test('all 759 functions answer with a result or a Moodle error, in JSON and XML', async () => {
  assert.equal(data.functions.size, 759);
  const outcomes = new Map<string, number>();
  for (const fn of data.functions.values()) {
    const args = minimal(fn.parameters) as Record<string, unknown>;
    for (const format of ['json', 'xml']) {
      const body = new URLSearchParams([['wstoken', simulatorTokens.admin], ['wsfunction', fn.name], ['moodlewsrestformat', format], ...flattenForm(args)]);
      const response = await sim.fetch(new Request('http://moodle.test/webservice/rest/server.php', { method: 'POST', body }));
      assert.equal(response.status, 200, fn.name);
      const text = await response.text();
      if (format === 'xml') {
        assert.match(text, /^<\?xml version="1.0" encoding="UTF-8" \?>\n<(RESPONSE|EXCEPTION)/, fn.name);
        continue;
      }
      const value = JSON.parse(text);
      const outcome = value && typeof value === 'object' && 'errorcode' in value && 'exception' in value ? value.errorcode : 'result';
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (fn.returns === null && outcome === 'result') assert.equal(value, null, fn.name);
    }
  }
  // Zero-valued ids name no course, module or instance: those calls fail the way Moodle fails them.
  assert.ok((outcomes.get('result') ?? 0) > 500, JSON.stringify([...outcomes]));
  assert.deepEqual([...outcomes.keys()].filter((k) => !['result', 'invalidparameter', 'invalidrecord'].includes(k)), []);
});
