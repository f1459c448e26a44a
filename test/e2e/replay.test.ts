// Every recorded Moodle 4.5.6 exchange replayed through the gateway (SDK client over a real socket → gateway →
// the Moodle simulator, a test double): each yields the recorded result, Moodle's recorded error, or, where the
// gateway stops a request before Moodle (invalid arguments, unknown function, bad token), the gateway's own refusal.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { coerceFormArgs } from '../../runtime/moodle/coerce.ts';
import { decodeForm } from '../../runtime/moodle/form.ts';
import { simulatorRoles } from '../../runtime/simulator/data.ts';
import { EXCHANGES, listen, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway.ts';
import { answer, connectClient, text } from '../helpers/mcp-client.ts';

const ROLES = ['student', 'teacher', 'admin', 'student2', 'teacher2', 'manager'] as const;
const env: NodeJS.ProcessEnv = { INVALID_TOKEN: '0123456789abcdef0123456789abcdef', INVALID_KEY: 'key-invalid' };
for (const role of ROLES) {
  env[`${role.toUpperCase()}_KEY`] = `key-${role}`;
  env[`${role.toUpperCase()}_TOKEN`] = simulatorRoles[role].token;
}

let gw: TestGateway;
let server: Awaited<ReturnType<typeof listen>>;
const clients = new Map<string, Client>();

before(async () => {
  const config = testConfig(
    {
      mode: 'read-write',
      moodle: { allow_site_admin_tokens: true },
      profiles: {
        default: { scopes: ['api.read', 'api.write'], allow: ['*'], allow_site_admin: true },
        demo: { scopes: ['api.read'], allow: ['*'] },
      },
      connections: [...ROLES, 'invalid'].map((role) => ({
        id: `replay-${role}`,
        key_env: `${role.toUpperCase()}_KEY`,
        moodle_token_env: `${role.toUpperCase()}_TOKEN`,
        profile: 'default',
      })),
    },
    env,
  );
  gw = await startTestGateway(config, { env });
  server = await listen(gw.gateway);
});
after(async () => {
  for (const client of clients.values()) await client.close();
  await server.close();
  await gw.close();
});

async function clientFor(role: string): Promise<Client> {
  let client = clients.get(role);
  if (!client) {
    client = await connectClient(server.url, `key-${role}`);
    clients.set(role, client);
  }
  return client;
}

const RESERVED = new Set(['wstoken', 'wsfunction', 'moodlewsrestformat']);
/** The recording replaced `userprivateaccesskey` values with a placeholder; do the same to the live answer. */
const redactPrivateKey = (value: unknown) =>
  JSON.parse(JSON.stringify(value).replace(/"userprivateaccesskey":"[^"]*"/g, '"userprivateaccesskey":"<USERPRIVATEACCESSKEY>"'));

/** What the gateway does instead of forwarding, for requests it stops itself. */
const STOPPED_BY_GATEWAY: Record<number, RegExp> = {
  53: /invalid_arguments[\s\S]*courseid/, // courseid=abc
  54: /invalid_arguments[\s\S]*courseid/, // missing required courseid
  55: /invalid_arguments[\s\S]*courseids/, // array sent as a scalar
  56: /invalid_arguments[\s\S]*bogus/, // unknown key
  59: /unknown_function/, // function not in the catalog
  60: /invalid_arguments[\s\S]*name/, // no function name
};

test('every recorded JSON exchange replayed through the gateway', async () => {
  const replayed: number[] = [];
  for (const exchange of EXCHANGES) {
    if (!['read', 'write', 'error'].includes(exchange.category)) continue; // xml and login/token.php: tested against the simulator
    if (exchange.token_role === 'none') continue; // no token at all: the gateway always has one (see the 401 tests)
    if (exchange.token_role === 'invalid') {
      await assert.rejects(
        connectClient(server.url, 'key-invalid'),
        /401|invalidtoken/,
        `#${exchange.id}: a connection whose Moodle token is invalid is refused`,
      );
      replayed.push(exchange.id);
      continue;
    }
    const client = await clientFor(exchange.token_role);
    const params = exchange.request_params.filter(([k]) => !RESERVED.has(k));
    const name = exchange.function ?? '';
    const fn = gw.gateway.catalog.get(name);
    const decoded = decodeForm(new URLSearchParams(params));
    const args = fn ? coerceFormArgs(gw.gateway.catalog.schemas(name).input, decoded) : decoded;
    const result = await client.callTool({ name: 'moodle_call_function', arguments: exchange.function ? { name, arguments: args } : { arguments: args } });
    const label = `#${exchange.id} ${exchange.token_role} ${name}`;
    const body = exchange.response_json as Record<string, unknown> | null;
    if (STOPPED_BY_GATEWAY[exchange.id]) {
      assert.equal(result.isError, true, label);
      assert.match(text(result), STOPPED_BY_GATEWAY[exchange.id], label);
    } else if (body && typeof body === 'object' && 'exception' in body) {
      assert.equal(result.isError, true, `${label}: expected Moodle error ${body.errorcode}`);
      assert.match(text(result), new RegExp(`^${body.errorcode}: Moodle: `), label);
      assert.ok(text(result).includes(String(body.message)), label);
    } else {
      assert.equal(result.isError, undefined, `${label}: ${result.isError ? text(result) : ''}`);
      assert.deepEqual(redactPrivateKey(answer(result)), body, label);
    }
    replayed.push(exchange.id);
  }
  const candidates = EXCHANGES.filter((e) => ['read', 'write', 'error'].includes(e.category) && e.token_role !== 'none');
  assert.equal(replayed.length, candidates.length);
  assert.ok(replayed.length >= 58, `replayed ${replayed.length}`);
});
