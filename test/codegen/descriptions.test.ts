// codegen/descriptions.ts: summaries and guides for models, generated from Moodle's descriptions and the reviewed
// codegen/descriptions.yaml.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { functionGuide, loadDescriptionOverrides, returnsSummary, unknownDescribed } from '../../codegen/descriptions.ts';
import { loadSnapshot } from '../../codegen/sources/snapshot.ts';

const doc = loadSnapshot();
const byName = new Map(doc.functions.map((f) => [f.name, f]));

test('every function named in descriptions.yaml exists in the snapshot', () => {
  assert.deepEqual(unknownDescribed(loadDescriptionOverrides(), new Set(byName.keys())), []);
});

test('a generated guide states what the function returns, its arguments, where its ids come from, and whether it writes', () => {
  const guide = functionGuide(byName.get('core_enrol_get_enrolled_users')!).guide;
  assert.match(guide, /^The participants enrolled in a course/);
  assert.match(guide, /Returns: list of users/);
  assert.match(guide, /Arguments: courseid \(integer, required\): course id; options \(list, optional\)/);
  assert.match(guide, /Ids: courseid from core_enrol_get_users_courses/);
  assert.match(guide, /Read-only: changes nothing\.$/);
  const write = functionGuide(byName.get('enrol_manual_enrol_users')!);
  assert.match(write.summary, /Returns nothing\. Writes to Moodle\.$/);
  assert.match(write.guide, /Ids: .*roleid from/);
});

test('without a reviewed text, the summary comes from Moodle\'s first sentence and the return structure', () => {
  const fn = byName.get('mod_wiki_get_page_contents')!;
  const { summary, searchText } = functionGuide(fn, { idSources: {}, functions: {} });
  assert.equal(summary, 'Returns the contents of a page. Returns object with page (id, wikiid, subwikiid, groupid, userid, title, ...), warnings[]. Read-only.');
  assert.match(searchText, /pageid/);
  assert.equal(returnsSummary(null), 'nothing');
});

test('an unknown field in the descriptions file is a codegen error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'descriptions-'));
  const path = join(dir, 'd.yaml');
  writeFileSync(path, 'functions:\n  core_course_get_contents:\n    sumary: typo\n');
  assert.throws(() => loadDescriptionOverrides(path), /functions\.core_course_get_contents\.sumary: unknown field/);
});
