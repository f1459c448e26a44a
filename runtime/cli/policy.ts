import { INSTALL_ROOT } from '../shared/install-root.ts';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadCatalog, GENERATED_DIR } from '../catalog/index.ts';
import { FILE_FUNCTIONS } from '../files/tools.ts';
import type { CatalogFunction } from '../catalog/types.ts';
import { defaultConfigPath, loadConfig, parseConfig, policyDataFromConfig } from '../config/index.ts';
import { createMoodleClient } from '../moodle/index.ts';
import { enablesCourseResolver } from '../moodle/site-info.ts';
import type { CourseFact } from '../policy/courses.ts';
import { explainDecision, ExplainInputError, type ExplainMoodle, type Explanation } from '../policy/explain.ts';
import { loadPolicyEngine } from '../policy/engine.ts';
import { PolicyError } from '../policy/errors.ts';
import { formatRestrictionReport, restrictionReport } from '../policy/restriction-report.ts';
import { catalogChanges, formatDiff, groupFlips, listFlips, settingChanges } from '../policy/review.ts';
import type { PolicyData } from '../policy/types.ts';
import { wantsHelp } from './args.ts';

// The installation (checkout or package), not this module's folder: from dist/ that would be dist/.
const REPO = INSTALL_ROOT;

export interface PolicyCommandIo {
  out?: (text: string) => void;
  err?: (text: string) => void;
  /** Working directory (the repository for `diff`), default process.cwd(). */
  cwd?: string;
}

const USAGE = `usage:
  moodle-mcp policy explain --profile P --function F [--args JSON] [--ip A] [--courses 2,3]
                            [--scopes api.read,api.write] [--site-admin] [--list] [--calls N] [--function-calls N]
                            [--token-env NAME | --resolver] [--config FILE] [--policies DIR]
      prints the decision, its reasons and each course reference with how it was mapped (exit 0 allowed, 1 denied,
      2 error); --token-env: look references up in Moodle with the token in that variable; --resolver: assume the
      site enables the local_moodlemcp resolver (offline)
  moodle-mcp policy diff <git-ref> [--config FILE] [--policies DIR]
      Markdown table of profile × function listing decisions that flip between <git-ref> and the working tree
  moodle-mcp policy courses [--config FILE]
      how each function's references are mapped to courses under a course restriction (Markdown)`;

class UsageError extends Error {}

/** `moodle-mcp policy explain|diff ...`; returns the exit code. */
export async function runPolicyCommand(argv: string[], io: PolicyCommandIo = {}): Promise<number> {
  const out = io.out ?? ((s: string) => process.stdout.write(s));
  const err = io.err ?? ((s: string) => process.stderr.write(s));
  const args = argv[0] === 'policy' ? argv.slice(1) : argv;
  const [sub, ...rest] = args;
  if (wantsHelp(args)) {
    out(USAGE + '\n');
    return 0;
  }
  try {
    if (sub === 'explain') return await explain(rest, io.cwd ?? process.cwd(), out);
    if (sub === 'diff') return await diff(rest, io.cwd ?? process.cwd(), out);
    if (sub === 'courses') return await courses(rest, io.cwd ?? process.cwd(), out);
    if (sub === undefined) {
      out(USAGE + '\n');
      return 2;
    }
    throw new UsageError(`unknown policy command ${JSON.stringify(sub)}`);
  } catch (e) {
    const error = e as Error;
    err(`policy ${sub}: ${error.message}\n`);
    if (error instanceof UsageError) err(USAGE + '\n');
    return 2;
  }
}

function parse(argv: string[], options: ParseArgsConfig['options']): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as { values: Record<string, string | boolean | undefined>; positionals: string[] };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function intList(name: string, raw: string): number[] {
  const ids = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (!ids.every((s) => /^\d+$/.test(s))) throw new UsageError(`--${name}: expected comma-separated integers, got ${JSON.stringify(raw)}`);
  return ids.map(Number);
}

