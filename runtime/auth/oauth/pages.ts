import { createHash } from 'node:crypto';
import { LOCALE_NAMES, LOCALES } from '../../i18n/locales.ts';
import { escapeHtml } from '../../shared/escape-html.ts';
import { translator, type Translate } from '../../i18n/translate.ts';
import type { SiteIdentity } from '../../moodle/site-identity.ts';
import type { ConnectionRecord } from '../store/types.ts';

/**
 * Server-rendered pages for sign-in, consent and "my connections" (and the building blocks of the administration
 * console): no external assets, no script, strict CSP. Every visible text comes from the i18n catalogs.
 */

const CSS = `body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
main{max-width:36rem;margin:1rem auto 2rem;padding:0 1rem}main.wide{max-width:72rem}
header{display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center;justify-content:space-between;padding:.5rem 1rem;background:#fff;border-bottom:1px solid #ddd;font-size:.9rem}
header nav{display:flex;flex-wrap:wrap;gap:.2rem .7rem}header nav a{white-space:nowrap}caption{text-align:left}header nav a[aria-current]{font-weight:bold;text-decoration:none;color:#1d1d1f}
.site{margin:0}h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:1.6rem}
form{margin:1rem 0;padding:1rem;border:1px solid #ccc;border-radius:8px;background:#fff}form.inline{display:inline;margin:0;padding:0;border:0;background:none}
label{display:block;margin:.5rem 0 .2rem}input[type=text],input[type=password],input[type=datetime-local],select,textarea{width:100%;padding:.4rem;box-sizing:border-box;font:inherit}
label.choice{display:flex;gap:.5rem;align-items:flex-start}label.choice input{margin-top:.35rem}
button{margin-top:.8rem;padding:.4rem 1rem;font:inherit}form.inline button{margin:0}
.error{background:#fde8e8;border:1px solid #e0a0a0;padding:.6rem;border-radius:6px}.ok{background:#e7f6e7;border:1px solid #9c9;padding:.6rem;border-radius:6px}
.muted{color:#555;font-size:.9rem;overflow-wrap:anywhere}code{word-break:break-all}ul.can li{margin:.2rem 0}
table{border-collapse:collapse;width:100%;background:#fff}td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;font-size:.9rem;vertical-align:top}
.scroll{overflow-x:auto}nav.tabs{display:flex;flex-wrap:wrap;gap:.3rem 1rem;margin:.5rem 0 1rem}nav.tabs a[aria-current]{font-weight:bold;color:#1d1d1f;text-decoration:none}
.filters{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:0 1rem}.key{font-size:1.1rem;background:#fff8d6;padding:.5rem;border:1px solid #d8c46a}
a.button{display:inline-block;padding:.6rem 1.2rem;background:#0b57b0;color:#fff;border-radius:6px;text-decoration:none;font-weight:bold}
.denied{color:#a00000}.allowed{color:#0a6b0a}a{color:#0b57b0}`;
const CSS_HASH = createHash('sha256').update(CSS).digest('base64');

export { escapeHtml };

