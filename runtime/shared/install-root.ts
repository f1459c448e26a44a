import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of the moodle-mcp installation: the nearest folder above this module whose package.json is moodle-mcp's
 * (`moodle-mcp` or `@scope/moodle-mcp`: the checkout, or the installed package). Defaults (the shipped config, policies/build, data/) live there, so the
 * gateway behaves the same from any working directory.
 */
export const INSTALL_ROOT: string = findInstallRoot(dirname(fileURLToPath(import.meta.url)));

function findInstallRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const name = JSON.parse(readFileSync(manifest, 'utf8')).name;
        if (name === 'moodle-mcp' || (typeof name === 'string' && name.endsWith('/moodle-mcp'))) return dir;
      } catch {
        // not ours (or unreadable): keep looking upwards
      }
    }
    if (dirname(dir) === dir) return fileURLToPath(new URL('../../', import.meta.url));
  }
}