function count(name: string, raw: string | undefined): number {
  if (raw === undefined) return 0;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${name}: expected a non-negative integer, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

async function explain(argv: string[], cwd: string, out: (s: string) => void): Promise<number> {
  const { values: v } = parse(argv, {
    profile: { type: 'string' },
    function: { type: 'string' },
    args: { type: 'string' },
    ip: { type: 'string' },
    courses: { type: 'string' },
    scopes: { type: 'string' },
    'site-admin': { type: 'boolean' },
    list: { type: 'boolean' },
    calls: { type: 'string' },
    'function-calls': { type: 'string' },
    'token-env': { type: 'string' },
    resolver: { type: 'boolean' },
    config: { type: 'string' },
    policies: { type: 'string' },
  });
  const profileName = v.profile as string | undefined;
  const fnName = v.function as string | undefined;
  if (!profileName) throw new UsageError('--profile is required');
  if (!fnName) throw new UsageError('--function is required');

  const config = await loadConfig(v.config ? resolve(cwd, v.config as string) : defaultConfigPath());
  const data = policyDataFromConfig(config);
  const catalog = await loadCatalog(GENERATED_DIR);

  let callArgs: Record<string, unknown> = {};
  if (v.args !== undefined) {
    try {
      callArgs = JSON.parse(v.args as string);
    } catch (e) {
      throw new UsageError(`--args: not valid JSON: ${(e as Error).message}`);
    }
  }

  // With --token-env, references are looked up in Moodle as the gateway would (the token's own site info says whether
  // the local_moodlemcp resolver is enabled).
  const tokenEnv = v['token-env'] as string | undefined;
  const token = tokenEnv ? process.env[tokenEnv] : undefined;
  if (tokenEnv && !token) throw new UsageError(`--token-env: environment variable ${tokenEnv} is not set`);
  if (token && !config.moodle.url) throw new UsageError('--token-env needs a Moodle URL (moodle.url in the config, or MOODLE_URL)');
  let moodle: ExplainMoodle | undefined;
  if (token) {
    const client = createMoodleClient({ url: config.moodle.url, service: config.moodle.service, timeoutMs: config.moodle.timeout_ms });
    moodle = { token, resolver: enablesCourseResolver(await client.getSiteInfo(token)), callMoodle: (t, f, a) => client.call(t, f, a, { access: 'read' }) };
  }

  const policies = v.policies ? resolve(cwd, v.policies as string) : join(REPO, 'policies');
  const engine = await loadPolicyEngine({ sourcesDir: policies, wasmPath: join(policies, 'build/policy.wasm'), manifestPath: join(policies, 'build/manifest.json'), data });
  let explained: Explanation;
  try {
    explained = await explainDecision(
      {
        profile: profileName, function: fnName, args: callArgs, ip: v.ip as string | undefined,
        courses: v.courses !== undefined ? intList('courses', v.courses as string) : undefined,
        scopes: v.scopes !== undefined ? (v.scopes as string).split(',').map((s) => s.trim()).filter(Boolean) : undefined,
        siteAdmin: Boolean(v['site-admin']), list: Boolean(v.list),
        calls: count('calls', v.calls as string | undefined), functionCalls: count('function-calls', v['function-calls'] as string | undefined),
        resolver: Boolean(v.resolver),
      },
      { data, getFunction: (name) => catalog.get(name) ?? FILE_FUNCTIONS.get(name), decide: (input) => engine.decide(input), windowSeconds: config.rate_limit.window_seconds, moodle },
    );
  } catch (e) {
    if (e instanceof ExplainInputError) throw new UsageError(`--${e.field}: ${e.message}`);
    throw e;
  } finally {
    engine.close();
  }
  const { fn, input, decision, courses, resolved, scopes, notes, facts } = explained;

  out(
    [
      `${input.action} ${fn.name} (${fn.access}${fn.accessReason ? `: ${fn.accessReason}` : ''}) for profile ${profileName}`,
      `  client IP ${input.client_ip} · scopes ${scopes.join(', ') || '(none)'} · site admin ${input.connection.site_admin ? 'yes' : 'no'}` +
        (input.action === 'tools/call' ? ` · courses ${courses.length ? courses.join(', ') : '(none)'}${resolved ? '' : ' (unresolved)'} · calls ${input.usage.connection_calls}/${input.usage.function_calls}` : ''),
      ...facts.map((f) => `  fact: ${describeFact(f)}`),
      ...notes.map((n) => `  note: ${n}`),
      `decision: ${decision.allow ? 'ALLOW' : 'DENY'} (policy ${engine.version})`,
      ...decision.reasons.map((r) => `  - ${r}`),
      '',
    ].join('\n'),
  );
  return decision.allow ? 0 : 1;
}

/** Whether `path` exists in the tree of `ref`. */
function gitHas(cwd: string, ref: string, path: string): boolean {
  return spawnSync('git', ['cat-file', '-e', `${ref}:${path}`], { cwd }).status === 0;
}

/** One reference as explain shows it: where it is, what it names and how it was mapped to a course. */
function describeFact(f: CourseFact): string {
  const what = `${f.entity}${f.module ? ` (${f.module})` : ''}${f.id !== undefined ? ` ${f.id}` : ''} at ${f.path}`;
  const how = f.via === 'none' ? 'not mapped' : `via ${f.via}${f.moodleFunction ? ` (${f.moodleFunction}${f.cached ? ', cached' : ''})` : ''}`;
  const outcome = f.outcome === 'course' ? `course ${f.course}` : f.outcome === 'pending' ? 'needs a lookup' : f.outcome;
  return `${what}: ${how} -> ${outcome}`;
}

function git(cwd: string, args: string[], input?: Buffer): Buffer {
  const r = spawnSync('git', args, { cwd, input, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new PolicyError(`git ${args[0]}: ${r.error.message}`);
  if (r.status !== 0) throw new PolicyError(`git ${args.join(' ')}: ${r.stderr.toString().trim()}`);
  return r.stdout;
}

function build(src: string, outDir: string, repo: string): void {
  // The repository's own build script (the one being reviewed), else this installation's.
  const script = [join(repo, 'scripts/policy-build.sh'), join(REPO, 'scripts/policy-build.sh')].find((p) => existsSync(p))!;
  const r = spawnSync('bash', [script, '--src', src, '--out', outDir], { encoding: 'utf8' });
  if (r.status !== 0) throw new PolicyError(`building ${src} failed:\n${(r.stderr || r.stdout).trim()}`);
}

async function engineFor(policiesDir: string, buildDir: string, data: PolicyData, repo: string) {
  build(policiesDir, buildDir, repo);
  return loadPolicyEngine({ sourcesDir: policiesDir, wasmPath: join(buildDir, 'policy.wasm'), manifestPath: join(buildDir, 'manifest.json'), data });
}

async function diff(argv: string[], cwd: string, out: (s: string) => void): Promise<number> {
  const { values: v, positionals } = parse(argv, { config: { type: 'string' }, policies: { type: 'string' } });
  const [ref, ...extra] = positionals;
  if (!ref || extra.length) throw new UsageError('expected exactly one <git-ref>');
  const top = git(cwd, ['rev-parse', '--show-toplevel']).toString().trim();
  const configRel = (v.config as string | undefined) ?? 'moodle-mcp.config.yaml';
  const policiesRel = (v.policies as string | undefined) ?? 'policies';
  git(top, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);

  const tmp = await mkdtemp(join(tmpdir(), 'moodle-mcp-policy-diff-'));
  try {
    // The ref's policies, config and generated catalog, extracted from git (not checked out).
    const hasCatalog = gitHas(top, ref, 'generated/catalog.json');
    const tar = git(top, ['archive', '--format=tar', ref, '--', policiesRel, configRel, ...(hasCatalog ? ['generated/catalog.json', 'generated/schemas'] : [])]);
    const untar = spawnSync('tar', ['-x', '-C', tmp], { input: tar });
    if (untar.status !== 0) throw new PolicyError(`extracting ${ref}: ${untar.stderr.toString().trim()}`);

    const beforeConfig = parseConfig(await readFile(join(tmp, configRel), 'utf8'), `${ref}:${configRel}`, {});
    const afterConfig = await loadConfig(join(top, configRel), {});
    const before = { data: policyDataFromConfig(beforeConfig) };
    const after = { data: policyDataFromConfig(afterConfig) };
    const beforeEngine = await engineFor(join(tmp, policiesRel), join(tmp, 'build-before'), before.data, top);
    const afterEngine = await engineFor(join(top, policiesRel), join(tmp, 'build-after'), after.data, top);

    // Each side with its own catalog: functions added, removed or reclassified by codegen/overrides.yaml show up.
    const ownGenerated = join(top, 'generated');
    const functions: CatalogFunction[] = (await loadCatalog(existsSync(join(ownGenerated, 'catalog.json')) ? ownGenerated : GENERATED_DIR)).functions;
    const notes: string[] = [];
    let beforeFunctions = functions;
    if (hasCatalog) beforeFunctions = (await loadCatalog(join(tmp, 'generated'))).functions;
    else notes.push(`\`${ref}\` has no generated/catalog.json: both sides use the working tree's catalog.`);
    const overrides = git(top, ['diff', '--numstat', ref, '--', 'codegen/overrides.yaml']).toString().trim();
    if (overrides) {
      const [added, removed] = overrides.split(/\s+/);
      notes.push(`codegen/overrides.yaml changed (+${added} −${removed} lines); its effect is in the catalog changes below (after \`make generate\`).`);
    }
    const flips = listFlips({ ...before, engine: beforeEngine, functions: beforeFunctions }, { ...after, engine: afterEngine, functions }, functions);
    const allFunctions = [...new Map([...beforeFunctions, ...functions].map((f) => [f.name, f])).values()];
    out(formatDiff(ref, groupFlips(flips, allFunctions), settingChanges(before.data, after.data), { changes: catalogChanges(beforeFunctions, functions), notes }));
    beforeEngine.close();
    afterEngine.close();
    return 0;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function courses(argv: string[], cwd: string, out: (s: string) => void): Promise<number> {
  const { values: v, positionals } = parse(argv, { config: { type: 'string' } });
  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const config = await loadConfig(v.config ? resolve(cwd, v.config as string) : defaultConfigPath());
  const { functions } = await loadCatalog(GENERATED_DIR);
  out(formatRestrictionReport(restrictionReport(functions, policyDataFromConfig(config).site_level_functions)));
  return 0;
}
