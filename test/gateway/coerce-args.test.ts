// runtime/gateway/coerce-args.ts + validate.ts: arguments coerced where Moodle's validate_parameters accepts them,
// refused (naming field, expected type and given type) where Moodle refuses them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCatalog } from '../../runtime/catalog/index.ts';
import { coerceArguments } from '../../runtime/gateway/coerce-args.ts';
import { createValidator } from '../../runtime/gateway/validate.ts';
import { coerceFormArgs } from '../../runtime/moodle/coerce.ts';
import { decodeForm } from '../../runtime/moodle/form.ts';
import { EXCHANGES } from '../helpers/exchanges.ts';

const catalog = await loadCatalog();
const validate = createValidator((fn) => catalog.schemas(fn.name).input);
const check = (name: string, args: unknown) => validate(catalog.functions.find((f) => f.name === name)!, args);

test('the five false refusals of issue 12 are accepted, with the coerced value as the validated value', async () => {
  const cases: [string, unknown, Record<string, unknown>][] = [
    ['core_course_get_contents', { courseid: '2' }, { courseid: 2 }],
    ['core_enrol_get_users_courses', { userid: 3, returnusercount: 1 }, { userid: 3, returnusercount: true }],
    ['core_course_get_courses_by_field', { field: 'id', value: 2 }, { field: 'id', value: '2' }],
    ['core_enrol_get_enrolled_users', { courseid: 2, options: [{ name: 'groupid', value: 2 }] }, { courseid: 2, options: [{ name: 'groupid', value: '2' }] }],
    ['core_user_get_users_by_field', { field: 'id', values: [7] }, { field: 'id', values: ['7'] }],
  ];
  for (const [name, args, expected] of cases) {
    const result = await check(name, args);
    assert.ok(result.ok, `${name} refused: ${JSON.stringify(result)}`);
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(result.value[key], value, `${name}.${key}`);
  }
});

test('what Moodle refuses stays refused: non-canonical integers, "true"/"false", decimals for integers, lists for text', async () => {
  const refused: [string, unknown, string, RegExp][] = [
    ['core_course_get_contents', { courseid: '02' }, 'courseid', /expected integer .*, got a string of digits that is not a canonical integer/],
    ['core_course_get_contents', { courseid: ' 2' }, 'courseid', /expected integer/],
    ['core_course_get_contents', { courseid: '+2' }, 'courseid', /expected integer/],
    ['core_course_get_contents', { courseid: 2.5 }, 'courseid', /expected integer .*, got a decimal number/],
    ['core_course_get_contents', { courseid: true }, 'courseid', /expected integer .*, got a boolean/],
    ['core_enrol_get_users_courses', { userid: 3, returnusercount: 'true' }, 'returnusercount', /expected boolean or null, got a string/],
    ['core_enrol_get_users_courses', { userid: 3, returnusercount: 2 }, 'returnusercount', /expected boolean or null, got an integer/],
    ['core_course_get_courses_by_field', { field: 'id', value: [2] }, 'value', /expected string or null, got a list/],
    ['core_course_get_courses_by_field', { field: 3, value: '2' }, 'field', /pattern/],
    ['core_user_get_users_by_field', { field: 'id', values: 7 }, 'values', /expected list of string, got an integer/],
  ];
  for (const [name, args, path, message] of refused) {
    const result = await check(name, args);
    assert.equal(result.ok, false, `${name} ${JSON.stringify(args)} accepted`);
    if (result.ok) continue;
    assert.equal(result.issues[0].path, path);
    assert.match(result.issues[0].message, message);
  }
});

test('a missing required key names the expected type', async () => {
  const result = await check('core_course_get_contents', {});
  assert.equal(result.ok, false);
  if (!result.ok) assert.deepEqual(result.issues[0], { path: 'courseid', message: 'required: expected integer (whole number)' });
});

test('every recorded invalidparameter exchange is still refused before Moodle', async () => {
  const invalid = EXCHANGES.filter((e) => (e.response_json as { errorcode?: string } | undefined)?.errorcode === 'invalidparameter' && e.function);
  assert.ok(invalid.length >= 4);
  for (const exchange of invalid) {
    const fn = catalog.functions.find((f) => f.name === exchange.function)!;
    const params = new URLSearchParams(exchange.request_params.filter(([name]) => !['wstoken', 'wsfunction', 'moodlewsrestformat'].includes(name)));
    const args = coerceFormArgs(catalog.schemas(fn.name).input, decodeForm(params));
    const result = await validate(fn, args);
    assert.equal(result.ok, false, `#${exchange.id} ${exchange.function} accepted`);
  }
});

test('coercion copies: the client arguments are not mutated, unknown keys are left for the validator', () => {
  const schema = { type: 'object', properties: { ids: { type: 'array', items: { type: 'integer' } } } };
  const args = { ids: ['1', '2'], other: '3' };
  assert.deepEqual(coerceArguments(schema, args), { ids: [1, 2], other: '3' });
  assert.deepEqual(args, { ids: ['1', '2'], other: '3' });
  assert.equal(coerceArguments({ type: 'string' }, 1e21), 1e21, 'exponent notation is not text Moodle would see');
  assert.equal(coerceArguments({ type: ['integer', 'null'] }, '9007199254740993'), '9007199254740993', 'beyond safe integers: left as is');
});
