// The start-up banner's lines about the site (runtime/cli/serve.ts siteLines): the release last seen against the
// catalog's, with the regenerate commands when the branches differ.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { siteLines } from '../../runtime/cli/serve.ts';

const gateway = (release: string | undefined) => ({
  siteRelease: () => release,
  moodleUrl: 'https://moodle.example.edu',
  catalog: { catalog: { moodle: { release: '4.5.6 (Build: 20250811)' } } } as Parameters<typeof siteLines>[0]['catalog'],
});
const COMPARED = "  the site's functions are compared with the catalog when a service's first caller connects (logged; `moodle-mcp doctor` checks a token now)";

test('no release seen yet: only how the functions will be compared', () => {
  assert.deepEqual(siteLines(gateway(undefined)), [COMPARED]);
});

test("the catalog's branch: said so", () => {
  assert.deepEqual(siteLines(gateway('4.5.7 (Build: 20251006)')), ["  site: Moodle 4.5.7 (Build: 20251006) when last seen, the catalog's branch", COMPARED]);
});

test('another branch: the commands that regenerate from this site', () => {
  const [line] = siteLines(gateway('5.0.6+ (Build: 20260403)'));
  assert.equal(
    line,
    '  site: Moodle 5.0.6+ (Build: 20260403) when last seen, but the catalog is from Moodle 4.5.6 (Build: 20250811): ' +
      "make generate MOODLE_URL=https://moodle.example.edu MOODLE_TOKEN=<a site administrator's token> (local_moodlemcp plugin installed), " +
      'or on the Moodle server php codegen/moodle/cli/export_functions.php --moodle=<Moodle directory> --out=functions.json, then make generate SNAPSHOT=functions.json',
  );
});
