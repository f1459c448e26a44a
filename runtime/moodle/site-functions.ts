import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { SiteInfo } from './site-info.ts';

/**
 * The functions a Moodle token may call, as its site info lists them (the functions of the token's service that the
 * site has). Shared by every token whose list is the same: `id` names the list (a SHA-256 prefix of the sorted names).
 */
export interface SiteFunctions {
  readonly id: string;
  readonly names: ReadonlySet<string>;
}

/**
 * Turns site-info function lists into shared {@link SiteFunctions}: tokens of one service get the same object, so
 * thousands of cached identities hold one set, not one each. `onNew` is told the first time a list is seen (the
 * gateway logs how it compares with the catalog).
 */
export class SiteFunctionSets {
  readonly #sets = new LRUCache<string, SiteFunctions>({ max: 64 });
  constructor(private readonly onNew?: (functions: SiteFunctions, info: SiteInfo) => void) {}

  /**
   * The function set of a site-info answer; undefined when it lists none (Moodle always lists at least
   * core_webservice_get_site_info, which answered: an empty or missing list is no list, and the site decides).
   */
  of(info: SiteInfo): SiteFunctions | undefined {
    const names = Array.isArray(info.functions)
      ? [...new Set(info.functions.map((f) => f?.name).filter((n): n is string => typeof n === 'string' && n !== ''))].sort()
      : [];
    if (names.length === 0) return undefined;
    const id = createHash('sha256').update(names.join('\n')).digest('hex').slice(0, 16);
    let set = this.#sets.get(id);
    if (!set) {
      set = { id, names: new Set(names) };
      this.#sets.set(id, set);
      this.onNew?.(set, info);
    }
    return set;
  }
}
