// The fixed-seed CI slice of the fuzz campaigns (the full run of 100 000 cases is `make fuzz`): arguments generated
// from every input schema the gateway serves (generated/: 759 for the bundled Moodle 4.5.6, whatever a university
// generated from its own site otherwise), valid and mutated, and raw HTTP/JSON-RPC requests to /mcp.
// Invariants: no crash, every answered tools/call audited, no Moodle call with arguments the schema refuses.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadCatalog } from '../../runtime/catalog/index.ts';
import { startFuzzTarget, type FuzzTally, type FuzzTarget } from './harness.ts';

const served = (await loadCatalog()).functions.length;

const SEED = 20261207;
let target: FuzzTarget;
before(async () => {
  target = await startFuzzTarget();
});
after(() => target.close());

function assertInvariants(tally: FuzzTally) {
  const summary = JSON.stringify({ ...tally, examples: tally.examples.slice(0, 5) });
  assert.equal(tally.crashes, 0, summary);
  assert.equal(tally.unaudited, 0, summary);
  assert.equal(tally.invalidReachedMoodle, 0, summary);
  assert.deepEqual(Object.keys(tally.serverErrors), [], summary);
}

test(`schema campaign: a call for each of the ${served} functions, valid and mutated arguments taking turns`, async () => {
  assert.equal(target.functions.length, served);
  const tally = await target.schemaCampaign({ seed: SEED, cases: served });
  assert.equal(tally.cases, served);
  assertInvariants(tally);
  // The campaign exercised both sides: valid calls reached Moodle, mutated ones were refused and audited.
  assert.ok(tally.validArgs >= 300 && tally.invalidArgs >= 300, JSON.stringify(tally));
  assert.ok(tally.reachedMoodle >= 300, `reached Moodle: ${tally.reachedMoodle}`);
  assert.equal(tally.audited, tally.toolCalls);
});

test('raw campaign: generated methods, headers, encodings, sizes and bodies against /mcp', async () => {
  const tally = await target.rawCampaign({ seed: SEED, cases: 500 });
  assert.equal(tally.cases, 500);
  assertInvariants(tally);
  assert.ok(tally.audited > 50, `answered tools/call audited: ${tally.audited}`);
});
