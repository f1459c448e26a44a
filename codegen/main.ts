/**
 * `make generate` / `make check-generated`:
 *   node --import tsx codegen/main.ts [--snapshot FILE] [--url URL] [--out DIR [--source-file FILE]] [--check] [--include-plugin-functions]
 * With --url, MOODLE_TOKEN must hold a web-service token of a site administrator whose service includes
 * core_webservice_get_site_info and local_moodlemcp_export_functions (the plugin in codegen/moodle/).
 * The plugin's own functions (local_moodlemcp_*) are left out of the tools unless --include-plugin-functions.
 * The catalog records its source by content (release, function-set hash), never a path or URL, so the output does
 * not depend on where the data came from. Writing the default generated/ also writes codegen.source.json (the
 * snapshot's path in the repository, or `live`): without --snapshot or --url, codegen uses that remembered source, so
 * `make check-generated` in CI checks against the source the files came from. With --out DIR, no source is remembered
 * unless --source-file names where (tests).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CodegenError } from './errors.ts';
import { generate } from './generate.ts';
import { staleFiles, writeFiles } from './output-files.ts';
import { loadOverrides } from './overrides.ts';
import { LIVE, outsideRepository, readRememberedSource, rememberedSourceText, snapshotFrom, writeRememberedSource, type RememberedSource } from './remembered-source.ts';
import { functionSetSource } from './sources/fingerprint.ts';
import { fetchLiveSource, siteRoot } from './sources/live.ts';
import { DEFAULT_SNAPSHOT, loadSnapshot } from './sources/snapshot.ts';
import type { FunctionsDocument } from './sources/types.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where `make generate` remembers the source of the repository's generated/. */
const SOURCE_FILE = resolve(ROOT, 'codegen.source.json');

interface Source {
  document: FunctionsDocument;
  /** The remembered route: snapshot path relative to the repository, or `live`. */
  from: string;
  site?: { release: string; version: string };
  enabled?: ReadonlySet<string>;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      snapshot: { type: 'string' },
      url: { type: 'string' },
      out: { type: 'string' },
      'source-file': { type: 'string' },
      check: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      'include-plugin-functions': { type: 'boolean', default: false },
    },
  });
  const log = values.quiet ? () => {} : (line: string) => console.log(line);
  const out = resolve(values.out ?? resolve(ROOT, 'generated'));
  // Only the repository's own generated/ has a remembered source; --out DIR (tests, experiments) never reads or writes it.
  const sourceFile = values['source-file'] ? resolve(values['source-file']) : values.out === undefined ? SOURCE_FILE : undefined;
  const remembered = sourceFile ? readRememberedSource(sourceFile) : undefined;
  const includePluginFunctions = values['include-plugin-functions'] || (!values.snapshot && !values.url && remembered?.includePluginFunctions === true);
  const overrides = loadOverrides();

  let source: Source;
  if (values.url) {
    // Validated before anything is printed: siteRoot refuses (without repeating) credentials in the URL.
    const url = siteRoot(values.url);
    const token = process.env.MOODLE_TOKEN;
    if (!token) throw new CodegenError('--url needs the web-service token in the MOODLE_TOKEN environment variable');
    log(`introspecting ${url} ...`);
    const live = await fetchLiveSource({ url, token });
    log(`site: Moodle ${live.site.release}; ${live.enabled.size} functions enabled for this token`);
    source = { document: live.document, from: LIVE, site: live.site, enabled: live.enabled };
  } else if (!values.snapshot && remembered?.from === LIVE) {
    if (values.check) return checkLiveCatalog(out, remembered, log);
    throw new CodegenError(`generated/ came from a live site (${sourceFile}): give MOODLE_URL and MOODLE_TOKEN again, or SNAPSHOT=file`);
  } else {
    const file = values.snapshot ? resolve(values.snapshot) : remembered ? resolve(ROOT, remembered.from) : DEFAULT_SNAPSHOT;
    if (!values.snapshot && remembered && !existsSync(file)) {
      throw new CodegenError(`the snapshot that ${sourceFile} names, ${remembered.from}, does not exist here` +
        (outsideRepository(remembered.from) ? ' (it lies outside the repository: copy it in, e.g. to codegen/sources/snapshot/, and run make generate SNAPSHOT=<the copy>)' : ''));
    }
    source = { document: loadSnapshot(file), from: snapshotFrom(ROOT, file) };
    log(`snapshot: ${outsideRepository(source.from) ? file : source.from}${!values.snapshot && remembered ? ' (remembered in codegen.source.json)' : ''}`);
  }
  log(`source: Moodle ${source.site?.release ?? source.document.moodle.release}, ${functionSetSource(source.document)} (${source.document.functions.length} functions)`);

  const { catalog, files, unclassified } = await generate({
    document: source.document, site: source.site, enabled: source.enabled, overrides, includePluginFunctions, progress: log,
  });
  if (unclassified.length) {
    // Not fatal (a live site may run plugins nobody reviewed): each is course-bound and unresolvable, so it fails closed.
    console.error(`warning: ${unclassified.length} id-like arguments no rule classifies (refused under a course restriction; see generated/course-refs.md):`);
    for (const line of unclassified) console.error(`  - ${line}`);
  }
  if (catalog.excluded?.length) {
    log(`excluded ${catalog.excluded.length} functions:`);
    for (const { name, reason } of catalog.excluded) log(`  - ${name} (${reason})`);
  }
  if (catalog.skippedOverrides?.length) {
    log(`skipped ${catalog.skippedOverrides.length} reviewed entries naming functions this site lacks (listed in the catalog and generated/course-refs.md):`);
    for (const { name, file } of catalog.skippedOverrides) log(`  - ${name} (${file})`);
  }
  const next: RememberedSource = {
    from: source.from, release: catalog.moodle.release, source: catalog.moodle.source,
    ...(includePluginFunctions ? { includePluginFunctions: true } : {}),
  };

  if (values.check) {
    const stale = staleFiles(out, files);
    if (stale.length) {
      console.error(`generated/ is stale (${stale.length} files); run \`make generate\`:`);
      for (const { path, why } of stale) console.error(`  ${why.padEnd(7)} ${path}`);
      return 1;
    }
    if (remembered && (remembered.source !== next.source || remembered.release !== next.release)) {
      console.error(`codegen.source.json records Moodle ${remembered.release}, ${remembered.source}; this source is Moodle ${next.release}, ${next.source}: run \`make generate\` with it`);
      return 1;
    }
    log(`generated/ is up to date (${files.size} files)`);
    return 0;
  }
  const changed = writeFiles(out, files);
  log(`wrote ${values.out ?? 'generated'}: ${files.size} files, ${changed} changed`);
  if (sourceFile && writeRememberedSource(sourceFile, next)) log(`remembered the source in codegen.source.json: ${rememberedSourceText(next).replace(/\s+/g, ' ').trim()}`);
  if (sourceFile && outsideRepository(next.from)) {
    console.error(`warning: the snapshot lies outside the repository (${next.from}): CI cannot read it, so make check-generated fails there; ` +
      'copy it into the repository (e.g. codegen/sources/snapshot/) and run make generate SNAPSHOT=<the copy>');
  }
  return 0;
}

