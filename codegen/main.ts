/**
 * `make generate` / `make check-generated`:
 *   node --import tsx codegen/main.ts [--snapshot FILE] [--url URL] [--out DIR] [--check] [--include-plugin-functions]
 * With --url, MOODLE_TOKEN must hold a web-service token of a site administrator whose service includes
 * core_webservice_get_site_info and local_moodlemcp_export_functions (the plugin in codegen/moodle/).
 * The plugin's own functions (local_moodlemcp_*) are left out of the tools unless --include-plugin-functions.
 * A snapshot is recorded in the catalog by the SHA-256 of its content (never its path), so the output does not
 * depend on where the file lies.
 */
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CodegenError } from './errors.ts';
import { generate } from './generate.ts';
import { staleFiles, writeFiles } from './output-files.ts';
import { loadOverrides } from './overrides.ts';
import { fetchLiveSource, siteRoot } from './sources/live.ts';
import { DEFAULT_SNAPSHOT, loadSnapshot, snapshotSource } from './sources/snapshot.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      snapshot: { type: 'string' },
      url: { type: 'string' },
      out: { type: 'string', default: resolve(ROOT, 'generated') },
      check: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      'include-plugin-functions': { type: 'boolean', default: false },
    },
  });
  const log = values.quiet ? () => {} : (line: string) => console.log(line);
  const out = resolve(values.out!);
  const overrides = loadOverrides();

  let source;
  if (values.url) {
    // Validated before anything is printed: siteRoot refuses (without repeating) credentials in the URL.
    const url = siteRoot(values.url);
    const token = process.env.MOODLE_TOKEN;
    if (!token) throw new CodegenError('--url needs the web-service token in the MOODLE_TOKEN environment variable');
    log(`introspecting ${url} ...`);
    const live = await fetchLiveSource({ url, token });
    log(`site: Moodle ${live.site.release}; ${live.enabled.size} functions enabled for this token`);
    source = { document: live.document, source: `site:${live.url}`, site: live.site, enabled: live.enabled };
  } else {
    const file = values.snapshot ? resolve(values.snapshot) : DEFAULT_SNAPSHOT;
    source = { document: loadSnapshot(file), source: snapshotSource(file) };
    log(`snapshot: ${relative(ROOT, file).split('\\').join('/') || file}`);
  }
  log(`source: ${source.source} (${source.document.functions.length} functions)`);

  const { catalog, files, unclassified } = await generate({
    ...source, overrides, includePluginFunctions: values['include-plugin-functions'], progress: log,
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

  if (values.check) {
    const stale = staleFiles(out, files);
    if (stale.length) {
      console.error(`generated/ is stale (${stale.length} files); run \`make generate\`:`);
      for (const { path, why } of stale) console.error(`  ${why.padEnd(7)} ${path}`);
      return 1;
    }
    log(`generated/ is up to date (${files.size} files)`);
    return 0;
  }
  const changed = writeFiles(out, files);
  log(`wrote ${relative(ROOT, out) || out}: ${files.size} files, ${changed} changed`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof CodegenError ? `codegen: ${error.message}` : error);
    process.exit(2);
  },
);
