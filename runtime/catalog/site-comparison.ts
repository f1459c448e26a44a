import { PLUGIN_FUNCTION_PREFIX } from '../moodle/plugin.ts';

/** How a site's function list (a token's site info) differs from the generated catalog. */
export interface SiteComparison {
  /** Catalog functions the site does not list for the token, sorted. */
  lacks: string[];
  /** Functions the site lists that the catalog does not have (our plugin's own functions left out), sorted. */
  adds: string[];
}

/** Whether two Moodle releases ("4.5.6 (Build: 20250811)", "5.0.6+ ...") are of the same major.minor branch. */
export function sameBranch(a: string, b: string): boolean {
  const branch = (release: string) => /^(\d+\.\d+)/.exec(release)?.[1];
  return branch(a) !== undefined && branch(a) === branch(b);
}

/** Compares a site's function list with the catalog's function names. */
export function compareSiteWithCatalog(site: Iterable<string>, catalog: Iterable<string>): SiteComparison {
  const onSite = new Set(site);
  const inCatalog = new Set(catalog);
  return {
    lacks: [...inCatalog].filter((n) => !onSite.has(n)).sort(),
    adds: [...onSite].filter((n) => !inCatalog.has(n) && !n.startsWith(PLUGIN_FUNCTION_PREFIX)).sort(),
  };
}

/** `a, b, c, ... (N more)`: the first `shown` names of a list. */
export function firstNames(names: readonly string[], shown = 5): string {
  return names.slice(0, shown).join(', ') + (names.length > shown ? `, ... (${names.length - shown} more)` : '');
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** The differences in one sentence each: counts and the first few names (empty when there are none). */
export function describeDifferences(c: SiteComparison, shown = 5): string[] {
  const lines: string[] = [];
  if (c.lacks.length) lines.push(`the site does not offer ${plural(c.lacks.length, 'catalog function')} to this token: ${firstNames(c.lacks, shown)}`);
  if (c.adds.length) lines.push(`the site offers ${plural(c.adds.length, 'function')} the catalog lacks: ${firstNames(c.adds, shown)}`);
  return lines;
}

/**
 * The exact commands that regenerate `generated/` from a site: over REST with the local_moodlemcp plugin, or with the
 * CLI exporter on the Moodle server (no plugin). `moodleUrl` is written into the first.
 */
export function regenerateCommands(moodleUrl: string): string {
  return (
    `make generate MOODLE_URL=${moodleUrl.replace(/\/$/, '')} MOODLE_TOKEN=<a site administrator's token> ` +
    '(local_moodlemcp plugin installed), or on the Moodle server ' +
    "php codegen/moodle/cli/export_functions.php --moodle=<Moodle directory> --out=functions.json, then make generate SNAPSHOT=functions.json"
  );
}
