// Checks that concern the site's catalog: generated/ as `make generate` wrote it, from whatever source (the bundled
// 4.5.6 snapshot, a university's Moodle 5.0, a site with plugins). Each function must be usable by the gateway:
// schemas that resolve and compile, Zod schemas, course references to known entities, and the source it names.
// (Freshness against codegen is `make check-generated`; the project's own tests use the bundled snapshot.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { readRememberedSource } from '../../codegen/remembered-source.ts';
import { GENERATED_DIR, loadCatalog } from '../../runtime/catalog/index.ts';
import { loadZodSchemas } from '../../generated/zod/index.ts';

const loaded = await loadCatalog();
const { catalog } = loaded;

test('the catalog is the one codegen.source.json names (release and function-set hash)', () => {
  assert.equal(catalog.format, 'moodle-mcp-catalog/1');
  assert.match(catalog.moodle.source, /^functions:sha256:[0-9a-f]{64}$/);
  const remembered = readRememberedSource(join(GENERATED_DIR, '..', 'codegen.source.json'));
  if (remembered) assert.deepEqual([catalog.moodle.release, catalog.moodle.source], [remembered.release, remembered.source]);
  assert.ok(catalog.functions.length > 0, 'the catalog has functions');
});

test('every function of generated/ has input and output schemas that compile, and Zod schemas', async () => {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  for (const fn of catalog.functions) {
    const { input, output } = loaded.schemas(fn.name);
    assert.equal(input.type, 'object', `${fn.name}: input must be an object schema`);
    assert.doesNotThrow(() => ajv.compile(input), `${fn.name} input`);
    assert.doesNotThrow(() => ajv.compile(output), `${fn.name} output`);
    const zod = (await loadZodSchemas(fn.component))[fn.name];
    assert.ok(zod?.input && zod.output, `${fn.name}: no Zod schemas in generated/zod/${fn.component}.ts`);
  }
});

test('every function of generated/ is consistent: access, hints, course references to known course-bound entities', () => {
  const names = new Set<string>();
  for (const fn of catalog.functions) {
    assert.ok(!names.has(fn.name), `${fn.name}: listed twice`);
    names.add(fn.name);
    assert.ok(fn.access === 'read' || fn.access === 'write', `${fn.name}: access`);
    assert.equal(fn.annotations.readOnlyHint, fn.access === 'read', `${fn.name}: readOnlyHint follows access`);
    for (const ref of fn.courseRefs) {
      assert.ok(catalog.entities[ref.entity]?.courseBound, `${fn.name}: ${ref.path} names ${ref.entity}, not a course-bound entity`);
    }
  }
  for (const excluded of catalog.excluded ?? []) assert.ok(!names.has(excluded.name), `${excluded.name}: both excluded and listed`);
  for (const skipped of catalog.skippedOverrides ?? []) assert.ok(!names.has(skipped.name), `${skipped.name}: skipped although the site has it`);
});
