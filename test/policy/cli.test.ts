import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFile, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPolicyCommand } from '../../runtime/cli/policy.ts';
import { simulatorTokens, startSimulator } from '../../runtime/simulator/index.ts';
import { ensureBuilt, paths } from './helpers.ts';

const CONFIG = `mode: read-only
site_level_functions: [core_webservice_get_site_info]
profiles:
  default:
    scopes: [api.read]
    ip_allow: [10.0.0.0/8]
    allow: ["*"]
    deny: [core_auth_*]
    rate_per_minute: 60
    allow_site_admin: false
  pm101:
    scopes: [api.read]
    ip_allow: [127.0.0.0/8]
    allow: [core_course_*, mod_forum_get_*, core_webservice_get_site_info]
    deny: []
    courses: [2]
    allow_site_admin: false
`;

async function run(argv: string[], cwd?: string) {
  let out = '';
  let err = '';
  const code = await runPolicyCommand(argv, { out: (s) => (out += s), err: (s) => (err += s), cwd });
  return { code, out, err };
}

describe('policy explain', () => {
  let dir: string;
  let config: string;
  before(async () => {
    await ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'moodle-mcp-explain-'));
    config = join(dir, 'config.yaml');
    await writeFile(config, CONFIG);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('prints ALLOW with the facts it decided on (exit 0)', async () => {
    const r = await run(['explain', '--config', config, '--profile', 'pm101', '--function', 'core_course_get_contents', '--args', '{"courseid":2}', '--ip', '127.0.0.1']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /tools\/call core_course_get_contents \(read\) for profile pm101/);
    assert.match(r.out, /courses 2/);
    assert.match(r.out, /decision: ALLOW/);
  });

  it('prints DENY and every reason (exit 1)', async () => {
    const r = await run(['policy', 'explain', '--config', config, '--profile', 'pm101', '--function', 'core_course_get_contents', '--args', '{"courseid":3}', '--ip', '192.0.2.1', '--site-admin']);
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /decision: DENY/);
    assert.match(r.out, /- client IP '192\.0\.2\.1' is not in the ip_allow list of profile 'pm101'/);
    assert.match(r.out, /- course 3 is not allowed for profile 'pm101'/);
    assert.match(r.out, /- site administrator tokens are not allowed/);
  });

  it('explains write refusals in read-only mode, listings, rate limits and unresolved references', async () => {
    const write = await run(['explain', '--config', config, '--profile', 'default', '--function', 'core_course_update_courses', '--scopes', 'api.read,api.write']);
    assert.match(write.out, /the gateway is read-only/);
    const list = await run(['explain', '--config', config, '--profile', 'pm101', '--function', 'core_course_get_contents', '--list']);
    assert.equal(list.code, 0, list.out);
    const rate = await run(['explain', '--config', config, '--profile', 'default', '--function', 'core_webservice_get_site_info', '--calls', '60']);
    assert.match(rate.out, /rate limit reached: 60 calls per minute/);
    const cm = await run(['explain', '--config', config, '--profile', 'pm101', '--function', 'core_course_get_course_module', '--args', '{"cmid":5}']);
    assert.match(cm.out, /note: unresolved course references: cmid \(course_module\)/);
    assert.match(cm.out, /fact: course_module 5 at cmid: not mapped -> needs a lookup/);
    assert.match(cm.out, /course_module named by this call: not in a course this user can access, or could not be looked up/);
    assert.equal(cm.code, 1);
    // Without the resolver a discussion id names its entity and the remedy; --resolver says the site enables it.
    const lock = ['explain', '--config', config, '--profile', 'pm101', '--function', 'mod_forum_get_discussion_post', '--args', '{"postid":6}'];
    assert.match((await run(lock)).out, /forum_post ids can be checked only when the local_moodlemcp resolver is enabled/);
    assert.match((await run([...lock, '--resolver'])).out, /unresolved course references: postid \(forum_post\)/);
    const given = await run(['explain', '--config', config, '--profile', 'pm101', '--function', 'core_course_get_course_module', '--args', '{"cmid":5}', '--courses', '2']);
    assert.equal(given.code, 0, given.out);
  });

  it('looks references up in Moodle with --token-env and shows each fact and where it came from', async () => {
    const sim = await startSimulator();
    const withUrl = join(dir, 'with-moodle.yaml');
    await writeFile(withUrl, CONFIG.replace(/^/, `moodle:\n  url: ${sim.url}\n`));
    const env = { ...process.env, EXPLAIN_TOKEN: simulatorTokens['dlindqvist'] };
    const saved = process.env;
    process.env = env;
    try {
      const ok = await run(['explain', '--config', withUrl, '--profile', 'pm101', '--function', 'mod_forum_get_forum_discussions', '--args', '{"forumid":5}', '--token-env', 'EXPLAIN_TOKEN']);
      assert.equal(ok.code, 0, ok.out + ok.err);
      assert.match(ok.out, /fact: module_instance \(forum\) 5 at forumid: via moodle \(core_course_get_course_module_by_instance\) -> course 2/);
      assert.match(ok.out, /1 Moodle lookup\(s\) made/);
      const other = await run(['explain', '--config', withUrl, '--profile', 'pm101', '--function', 'mod_forum_get_forum_discussions', '--args', '{"forumid":6}', '--token-env', 'EXPLAIN_TOKEN']);
      assert.equal(other.code, 1);
      assert.match(other.out, /-> course 3/);
      assert.match(other.out, /course 3 is not allowed for profile 'pm101'/);
      assert.match((await run(['explain', '--config', config, '--profile', 'pm101', '--function', 'core_course_get_contents', '--token-env', 'NO_SUCH_VAR_X'])).err, /NO_SUCH_VAR_X/);
    } finally {
      process.env = saved;
      await sim.close();
    }
  });

  it('counts --calls in the configured rate window, as the gateway does', async () => {
    const short = join(dir, 'short-window.yaml');
    await writeFile(short, `${CONFIG}rate_limit:\n  window_seconds: 30\n`);
    const args = ['explain', '--profile', 'default', '--function', 'core_webservice_get_site_info', '--ip', '10.1.2.3', '--calls', '30'];
    assert.equal((await run([...args, '--config', config])).code, 0, '30 calls in a 60-second window are under 60 per minute');
    const r = await run([...args, '--config', short]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /rate limit reached: 60 calls per minute for this connection/);
  });

  it('reports bad usage with exit 2 and the offending option', async () => {
    assert.match((await run(['explain', '--config', config, '--function', 'x'])).err, /--profile is required/);
    const unknown = await run(['explain', '--config', config, '--profile', 'pm101', '--function', 'no_such_function']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /no_such_function is not in the catalog/);
    assert.match((await run(['explain', '--config', config, '--profile', 'pm101', '--function', 'core_course_get_contents', '--courses', '2,x'])).err, /--courses/);
    assert.match((await run(['explain', '--config', config, '--profile', 'pm101', '--function', 'core_course_get_contents', '--args', '[1]'])).err, /--args: must be a JSON object/);
    assert.equal((await run(['frobnicate'])).code, 2);
    assert.equal((await run(['explain', '--bogus'])).code, 2);
  });
});

