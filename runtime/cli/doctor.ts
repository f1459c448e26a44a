/**
 * `moodle-mcp doctor`: checks a Moodle URL and token before the gateway uses them: Moodle answers,
 * the token is valid and not a site admin's, the release, and which functions the token's service
 * enables compared with the generated catalog. Plain data out; {@link formatDoctorReport} prints it.
 */
import { EXPORT_FUNCTION, RESOLVER_FUNCTION } from '../moodle/plugin.ts';
import { createMoodleClient, type MoodleClient } from '../moodle/client.ts';
import { MoodleError } from '../moodle/errors.ts';
import { isSiteAdmin, type SiteInfo } from '../moodle/site-info.ts';
import { isLoopbackHostname } from '../http/guards.ts';
import { compareSiteWithCatalog, describeDifferences, regenerateCommands, sameBranch } from '../catalog/site-comparison.ts';

export interface DoctorCheck {
  name: 'transport' | 'reachable' | 'token' | 'not_site_admin' | 'release' | 'functions';
  ok: boolean;
  detail: string;
  /** What to do when the check fails (or warns). */
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

export interface DoctorOptions {
  moodleUrl: string;
  token: string;
  /** Function names in the generated catalog (generated/catalog.json). */
  catalogFunctions: string[];
  /** Release the catalog was generated from, e.g. "4.5.6 (Build: 20250811)"; compared by major.minor. */
  catalogRelease?: string;
  /** Allow a site admin's token (the config's explicit opt-in): the check then passes with a warning. */
  allowSiteAdmin?: boolean;
  client?: MoodleClient;
  timeoutMs?: number;
}

/** Names shown of each difference between the site and the catalog (with the count of the rest). */
const NAMES_SHOWN = 5;

/** Runs every check; never throws for Moodle or network failures (they become failed checks). */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  let client: MoodleClient;
  try {
    client = options.client ?? createMoodleClient({ url: options.moodleUrl, timeoutMs: options.timeoutMs ?? 15_000, retries: 0 });
  } catch (error) {
    checks.push({ name: 'reachable', ok: false, detail: (error as Error).message, fix: 'Set moodle.url to the site base URL, e.g. https://moodle.example.edu' });
    return { ok: false, checks };
  }
  checks.push(transportCheck(options.moodleUrl));

  let info: SiteInfo | undefined;
  try {
    info = await client.getSiteInfo(options.token);
    checks.push({ name: 'reachable', ok: true, detail: `Moodle answered at ${client.url}` });
    checks.push({ name: 'token', ok: true, detail: `valid: user "${info.username}" (id ${info.userid}) on "${info.sitename}"` });
  } catch (error) {
    checks.push(...failureChecks(error, client.url));
  }
  if (!info) {
    for (const name of ['not_site_admin', 'release', 'functions'] as const) checks.push({ name, ok: false, detail: 'skipped: needs a valid token' });
    return { ok: false, checks };
  }

  if (isSiteAdmin(info)) {
    checks.push({
      name: 'not_site_admin',
      ok: options.allowSiteAdmin === true,
      detail: `the token belongs to a site administrator ("${info.username}"), who bypasses every Moodle capability check`,
      fix: 'Use a token of an ordinary user (Site administration > Server > Web services > Manage tokens), or set moodle.allow_site_admin_tokens (and the profile\'s allow_site_admin) only if you really mean it.',
    });
  } else {
    checks.push({ name: 'not_site_admin', ok: true, detail: 'the token is not a site administrator\'s' });
  }
  checks.push(releaseCheck(info, client.url, options.catalogRelease));
  checks.push(functionsCheck(info, options.catalogFunctions, client.url, options.catalogRelease));
  return { ok: checks.every((c) => c.ok), checks };
}

function transportCheck(url: string): DoctorCheck {
  const parsed = new URL(url);
  const loopback = isLoopbackHostname(parsed.hostname);
  if (parsed.protocol === 'https:' || loopback) return { name: 'transport', ok: true, detail: `${parsed.protocol.slice(0, -1)} to ${parsed.host}` };
  return {
    name: 'transport',
    ok: false,
    detail: `plain http to ${parsed.host}: tokens travel unencrypted`,
    fix: 'Serve Moodle over https and use the https URL.',
  };
}

