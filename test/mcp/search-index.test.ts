// runtime/mcp/search-index.ts: ranked function search (BM25, stems, stop words, typos, reviewed synonyms).
// Recall over the full query set is a benchmark (bench/search.bench.ts); these pin the behaviours.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCatalog } from '../../runtime/catalog/index.ts';
import { FunctionSearchIndex } from '../../runtime/mcp/search-index.ts';

const catalog = await loadCatalog();
const index = new FunctionSearchIndex(catalog.functions);
const top = (query: string, n = 1) => index.search(query).slice(0, n).map((h) => h.name);

test('the requests of issue 12 find their function first', () => {
  assert.deepEqual(top('create a new course'), ['core_course_create_courses']);
  assert.deepEqual(top('look up a user by email'), ['core_user_get_users_by_field']);
  assert.deepEqual(top('reply to a forum post'), ['mod_forum_add_discussion_post']);
  assert.deepEqual(top('members of a group'), ['core_group_get_group_members']);
  assert.ok(['enrol_manual_enrol_users', 'enrol_self_enrol_user'].includes(top('enrol a user in a course')[0]!));
  assert.ok(top('send a message to a user')[0]!.startsWith('core_message_send_'));
});

test('stop words match nothing: "a" alone finds no function', () => {
  assert.deepEqual(index.search('a'), []);
  assert.deepEqual(index.search('the of and'), []);
});

test('everyday words reach Moodle words (vocabulary), and stems join word forms', () => {
  assert.ok(top('list homework in a class', 5).includes('mod_assign_get_assignments'));
  assert.ok(top('who are the participants enrolled', 5).includes('core_enrol_get_enrolled_users'));
  assert.deepEqual(top('start a new discussion thread in the forum'), ['mod_forum_add_discussion']);
  assert.ok(top('grades', 5).some((name) => name.startsWith('gradereport_')));
});

test('typos are tolerated', () => {
  assert.ok(top('forum discusions', 3).includes('mod_forum_get_forum_discussions'));
  assert.ok(top('calender events', 5).includes('core_calendar_get_calendar_events'));
});

test('the request tells read from write: asking to change ranks write functions first', () => {
  const readTop = catalog.get(top('forum posts')[0]!)!;
  assert.equal(readTop.access, 'read');
  const writeTop = catalog.get(top('delete a forum post')[0]!)!;
  assert.equal(writeTop.access, 'write');
});

test('only functions the filter accepts are returned', () => {
  const hits = index.search('forum discussions', (name) => name.startsWith('mod_forum_get_'));
  assert.ok(hits.length > 0);
  assert.ok(hits.every((h) => h.name.startsWith('mod_forum_get_')));
});

test('result lines (catalog summaries) say what a function returns and whether it writes', () => {
  const contents = catalog.get('core_course_get_contents')!;
  assert.match(contents.summary!, /Returns list of sections/);
  assert.match(contents.summary!, /Read-only\.$/);
  assert.match(catalog.get('core_course_create_courses')!.summary!, /Writes to Moodle\.$/);
  const guide = catalog.get('mod_forum_get_forum_discussions')!.guide!;
  assert.match(guide, /Arguments: forumid \(integer, required\)/);
  assert.match(guide, /Ids: forumid from mod_forum_get_forums_by_courses/);
  // Generated for every function, not only the reviewed ones.
  assert.ok(catalog.functions.every((fn) => fn.summary && fn.guide && /Returns /.test(fn.summary)));
});
