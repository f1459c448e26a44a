// runtime/moodle/coerce.ts: decoded PHP forms → typed arguments, per a JSON Schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeForm } from '../../runtime/moodle/form.ts';
import { coerceFormArgs, coerceValue } from '../../runtime/moodle/coerce.ts';

const schema = {
  type: 'object',
  properties: {
    courseid: { type: 'integer' },
    grade: { type: ['number', 'null'] },
    notify: { type: 'boolean' },
    name: { type: 'string' },
    ids: { type: 'array', items: { type: 'integer' } },
    options: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, value: { type: 'string' } } } },
    criteria: { type: 'object', properties: { depth: { type: 'integer' } } },
  },
  additionalProperties: false,
};

test('scalars are typed the way Moodle validates them', () => {
  const args = coerceFormArgs(schema, decodeForm('courseid=12&grade=-1.5e2&notify=1&name=007'));
  assert.deepEqual(args, { courseid: 12, grade: -150, notify: true, name: '007' });
  assert.deepEqual(coerceFormArgs(schema, decodeForm('notify=0&courseid=-3')), { notify: false, courseid: -3 });
});

test('lists and nested structures come back as arrays and objects, in key order', () => {
  const args = coerceFormArgs(schema, decodeForm('ids[1]=5&ids[0]=4&options[0][name]=groupid&options[0][value]=3&criteria[depth]=2'));
  assert.deepEqual(args, { ids: [4, 5], options: [{ name: 'groupid', value: '3' }], criteria: { depth: 2 } });
  assert.deepEqual(coerceFormArgs(schema, decodeForm('ids[]=7&ids[]=8')), { ids: [7, 8] });
});

test('values Moodle would reject are left as they are for the validator to report', () => {
  for (const bad of ['abc', '012', '+5', ' 5', '', '1.0', '99999999999999999999']) {
    assert.equal(coerceFormArgs(schema, { courseid: bad }).courseid, bad, bad);
  }
  assert.equal(coerceFormArgs(schema, { notify: 'true' }).notify, 'true');
  assert.equal(coerceFormArgs(schema, { ids: '2' }).ids, '2', 'a scalar where a list is expected');
  assert.deepEqual(coerceFormArgs(schema, { bogus: '1' }), { bogus: '1' }, 'unknown keys are kept');
  assert.deepEqual(coerceFormArgs(schema, { name: { 0: 'x' } }), { name: { 0: 'x' } }, 'a structure where text is expected');
});

test('union and anyOf schemas (tolerant output schemas) are followed', () => {
  const output = { anyOf: [{ type: 'object', properties: { n: { type: ['integer', 'string'] } } }, { type: 'array', maxItems: 0 }] };
  assert.deepEqual(coerceValue(output, { n: '4' }), { n: 4 });
  assert.equal(coerceValue({ enum: [true, false, 0, 1, '0', '1'] }, '1'), true, 'PARAM_BOOL output');
  assert.equal(coerceValue(undefined, 'x'), 'x');
});
