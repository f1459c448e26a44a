// The gateway's log line for a site's function list (runtime/gateway/site-check.ts) and the comparison under it
// (runtime/catalog/site-comparison.ts): equal lists are a debug line; differences a warning with counts, the first
// names, what the gateway does about them and the regenerate commands; our plugin's functions are never "added".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareSiteWithCatalog, firstNames } from '../../runtime/catalog/site-comparison.ts';
import { siteFunctionsNotice, siteLacks } from '../../runtime/gateway/site-check.ts';

const catalog = {
  functions: ['core_course_get_contents', 'core_webservice_get_site_info', 'mod_chat_get_chats_by_courses'].map((name) => ({ name })),
  catalog: { moodle: { release: '4.5.6 (Build: 20250811)' } },
} as unknown as Parameters<typeof siteFunctionsNotice>[2];
const site = (names: string[]) => ({ id: names.join(), names: new Set(names) });

test('the comparison: sorted, the plugin functions left out of what the site adds; first names with the count of the rest', () => {
  assert.deepEqual(compareSiteWithCatalog(['z_new', 'a_new', 'local_moodlemcp_resolve_courses', 'kept'], ['kept', 'gone_b', 'gone_a']), {
    lacks: ['gone_a', 'gone_b'],
    adds: ['a_new', 'z_new'],
  });
  assert.equal(firstNames(['a', 'b', 'c'], 2), 'a, b, ... (1 more)');
  assert.equal(firstNames(['a', 'b'], 2), 'a, b');
});

test('the same functions: one line at debug level', () => {
  const notice = siteFunctionsNotice(site(['core_course_get_contents', 'core_webservice_get_site_info', 'mod_chat_get_chats_by_courses', 'local_moodlemcp_resolve_courses']), { release: '4.5.6 (Build: 20250811)' }, catalog, 'https://moodle.example.edu/');
  assert.deepEqual(notice, {
    level: 'debug',
    message: "Moodle site 4.5.6 (Build: 20250811) vs the catalog (Moodle 4.5.6 (Build: 20250811), 3 functions): the site offers every catalog function to this token's service",
  });
});

test('differences: a warning with what the gateway does and the commands that regenerate from this site', () => {
  const notice = siteFunctionsNotice(site(['core_course_get_contents', 'core_webservice_get_site_info', 'core_ai_get_policy_status']), { release: '5.0.6+ (Build: 20260403)' }, catalog, 'https://moodle.example.edu/');
  assert.equal(notice.level, 'warn');
  assert.equal(
    notice.message,
    'Moodle site 5.0.6+ (Build: 20260403) vs the catalog (Moodle 4.5.6 (Build: 20250811), 3 functions): ' +
      'the site does not offer 1 catalog function to this token: mod_chat_get_chats_by_courses; the site offers 1 function the catalog lacks: core_ai_get_policy_status. ' +
      'Calls to the functions it does not offer are refused (function_not_on_site) and they are not listed for its connections; ' +
      'the functions the catalog lacks are not tools until the catalog is regenerated. ' +
      "To fit the catalog to this site: make generate MOODLE_URL=https://moodle.example.edu MOODLE_TOKEN=<a site administrator's token> (local_moodlemcp plugin installed), " +
      'or on the Moodle server php codegen/moodle/cli/export_functions.php --moodle=<Moodle directory> --out=functions.json, then make generate SNAPSHOT=functions.json',
  );
});

test('siteLacks: a catalog function outside a known list; never a gateway tool, never with no list', () => {
  const inCatalog = { get: (name: string) => (name.startsWith('core_') || name.startsWith('mod_') ? ({ name } as never) : undefined) };
  const connection = { siteFunctions: site(['core_webservice_get_site_info']) };
  assert.equal(siteLacks(connection, 'mod_forum_add_discussion', inCatalog), true);
  assert.equal(siteLacks(connection, 'core_webservice_get_site_info', inCatalog), false);
  assert.equal(siteLacks(connection, 'moodle_upload_file', inCatalog), false, 'a gateway tool (not in the catalog)');
  assert.equal(siteLacks({}, 'mod_forum_add_discussion', inCatalog), false, 'no list: Moodle decides');
});
