/**
 * A Moodle site other than the bundled 4.5.6 one, for the tests of catalog awareness: the simulator's answers, with
 * the release and the site-info function list of another site (by default the real Moodle 5.0.6's 754 functions,
 * from test/fixtures/moodle/functions-5.0.6.json).
 */
import { readFileSync } from 'node:fs';
import type { FetchLike } from '../../runtime/moodle/index.ts';
import { SNAPSHOT_5_0_6 } from './bundled-catalog.ts';

const fixture = JSON.parse(readFileSync(SNAPSHOT_5_0_6, 'utf8')) as { moodle: { release: string; version: string }; functions: { name: string }[] };

/** Moodle 5.0.6's release, version and function names (as its site info would list them for a service with all of them). */
export const MOODLE_506 = { release: fixture.moodle.release, version: fixture.moodle.version, functions: fixture.functions.map((f) => f.name) };

/** Wraps a Moodle transport so that core_webservice_get_site_info answers with this release and function list. */
export function siteInfoAs(fetch: FetchLike, site: { release: string; version: string; functions: string[] }): FetchLike {
  return async (request) => {
    const body = await request.clone().text();
    const response = await fetch(request);
    if (!body.includes('wsfunction=core_webservice_get_site_info')) return response;
    const info = (await response.json()) as Record<string, unknown>;
    if (!('functions' in info)) return new Response(JSON.stringify(info), { headers: { 'content-type': 'application/json' } });
    const changed = { ...info, release: site.release, version: site.version, functions: site.functions.map((name) => ({ name, version: site.version })) };
    return new Response(JSON.stringify(changed), { headers: { 'content-type': 'application/json' } });
  };
}
