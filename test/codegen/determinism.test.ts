// `make generate` is deterministic, and equal to the committed generated/ when that came from the bundled snapshot
// (whatever generated/ holds, `make check-generated` checks it against its own remembered source).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '../../codegen/generate.ts';
import { loadOverrides } from '../../codegen/overrides.ts';
import { listFiles, staleFiles, writeFiles } from '../../codegen/output-files.ts';
import { loadSnapshot } from '../../codegen/sources/snapshot.ts';
import { HEADER } from '../../codegen/emit/header.ts';
import { generatedIsBundled, REPO_GENERATED } from '../helpers/bundled-catalog.ts';

test('two generations write byte-identical files (equal to the committed generated/ when it came from the bundled snapshot)', async () => {
  const options = { document: loadSnapshot(), overrides: loadOverrides() };
  const first = await generate(options);
  const second = await generate(options);
  const dir = mkdtempSync(join(tmpdir(), 'codegen-'));
  try {
    assert.equal(writeFiles(dir, first.files), first.files.size);
    assert.deepEqual(staleFiles(dir, second.files), []);
    assert.equal(writeFiles(dir, second.files), 0, 'second write changes nothing');
    assert.deepEqual(listFiles(dir), [...first.files.keys()].sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (generatedIsBundled()) assert.deepEqual(staleFiles(REPO_GENERATED, first.files), [], 'generated/ is stale: run make generate');
  for (const [path, text] of first.files) {
    assert.ok(text.slice(0, 200).includes(HEADER), `${path} lacks the header`);
    assert.doesNotMatch(text, /20\d\d-\d\d-\d\dT\d\d:\d\d/, `${path} contains a timestamp`);
  }
  assert.ok(first.files.get('catalog.json')!.startsWith(`{\n  "$comment": "${HEADER}"`));
});

test('stale detection names changed, missing and extra files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'codegen-'));
  try {
    writeFiles(dir, new Map([['a.json', '1'], ['b/c.ts', '2'], ['x.ts', 'x']]));
    assert.deepEqual(staleFiles(dir, new Map([['a.json', '1'], ['b/c.ts', '3'], ['d.ts', '4']])), [
      { path: 'b/c.ts', why: 'changed' }, { path: 'd.ts', why: 'missing' }, { path: 'x.ts', why: 'extra' },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
