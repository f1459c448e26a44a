// The PHP-style form codec round-trips schema-valid arguments of every function:
// sample args → encodeForm → decodeForm → coerceFormArgs(input schema) → the same args.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeForm, encodeForm } from '../../runtime/moodle/form.ts';
import { coerceFormArgs } from '../../runtime/moodle/coerce.ts';
import { formCanonical, loadCatalog, loadZodSchemas, newAjv, sampleArgs, schemasOf } from './helpers.ts';

const catalog = loadCatalog();
const ajv = newAjv();

test('759 tools, none skipped, every input and output schema compiles under Ajv strict mode', () => {
  assert.equal(catalog.functions.length, 759);
  for (const fn of catalog.functions) {
    const { input, output } = schemasOf(fn.component)[fn.name];
    assert.equal(input.type, 'object', `${fn.name}: input must be an object schema`);
    assert.doesNotThrow(() => ajv.compile(input), `${fn.name} input`);
    assert.doesNotThrow(() => ajv.compile(output), `${fn.name} output`);
  }
});

test('form encoding round-trips sample arguments of every function (two seeds each)', async () => {
  let checked = 0;
  for (const fn of catalog.functions) {
    const input = schemasOf(fn.component)[fn.name].input;
    const validate = ajv.compile(input);
    const zod = (await loadZodSchemas(fn.component))[fn.name].input;
    for (const seed of ['a', 'b']) {
      const args = sampleArgs(input, `${fn.name}:${seed}`) as Record<string, unknown>;
      assert.ok(validate(args), `${fn.name}: sample is not schema-valid: ${ajv.errorsText(validate.errors)}`);
      assert.ok(zod.safeParse(args).success, `${fn.name}: sample rejected by Zod`);
      const back = coerceFormArgs(input, decodeForm(encodeForm(args)));
      assert.deepEqual(formCanonical(back) ?? {}, formCanonical(args) ?? {}, `${fn.name} (${seed})`);
      checked++;
    }
  }
  assert.equal(checked, 759 * 2);
});