describe('policy diff', () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
  before(async () => {
    await ensureBuilt();
    repo = await mkdtemp(join(tmpdir(), 'moodle-mcp-diff-'));
    await mkdir(join(repo, 'policies'));
    for (const f of ['moodle_mcp.rego', 'capabilities.json']) await copyFile(join(paths.sourcesDir, f), join(repo, 'policies', f));
    await writeFile(join(repo, 'moodle-mcp.config.yaml'), CONFIG);
    git('init', '-q');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'base');
  });
  after(() => rm(repo, { recursive: true, force: true }));

  it('reports no changes against the same tree', async () => {
    const r = await run(['diff', 'HEAD'], repo);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /No profile × function decision flips and no profile setting changes/);
  });

  it('prints config and Rego changes as a Markdown table grouped by component', async () => {
    const config = (await readFile(join(repo, 'moodle-mcp.config.yaml'), 'utf8'))
      .replace('deny: [core_auth_*]', 'deny: [core_auth_*, mod_forum_*, core_course_get_contents]')
      .replace('rate_per_minute: 60', 'rate_per_minute: 30')
      .replace('allow: [core_course_*, mod_forum_get_*, core_webservice_get_site_info]', 'allow: [core_course_*, mod_forum_get_*, core_webservice_get_site_info, core_auth_is_minor]');
    await writeFile(join(repo, 'moodle-mcp.config.yaml'), config);
    // A Rego edit: the pm101 profile may no longer list anything from core_course.
    await appendFile(
      join(repo, 'policies/moodle_mcp.rego'),
      '\nfunction_reasons contains "core_course is closed for pm101" if {\n\tinput.connection.profile == "pm101"\n\tstartswith(fn_name, "core_course_")\n}\n',
    );
    const r = await run(['diff', 'HEAD'], repo);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    assert.ok(lines.includes('| Profile | Change | Functions | Reason |'), r.out);
    // Write functions of mod_forum were already hidden (read-only mode): the read ones flip, in one row.
    assert.ok(lines.some((l) => /^\| default \| now denied \| mod_forum \(\d+ of \d+\): can_add_discussion, get_discussion_post, .* \| function <function> is denied by pattern 'mod_forum_\*' \|$/.test(l)), r.out);
    assert.ok(lines.includes("| default | now denied | `core_course_get_contents` | function core_course_get_contents is denied by pattern 'core_course_get_contents' |"), r.out);
    assert.ok(lines.some((l) => /^\| pm101 \| now denied \| core_course \(\d+ of \d+\): check_updates, .*get_contents, .* \| core_course is closed for pm101 \|$/.test(l)), r.out);
    // core_auth_is_minor has no course refs, so under pm101's course restriction it stays hidden: no flip.
    assert.ok(!r.out.includes('core_auth_is_minor'), r.out);
    assert.ok(lines.includes('| default | rate_per_minute | 60 | 30 |'), r.out);
    // Only mod_forum_get_* functions flip for pm101? No: pm101 never had mod_forum_* denied in config.
    assert.ok(!lines.some((l) => l.startsWith('| pm101 | now denied | mod_forum')), r.out);
  });

  it('fails with exit 2 on an unknown ref', async () => {
    const r = await run(['diff', 'no-such-ref'], repo);
    assert.equal(r.code, 2);
    assert.match(r.err, /no-such-ref/);
  });
});

