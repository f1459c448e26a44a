import type { LoadedCatalog } from '../catalog/index.ts';
import { compareSiteWithCatalog, describeDifferences, regenerateCommands } from '../catalog/site-comparison.ts';
import type { SiteFunctions } from '../moodle/site-functions.ts';
import type { SiteInfo } from '../moodle/site-info.ts';
import type { Connection } from '../auth/types.ts';

/**
 * True when `name` is a catalog function that the connection's site does not offer (its token's site-info list,
 * when known, lacks it). The gateway's own tools (files) are never in a site's list and never lacking.
 */
export function siteLacks(connection: Pick<Connection, 'siteFunctions'>, name: string, catalog: Pick<LoadedCatalog, 'get'>): boolean {
  const offered = connection.siteFunctions;
  return offered !== undefined && !offered.names.has(name) && catalog.get(name) !== undefined;
}

/**
 * The gateway's log line when it first sees a site-info function list (at start for stdio, at the first caller of
 * each service over HTTP): how the site compares with the catalog, what the gateway does about it, and the command
 * that regenerates the catalog from this site. A warning when they differ; at debug level when they do not.
 */
export function siteFunctionsNotice(
  functions: SiteFunctions,
  info: Pick<SiteInfo, 'release'>,
  catalog: Pick<LoadedCatalog, 'functions' | 'catalog'>,
  moodleUrl: string,
): { level: 'debug' | 'warn'; message: string } {
  const comparison = compareSiteWithCatalog(functions.names, catalog.functions.map((f) => f.name));
  const head = `Moodle site ${info.release ?? '(release unknown)'} vs the catalog (Moodle ${catalog.catalog.moodle.release}, ${catalog.functions.length} functions)`;
  const differences = describeDifferences(comparison);
  if (differences.length === 0) return { level: 'debug', message: `${head}: the site offers every catalog function to this token's service` };
  const consequences = [
    comparison.lacks.length ? 'calls to the functions it does not offer are refused (function_not_on_site) and they are not listed for its connections' : '',
    comparison.adds.length ? 'the functions the catalog lacks are not tools until the catalog is regenerated' : '',
  ].filter(Boolean);
  return {
    level: 'warn',
    message: `${head}: ${differences.join('; ')}. ${capitalize(consequences.join('; '))}. To fit the catalog to this site: ${regenerateCommands(moodleUrl)}`,
  };
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
