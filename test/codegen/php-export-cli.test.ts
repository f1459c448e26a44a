// codegen/moodle/cli/export_functions.php against a stand-in Moodle directory (a config.php written here that sets up
// the few globals the script and the exporter use, with test doubles; no Moodle code): it runs from any directory,
// stdout carries the document only, PHP and Moodle messages go to stderr, failures exit non-zero and leave no
// (or the previous) --out file, and it says which exporter class ran; it finds Moodle 4.x, 5.0 and 5.1+ (public/
// layout) trees written here in each layout, and says what is wrong with one it cannot use.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const hasPhp = spawnSync('php', ['--version']).status === 0;
const skip = hasPhp ? false : 'php is not installed (scripts/setup.sh installs php-cli)';
const script = fileURLToPath(new URL('../../codegen/moodle/cli/export_functions.php', import.meta.url));
const checkoutExporter = fileURLToPath(new URL('../../codegen/moodle/local_moodlemcp/classes/exporter.php', import.meta.url));
const stubs = fileURLToPath(new URL('./php/moodle-stubs.php', import.meta.url));

let root: string;
interface FakeRelease {
  release: string;
  version: string;
  branch: string;
}
const MOODLE_456: FakeRelease = { release: '4.5.6 (Build: 20250811)', version: '2024100706', branch: '405' };
const MOODLE_506: FakeRelease = { release: '5.0.6+ (Build: 20260403)', version: '2025041406.11', branch: '500' };
const MOODLE_51: FakeRelease = { release: '5.1+ (Build: 20251205)', version: '2025100600.13', branch: '501' };

/**
 * A stand-in Moodle whose behaviour FAKE_MOODLE selects: ok | noisy (messages on stdout, then fine) | dml (the export
 * fails) | die. Laid out as the release does: Moodle 4.x/5.0 with lib/, version.php and config.php at the top; 5.1+
 * with them under public/ and config.php at the top (public/config.php only loads ../config.php). The files are
 * written here (no Moodle code): the version.php lines the exporter reads, empty setup files, a config.php with doubles.
 */
function fakeMoodle(dir: string, moodle: FakeRelease = MOODLE_456, layout: 'top' | 'public' = 'top') {
  const code = layout === 'public' ? join(dir, 'public') : dir;
  mkdirSync(join(code, 'lib'), { recursive: true });
  writeFileSync(join(code, 'lib', 'setup.php'), '<?php\n');
  writeFileSync(join(code, 'lib', 'clilib.php'), '<?php\n');
  writeFileSync(join(code, 'version.php'), `<?php\ndefined('MOODLE_INTERNAL') || die();\n\n$version  = ${moodle.version};\n$release  = '${moodle.release}';\n$branch   = '${moodle.branch}';\n`);
  if (layout === 'public') writeFileSync(join(code, 'config.php'), "<?php\nrequire_once(__DIR__ . '/../config.php');\n");
  writeFileSync(join(dir, 'fakes.php'), `<?php
namespace core\\session {
    class manager { public static function set_user($user) {} }
}
namespace {
    define('MEMORY_HUGE', -1);
    class fake_db {
        public function get_records($table, $conditions = null, $sort = '') {
            if (getenv('FAKE_MOODLE') === 'dml') { throw new Exception('Error reading from database'); }
            return [];
        }
        public function get_records_sql($sql) { return []; }
    }
    function get_admin() { return (object)['id' => 2]; }
    function raise_memory_limit($limit) {}
    class core_php_time_limit { public static function raise($seconds = 0) {} }
}
`);
  writeFileSync(join(dir, 'config.php'), `<?php
require(${JSON.stringify(stubs)});
require(__DIR__ . '/fakes.php');
global $CFG, $DB;
$CFG = (object)['libdir' => ${JSON.stringify(join(code, 'lib'))}, 'release' => '${moodle.release}', 'version' => '${moodle.version}', 'branch' => '${moodle.branch}',
    'dbtype' => 'pgsql', 'wwwroot' => 'http://moodle.test'];
$DB = new fake_db();
if (getenv('FAKE_MOODLE') === 'noisy') {
    echo "Coding error detected, it must be fixed by a programmer\\n";
    trigger_error('a deprecated call', E_USER_DEPRECATED);
}
if (getenv('FAKE_MOODLE') === 'die') { echo '<p>Database connection failed</p>'; die; }
`);
}

