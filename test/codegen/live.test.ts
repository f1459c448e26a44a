// Live introspection against a fake Moodle REST server (node:http on 127.0.0.1:0).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { decodeForm } from '../../runtime/moodle/form.ts';
import { fetchLiveSource } from '../../codegen/sources/live.ts';
import { loadSnapshot } from '../../codegen/sources/snapshot.ts';
import { generate } from '../../codegen/generate.ts';
import { loadOverrides } from '../../codegen/overrides.ts';
import type { Catalog } from '../../runtime/catalog/types.ts';
import { fileURLToPath } from 'node:url';

const TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';
/** A teacher's token: site info says userissiteadmin false. */
const TEACHER = 'feedf00dfeedf00dfeedf00dfeedf00d';
/** A manager's token on a site whose site info has no userissiteadmin: the export itself answers nopermissions. */
const MANAGER = 'beefbeefbeefbeefbeefbeefbeefbeef';
const snapshot = loadSnapshot();
const pick = ['core_course_get_courses', 'core_webservice_get_site_info', 'mod_forum_get_forum_discussions', 'core_backup_submit_copy_form'];
const exporter = {
  ...snapshot.functions.find((f) => f.name === 'core_webservice_get_site_info')!,
  name: 'local_moodlemcp_export_functions', component: 'local_moodlemcp', classname: 'local_moodlemcp\\external\\export_functions',
  description: 'Export', parameters: { kind: 'function_parameters', required: 'VALUE_REQUIRED', default: null, allownull: false, desc: '', keys: {} },
} as const;
const document = { ...snapshot, functions: [...snapshot.functions.filter((f) => pick.includes(f.name)), exporter] };
const enabled = ['core_course_get_courses', 'core_webservice_get_site_info', 'mod_forum_get_forum_discussions', 'local_moodlemcp_export_functions'];
const requests: Record<string, string>[] = [];
let server: Server;
let url: string;

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const form = decodeForm(body) as Record<string, string>;
      requests.push(form);
      if (req.url?.startsWith('/moved/')) {
        res.writeHead(307, { location: req.url.slice('/moved'.length) });
        return res.end();
      }
      res.setHeader('content-type', 'application/json');
      if (req.url !== '/webservice/rest/server.php' || form.moodlewsrestformat !== 'json') return res.end('<html/>');
      if (form.wstoken === TEACHER || form.wstoken === MANAGER) {
        if (form.wsfunction === 'core_webservice_get_site_info') {
          return res.end(JSON.stringify({ sitename: 'Fake', release: '4.5.7 (Build: 20251006)', version: '2024100707',
            ...(form.wstoken === TEACHER ? { userissiteadmin: false } : {}), functions: enabled.map((name) => ({ name, version: '2024100707' })) }));
        }
        return res.end(JSON.stringify({ exception: 'core\\exception\\required_capability_exception', errorcode: 'nopermissions',
          message: 'Sorry, but you do not currently have permissions to do that (Change site configuration).' }));
      }
      if (form.wstoken !== TOKEN) {
        return res.end(JSON.stringify({ exception: 'moodle_exception', errorcode: 'invalidtoken', message: 'Invalid token - token not found' }));
      }
      if (form.wsfunction === 'core_webservice_get_site_info') {
        return res.end(JSON.stringify({ sitename: 'Fake', release: '4.5.7 (Build: 20251006)', version: '2024100707',
          functions: enabled.map((name) => ({ name, version: '2024100707' })) }));
      }
      if (form.wsfunction === 'local_moodlemcp_export_functions') {
        return res.end(JSON.stringify({ format: 'moodle-external-functions/1', json: JSON.stringify(document) }));
      }
      res.end(JSON.stringify({ exception: 'dml_missing_record_exception', errorcode: 'invalidrecord', message: 'no such function' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('fetchLiveSource reads site info and the exported document over form-encoded REST', async () => {
  const live = await fetchLiveSource({ url, token: TOKEN });
  assert.equal(live.url, url.replace(/\/$/, ''));
  assert.deepEqual(live.site, { release: '4.5.7 (Build: 20251006)', version: '2024100707' });
  assert.deepEqual([...live.enabled].sort(), [...enabled].sort());
  assert.equal(live.document.functions.length, 5);
  assert.deepEqual(requests.slice(-2).map((r) => r.wsfunction), ['core_webservice_get_site_info', 'local_moodlemcp_export_functions']);
});

test('functions outside the token\'s service are excluded and listed', async () => {
  const live = await fetchLiveSource({ url, token: TOKEN });
  const { catalog } = await generate({ document: live.document, overrides: loadOverrides(), site: live.site, enabled: live.enabled });
  // The plugin's own export function is enabled (codegen needs it) but is not a tool (issue 11 item 9).
  assert.deepEqual(catalog.functions.map((f) => f.name), [...enabled].filter((n) => !n.startsWith('local_moodlemcp_')).sort());
  assert.deepEqual(catalog.excluded, [
    { name: 'core_backup_submit_copy_form', reason: "not enabled in the token's external service" },
    { name: 'local_moodlemcp_export_functions', reason: "the gateway's own plugin function (codegen --include-plugin-functions keeps it)" },
  ]);
  assert.equal(catalog.moodle.release, '4.5.7 (Build: 20251006)');
});

test('Moodle errors (HTTP 200 + exception) become clear errors without the token', async () => {
  await assert.rejects(fetchLiveSource({ url, token: 'wrong' }), (error: Error) => {
    assert.match(error.message, /core_webservice_get_site_info: Moodle error invalidtoken/);
    assert.doesNotMatch(error.message, /wrong/);
    return true;
  });
  await assert.rejects(fetchLiveSource({ url: 'ftp://x', token: TOKEN }), /http\(s\)/);
  await assert.rejects(fetchLiveSource({ url: 'http://admin:s3cret-pw@[bad/', token: TOKEN }), (error: Error) => {
    assert.match(error.message, /--url: not a URL: http:\/\/\*\*\*@\[bad\//);
    assert.doesNotMatch(error.message, /admin|s3cret-pw/);
    return true;
  });
  await assert.rejects(fetchLiveSource({ url: 'http://127.0.0.1:1/', token: TOKEN }), /request to .* failed/);
});

test("a non-admin token: codegen says it needs a site administrator's token and why the gateway refuses one", async () => {
  const before = requests.length;
  await assert.rejects(fetchLiveSource({ url, token: TEACHER }), (error: Error) => {
    assert.match(error.message, /^local_moodlemcp_export_functions needs a site administrator's token: .*moodle\/site:config.* the gateway refuses site administrators' tokens at run time/);
    assert.doesNotMatch(error.message, new RegExp(TEACHER));
    return true;
  });
  // Site info said so: the export was not even called.
  assert.deepEqual(requests.slice(before).map((r) => r.wsfunction), ['core_webservice_get_site_info']);
  await assert.rejects(fetchLiveSource({ url, token: MANAGER }), (error: Error) => {
    assert.match(error.message, /needs a site administrator's token: .* \(Moodle: Sorry, but you do not currently have permissions to do that \(Change site configuration\)\.\)$/);
    return true;
  });
});

test('redirects are refused, not followed (the token is not sent again)', async () => {
  const before = requests.length;
  await assert.rejects(fetchLiveSource({ url: `${url}moved`, token: TOKEN }), /core_webservice_get_site_info: request to .* failed/);
  assert.equal(requests.length, before + 1);
});

test('answers over the size cap are refused', async () => {
  await assert.rejects(fetchLiveSource({ url, token: TOKEN, maxResponseBytes: 2000 }),
    /local_moodlemcp_export_functions: request to .* failed: .*exceeds the 2000-byte limit/);
});

function runMain(args: string[], token: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'codegen/main.ts', ...args], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)), env: { ...process.env, MOODLE_TOKEN: token }, encoding: 'utf8',
    }, (error, stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
  });
}

test('codegen/main.ts --url writes the catalog and prints the excluded functions', async () => {
  const out = mkdtempSync(join(tmpdir(), 'codegen-live-'));
  try {
    const run = await runMain(['--url', url, '--out', out, '--source-file', `${out}.source.json`], TOKEN);
    assert.equal(run.status, 0, run.stderr);
    // Remembered as `live`, with the catalog's release and hash: never the URL or the token.
    const remembered = readFileSync(`${out}.source.json`, 'utf8');
    assert.deepEqual(Object.keys(JSON.parse(remembered)), ['from', 'release', 'source']);
    assert.equal(JSON.parse(remembered).from, 'live');
    assert.doesNotMatch(remembered, /127\.0\.0\.1|token/i);
    assert.match(run.stdout, /excluded 2 functions:\n {2}- core_backup_submit_copy_form \(not enabled in the token's external service\)\n {2}- local_moodlemcp_export_functions \(the gateway's own plugin function/);
    assert.doesNotMatch(run.stdout + run.stderr, new RegExp(TOKEN));
    const catalog = JSON.parse(readFileSync(join(out, 'catalog.json'), 'utf8')) as Catalog;
    assert.equal(catalog.functions.length, 3);
    assert.match(catalog.moodle.source, /^functions:sha256:[0-9a-f]{64}$/, 'recorded by content, not by URL');
    const withCredentials = await runMain(['--url', url.replace('//', '//admin:s3cret-pw@'), '--out', out], TOKEN);
    assert.equal(withCredentials.status, 2);
    assert.match(withCredentials.stderr, /--url: give the site root only \(no credentials/);
    assert.doesNotMatch(withCredentials.stdout + withCredentials.stderr, /s3cret-pw/, 'credentials in --url are never printed');
    const missingToken = await runMain(['--url', url, '--out', out], '');
    assert.equal(missingToken.status, 2);
    assert.match(missingToken.stderr, /MOODLE_TOKEN/);
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(`${out}.source.json`, { force: true });
  }
});
