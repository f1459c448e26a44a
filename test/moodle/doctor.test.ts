// `moodle-mcp doctor` against the Moodle simulator (a test double of Moodle 4.5.6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDoctorReport, runDoctor } from '../../runtime/cli/doctor.ts';
import { createMoodleClient } from '../../runtime/moodle/index.ts';
import { createSimulator, simulatorTokens } from '../../runtime/simulator/index.ts';
import { loadSimulatorData } from '../../runtime/simulator/data.ts';
import { freePort } from '../helpers/net.ts';
import { MOODLE_506, siteInfoAs } from '../helpers/other-site.ts';

const ALL = loadSimulatorData().functionsFile.functions.map((f) => f.name);
const sim = createSimulator();
const client = createMoodleClient({ url: 'http://127.0.0.1:8080', fetch: sim.fetch });
const check = (report: Awaited<ReturnType<typeof runDoctor>>, name: string) => report.checks.find((c) => c.name === name)!;

test("a student's token passes every check when the catalog equals the service's functions", async () => {
  const report = await runDoctor({ moodleUrl: 'http://127.0.0.1:8080', token: simulatorTokens['emma.johansson'], catalogFunctions: ALL, catalogRelease: '4.5.6 (Build: 20250811)', client });
  assert.equal(report.ok, true, formatDoctorReport(report));
  assert.deepEqual(report.checks.map((c) => c.name), ['transport', 'reachable', 'token', 'not_site_admin', 'release', 'functions']);
  assert.match(check(report, 'token').detail, /emma\.johansson/);
  assert.match(check(report, 'release').detail, /4\.5\.6/);
  assert.match(check(report, 'functions').detail, /759 functions; the catalog has 759/);
});

test("a site admin's token is flagged (unless explicitly allowed)", async () => {
  const token = simulatorTokens.admin;
  const report = await runDoctor({ moodleUrl: 'http://127.0.0.1:8080', token, catalogFunctions: ALL, client });
  assert.equal(report.ok, false);
  const admin = check(report, 'not_site_admin');
  assert.equal(admin.ok, false);
  assert.match(admin.detail, /site administrator/);
  assert.ok(admin.fix);
  const allowed = await runDoctor({ moodleUrl: 'http://127.0.0.1:8080', token, catalogFunctions: ALL, client, allowSiteAdmin: true });
  assert.equal(allowed.ok, true);
  assert.ok(!formatDoctorReport(report).includes(token));
});

test('a bad token fails the token check and skips the rest; the report never shows the token', async () => {
  const token = '0123456789abcdef0123456789abcdef';
  const report = await runDoctor({ moodleUrl: 'http://127.0.0.1:8080', token, catalogFunctions: ALL, client });
  assert.equal(report.ok, false);
  assert.equal(check(report, 'reachable').ok, true);
  const tokenCheck = check(report, 'token');
  assert.equal(tokenCheck.ok, false);
  assert.match(tokenCheck.detail, /invalidtoken/);
  assert.match(tokenCheck.fix!, /token/);
  assert.equal(check(report, 'functions').detail, 'skipped: needs a valid token');
  const text = formatDoctorReport(report);
  assert.ok(!text.includes(token));
  assert.match(text, /FAIL\s+token/);
});

test('functions missing from the service and extra ones are counted and named', async () => {
  const catalog = [...ALL.filter((n) => n !== 'core_course_get_contents' && n !== 'mod_forum_get_forums_by_courses'), 'local_custom_thing'];
  const report = await runDoctor({ moodleUrl: 'http://127.0.0.1:8080', token: simulatorTokens.praman, catalogFunctions: catalog, client });
  const functions = check(report, 'functions');
  assert.equal(functions.ok, false);
  assert.match(functions.detail, /the site does not offer 1 catalog function to this token: local_custom_thing/);
  assert.match(functions.detail, /the site offers 2 functions the catalog lacks: core_course_get_contents, mod_forum_get_forums_by_courses/);
});

