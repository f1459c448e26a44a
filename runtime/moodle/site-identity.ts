import type { SiteInfo } from './site-info.ts';

/** The Moodle site as people's pages name it, from the last core_webservice_get_site_info answer seen. */
export interface SiteIdentity {
  name: string;
  url: string;
  release?: string;
  /** The language site info reported (the caller's, or the site's when the caller chose none). */
  lang?: string;
  /** When this was learnt (ISO 8601). */
  seenAt: string;
}

/**
 * Remembers the site's name, address and release from every site-info answer the gateway receives anyway (sign-ins,
 * connection checks, the site-admin check of the console), so the pages can name the site without a token of their
 * own. Until the first answer, `current` is the configured address with a generic name (`fallback`).
 */
export class SiteDirectory {
  #known: SiteIdentity | undefined;
  /** Called when what is known changes (the gateway keeps it in its store, so a restart still names the site). */
  onChange?: (site: SiteIdentity) => void;
  constructor(private readonly fallback?: { name: string; url: string }) {}

  /** Takes a previously kept identity (from the store) unless something newer was seen. */
  restore(saved: unknown): void {
    const s = saved as Partial<SiteIdentity> | null;
    if (this.#known || !s || typeof s.name !== 'string' || typeof s.url !== 'string' || typeof s.seenAt !== 'string') return;
    this.#known = { name: s.name, url: s.url, seenAt: s.seenAt, ...(typeof s.release === 'string' ? { release: s.release } : {}), ...(typeof s.lang === 'string' ? { lang: s.lang } : {}) };
  }

  remember(info: Pick<SiteInfo, 'sitename' | 'siteurl' | 'release'> & { lang?: unknown }, now = new Date()): void {
    if (typeof info.sitename !== 'string' || typeof info.siteurl !== 'string') return;
    const before = this.#known;
    this.#known = {
      name: info.sitename,
      url: info.siteurl,
      ...(typeof info.release === 'string' ? { release: info.release } : {}),
      ...(typeof info.lang === 'string' ? { lang: info.lang } : {}),
      seenAt: now.toISOString(),
    };
    if (!before || before.name !== this.#known.name || before.url !== this.#known.url || before.release !== this.#known.release) this.onChange?.(this.#known);
  }

  /** The site as last seen, or the configured fallback (undefined when neither). */
  get current(): SiteIdentity | undefined {
    return this.#known ?? (this.fallback ? { ...this.fallback, seenAt: '' } : undefined);
  }

  /** True once a site-info answer was seen. */
  get learnt(): boolean {
    return this.#known !== undefined;
  }

  /** Wraps a getSiteInfo function so that every answer is remembered. */
  watch<A extends unknown[]>(getSiteInfo: (token: string, ...rest: A) => Promise<SiteInfo>): (token: string, ...rest: A) => Promise<SiteInfo> {
    return async (token, ...rest) => {
      const info = await getSiteInfo(token, ...rest);
      this.remember(info);
      return info;
    };
  }
}
