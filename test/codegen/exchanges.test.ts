// Every recorded Moodle 4.5.6 exchange against the generated schemas (JSON Schema via Ajv 2020, and Zod).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeForm } from '../../runtime/moodle/form.ts';
import { coerceFormArgs } from '../../runtime/moodle/coerce.ts';
import { loadSimulatorData, type Exchange } from '../../runtime/simulator/data.ts';
import { loadCatalog, loadZodSchemas, newAjv, schemasOf } from './helpers.ts';

const exchanges = loadSimulatorData().exchanges.exchanges;
const catalog = loadCatalog();
const byName = new Map(catalog.functions.map((f) => [f.name, f]));
const ajv = newAjv();
const TRANSPORT = new Set(['wstoken', 'wsfunction', 'moodlewsrestformat']);

function argsOf(exchange: Exchange) {
  const fn = byName.get(exchange.function!)!;
  const params = new URLSearchParams(exchange.request_params.filter(([name]) => !TRANSPORT.has(name)));
  const input = schemasOf(fn.component)[fn.name].input;
  return { fn, input, args: coerceFormArgs(input, decodeForm(params)) };
}

const rest = exchanges.filter((e) => e.function && byName.has(e.function) && ['read', 'write', 'error'].includes(e.category));
const ok = rest.filter((e) => !e.is_error);
const INVALID: Record<number, string> = { 53: 'type', 54: 'missing key', 55: 'array sent as scalar', 56: 'unknown key' };

test('the recorded exchanges cover the functions the README lists', () => {
  assert.ok(ok.length >= 44, `only ${ok.length} successful REST exchanges`);
  const invalid = rest.filter((e) => (e.response_json as { errorcode?: string } | undefined)?.errorcode === 'invalidparameter');
  assert.deepEqual(invalid.map((e) => e.id).sort((a, b) => a - b), Object.keys(INVALID).map(Number));
});

test('every successful request validates against the input schema (Ajv and Zod)', async () => {
  for (const exchange of ok) {
    const { fn, input, args } = argsOf(exchange);
    const validate = ajv.compile(input);
    assert.ok(validate(args), `#${exchange.id} ${fn.name}: ${ajv.errorsText(validate.errors)} ${JSON.stringify(args)}`);
    const zod = (await loadZodSchemas(fn.component))[fn.name].input.safeParse(args);
    assert.ok(zod.success, `#${exchange.id} ${fn.name} (zod): ${zod.success ? '' : JSON.stringify(zod.error.issues)}`);
  }
});

test('requests Moodle rejected as invalidparameter are rejected by both, naming the field', async () => {
  for (const [id, reason] of Object.entries(INVALID)) {
    const exchange = rest.find((e) => e.id === Number(id))!;
    const { fn, input, args } = argsOf(exchange);
    const validate = ajv.compile(input);
    assert.equal(validate(args), false, `#${id} (${reason}) accepted by Ajv`);
    const zod = (await loadZodSchemas(fn.component))[fn.name].input.safeParse(args);
    assert.equal(zod.success, false, `#${id} (${reason}) accepted by Zod`);
    const issue = zod.success ? undefined : zod.error.issues[0];
    if (reason === 'type') assert.deepEqual(issue?.path, ['courseid']);
    if (reason === 'array sent as scalar') assert.deepEqual(issue?.path, ['courseids']);
  }
});

test('every JSON response validates against the output schema (Ajv and Zod)', async () => {
  for (const exchange of ok) {
    const fn = byName.get(exchange.function!)!;
    assert.ok('response_json' in exchange, `#${exchange.id} has no JSON response`);
    const output = schemasOf(fn.component)[fn.name].output;
    const validate = ajv.compile(output);
    assert.ok(validate(exchange.response_json), `#${exchange.id} ${fn.name}: ${ajv.errorsText(validate.errors)}`);
    const zod = (await loadZodSchemas(fn.component))[fn.name].output.safeParse(exchange.response_json);
    assert.ok(zod.success, `#${exchange.id} ${fn.name} (zod): ${zod.success ? '' : JSON.stringify(zod.error.issues.slice(0, 3))}`);
  }
});

test('output schemas are tolerant where Moodle is: [] for an empty object, numeric strings, bare scalars, null', () => {
  const out = (name: string) => schemasOf(byName.get(name)!.component)[name].output;
  assert.ok(ajv.validate(out('core_message_get_unread_conversations_count'), 3));
  assert.ok(ajv.validate(out('core_message_get_unread_conversations_count'), '3'));
  assert.ok(ajv.validate(out('enrol_manual_enrol_users'), null));
  assert.equal(ajv.validate(out('enrol_manual_enrol_users'), { x: 1 }), false);
  const contents = out('core_course_get_contents');
  assert.ok(ajv.validate(contents, [{ id: 1, name: 'General', visible: 1, summary: '', summaryformat: 1, section: 0, hiddenbynumsections: 0, uservisible: true, modules: [] }]),
    ajv.errorsText());
});