function failureChecks(error: unknown, url: string): DoctorCheck[] {
  if (!(error instanceof MoodleError)) throw error;
  if (error.isTransport) {
    const fix =
      error.code === 'bad_json' || error.code === 'http_status'
        ? 'Check that the URL is the Moodle base URL and that the REST protocol is enabled (Site administration > Server > Web services > Manage protocols).'
        : 'Check the URL, DNS, firewall and TLS between the gateway and Moodle.';
    return [
      { name: 'reachable', ok: false, detail: `${error.code}: ${error.message}`, fix },
      { name: 'token', ok: false, detail: 'skipped: Moodle did not answer' },
    ];
  }
  const fix =
    error.code === 'invalidtoken'
      ? 'Create a token for this user and the gateway\'s service (Site administration > Server > Web services > Manage tokens), or check that it has not expired.'
      : error.code === 'accessexception'
        ? 'Enable the token\'s service and allow the user to use it (authorised users, webservice/rest:use).'
        : 'See Moodle\'s message above.';
  return [
    { name: 'reachable', ok: true, detail: `Moodle answered at ${url}` },
    { name: 'token', ok: false, detail: `${error.code}: ${error.message}`, fix },
  ];
}

function releaseCheck(info: SiteInfo, moodleUrl: string, catalogRelease?: string): DoctorCheck {
  const detail = `Moodle ${info.release} (version ${info.version})`;
  if (!catalogRelease || sameBranch(info.release, catalogRelease)) return { name: 'release', ok: true, detail };
  return {
    name: 'release',
    ok: false,
    detail: `${detail}, but the catalog was generated from ${catalogRelease}`,
    fix: `Regenerate the catalog from this site: ${regenerateCommands(moodleUrl)}`,
  };
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function functionsCheck(info: SiteInfo, catalog: string[], moodleUrl: string, catalogRelease?: string): DoctorCheck {
  const enabled = new Set((info.functions ?? []).map((f) => f.name));
  const comparison = compareSiteWithCatalog(enabled, catalog);
  const parts = [`the service enables ${count(enabled.size, 'function')}; the catalog has ${new Set(catalog).size}`, ...describeDifferences(comparison, NAMES_SHOWN)];
  if (enabled.has(RESOLVER_FUNCTION)) parts.push(`${RESOLVER_FUNCTION} is enabled: course restrictions can check every entity type through it`);
  const fixes: string[] = [];
  if (enabled.has(EXPORT_FUNCTION)) {
    parts.push(`${EXPORT_FUNCTION} (the code generator's export, a site administrator's function) is in this service`);
    fixes.push(
      `Remove ${EXPORT_FUNCTION} from the gateway's service (Site administration > Server > Web services > External services > Functions): ` +
        "codegen calls it with a site administrator's token, best through a separate service; the gateway never offers it as a tool.",
    );
  }
  const regenerate = `regenerate the catalog from this site: ${regenerateCommands(moodleUrl)}`;
  if (comparison.lacks.length) {
    const versions = catalogRelease ? `the site runs Moodle ${info.release}, the catalog is from ${catalogRelease}` : `the site runs Moodle ${info.release}`;
    fixes.push(
      `The gateway refuses calls to the catalog functions this token's site info does not list (function_not_on_site) and does not list them for it. ` +
        'If the site has them, add them to the service (Site administration > Server > Web services > External services > Functions); ' +
        `if it does not (${versions}, or its plugins differ), ${regenerate}`,
    );
  } else if (comparison.adds.length) {
    fixes.push(`The functions the catalog lacks are not offered as tools: to offer them, ${regenerate}`);
  }
  return {
    name: 'functions',
    ok: comparison.lacks.length === 0,
    detail: parts.join('; '),
    fix: fixes.length ? fixes.join(' ') : undefined,
  };
}

/** The report as text lines: one per check, with the fix under failed (or noted) ones. */
export function formatDoctorReport(report: DoctorReport): string {
  const lines = report.checks.flatMap((c) => {
    const head = `${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(14)} ${c.detail}`;
    return c.fix && (!c.ok || c.name === 'functions') ? [head, `      fix: ${c.fix}`] : [head];
  });
  lines.push('', report.ok ? 'All checks passed.' : 'Some checks failed: see "fix" above.');
  return lines.join('\n');
}
