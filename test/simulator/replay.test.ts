// Replays every recorded exchange of exchanges-4.5.6.json against the simulator (a test double of Moodle 4.5.6)
// and expects the recorded status, content type and body. <TOKEN> becomes the simulator token of the exchange's
// token_role user (exchange 46/63 keep their literal invalid token); <PASSWORD> the simulator's demo password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createSimulator, simulatorPrivateAccessKey, simulatorTokens } from '../../runtime/simulator/index.ts';
import type { ExchangesFile } from '../../runtime/simulator/data.ts';

const recorded = JSON.parse(readFileSync(new URL('../../runtime/simulator/data/exchanges-4.5.6.json', import.meta.url), 'utf8')) as ExchangesFile;
const sim = createSimulator();

/** Replaces the simulator's concrete token / private key of `username` by the recording's placeholders. */
function placeholders(text: string, username: string | undefined): string {
  let out = text;
  for (const token of Object.values(simulatorTokens)) out = out.replaceAll(token, '<TOKEN>');
  if (username) out = out.replaceAll(simulatorPrivateAccessKey(username), '<USERPRIVATEACCESSKEY>');
  return out;
}

test('the recording has the 68 exchanges the README describes', () => {
  assert.equal(recorded.exchanges.length, 68);
});

for (const exchange of recorded.exchanges) {
  test(`exchange ${exchange.id} (${exchange.category}): ${exchange.title}`, async () => {
    const role = exchange.token_role ? recorded.roles[exchange.token_role] : undefined;
    const username = role?.username ?? (exchange.category === 'token' ? 'grace.thompson' : undefined);
    let body = exchange.request_body.replace('<PASSWORD>', sim.password);
    if (body.includes('<TOKEN>')) {
      assert.ok(role, `exchange ${exchange.id} has a <TOKEN> but no known token_role`);
      body = body.replace('<TOKEN>', simulatorTokens[role.username]);
    }
    const response = await sim.fetch(
      new Request(`http://moodle.test${exchange.path}`, { method: exchange.http_method, headers: { 'content-type': exchange.request_content_type }, body }),
    );
    assert.equal(response.status, exchange.http_status);
    assert.equal(response.headers.get('content-type'), exchange.response_content_type);
    const text = placeholders(await response.text(), username);
    if ('response_json' in exchange) assert.deepEqual(JSON.parse(text), exchange.response_json);
    else assert.equal(text, exchange.response_text);
  });
}

test('a recorded JSON answer is a fresh copy: changing it changes neither the recording nor the next answer', async () => {
  const { recordedJson } = await import('../../runtime/simulator/recorded.ts');
  const { loadSimulatorData } = await import('../../runtime/simulator/data.ts');
  const exchange = loadSimulatorData().exchanges.exchanges.find((e) => e.id === 7)!;
  const before = JSON.stringify(exchange.response_json);
  const first = recordedJson(exchange, 'dlindqvist') as Record<string, unknown>[];
  first[0].fullname = 'changed';
  (first[0].roles as unknown[]).push('changed');
  first.push({});
  assert.equal(JSON.stringify(exchange.response_json), before);
  assert.deepEqual(recordedJson(exchange, 'dlindqvist'), exchange.response_json);
});
