import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicyEngine, type PolicyEvent } from '../../runtime/policy/engine.ts';
import { PolicyError } from '../../runtime/policy/errors.ts';
import type { PolicyInput } from '../../runtime/policy/types.ts';
import { buildInto, ensureBuilt, paths, readDecisionTable } from './helpers.ts';

const table = readDecisionTable();
const input = table.defaults.input;
const data = table.defaults.data;

/** A private copy of the policy sources and build, so the tests can edit and rebuild them. */
async function sandbox() {
  const dir = await mkdtemp(join(tmpdir(), 'moodle-mcp-policy-'));
  const src = join(dir, 'policies');
  const build = join(src, 'build');
  await cp(paths.sourcesDir, src, { recursive: true });
  return {
    dir,
    opts: { sourcesDir: src, wasmPath: join(build, 'policy.wasm'), manifestPath: join(build, 'manifest.json') },
    rego: join(src, 'moodle_mcp.rego'),
    build: () => buildInto(src, build),
  };
}

describe('policy engine', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => {
    await ensureBuilt();
    box = await sandbox();
  });
  after(() => rm(box.dir, { recursive: true, force: true }));

  it('decides with the compiled policy and reports its version', async () => {
    const events: PolicyEvent[] = [];
    const engine = await loadPolicyEngine({ ...paths, data, onEvent: (e) => events.push(e) });
    assert.deepEqual(engine.decide(input), { allow: true, reasons: [] });
    assert.match(engine.version, /^[0-9a-f]{16}$/);
    assert.equal(engine.ready, true);
    assert.deepEqual(events.map((e) => e.type), ['policy.loaded']);
    engine.close();
  });

  it('changes version and decisions with setData, and keeps the old data when the new data is invalid', async () => {
    const engine = await loadPolicyEngine({ ...paths, data });
    const before = engine.version;
    engine.setData({ ...data, mode: 'read-only' });
    assert.notEqual(engine.version, before);
    const write: PolicyInput = { ...input, connection: { ...input.connection, scopes: ['api.read', 'api.write'] }, function: { ...input.function, access: 'write', name: 'core_course_update_courses' } };
    assert.deepEqual(engine.decide(write).reasons, ['the gateway is read-only: write functions are disabled']);
    const version = engine.version;
    assert.throws(() => engine.setData({ ...data, profiles: { x: { scopes: 'api.read' } } } as never), (err: Error) => {
      assert.ok(err instanceof PolicyError);
      assert.match(err.message, /profiles\.x\.scopes/);
      return true;
    });
    assert.throws(() => engine.setData({ ...data, mode: 'open' } as never), /mode/);
    assert.equal(engine.version, version);
    assert.equal(engine.decide(write).allow, false);
  });

  it('keeps data set while a reload is reading and compiling the WASM', async () => {
    const engine = await loadPolicyEngine({ ...paths, data });
    const reloaded = engine.reload();
    await Promise.resolve(); // the reload has started and awaits the file reads
    engine.setData({ ...data, mode: 'read-only' });
    const expected = engine.version;
    await reloaded;
    assert.equal(engine.version, expected);
    const write: PolicyInput = { ...input, connection: { ...input.connection, scopes: ['api.read', 'api.write'] }, function: { ...input.function, access: 'write', name: 'core_course_update_courses' } };
    assert.deepEqual(engine.decide(write).reasons, ['the gateway is read-only: write functions are disabled']);
    engine.close();
  });

  it('denies with "policy error" and turns not ready when evaluation fails', async () => {
    const events: PolicyEvent[] = [];
    const engine = await loadPolicyEngine({ ...paths, data, onEvent: (e) => events.push(e) });
    const bad = { ...input, now_ns: 10n } as unknown as PolicyInput; // not JSON-serialisable
    const decision = engine.decide(bad);
    assert.equal(decision.allow, false);
    assert.match(decision.reasons[0]!, /^policy error/);
    assert.equal(engine.ready, false);
    assert.equal(events.at(-1)?.type, 'policy.error');
    engine.setData(data); // a successful swap makes it ready again
    assert.equal(engine.ready, true);
  });

  it('refuses to start without a compiled policy, manifest, or with a stale or altered build', async () => {
    const b = await sandbox();
    try {
      await assert.rejects(loadPolicyEngine({ ...b.opts, wasmPath: join(b.dir, 'none.wasm'), data }), /missing: run `make policy`/);
      await assert.rejects(loadPolicyEngine({ ...b.opts, manifestPath: join(b.dir, 'none.json'), data }), /manifest .* missing/);
      await appendFile(b.rego, '\n# edited\n');
      await assert.rejects(loadPolicyEngine({ ...b.opts, data }), (err: Error) => err instanceof PolicyError && /stale/.test(err.message));
      b.build();
      await loadPolicyEngine({ ...b.opts, data });
      const wasm = await readFile(b.opts.wasmPath);
      wasm[wasm.length - 1] ^= 1;
      await writeFile(b.opts.wasmPath, wasm);
      await assert.rejects(loadPolicyEngine({ ...b.opts, data }), /does not match its manifest/);
      await assert.rejects(loadPolicyEngine({ ...paths, data: { ...data, site_level_functions: 'x' } as never }), /site_level_functions/);
    } finally {
      await rm(b.dir, { recursive: true, force: true });
    }
  });

  it('reloads a rebuilt policy atomically and keeps the old one when the new one is broken or stale', async () => {
    const events: PolicyEvent[] = [];
    const engine = await loadPolicyEngine({ ...box.opts, data, onEvent: (e) => events.push(e) });
    const first = engine.version;
    assert.equal(engine.decide(input).allow, true);

    // A policy edit, rebuilt: the new rule takes effect without restarting.
    await appendFile(box.rego, '\nadmin_reasons contains "maintenance: all calls are refused" if input.action == "tools/call"\n');
    box.build();
    await engine.reload();
    assert.equal(events.at(-1)?.type, 'policy.loaded');
    assert.notEqual(engine.version, first);
    assert.deepEqual(engine.decide(input).reasons, ['maintenance: all calls are refused']);
    const second = engine.version;

    // A broken WASM (manifest updated to match, so only the load itself fails).
    const wasm = await readFile(box.opts.wasmPath);
    const manifestText = await readFile(box.opts.manifestPath, 'utf8');
    await writeFile(box.opts.wasmPath, Buffer.from('not wasm'));
    const manifest = JSON.parse(manifestText);
    const { createHash } = await import('node:crypto');
    manifest.wasmSha256 = createHash('sha256').update('not wasm').digest('hex');
    await writeFile(box.opts.manifestPath, JSON.stringify(manifest));
    await engine.reload();
    assert.equal(events.at(-1)?.type, 'policy.rejected');
    assert.match((events.at(-1) as { error: string }).error, /not valid WebAssembly/);
    assert.equal(engine.version, second);
    assert.deepEqual(engine.decide(input).reasons, ['maintenance: all calls are refused']);

    // Sources edited without a rebuild: refused as stale, old policy kept.
    await writeFile(box.opts.wasmPath, wasm);
    await writeFile(box.opts.manifestPath, manifestText);
    await appendFile(box.rego, '\n# unbuilt edit\n');
    await engine.reload();
    assert.match((events.at(-1) as { error: string }).error, /stale/);
    assert.equal(engine.version, second);
    assert.equal(engine.ready, true);
    engine.close();
  });

  it('works without the optional pattern_index entrypoint and refuses a policy whose pattern_index is no object', async () => {
    const b = await sandbox();
    try {
      // Sources from before pattern_index existed (policy diff builds old refs): built with one entrypoint.
      await writeFile(b.rego, 'package moodle_mcp\n\ndecision := {"allow": input.function.name == "core_webservice_get_site_info", "reasons": []}\n');
      b.build();
      const engine = await loadPolicyEngine({ ...b.opts, data });
      assert.deepEqual(engine.decide({ ...input, function: { ...input.function, name: 'core_webservice_get_site_info' } }), { allow: true, reasons: [] });
      assert.equal(engine.decide(input).allow, false);
      engine.close();

      await appendFile(b.rego, '\npattern_index := "not an index"\n');
      b.build();
      await assert.rejects(loadPolicyEngine({ ...b.opts, data }), (err: unknown) => err instanceof PolicyError && /moodle_mcp\/pattern_index/.test(err.message));
    } finally {
      await rm(b.dir, { recursive: true, force: true });
    }
  });

  it('watch() reloads after the build directory changes, not after a source edit', { timeout: 30_000 }, async () => {
    const b = await sandbox();
    try {
      b.build();
      let onLoaded!: (e: PolicyEvent) => void;
      const reloaded = new Promise<PolicyEvent>((resolve) => (onLoaded = resolve));
      const engine = await loadPolicyEngine({
        ...b.opts,
        data,
        debounceMs: 20,
        onEvent: (e) => e.type === 'policy.loaded' && e.reason === 'reload' && onLoaded(e),
      });
      const stop = engine.watch();
      // The watcher does not keep the process alive (persistent: false): without a ref'd handle the event loop could
      // end before it reads the build's change events.
      const keepAlive = setInterval(() => undefined, 1000);
      await appendFile(b.rego, '\nadmin_reasons contains "watched" if false\n');
      b.build();
      const event = await reloaded.finally(() => clearInterval(keepAlive));
      assert.equal(event.type, 'policy.loaded');
      stop();
      engine.close();

      // A source edit alone (no rebuild yet) triggers no reload, so no policy.rejected (stale build) in the audit.
      const events: PolicyEvent[] = [];
      const watched = await loadPolicyEngine({ ...b.opts, data, debounceMs: 20, onEvent: (e) => events.push(e) });
      const unwatch = watched.watch();
      await appendFile(b.rego, '\n# unbuilt edit\n');
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.deepEqual(events.map((e) => e.type), ['policy.loaded']);
      unwatch();
      watched.close();
    } finally {
      await rm(b.dir, { recursive: true, force: true });
    }
  });
});
