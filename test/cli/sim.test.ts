// `moodle-mcp sim --resolver-plugin`: the standalone simulator with the local_moodlemcp course resolver installed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { simulatorRoles } from '../../runtime/simulator/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function startSim(args: string[]): Promise<{ url: string; banner: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [`${ROOT}bin/moodle-mcp.mjs`, 'sim', '--port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let banner = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      banner += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(banner);
      if (match && banner.includes('Demo users')) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`sim exited with ${code}`)));
  });
  return {
    url,
    banner,
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

async function call(url: string, fn: string, params: Record<string, string> = {}) {
  const body = new URLSearchParams({ wstoken: simulatorRoles.teacher.token, wsfunction: fn, moodlewsrestformat: 'json', ...params });
  const response = await fetch(`${url}/webservice/rest/server.php`, { method: 'POST', body });
  return (await response.json()) as Record<string, unknown>;
}

test('sim --resolver-plugin lists and answers local_moodlemcp_resolve_courses; plain sim does not', async () => {
  const withPlugin = await startSim(['--resolver-plugin']);
  try {
    assert.match(withPlugin.banner, /local_moodlemcp resolver \(local_moodlemcp_resolve_courses\) is installed/);
    const info = (await call(withPlugin.url, 'core_webservice_get_site_info')) as { functions: Array<{ name: string }> };
    assert.equal(info.functions.at(-1)?.name, 'local_moodlemcp_resolve_courses');
    const answer = await call(withPlugin.url, 'local_moodlemcp_resolve_courses', { 'refs[0][type]': 'forum_discussion', 'refs[0][id]': '6', 'refs[1][type]': 'quiz_attempt', 'refs[1][id]': '7' });
    assert.deepEqual(answer, { results: [
      { type: 'forum_discussion', id: 6, status: 'course', courseid: 3 },
      { type: 'quiz_attempt', id: 7, status: 'unknown', courseid: 0 },
    ] });
  } finally {
    await withPlugin.stop();
  }
  const plain = await startSim([]);
  try {
    assert.doesNotMatch(plain.banner, /resolver/);
    assert.equal((await call(plain.url, 'local_moodlemcp_resolve_courses', { 'refs[0][type]': 'group', 'refs[0][id]': '1' })).errorcode, 'invalidrecord');
  } finally {
    await plain.stop();
  }
});
