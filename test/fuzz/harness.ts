/**
 * The fuzz harness shared by the CI suite (test/fuzz/fuzz.test.ts, fixed seed, a few hundred cases) and the bench
 * target (`make fuzz`, 100 000 cases): a gateway in read-write mode whose demo profile allows every function, the
 * Moodle simulator (a test double) behind a counting transport, and two campaigns:
 *
 * - schema: for every one of the 759 functions in turn, arguments that match its generated input schema and
 *   mutations of them, sent as `tools/call` (meta-tool or direct tool) in one MCP session;
 * - raw: HTTP requests to /mcp with generated methods, headers, content types, encodings, sizes and bodies (random
 *   bytes, truncated and deeply nested JSON, JSON-RPC messages and batches with odd ids and params), mostly
 *   in-process (`app.request`), one in 10 over a real socket (srvx).
 *
 * Invariants counted for every case: no crash (an exception, a hang, HTTP 500, JSON-RPC -32603 or an audited
 * internal error), every answered `tools/call` audited (records matched by request id), no Moodle request for a
 * call whose arguments fail the function's JSON Schema (Ajv: an oracle independent of the gateway's Zod validation,
 * after the coercions Moodle accepts, which the gateway applies too),
 * and every 5xx counted with its explanation.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ValidateFunction } from 'ajv';
import { coerceArguments } from '../../runtime/gateway/coerce-args.ts';
import { createSimulator } from '../../runtime/simulator/index.ts';
import { newAjv } from '../codegen/helpers.ts';
import { listen, ROOT, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway.ts';
import { INITIALIZE } from '../helpers/mcp-client.ts';
import { mutatedArbitrary, validArbitrary, type JsonSchema } from './arbitraries.ts';

const ORIGIN = 'http://127.0.0.1:3000';
const KEY = 'demo-teacher';
const TIMEOUT_MS = 15_000;

/** Counters of one campaign; `examples` keeps the first few violations for the report. */
export interface FuzzTally {
  cases: number;
  /** Schema campaign: cases whose arguments match the schema (Ajv) and those that do not. */
  validArgs: number;
  invalidArgs: number;
  toolCalls: number;
  audited: number;
  unaudited: number;
  reachedMoodle: number;
  invalidReachedMoodle: number;
  crashes: number;
  /** Gateway refused arguments the JSON Schema accepts (Zod stricter than the schema: integers past 2^53). */
  stricterThanSchema: number;
  /** HTTP status (and JSON-RPC error code) → count. */
  outcomes: Record<string, number>;
  /** 5xx answers by explanation. */
  serverErrors: Record<string, number>;
  examples: string[];
  ms: number;
}

function emptyTally(): FuzzTally {
  return { cases: 0, validArgs: 0, invalidArgs: 0, toolCalls: 0, audited: 0, unaudited: 0, reachedMoodle: 0, invalidReachedMoodle: 0, crashes: 0, stricterThanSchema: 0, outcomes: {}, serverErrors: {}, examples: [], ms: 0 };
}

const bump = (map: Record<string, number>, key: string) => void (map[key] = (map[key] ?? 0) + 1);
function violation(tally: FuzzTally, text: string) {
  if (tally.examples.length < 20) tally.examples.push(text.slice(0, 400));
}

interface FunctionInfo {
  name: string;
  schema: JsonSchema;
  check: ValidateFunction;
}

/**
 * The oracle: whether arguments match the function's JSON Schema (Ajv, independent of the gateway's Zod) once the
 * documented coercions Moodle itself accepts are applied ("2" for an integer...): the gateway sends Moodle the
 * coerced value.
 */
function matchesSchema(fn: FunctionInfo, args: unknown): boolean {
  return fn.check(coerceArguments(fn.schema as Record<string, unknown>, args)) === true;
}

/** Every generated input schema with its Ajv validator. */
function loadFunctions(): FunctionInfo[] {
  const ajv = newAjv();
  const dir = join(ROOT, 'generated/schemas');
  const out: FunctionInfo[] = [];
  for (const file of readdirSync(dir).sort()) {
    for (const [name, entry] of Object.entries<{ input: JsonSchema }>(JSON.parse(readFileSync(join(dir, file), 'utf8')))) {
      if (!name.startsWith('$')) out.push({ name, schema: entry.input, check: ajv.compile(entry.input) });
    }
  }
  return out;
}

