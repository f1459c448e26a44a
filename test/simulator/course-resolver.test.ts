// The simulator's local_moodlemcp_resolve_courses (createSimulator({ resolverPlugin: true })): listed in site info only
// when enabled, validated like Moodle, and answering every entity type exactly as the plugin answered on the real
// seeded Moodle 4.5.6 for each demo role (resolver-answers-4.5.6.json, recorded there over REST).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createSimulator, simulatorRoles } from '../../runtime/simulator/index.ts';
import { RESOLVER_FUNCTION } from '../../runtime/simulator/course-resolver.ts';

type Answers = Record<string, Record<string, Record<string, number[]>>>;
const recorded = JSON.parse(readFileSync(new URL('./resolver-answers-4.5.6.json', import.meta.url), 'utf8')) as { answers: Answers };

const withPlugin = createSimulator({ resolverPlugin: true });
const withoutPlugin = createSimulator();

async function restText(sim: ReturnType<typeof createSimulator>, token: string, fn: string, params: Array<[string, string]> = [], format = 'json') {
  const form = new URLSearchParams([['wstoken', token], ['wsfunction', fn], ['moodlewsrestformat', format], ...params]);
  const response = await sim.fetch(new Request('http://moodle.test/webservice/rest/server.php', { method: 'POST', body: form }));
  return response.text();
}
async function rest(sim: ReturnType<typeof createSimulator>, token: string, fn: string, params: Array<[string, string]> = []) {
  return JSON.parse(await restText(sim, token, fn, params)) as Record<string, unknown>;
}

const refsForm = (refs: Array<[string, number]>): Array<[string, string]> =>
  refs.flatMap(([type, id], i) => [[`refs[${i}][type]`, type], [`refs[${i}][id]`, String(id)]] as Array<[string, string]>);

async function resolve(role: string, refs: Array<[string, number]>) {
  const answer = (await rest(withPlugin, simulatorRoles[role].token, RESOLVER_FUNCTION, refsForm(refs))) as { results?: Array<{ type: string; id: number; status: string; courseid: number }> };
  assert.ok(answer.results, `no results: ${JSON.stringify(answer)}`);
  return answer.results;
}

test('site info lists the resolver only when the plugin is enabled, after the recorded functions, with the plugin version', async () => {
  const token = simulatorRoles.teacher.token;
  const plain = (await rest(withoutPlugin, token, 'core_webservice_get_site_info')) as { functions: Array<{ name: string }> };
  assert.equal(plain.functions.length, 759);
  assert.ok(!plain.functions.some((f) => f.name === RESOLVER_FUNCTION));
  assert.equal((await rest(withoutPlugin, token, RESOLVER_FUNCTION, refsForm([['group', 1]]))).errorcode, 'invalidrecord');

  for (const role of ['teacher', 'student', 'admin']) {
    const info = (await rest(withPlugin, simulatorRoles[role].token, 'core_webservice_get_site_info')) as { functions: Array<{ name: string; version: string }> };
    assert.equal(info.functions.length, 760, role);
    assert.deepEqual(info.functions.at(-1), { name: RESOLVER_FUNCTION, version: '2026120700' }, role);
  }
  const xml = await restText(withPlugin, token, 'core_webservice_get_site_info', [], 'xml');
  assert.match(xml, /<VALUE>local_moodlemcp_resolve_courses<\/VALUE>/);
});

test('every entity type answers as the plugin did on the real Moodle, for every demo role', async () => {
  let compared = 0;
  for (const [role, byType] of Object.entries(recorded.answers)) {
    for (const [type, byStatus] of Object.entries(byType)) {
      const expected = Object.entries(byStatus).flatMap(([status, ids]) => ids.map((id) => ({ id, status })));
      expected.sort((a, b) => a.id - b.id);
      for (let i = 0; i < expected.length; i += 100) {
        const chunk = expected.slice(i, i + 100);
        const results = await resolve(role, chunk.map(({ id }) => [type, id]));
        assert.deepEqual(
          results.map((r) => ({ id: r.id, status: r.status === 'course' ? `course:${r.courseid}` : r.status })),
          chunk,
          `${role} ${type}`,
        );
        for (const r of results) assert.equal(r.type, type);
        compared += chunk.length;
      }
    }
  }
  assert.ok(compared > 3000, `${compared} answers compared`);
});

test('objects created by the recorded writes (site data) resolve too: discussion 14, its first post, group 7, course 6', async () => {
  const results = await resolve('teacher', [['forum_discussion', 14], ['forum_post', 34], ['group', 7], ['course', 6], ['course_module', 20]]);
  assert.deepEqual(results.map((r) => [r.status, r.courseid]), [['course', 2], ['course', 2], ['course', 2], ['course', 6], ['course', 6]]);
  // The teacher2 (praman) is not in course 6.
  const other = await resolve('teacher2', [['course', 6], ['course_module', 20]]);
  assert.deepEqual(other.map((r) => r.status), ['unknown', 'unknown']);
});

test('Moodle validation: more than 100 refs, a malformed type or a non-integer id is invalidparameter; answers keep the order and duplicates', async () => {
  const token = simulatorRoles.teacher.token;
  const tooMany = await rest(withPlugin, token, RESOLVER_FUNCTION, refsForm(Array.from({ length: 101 }, () => ['group', 1] as [string, number])));
  assert.equal(tooMany.errorcode, 'invalidparameter');
  assert.equal((await rest(withPlugin, token, RESOLVER_FUNCTION, [['refs[0][type]', 'a.b'], ['refs[0][id]', '1']])).errorcode, 'invalidparameter');
  assert.equal((await rest(withPlugin, token, RESOLVER_FUNCTION, [['refs[0][type]', 'group'], ['refs[0][id]', 'x']])).errorcode, 'invalidparameter');
  assert.equal((await rest(withPlugin, token, RESOLVER_FUNCTION)).errorcode, 'invalidparameter');
  const hundred = await resolve('teacher', Array.from({ length: 100 }, (_, i) => [i % 2 ? 'forum_discussion' : 'group', (i % 7) + 1] as [string, number]));
  assert.equal(hundred.length, 100);
  assert.deepEqual(hundred.slice(0, 4).map((r) => [r.type, r.id, r.status, r.courseid]), [
    ['group', 1, 'course', 2], ['forum_discussion', 2, 'course', 2], ['group', 3, 'course', 2], ['forum_discussion', 4, 'course', 2],
  ]);
  assert.deepEqual(hundred.slice(4, 7).map((r) => [r.type, r.id, r.status, r.courseid]), [
    ['group', 5, 'unknown', 0], ['forum_discussion', 6, 'course', 3], ['group', 7, 'course', 2],
  ]);
});
