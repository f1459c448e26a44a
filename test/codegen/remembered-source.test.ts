// Issue 17 item 1: `make generate` remembers its source (codegen.source.json) and `make generate` / `make
// check-generated` without flags use it; a live source, a missing snapshot, a snapshot outside the repository and a
// broken file each get a clear message. Runs codegen/main.ts on a small snapshot (a few functions of the bundled one).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRememberedSource, rememberedSourceText } from '../../codegen/remembered-source.ts';
import { functionSetSource } from '../../codegen/sources/fingerprint.ts';
import { loadSnapshot } from '../../codegen/sources/snapshot.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function runMain(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'codegen/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MOODLE_TOKEN: '' } },
      (error, stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
  });
}

describe('codegen.source.json: the remembered source of generated/', () => {
  // Inside the repository (.tmp/ is ignored by git), as a university's snapshot would be.
  const work = join(ROOT, '.tmp', `remembered-source-${process.pid}`);
  const out = join(work, 'generated');
  const sourceFile = join(work, 'codegen.source.json');
  const snapshot = join(work, 'functions-small.json');
  const outside = mkdtempSync(join(tmpdir(), 'moodle-mcp-outside-'));
  const bundled = loadSnapshot();
  const small = { ...bundled, functions: bundled.functions.filter((fn) => ['core_course_get_contents', 'core_webservice_get_site_info', 'mod_forum_get_forums_by_courses'].includes(fn.name)) };
  const main = (...args: string[]) => runMain(['--out', out, '--source-file', sourceFile, ...args]);

  before(() => {
    mkdirSync(work, { recursive: true });
    writeFileSync(snapshot, JSON.stringify(small));
  });
  after(() => {
    rmSync(work, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('make generate SNAPSHOT=… remembers the path in the repository, release and hash; the check without flags uses it', async () => {
    const generated = await main('--snapshot', snapshot);
    assert.equal(generated.status, 0, generated.stderr);
    const expected = { from: relative(ROOT, snapshot).split('\\').join('/'), release: small.moodle.release, source: functionSetSource(small) };
    assert.deepEqual(readRememberedSource(sourceFile), expected);
    assert.equal(readFileSync(sourceFile, 'utf8'), rememberedSourceText(expected));
    // The reviewed entries for the functions this small site lacks are skipped, and said so.
    assert.match(generated.stdout, /skipped \d+ reviewed entries naming functions this site lacks/);
    assert.doesNotMatch(generated.stderr, /outside the repository/);

    const checked = await main('--check');
    assert.equal(checked.status, 0, checked.stderr);
    assert.match(checked.stdout, /\(remembered in codegen\.source\.json\)/);
    assert.match(checked.stdout, /generated\/ is up to date/);
    // Regenerating without flags uses the same source and changes nothing.
    const again = await main();
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /files, 0 changed/);
  });

  it('a changed snapshot makes the check fail, naming the stale files', async () => {
    const changed = { ...small, functions: small.functions.map((fn, i) => (i === 0 ? { ...fn, description: 'Changed upstream.' } : fn)) };
    writeFileSync(snapshot, JSON.stringify(changed));
    try {
      const checked = await main('--check');
      assert.equal(checked.status, 1);
      assert.match(checked.stderr, /generated\/ is stale \(\d+ files\); run `make generate`:\n {2}changed catalog\.json/);
    } finally {
      writeFileSync(snapshot, JSON.stringify(small));
    }
  });

  it('a live source: make generate asks for the URL again; the check compares the catalog with the remembered hash', async () => {
    const saved = readFileSync(sourceFile, 'utf8');
    try {
      const remembered = JSON.parse(saved);
      writeFileSync(sourceFile, rememberedSourceText({ ...remembered, from: 'live' }));
      const generate = await main();
      assert.equal(generate.status, 2);
      assert.match(generate.stderr, /generated\/ came from a live site .*: give MOODLE_URL and MOODLE_TOKEN again, or SNAPSHOT=file/);
      const checked = await main('--check');
      assert.equal(checked.status, 0, checked.stderr);
      assert.match(checked.stdout, /came from a live site .* its catalog matches codegen\.source\.json, but the files cannot be regenerated without the site/);
      writeFileSync(sourceFile, rememberedSourceText({ ...remembered, from: 'live', source: `functions:sha256:${'0'.repeat(64)}` }));
      const mismatch = await main('--check');
      assert.equal(mismatch.status, 1);
      assert.match(mismatch.stderr, /is not the catalog codegen\.source\.json names/);
    } finally {
      writeFileSync(sourceFile, saved);
    }
  });

  it('a snapshot outside the repository is a warning; once gone, codegen says where it was and what to do', async () => {
    const far = join(outside, 'functions.json');
    writeFileSync(far, JSON.stringify(small));
    const generated = await main('--snapshot', far);
    assert.equal(generated.status, 0, generated.stderr);
    assert.match(generated.stderr, /warning: the snapshot lies outside the repository .*CI cannot read it/);
    rmSync(far);
    const checked = await main('--check');
    assert.equal(checked.status, 2);
    assert.match(checked.stderr, /codegen: the snapshot that .*codegen\.source\.json names, .*functions\.json, does not exist here \(it lies outside the repository: copy it in/);
  });

  it('a broken codegen.source.json is a clear error naming the field', async () => {
    writeFileSync(sourceFile, '{"from": "x.json", "release": ""}');
    const run = await main('--check');
    assert.equal(run.status, 2);
    assert.match(run.stderr, /codegen\.source\.json: release: expected a non-empty string/);
    writeFileSync(sourceFile, 'not json');
    assert.match((await main('--check')).stderr, /codegen\.source\.json: not JSON/);
  });
});