before(() => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'export-cli-'));
  fakeMoodle(join(root, 'moodle'));
  mkdirSync(join(root, 'elsewhere'));
});
after(() => root && rmSync(root, { recursive: true, force: true }));

function run(args: string[], mode: string, cwd = join(root, 'elsewhere')) {
  const result = spawnSync('php', [script, ...args], { cwd, encoding: 'utf8', env: { ...process.env, FAKE_MOODLE: mode } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('runs from any directory (relative --moodle and --out resolve against it) and names the exporter class it used', { skip }, () => {
  const out = run(['--moodle=../moodle', '--out', 'functions.json'], 'ok');
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout, '');
  const document = JSON.parse(readFileSync(join(root, 'elsewhere', 'functions.json'), 'utf8')) as { format: string; functions: unknown[] };
  assert.equal(document.format, 'moodle-external-functions/1');
  assert.match(out.stderr, new RegExp(`exporter class from ${checkoutExporter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(this checkout\\)`));
  assert.match(out.stderr, /wrote 0 functions to .*elsewhere\/functions\.json/);
  // No temporary file is left behind.
  assert.deepEqual(readdirSync(join(root, 'elsewhere')), ['functions.json']);
  // Without --out the document goes to stdout, from yet another directory.
  const piped = run([`--moodle=${join(root, 'moodle')}`], 'ok', tmpdir());
  assert.equal(piped.status, 0, piped.stderr);
  assert.equal(JSON.parse(piped.stdout).format, 'moodle-external-functions/1');
});

test("Moodle's and PHP's messages go to stderr, never into the document", { skip }, () => {
  const out = run([`--moodle=${join(root, 'moodle')}`], 'noisy');
  assert.equal(out.status, 0, out.stderr);
  assert.equal(JSON.parse(out.stdout).format, 'moodle-external-functions/1');
  assert.match(out.stderr, /Coding error detected/);
  assert.match(out.stderr, /a deprecated call/);
});

test('a failing export exits non-zero, writes nothing to stdout and keeps the previous --out file', { skip }, () => {
  const target = join(root, 'elsewhere', 'kept.json');
  writeFileSync(target, '{"previous":true}\n');
  for (const mode of ['dml', 'die']) {
    const out = run([`--moodle=${join(root, 'moodle')}`, `--out=${target}`], mode);
    assert.equal(out.status, 1, `${mode}: ${out.stderr}`);
    assert.equal(out.stdout, '', mode);
    assert.equal(readFileSync(target, 'utf8'), '{"previous":true}\n', mode);
    assert.match(out.stderr, mode === 'dml' ? /export_functions\.php: Exception: Error reading from database/ : /Database connection failed.*\nexport_functions\.php: stopped before the document was complete/s, mode);
  }
  assert.ok(!readdirSync(join(root, 'elsewhere')).some((f) => f.includes('.tmp-')));
});

test('bad arguments: exit 2 with a message on stderr', { skip }, () => {
  const cases: Array<[string[], RegExp]> = [
    [['--bogus'], /unknown argument --bogus/],
    [['--moodle=/nonexistent'], /\/nonexistent is not a Moodle directory: neither lib\/setup\.php \(Moodle 4\.x, 5\.0\) nor public\/lib\/setup\.php \(Moodle 5\.1\+\)/],
    [['--out'], /--out needs a value/],
    [[`--moodle=${join(root, 'moodle')}`, '--out=/nonexistent/dir/f.json'], /--out: directory \/nonexistent\/dir does not exist/],
  ];
  for (const [args, message] of cases) {
    const out = run(args, 'ok');
    assert.equal(out.status, 2, args.join(' '));
    assert.equal(out.stdout, '');
    assert.match(out.stderr, message);
  }
  assert.ok(!existsSync('/nonexistent'));
});

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('finds a Moodle 4.x, 5.0 or 5.1+ tree (public/ layout; named by its top or by public/) and says which it found', { skip }, () => {
  const trees: Array<[string, FakeRelease, 'top' | 'public', string]> = [
    ['m45', MOODLE_456, 'top', 'Moodle 4.x/5.0 layout: code and config.php at the top'],
    ['m50', MOODLE_506, 'top', 'Moodle 4.x/5.0 layout: code and config.php at the top'],
    ['m51', MOODLE_51, 'public', `Moodle 5.1+ layout: code in ${join(root, 'm51')}/public, config.php at the top`],
  ];
  for (const [name, moodle, layout, described] of trees) {
    fakeMoodle(join(root, name), moodle, layout);
    const given = layout === 'public' ? [join(root, name), join(root, name, 'public')] : [join(root, name)];
    for (const dir of given) {
      const out = run([`--moodle=${dir}`], 'ok');
      assert.equal(out.status, 0, `${dir}: ${out.stderr}`);
      assert.match(out.stderr, new RegExp(`^export_functions\\.php: Moodle ${escapeRe(moodle.release)} in ${escapeRe(join(root, name))} \\(${escapeRe(described)}\\)$`, 'm'), dir);
      const document = JSON.parse(out.stdout) as { moodle: { release: string; branch: string } };
      assert.deepEqual([document.moodle.release, document.moodle.branch], [moodle.release, moodle.branch], dir);
    }
  }
  // Relative, from another directory: the public/ folder of the 5.1 tree.
  const relative = run(['--moodle=../m51/public'], 'ok');
  assert.equal(relative.status, 0, relative.stderr);
  assert.match(relative.stderr, /Moodle 5\.1\+ \(Build: 20251205\) in .*\/elsewhere\/\.\.\/m51 \(Moodle 5\.1\+ layout/);
});

test('a tree that is incomplete, not installed or too old: exit 2 with what is wrong', { skip }, () => {
  const dir = (name: string) => join(root, 'broken', name);
  // 5.1 code but no config.php at the top (the site is not installed).
  fakeMoodle(dir('m51-no-config'), MOODLE_51, 'public');
  rmSync(join(dir('m51-no-config'), 'config.php'));
  // A 5.1 release with its code at the top: not how 5.1 ships.
  fakeMoodle(dir('m51-flat'), MOODLE_51, 'top');
  // Moodle 4.1 (no core_external).
  fakeMoodle(dir('m41'), { release: '4.1.12 (Build: 20240610)', version: '2022112812', branch: '401' }, 'top');
  // lib/setup.php but no version.php.
  fakeMoodle(dir('no-version'), MOODLE_456, 'top');
  rmSync(join(dir('no-version'), 'version.php'));
  const cases: Array<[string, RegExp]> = [
    [dir('m51-no-config'), new RegExp(`^export_functions\\.php: no config\\.php in ${escapeRe(dir('m51-no-config'))} \\(Moodle 5\\.1\\+ \\(Build: 20251205\\), Moodle 5\\.1\\+ layout`)],
    [join(dir('m51-no-config'), 'public'), new RegExp(`no config\\.php in ${escapeRe(dir('m51-no-config'))} `)],
    [dir('m51-flat'), /has its code at the top, but Moodle 5\.1\+ keeps it under public\//],
    [dir('m41'), /Moodle 4\.1\.12 \(Build: 20240610\) in .* is older than 4\.2: the exporter needs core_external/],
    [dir('no-version'), /no-version\/version\.php is missing or names no \$release and \$branch/],
  ];
  for (const [moodleDir, message] of cases) {
    const out = run([`--moodle=${moodleDir}`], 'ok');
    assert.equal(out.status, 2, `${moodleDir}: ${out.stderr}`);
    assert.equal(out.stdout, '');
    assert.match(out.stderr, message);
  }
});