test('a Moodle 5.0.6 site against the 4.5.6 catalog: what the site lacks and adds, counted with the first names, and the commands that regenerate', async () => {
  const client506 = createMoodleClient({ url: 'https://moodle.example.edu', fetch: siteInfoAs(sim.fetch, MOODLE_506) });
  const report = await runDoctor({ moodleUrl: 'https://moodle.example.edu', token: simulatorTokens.praman, catalogFunctions: ALL, catalogRelease: '4.5.6 (Build: 20250811)', client: client506 });
  const release = check(report, 'release');
  assert.equal(release.ok, false);
  assert.equal(release.detail, 'Moodle 5.0.6+ (Build: 20260403) (version 2025041406.11), but the catalog was generated from 4.5.6 (Build: 20250811)');
  const regenerate =
    "make generate MOODLE_URL=https://moodle.example.edu MOODLE_TOKEN=<a site administrator's token> (local_moodlemcp plugin installed), " +
    'or on the Moodle server php codegen/moodle/cli/export_functions.php --moodle=<Moodle directory> --out=functions.json, then make generate SNAPSHOT=functions.json';
  assert.equal(release.fix, `Regenerate the catalog from this site: ${regenerate}`);
  const functions = check(report, 'functions');
  assert.equal(functions.ok, false);
  // The differences of the two recorded sites (../shared/moodle/README.md: 18 removed in 5.0, 13 added).
  const lacks = ALL.filter((n) => !MOODLE_506.functions.includes(n)).sort();
  const adds = MOODLE_506.functions.filter((n) => !ALL.includes(n)).sort();
  assert.deepEqual([lacks.length, adds.length], [18, 13]);
  assert.equal(
    functions.detail,
    'the service enables 754 functions; the catalog has 759; ' +
      `the site does not offer 18 catalog functions to this token: ${lacks.slice(0, 5).join(', ')}, ... (13 more); ` +
      `the site offers 13 functions the catalog lacks: ${adds.slice(0, 5).join(', ')}, ... (8 more)`,
  );
  assert.ok(lacks.slice(0, 5).every((n) => n.startsWith('core_') || n.startsWith('mod_chat_')), lacks.slice(0, 5).join());
  assert.match(functions.fix ?? '', /^The gateway refuses calls to the catalog functions this token's site info does not list \(function_not_on_site\) and does not list them for it\. /);
  assert.ok(functions.fix?.endsWith(`if it does not (the site runs Moodle 5.0.6+ (Build: 20260403), the catalog is from 4.5.6 (Build: 20250811), or its plugins differ), regenerate the catalog from this site: ${regenerate}`), functions.fix);
  const text = formatDoctorReport(report);
  assert.match(text, /FAIL  functions .*\n      fix: The gateway refuses/);
  assert.ok(!text.includes(simulatorTokens.praman));
});

test('a site that only adds functions passes, with the advice to regenerate to offer them', async () => {
  const report = await runDoctor({ moodleUrl: 'https://moodle.example.edu', token: simulatorTokens.praman, catalogFunctions: ALL.filter((n) => n !== 'core_course_get_contents'), client });
  const functions = check(report, 'functions');
  assert.equal(functions.ok, true);
  assert.match(functions.fix ?? '', /^The functions the catalog lacks are not offered as tools: to offer them, regenerate the catalog from this site: make generate MOODLE_URL=http:\/\/127\.0\.0\.1:8080 /);
});

test("the local_moodlemcp plugin's functions: the resolver is noted (not an extra), the exporter in the gateway's service gets its own advice", async () => {
  const withPlugin = createSimulator({ resolverPlugin: true });
  // The simulator lists the resolver; the exporter is added to its site info here, as a service holding both would list it.
  const fetch = async (request: Request) => {
    const body = await request.clone().text();
    const response = await withPlugin.fetch(request);
    if (!body.includes('wsfunction=core_webservice_get_site_info')) return response;
    const info = (await response.json()) as { functions: Array<{ name: string; version: string }> };
    info.functions.push({ name: 'local_moodlemcp_export_functions', version: '2026120700' });
    return new Response(JSON.stringify(info), { headers: { 'content-type': 'application/json' } });
  };
  const resolverOnly = await runDoctor({ moodleUrl: 'http://127.0.0.1:8080', token: simulatorTokens.praman, catalogFunctions: ALL, client: createMoodleClient({ url: 'http://127.0.0.1:8080', fetch: withPlugin.fetch }) });
  const functions = check(resolverOnly, 'functions');
  assert.equal(functions.ok, true, formatDoctorReport(resolverOnly));
  assert.match(functions.detail, /^the service enables 760 functions; the catalog has 759; local_moodlemcp_resolve_courses is enabled: course restrictions can check every entity type through it$/);
  assert.equal(functions.fix, undefined);

  const both = await runDoctor({ moodleUrl: 'http://127.0.0.1:8080', token: simulatorTokens.praman, catalogFunctions: ALL, client: createMoodleClient({ url: 'http://127.0.0.1:8080', fetch }) });
  const advice = check(both, 'functions');
  assert.equal(advice.ok, true);
  assert.doesNotMatch(advice.detail, /not in the catalog/);
  assert.match(advice.detail, /local_moodlemcp_export_functions \(the code generator's export, a site administrator's function\) is in this service/);
  assert.match(advice.fix ?? '', /^Remove local_moodlemcp_export_functions from the gateway's service .*site administrator's token/);
  assert.doesNotMatch(advice.fix ?? '', /regenerate/);
  assert.match(formatDoctorReport(both), /fix: Remove local_moodlemcp_export_functions/);
});

test('one extra function is "1 function", in the singular', async () => {
  const report = await runDoctor({ moodleUrl: 'http://127.0.0.1:8080', token: simulatorTokens.praman, catalogFunctions: ALL.filter((n) => n !== 'core_course_get_contents'), client });
  assert.match(check(report, 'functions').detail, /; the site offers 1 function the catalog lacks: core_course_get_contents$/);
});

test('a release other than the catalog one is reported', async () => {
  const report = await runDoctor({ moodleUrl: 'http://127.0.0.1:8080', token: simulatorTokens.praman, catalogFunctions: ALL, catalogRelease: '4.4.2 (Build: 20240812)', client });
  assert.equal(check(report, 'release').ok, false);
});

test('an unreachable Moodle and plain http to a remote host are reported with fixes', async () => {
  const port = await freePort();
  const report = await runDoctor({ moodleUrl: `http://127.0.0.1:${port}`, token: simulatorTokens.praman, catalogFunctions: ALL });
  const reachable = check(report, 'reachable');
  assert.equal(reachable.ok, false);
  assert.match(reachable.detail, /^network:/);
  assert.ok(reachable.fix);
  const remote = await runDoctor({ moodleUrl: 'http://moodle.example.edu', token: simulatorTokens.praman, catalogFunctions: ALL, client });
  assert.equal(check(remote, 'transport').ok, false);
  assert.equal(check(remote, 'token').ok, true);
});