describe('policy courses', () => {
  it('prints the restriction report for the catalog', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'moodle-mcp-courses-'));
    try {
      await writeFile(join(dir, 'config.yaml'), CONFIG);
      const r = await run(['courses', '--config', join(dir, 'config.yaml')]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^\| Under a course restriction \| Functions \| of which results are filtered \|/);
      assert.match(r.out, /\*\*site-level\*\* \(1\): `core_webservice_get_site_info`/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('policy diff with catalog changes between the refs', () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
  const ROOT = join(paths.sourcesDir, '..');
  type CatalogFile = { functions: { name: string; access: string; accessReason?: string }[] };
  before(async () => {
    await ensureBuilt();
    repo = await mkdtemp(join(tmpdir(), 'moodle-mcp-diff-catalog-'));
    await mkdir(join(repo, 'policies'));
    await mkdir(join(repo, 'codegen'));
    for (const f of ['moodle_mcp.rego', 'capabilities.json']) await copyFile(join(paths.sourcesDir, f), join(repo, 'policies', f));
    await writeFile(join(repo, 'moodle-mcp.config.yaml'), CONFIG);
    await writeFile(join(repo, 'codegen/overrides.yaml'), 'functions: {}\n');
    execFileSync('cp', ['-r', join(ROOT, 'generated/schemas'), join(repo, 'generated-schemas')]);
    await mkdir(join(repo, 'generated'));
    execFileSync('mv', [join(repo, 'generated-schemas'), join(repo, 'generated/schemas')]);
    await copyFile(join(ROOT, 'generated/catalog.json'), join(repo, 'generated/catalog.json'));
    git('init', '-q');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'base');
  });
  after(() => rm(repo, { recursive: true, force: true }));

  it('shows functions added, removed and reclassified in the catalog, the decisions they flip, and an overrides.yaml change', async () => {
    // What a regenerated catalog after an overrides.yaml edit (and a new plugin) looks like.
    const catalog = JSON.parse(await readFile(join(repo, 'generated/catalog.json'), 'utf8')) as CatalogFile;
    const template = catalog.functions.find((f) => f.name === 'core_webservice_get_site_info')!;
    catalog.functions = catalog.functions.filter((f) => f.name !== 'core_course_get_contents');
    const forums = catalog.functions.find((f) => f.name === 'mod_forum_get_forums_by_courses')!;
    forums.access = 'write';
    forums.accessReason = 'codegen/overrides.yaml';
    catalog.functions.push({ ...template, name: 'local_review_get_things' });
    await writeFile(join(repo, 'generated/catalog.json'), JSON.stringify(catalog));
    await writeFile(join(repo, 'codegen/overrides.yaml'), 'functions:\n  mod_forum_get_forums_by_courses: { access: write }\n');

    const r = await run(['diff', 'HEAD'], repo);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    assert.ok(lines.includes('#### Catalog changes (generated/catalog.json from codegen and codegen/overrides.yaml)'), r.out);
    assert.ok(lines.includes('| `core_course_get_contents` | removed |'), r.out);
    assert.ok(lines.includes('| `local_review_get_things` | added (read) |'), r.out);
    assert.ok(lines.includes('| `mod_forum_get_forums_by_courses` | access read → write (codegen/overrides.yaml) |'), r.out);
    assert.match(r.out, /> codegen\/overrides\.yaml changed \(\+2 −1 lines\)/);
    // The decisions these flip (read-only mode hides write functions; a removed function is no longer listed).
    assert.ok(lines.includes('| default | now denied | `core_course_get_contents` | not in the catalog (generated/catalog.json) on this side |'), r.out);
    assert.ok(lines.some((l) => l.startsWith('| default | now denied | `mod_forum_get_forums_by_courses` |') && /read-only/.test(l)), r.out);
    assert.ok(lines.includes('| default | now allowed | `local_review_get_things` | not in the catalog (generated/catalog.json) on this side |'), r.out);
  });
});