/** The messages of an MCP answer: a JSON body (object or batch) or `data:` lines of an SSE stream. */
function messagesOf(text: string, contentType: string | null): Record<string, unknown>[] {
  try {
    if (contentType?.includes('text/event-stream')) {
      return text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
    }
    const parsed = JSON.parse(text) as unknown;
    return (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
  } catch {
    return [];
  }
}

export interface FuzzTarget {
  functions: FunctionInfo[];
  /** `progress`: called every 5000 cases (the bench prints it). */
  schemaCampaign(options: { seed: number; cases: number; progress?: (tally: FuzzTally) => void }): Promise<FuzzTally>;
  rawCampaign(options: { seed: number; cases: number; progress?: (tally: FuzzTally) => void }): Promise<FuzzTally>;
  /** The gateway's audit counters (records, drops, sink failures). */
  auditStats(): ReturnType<TestGateway['gateway']['audit']['stats']>;
  close(): Promise<void>;
}

/** A gateway and simulator set up for fuzzing. */
export async function startFuzzTarget(): Promise<FuzzTarget> {
  const simulator = createSimulator();
  // Moodle requests of the current case: [wsfunction].
  let moodleSeen: string[] = [];
  const moodleFetch = async (request: Request) => {
    const body = await request.clone().text();
    const params = new URLSearchParams(body);
    moodleSeen.push(params.get('wsfunction') ?? new URL(request.url).searchParams.get('wsfunction') ?? '');
    return simulator.fetch(request);
  };
  const config = testConfig({
    mode: 'read-write',
    profiles: { demo: { scopes: ['api.read', 'api.write'], ip_allow: ['127.0.0.0/8', '::1/128'], allow: ['*'], deny: [], rate_per_minute: 100_000_000, allow_site_admin: false } },
  });
  const gw: TestGateway = await startTestGateway(config, { moodleFetch });
  const socket = await listen(gw.gateway);
  const functions = loadFunctions();
  const byName = new Map(functions.map((f) => [f.name, f]));
  const direct = gw.gateway.registry.directTools;
  let audited = 0; // records already matched

  /** One request to /mcp, in-process or over the socket; never throws (a failure is returned as status 0). */
  async function send(init: { method: string; headers: Record<string, string>; body?: string | Uint8Array }, viaSocket: boolean) {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // In-process requests ignore the abort signal: a hang is caught by the race with a timer.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error(`no answer within ${TIMEOUT_MS} ms`));
      }, TIMEOUT_MS);
    });
    try {
      const requestInit: RequestInit = { method: init.method, headers: init.headers, body: init.body as BodyInit | undefined, signal: controller.signal };
      return await Promise.race([
        (async () => {
          const response = viaSocket
            ? await fetch(`${socket.url}/mcp`, requestInit)
            : await gw.gateway.app.request(`${ORIGIN}/mcp`, requestInit, { clientIp: '127.0.0.1' });
          const text = await response.text();
          return { status: response.status, text, contentType: response.headers.get('content-type'), sessionId: response.headers.get('mcp-session-id') };
        })(),
        timeout,
      ]);
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
      const detail = cause ? ` (${cause.code ?? ''} ${cause.message ?? ''})` : '';
      return { status: 0, text: `${String((error as Error)?.message ?? error)}${detail}`, contentType: null, sessionId: null };
    } finally {
      clearTimeout(timer);
      // In-process requests to the in-process simulator do no I/O: without this turn of the event loop, timers and
      // setImmediate (the audit sinks drain on it) would starve, as they never do behind a real socket.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  const baseHeaders = (sessionId?: string) => ({
    authorization: `Bearer ${KEY}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' } : {}),
  });
  async function openSession(): Promise<string> {
    const answer = await send({ method: 'POST', headers: baseHeaders(), body: JSON.stringify(INITIALIZE) }, false);
    if (answer.status !== 200 || !answer.sessionId) throw new Error(`fuzz: initialize failed (${answer.status}): ${answer.text.slice(0, 200)}`);
    await send({ method: 'POST', headers: baseHeaders(answer.sessionId), body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) }, false);
    return answer.sessionId;
  }

  /** Audit records of request ids, flushed; each record is counted once. */
  async function auditedBy(requestIds: Set<string>): Promise<Map<string, number>> {
    const records = await gw.audited();
    const counts = new Map<string, number>();
    for (const record of records.slice(audited)) {
      if (record.event === 'tools/call' && record.request_id && requestIds.has(record.request_id)) counts.set(record.request_id, (counts.get(record.request_id) ?? 0) + 1);
    }
    audited = records.length;
    return counts;
  }

  /** What the target of a tools/call message is: the Moodle function and its arguments, when there is one. */
  function targetOf(message: unknown): { fn?: FunctionInfo; name?: string; args?: unknown } {
    const m = message as { method?: unknown; params?: { name?: unknown; arguments?: { name?: unknown; arguments?: unknown } } } | null;
    if (!m || typeof m !== 'object' || m.method !== 'tools/call' || !m.params || typeof m.params !== 'object') return {};
    const tool = m.params.name;
    if (typeof tool !== 'string') return {};
    if (tool === 'moodle_call_function') {
      const inner = m.params.arguments;
      const name = inner && typeof inner === 'object' && typeof inner.name === 'string' ? inner.name : undefined;
      return { name, fn: name ? byName.get(name) : undefined, args: inner && typeof inner === 'object' ? (inner.arguments ?? {}) : undefined };
    }
    return { name: tool, fn: direct.has(tool) ? byName.get(tool) : undefined, args: m.params.arguments ?? {} };
  }

  /** Checks one answered case against the invariants. */
  function judge(tally: FuzzTally, label: string, answer: Awaited<ReturnType<typeof send>>, calls: unknown[], seen: string[]) {
    tally.cases++;
    const messages = messagesOf(answer.text, answer.contentType);
    const codes = messages.map((m) => (m.error as { code?: number } | undefined)?.code).filter((c) => c !== undefined);
    bump(tally.outcomes, `${answer.status}${codes.length ? ` ${[...new Set(codes)].join('/')}` : ''}`);
    if (answer.status === 0) {
      tally.crashes++;
      violation(tally, `${label}: no answer (${answer.text})`);
    } else if (answer.status >= 500) {
      const reason = messagesOf(answer.text, answer.contentType)[0]?.error ?? answer.text.slice(0, 80);
      bump(tally.serverErrors, `${answer.status} ${JSON.stringify(reason)}`);
      if (answer.status === 500) {
        tally.crashes++;
        violation(tally, `${label}: HTTP 500 ${answer.text.slice(0, 200)}`);
      }
    }
    if (codes.includes(-32603)) {
      tally.crashes++;
      violation(tally, `${label}: JSON-RPC -32603 ${answer.text.slice(0, 200)}`);
    }
    if (/internal_error/.test(answer.text)) {
      tally.crashes++;
      violation(tally, `${label}: internal_error ${answer.text.slice(0, 200)}`);
    }
    // Moodle reached with arguments the schema refuses?
    for (const call of calls) {
      const { fn, args, name } = targetOf(call);
      if (!name) continue;
      const reached = seen.includes(name);
      if (reached) tally.reachedMoodle++;
      const schemaValid = fn ? matchesSchema(fn, args) : false;
      if (reached && !schemaValid) {
        tally.invalidReachedMoodle++;
        violation(tally, `${label}: ${name} reached Moodle with arguments its schema refuses`);
      }
    }
  }

  return {
    functions,

    async schemaCampaign({ seed, cases, progress }) {
      const tally = emptyTally();
      const started = Date.now();
      let sessionId = await openSession();
      const pending = new Map<string, boolean>(); // request id → answered (expects one audit record)
      let id = 0;
      // Case k: function k mod the number of functions, valid and mutated arguments taking turns (by round and function).
      for (let k = 0; k < cases; k++) {
        const f = k % functions.length;
        const round = Math.floor(k / functions.length);
        const fn = functions[f]!;
        const { value, mutation } =
          (round + f) % 2 === 0
            ? { value: fc.sample(validArbitrary(fn.schema), { seed: seed + k, numRuns: 1 })[0], mutation: 'none' }
            : fc.sample(mutatedArbitrary(fn.schema), { seed: seed + k, numRuns: 1 })[0]!;
        {
          const requestId = `fuzz-schema-${seed}-${id++}`;
          const viaDirect = direct.has(fn.name) && round % 2 === 0;
          const params = viaDirect ? { name: fn.name, arguments: value } : { name: 'moodle_call_function', arguments: { name: fn.name, arguments: value } };
          const message = { jsonrpc: '2.0', id, method: 'tools/call', params };
          const schemaValid = matchesSchema(fn, value);
          if (schemaValid) tally.validArgs++;
          else tally.invalidArgs++;
          moodleSeen = [];
          let answer = await send({ method: 'POST', headers: { ...baseHeaders(sessionId), 'x-request-id': requestId }, body: JSON.stringify(message) }, false);
          if (answer.status === 404) {
            // The session ended (evicted or idle): open another and send the case again.
            sessionId = await openSession();
            moodleSeen = [];
            answer = await send({ method: 'POST', headers: { ...baseHeaders(sessionId), 'x-request-id': requestId }, body: JSON.stringify(message) }, false);
          }
          tally.toolCalls++;
          pending.set(requestId, answer.status === 200);
          judge(tally, `${fn.name} (${mutation})`, answer, [message], moodleSeen);
          if (tally.cases % 5000 === 0) progress?.(tally);
          if (schemaValid && /invalid_arguments/.test(answer.text)) tally.stricterThanSchema++;
        }
      }
      const counts = await auditedBy(new Set(pending.keys()));
      for (const [requestId, answered] of pending) {
        const n = counts.get(requestId) ?? 0;
        if (n >= 1) tally.audited++;
        if (answered && n !== 1) {
          tally.unaudited++;
          violation(tally, `${requestId}: ${n} audit records for one tools/call`);
        }
      }
      tally.ms = Date.now() - started;
      return tally;
    },

    async rawCampaign({ seed, cases, progress }) {
      const tally = emptyTally();
      const started = Date.now();
      let sessionId = await openSession();
      const requests = fc.sample(rawRequestArbitrary(functions.map((f) => f.name), [...direct.keys()]), { seed, numRuns: cases });
      const answeredCalls = new Map<string, number>(); // request id → tools/call answers in the response
      const described = new Map<string, string>();
      for (const [n, raw] of requests.entries()) {
        const requestId = `fuzz-raw-${seed}-${n}`;
        const headers: Record<string, string> = { 'x-request-id': requestId };
        for (const [name, value] of Object.entries(raw.headers)) {
          if (value === undefined) continue;
          headers[name] = value.replaceAll('$session', sessionId);
        }
        const body = raw.body.kind === 'text' ? raw.body.text : raw.body.bytes;
        moodleSeen = [];
        const answer = await send({ method: raw.method, headers, body: raw.method === 'GET' || raw.method === 'HEAD' ? undefined : body }, raw.viaSocket);
        const calls = raw.messages.filter((m) => (m as { method?: unknown })?.method === 'tools/call');
        tally.toolCalls += calls.length;
        const callIds = new Set(calls.map((c) => JSON.stringify((c as { id?: unknown }).id)));
        // Only a 200 carries answers of handlers: other statuses are the transport's or the edge's own refusals.
        const answers = (answer.status === 200 ? messagesOf(answer.text, answer.contentType) : []).filter((m) => 'id' in m && callIds.has(JSON.stringify(m.id)) && ('result' in m || 'error' in m));
        // Answers the transport gives before any handler runs (-32600, -32700) are not calls.
        const handled = answers.filter((m) => !m.error || ![-32600, -32700, -32000].includes((m.error as { code: number }).code));
        if (handled.length) answeredCalls.set(requestId, handled.length);
        if (handled.length) described.set(requestId, `${raw.method} ${raw.label} ${raw.body.kind === 'text' ? raw.body.text.slice(0, 200) : 'bytes'} => ${answer.status} ${answer.text.slice(0, 200)}`);
        judge(tally, `raw #${n} ${raw.method} ${raw.label}`, answer, calls, moodleSeen);
        if (tally.cases % 5000 === 0) progress?.(tally);
        if (answer.status === 404 && headers['mcp-session-id'] === sessionId) sessionId = await openSession();
        if (raw.method === 'DELETE' && answer.status === 200) sessionId = await openSession();
      }
      const counts = await auditedBy(new Set(answeredCalls.keys()));
      for (const [requestId, expected] of answeredCalls) {
        const got = counts.get(requestId) ?? 0;
        tally.audited += Math.min(got, expected);
        if (got < expected) {
          tally.unaudited += expected - got;
          violation(tally, `${requestId}: ${expected} answered tools/call, ${got} audit records ${described.get(requestId) ?? ''}`);
        }
      }
      tally.ms = Date.now() - started;
      return tally;
    },

    auditStats: () => gw.gateway.audit.stats(),

    async close() {
      await socket.close();
      await gw.close();
    },
  };
}

