import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const source = fileURLToPath(new URL('../../runtime/catalog/', import.meta.url));

describe('loadCatalog', () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('finds the default generated/ folder under a path with spaces and non-ASCII letters', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'moodle mcp ö-'));
    dirs.push(dir);
    await cp(source, join(dir, 'runtime', 'catalog'), { recursive: true });
    await mkdir(join(dir, 'generated', 'schemas'), { recursive: true });
    const fn = { name: 'core_x_get', inputSchemaRef: 'schemas/core_x.json#/core_x_get/input', outputSchemaRef: 'schemas/core_x.json#/core_x_get/output' };
    await writeFile(join(dir, 'generated', 'catalog.json'), JSON.stringify({ functions: [fn] }));
    await writeFile(join(dir, 'generated', 'schemas', 'core_x.json'), JSON.stringify({ core_x_get: { input: { type: 'object' }, output: { type: 'null' } } }));
    const { GENERATED_DIR, loadCatalog } = (await import(pathToFileURL(join(dir, 'runtime', 'catalog', 'load.ts')).href)) as typeof import('../../runtime/catalog/load.ts');
    assert.equal(GENERATED_DIR, join(dir, 'generated') + '/');
    const loaded = await loadCatalog();
    assert.deepEqual(loaded.schemas('core_x_get'), { input: { type: 'object' }, output: { type: 'null' } });
  });
});