/**
 * `make check-generated` when generated/ came from a live site: the site is not at hand (CI has no token), so the
 * files cannot be regenerated; what can be checked is that the catalog is the one the remembered source names.
 */
function checkLiveCatalog(out: string, remembered: RememberedSource, log: (line: string) => void): number {
  let recorded: { release?: string; source?: string } | undefined;
  try {
    recorded = (JSON.parse(readFileSync(resolve(out, 'catalog.json'), 'utf8')) as { moodle?: { release?: string; source?: string } }).moodle;
  } catch (error) {
    console.error(`generated/catalog.json cannot be read: ${(error as Error).message}; run \`make generate\``);
    return 1;
  }
  if (recorded?.source !== remembered.source || recorded?.release !== remembered.release) {
    console.error(`generated/catalog.json (Moodle ${recorded?.release}, ${recorded?.source}) is not the catalog codegen.source.json names (Moodle ${remembered.release}, ${remembered.source}): run \`make generate\``);
    return 1;
  }
  log(`generated/ came from a live site (Moodle ${remembered.release}, ${remembered.source}): its catalog matches codegen.source.json, but the files ` +
    'cannot be regenerated without the site. To check them fully, run make check-generated MOODLE_URL=... MOODLE_TOKEN=..., or generate from an exported file (SNAPSHOT=).');
  return 0;
}

// Exits once stdout and stderr are flushed: a piped stdout can still hold the last lines (the check's verdict) when
// process.exit runs, and CI saw a check answer 0 without its "up to date" line.
const exitFlushed = (code: number) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));

main(process.argv.slice(2)).then(
  (code) => exitFlushed(code),
  (error) => {
    console.error(error instanceof CodegenError ? `codegen: ${error.message}` : error);
    exitFlushed(2);
  },
);