/** A generated raw request: method, headers (`$session`: the current valid session id), body, transport. */
interface RawRequest {
  label: string;
  method: string;
  headers: Record<string, string | undefined>;
  body: { kind: 'text'; text: string } | { kind: 'bytes'; bytes: Uint8Array };
  /** The JSON-RPC messages in the body (for the audit and Moodle checks), when it is JSON. */
  messages: unknown[];
  viaSocket: boolean;
}

export function rawRequestArbitrary(functionNames: string[], directTools: string[]): fc.Arbitrary<RawRequest> {
  const id = fc.oneof({ weight: 8, arbitrary: fc.oneof(fc.nat(), fc.string({ maxLength: 12 })) }, { weight: 1, arbitrary: fc.constantFrom(null, 1.5, -1, { a: 1 }, 2 ** 60, '', true) });
  const toolName = fc.oneof(
    fc.constant('moodle_call_function'),
    fc.constant('moodle_search_functions'),
    fc.constant('moodle_describe_function'),
    fc.constantFrom(...directTools),
    fc.string({ maxLength: 20 }),
  );
  const args = fc.oneof(
    fc.record({ name: fc.oneof(fc.constantFrom(...functionNames), fc.string({ maxLength: 10 })), arguments: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant({ courseid: 2 }), fc.constant({ courseids: [2] })) }, { requiredKeys: [] }),
    fc.record({ query: fc.string({ maxLength: 20 }), limit: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }),
    fc.jsonValue({ maxDepth: 3 }),
  );
  const params = fc.oneof(
    { weight: 4, arbitrary: fc.record({ name: toolName, arguments: args }, { requiredKeys: ['name'] }) },
    { weight: 1, arbitrary: fc.constantFrom({}, null, [], 'x', 1, { name: '' }, { name: 'moodle_call_function', arguments: 'x' }) },
  );
  const message = fc.oneof(
    { weight: 6, arbitrary: fc.record({ jsonrpc: fc.constant('2.0'), id, method: fc.constant('tools/call'), params }) },
    { weight: 1, arbitrary: fc.constant(INITIALIZE as unknown) },
    { weight: 1, arbitrary: fc.record({ jsonrpc: fc.constant('2.0'), id, method: fc.constantFrom('tools/list', 'ping', 'resources/list', 'prompts/list', 'logging/setLevel', 'completion/complete', 'x/unknown', '') }) },
    { weight: 1, arbitrary: fc.record({ jsonrpc: fc.constantFrom('2.0', '1.0'), method: fc.constantFrom('notifications/initialized', 'notifications/cancelled', 'notifications/x') }) },
    { weight: 1, arbitrary: fc.record({ jsonrpc: fc.constant('2.0'), id, result: fc.jsonValue({ maxDepth: 2 }) }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
  const jsonBody = fc.oneof(
    { weight: 6, arbitrary: message.map((m) => ({ messages: [m], text: JSON.stringify(m) })) },
    { weight: 2, arbitrary: fc.array(message, { minLength: 0, maxLength: 4 }).map((ms) => ({ messages: ms, text: JSON.stringify(ms) })) },
  );
  const body: fc.Arbitrary<{ label: string; body: RawRequest['body']; messages: unknown[] }> = fc.oneof(
    { weight: 120, arbitrary: jsonBody.map(({ messages, text }) => ({ label: 'json-rpc', body: { kind: 'text' as const, text }, messages })) },
    { weight: 20, arbitrary: fc.tuple(jsonBody, fc.nat()).map(([{ text }, cut]) => ({ label: 'truncated', body: { kind: 'text' as const, text: text.slice(0, cut % Math.max(1, text.length)) }, messages: [] })) },
    { weight: 10, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ label: 'bytes', body: { kind: 'bytes' as const, bytes }, messages: [] })) },
    { weight: 10, arbitrary: fc.constantFrom('', ' ', 'null', '[]', '{}', '"x"', '0', '\ufeff{}', '{"jsonrpc":"2.0"}').map((text) => ({ label: 'tiny', body: { kind: 'text' as const, text }, messages: [] })) },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.integer({ min: 1, max: 200_000 }), fc.boolean()).map(([depth, objects]) => ({
        label: `nested ${depth}`,
        body: { kind: 'text' as const, text: objects ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}` },
        messages: [],
      })),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.integer({ min: 1, max: 200_000 }), fc.constantFrom(...functionNames)).map(([depth, name]) => {
        const text = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"moodle_call_function","arguments":{"name":${JSON.stringify(name)},"arguments":{"x":${'['.repeat(depth)}${']'.repeat(depth)}}}}}`;
        // The parsed message is too deep to build as an object here; it is refused by depth (no Moodle call expected).
        return { label: `deep call ${depth}`, body: { kind: 'text' as const, text }, messages: [{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'moodle_call_function', arguments: { name, arguments: { x: 'deep' } } } }] };
      }),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 900_000, max: 1_200_000 }).map((size) => {
        const m = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'moodle_search_functions', arguments: { query: 'x'.repeat(size) } } };
        return { label: `big ${size}`, body: { kind: 'text' as const, text: JSON.stringify(m) }, messages: [m] };
      }),
    },
    { weight: 5, arbitrary: jsonBody.map(({ messages, text }) => ({ label: 'gzip', body: { kind: 'bytes' as const, bytes: new Uint8Array(gzipSync(text)) }, messages: [] })) },
    { weight: 5, arbitrary: jsonBody.map(({ messages, text }) => ({ label: 'utf-16', body: { kind: 'bytes' as const, bytes: new Uint8Array(Buffer.from(text, 'utf16le')) }, messages: [] })) },
  );
  const headers = fc.record({
    authorization: fc.oneof(
      { weight: 40, arbitrary: fc.constant(`Bearer ${KEY}`) },
      { weight: 1, arbitrary: fc.constantFrom(undefined, '', 'Bearer', 'Bearer ', `bearer ${KEY}`, 'Basic YTpi', 'Bearer demo-nobody', `Bearer ${'x'.repeat(5000)}`, `Bearer ${KEY}, Bearer ${KEY}`) },
    ),
    'content-type': fc.oneof(
      { weight: 40, arbitrary: fc.constant('application/json') },
      { weight: 2, arbitrary: fc.constantFrom(undefined, 'application/json; charset=utf-8', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', '', 'APPLICATION/JSON') },
    ),
    accept: fc.oneof(
      { weight: 40, arbitrary: fc.constant('application/json, text/event-stream') },
      { weight: 2, arbitrary: fc.constantFrom(undefined, 'application/json', 'text/event-stream', '*/*', 'text/html', '') },
    ),
    'mcp-session-id': fc.oneof(
      { weight: 40, arbitrary: fc.constant('$session') },
      { weight: 2, arbitrary: fc.constantFrom(undefined, '', 'no-such-session', '00000000-0000-0000-0000-000000000000', 'x'.repeat(2000), '$session, $session') },
    ),
    'mcp-protocol-version': fc.oneof(
      { weight: 40, arbitrary: fc.constant('2025-11-25') },
      { weight: 2, arbitrary: fc.constantFrom(undefined, '2025-06-18', '2025-03-26', '2024-11-05', '1999-01-01', 'garbage', '') },
    ),
    'content-encoding': fc.oneof({ weight: 40, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('gzip', 'br', 'identity', 'x-unknown') }),
    origin: fc.oneof({ weight: 40, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('http://localhost:6274', 'https://evil.example', 'null') }),
    'user-agent': fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.string({ maxLength: 300 }) }),
  });
  const method = fc.oneof({ weight: 16, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD') });
  return fc.tuple(method, headers, body, fc.integer({ min: 0, max: 9 })).map(([m, h, b, transport]) => {
    // A session id of '$session, $session' names the current session twice.
    const hs = { ...h } as Record<string, string | undefined>;
    // fetch refuses header values with control characters: keep the user agent printable.
    if (hs['user-agent']) hs['user-agent'] = hs['user-agent'].replace(/[^\x20-\x7e]/g, '?');
    return { label: b.label, method: m, headers: hs, body: b.body, messages: b.messages, viaSocket: transport === 0 };
  });
}