/** Security headers of every page; `formTargets` are extra origins a form may lead to (the client's redirect URI). */
export function pageHeaders(formTargets: string[] = []): Headers {
  return new Headers({
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': [
      "default-src 'none'",
      `style-src 'sha256-${CSS_HASH}'`,
      "img-src 'self'",
      `form-action 'self'${formTargets.map((t) => ` ${t}`).join('')}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  });
}

/** What every page needs: the language and the Moodle site it is about. */
export interface PageContext {
  t: Translate;
  /** The Moodle site (name and address from site info), when known. */
  site?: SiteIdentity;
  /** Path the language links lead to (a GET page); default: the current page (`?lang=` alone). */
  switchPath?: string;
}

/** English page context (for pages rendered where no request is at hand). */
export const ENGLISH: PageContext = { t: translator('en') };

function languageLinks(pc: PageContext): string {
  const base = pc.switchPath ?? '';
  const links = LOCALES.map((l) =>
    l === pc.t.locale
      ? `<a href="${escapeHtml(`${base}?lang=${l}`)}" lang="${l}" hreflang="${l}" aria-current="true">${escapeHtml(LOCALE_NAMES[l])}</a>`
      : `<a href="${escapeHtml(`${base}?lang=${l}`)}" lang="${l}" hreflang="${l}">${escapeHtml(LOCALE_NAMES[l])}</a>`,
  ).join('');
  return `<nav aria-label="${escapeHtml(pc.t('page.languages'))}">${links}</nav>`;
}

function siteLine(pc: PageContext): string {
  const { t, site } = pc;
  if (!site) return `<p class="site">${escapeHtml(t('page.gateway'))}</p>`;
  return `<p class="site">${escapeHtml(t('page.siteGateway', { site: site.name }))} · <a href="${escapeHtml(site.url)}">${escapeHtml(site.url)}</a></p>`;
}

/** A whole page: site line and language switcher, the title as h1, then `body` (already HTML). */
export function layout(pc: PageContext, title: string, body: string, o: { wide?: boolean } = {}): string {
  const full = pc.site ? `${title} · ${pc.site.name}` : title;
  return `<!doctype html><html lang="${escapeHtml(pc.t.locale)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(full)}</title><style>${CSS}</style></head><body><header>${siteLine(pc)}${languageLinks(pc)}</header>
<main${o.wide ? ' class="wide"' : ''}><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

export const errorBox = (message?: string) => (message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : '');
export const csrfField = (csrf: string) => `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">`;

export interface SignInView {
  /** Default: "Sign in with your Moodle account". */
  title?: string;
  /** A paragraph under the title (already translated). */
  intro?: string;
  action: string;
  tokenAction: string;
  csrf: string;
  clientName?: string;
  error?: string;
  username?: string;
  /** "Sign in with <site>" (the local_moodlemcp connect flow) first, leading to `href`; absent when not offered. */
  moodle?: { href: string };
  /** The password form and the token paste (oauth.password_signin). Default true. */
  passwordForms?: boolean;
}

/**
 * Sign in with Moodle's own login page (when the plugin's connect flow is offered), and as fallbacks the Moodle
 * username and password or a pasted Moodle token (unless switched off).
 */
export function signInPage(pc: PageContext, v: SignInView): string {
  const { t } = pc;
  const siteName = pc.site?.name ?? 'Moodle';
  const who = v.clientName ? `<p>${t('signin.clientWants', { client: `<strong>${escapeHtml(v.clientName)}</strong>`, site: escapeHtml(siteName) })}</p>` : '';
  const intro = v.intro ? `<p>${escapeHtml(v.intro)}</p>` : '';
  // A link, not a form: CSP form-action would also apply to the redirect that leads on to Moodle.
  const moodle = v.moodle
    ? `<p><a class="button" id="moodle-signin" href="${escapeHtml(v.moodle.href)}">${escapeHtml(t('signin.moodleButton', { site: siteName }))}</a></p>
<p class="muted">${escapeHtml(t('signin.moodleNote', { site: siteName }))}</p>`
    : '';
  if (v.passwordForms === false)
    return layout(pc, v.title ?? t('signin.title', { site: siteName }), `${who}${intro}${errorBox(v.error)}${moodle || `<p class="error" role="alert">${escapeHtml(t('signin.noMethod', { site: siteName }))}</p>`}`);
  return layout(
    pc,
    v.title ?? t('signin.title', { site: siteName }),
    `${who}${intro}${errorBox(v.error)}${moodle}${moodle ? `<h2>${escapeHtml(t('signin.orPassword', { site: siteName }))}</h2>` : ''}
<form method="post" action="${escapeHtml(v.action)}">${csrfField(v.csrf)}
<label for="username">${escapeHtml(t('signin.username', { site: siteName }))}</label><input type="text" id="username" name="username" autocomplete="username" required value="${escapeHtml(v.username)}">
<label for="password">${escapeHtml(t('signin.password'))}</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">${escapeHtml(t('signin.submit'))}</button>
<p class="muted">${escapeHtml(t('signin.passwordNote', { site: siteName }))}</p></form>
<form method="post" action="${escapeHtml(v.tokenAction)}">${csrfField(v.csrf)}
<label for="token">${escapeHtml(t('signin.tokenLabel'))}</label>
<input type="password" id="token" name="token" autocomplete="off" required>
<button type="submit">${escapeHtml(t('signin.tokenSubmit'))}</button></form>`,
  );
}

export interface ConsentView {
  action: string;
  csrf: string;
  clientName: string;
  clientId: string;
  redirectUri: string;
  username: string;
  fullname?: string;
  /** Which choices to offer. */
  canWrite: boolean;
  /** Why changing data is not offered (already translated). */
  readOnlyReason?: string;
}

/** Consent: what the client will be able to do, in plain words; read or read+write where the profile permits. */
export function consentPage(pc: PageContext, v: ConsentView): string {
  const { t } = pc;
  const siteName = pc.site?.name ?? 'Moodle';
  const client = `<strong>${escapeHtml(v.clientName)}</strong>`;
  const write = v.canWrite
    ? `<label class="choice"><input type="radio" name="access" value="write"><span><strong>${escapeHtml(t('consent.writeLabel'))}</strong><br><span class="muted">${escapeHtml(t('consent.writeDetail'))}</span></span></label>`
    : `<p class="muted">${escapeHtml(v.readOnlyReason ? t('consent.noWriteBecause', { reason: v.readOnlyReason }) : t('consent.noWrite'))}</p>`;
  return layout(
    pc,
    t('consent.title', { site: siteName }),
    `<p>${t('consent.signedInAs', { name: `<strong>${escapeHtml(v.fullname ?? v.username)}</strong>`, username: escapeHtml(v.username), site: escapeHtml(siteName) })}</p>
<p>${t('consent.clientAsks', { client, site: escapeHtml(siteName) })}</p>
<form method="post" action="${escapeHtml(v.action)}">${csrfField(v.csrf)}
<fieldset><legend>${escapeHtml(t('consent.choose'))}</legend>
<label class="choice"><input type="radio" name="access" value="read" checked><span><strong>${escapeHtml(t('consent.readLabel'))}</strong><br><span class="muted">${escapeHtml(t('consent.readDetail'))}</span></span></label>
${write}</fieldset>
<h2>${escapeHtml(t('consent.limitsTitle'))}</h2>
<ul class="can"><li>${escapeHtml(t('consent.limitOwn', { site: siteName }))}</li><li>${escapeHtml(t('consent.limitPolicy'))}</li><li>${escapeHtml(t('consent.limitPassword'))}</li><li>${escapeHtml(t('consent.limitRevoke'))}</li></ul>
<p class="muted">${escapeHtml(t('consent.redirect', { clientId: v.clientId, redirectUri: v.redirectUri }))}</p>
<button type="submit" name="decision" value="allow">${escapeHtml(t('consent.allow'))}</button> <button type="submit" name="decision" value="deny">${escapeHtml(t('consent.deny'))}</button></form>`,
  );
}

/** A page with a title and one paragraph (both already translated). */
export function messagePage(pc: PageContext, title: string, message: string, link?: { href: string; text: string }): string {
  return layout(pc, title, `<p>${escapeHtml(message)}</p>${link ? `<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></p>` : ''}`);
}

export interface ConnectionsView {
  csrf: string;
  username: string;
  connections: ConnectionRecord[];
  revokeAction: string;
  logoutAction: string;
  /** The Moodle web service the gateway signs in to (moodle.service): the one whose token a person resets in Moodle. */
  service: string;
  /** Said when some connections have a plugin-issued token of their own (already translated). */
  pluginNote?: string;
  error?: string;
}

/** The plain-words description of a connection's scopes. */
export function scopesInWords(t: Translate, scopes: readonly string[]): string {
  return scopes.includes('api.write') ? t('scopes.readWrite') : scopes.includes('api.read') ? t('scopes.read') : t('scopes.none');
}

/** A date-time for people: `2026-01-31 08:00` (UTC), or "never". */
export function when(t: Translate, iso: string | undefined): string {
  return iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : t('common.never');
}

/** "My connections": a person's own OAuth grants and API keys, each with a revoke button. */
export function connectionsPage(pc: PageContext, v: ConnectionsView): string {
  const { t } = pc;
  const rows = v.connections
    .map(
      (c) => `<tr><td>${escapeHtml(c.client?.name ?? c.name ?? c.client?.id ?? c.id)}<br><span class="muted">${escapeHtml(c.kind === 'oauth' ? t('connections.kindOauth') : t('connections.kindKey', { prefix: c.keyPrefix ?? '' }))}</span></td>
<td>${escapeHtml(scopesInWords(t, c.scopes))}</td><td>${escapeHtml(c.createdAt.slice(0, 10))}</td><td>${escapeHtml(when(t, c.lastUsedAt))}</td>
<td><form class="inline" method="post" action="${escapeHtml(v.revokeAction)}">${csrfField(v.csrf)}<input type="hidden" name="id" value="${escapeHtml(c.id)}"><button type="submit" aria-label="${escapeHtml(t('connections.revokeNamed', { name: c.client?.name ?? c.name ?? c.id }))}">${escapeHtml(t('connections.revoke'))}</button></form></td></tr>`,
    )
    .join('');
  const table = `<div class="scroll"><table><caption class="muted">${escapeHtml(t('connections.caption'))}</caption><tr><th scope="col">${escapeHtml(t('connections.client'))}</th><th scope="col">${escapeHtml(t('connections.access'))}</th><th scope="col">${escapeHtml(t('connections.created'))}</th><th scope="col">${escapeHtml(t('connections.lastUsed'))}</th><th scope="col">${escapeHtml(t('connections.action'))}</th></tr>${rows}</table></div>`;
  return layout(
    pc,
    t('connections.title'),
    `<p>${t('connections.signedInAs', { name: `<strong>${escapeHtml(v.username)}</strong>`, site: escapeHtml(pc.site?.name ?? 'Moodle') })}</p>
${errorBox(v.error)}<p>${escapeHtml(t('connections.explain'))}</p>
${rows ? table : `<p>${escapeHtml(t('connections.none'))}</p>`}
${v.pluginNote ? `<p>${escapeHtml(v.pluginNote)}</p>` : ''}<p>${t.html('connections.tokenNoteHtml', { service: v.service })}</p>
<form method="post" action="${escapeHtml(v.logoutAction)}">${csrfField(v.csrf)}<button type="submit">${escapeHtml(t('common.signOut'))}</button></form>`,
  );
}
