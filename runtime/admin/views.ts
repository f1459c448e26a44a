import type { AuditRecord } from '../audit/types.ts';
import { csrfField, errorBox, escapeHtml, layout, scopesInWords, when, type PageContext } from '../auth/oauth/pages.ts';
import type { PolicyData, PolicyProfile } from '../policy/types.ts';
import type { ConnectionRow } from './data.ts';

/** The administration console's pages (server-rendered, no script; every text from the i18n catalogs). */

export type AdminTab = 'connections' | 'audit' | 'policy' | 'health';
const TABS: AdminTab[] = ['connections', 'audit', 'policy', 'health'];
const TAB_PATH: Record<AdminTab, string> = { connections: '/admin', audit: '/admin/audit', policy: '/admin/policy', health: '/admin/health' };

const h = escapeHtml;

/** A console page: tabs, who is signed in, sign out, then `body`. */
export function adminPage(pc: PageContext, tab: AdminTab, who: string, csrf: string, body: string): string {
  const { t } = pc;
  const tabs = TABS.map((x) => `<a href="${TAB_PATH[x]}"${x === tab ? ' aria-current="page"' : ''}>${h(t(`admin.tab.${x}`))}</a>`).join('');
  return layout(
    { ...pc, switchPath: TAB_PATH[tab] },
    t(`admin.title.${tab}`),
    `<nav class="tabs" aria-label="${h(t('admin.nav'))}">${tabs}</nav>
<p class="muted">${h(t('admin.signedInAs', { who }))}</p><form class="inline" method="post" action="/admin/logout">${csrfField(csrf)}<button type="submit">${h(t('common.signOut'))}</button></form>
${body}`,
    { wide: true },
  );
}

export interface AdminSignInView {
  csrf: string;
  error?: string;
  username?: string;
  operatorKey: boolean;
}

/** The console's sign-in: Moodle site administrator (password or token) or the operator key. */
export function adminSignInPage(pc: PageContext, v: AdminSignInView): string {
  const { t } = pc;
  const site = pc.site?.name ?? 'Moodle';
  const operator = v.operatorKey
    ? `<form method="post" action="/admin/operator">${csrfField(v.csrf)}<label for="key">${h(t('admin.signin.operatorLabel'))}</label>
<input type="password" id="key" name="key" autocomplete="off" required><button type="submit">${h(t('admin.signin.operatorSubmit'))}</button></form>`
    : '';
  return layout(
    { ...pc, switchPath: '/admin/login' },
    t('admin.signin.title'),
    `<p>${h(t('admin.signin.intro', { site }))}</p>${errorBox(v.error)}
<form method="post" action="/admin/login">${csrfField(v.csrf)}
<label for="username">${h(t('signin.username', { site }))}</label><input type="text" id="username" name="username" autocomplete="username" required value="${h(v.username)}">
<label for="password">${h(t('signin.password'))}</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">${h(t('signin.submit'))}</button>
<p class="muted">${h(t('admin.signin.tokenNote'))}</p></form>
<form method="post" action="/admin/token">${csrfField(v.csrf)}<label for="token">${h(t('signin.tokenLabel'))}</label>
<input type="password" id="token" name="token" autocomplete="off" required><button type="submit">${h(t('signin.tokenSubmit'))}</button></form>
${operator}`,
  );
}

export interface ConnectionsAdminView {
  csrf: string;
  who: string;
  rows: ConnectionRow[];
  profiles: string[];
  /** A key just created: shown once. */
  created?: { key: string; name: string };
  message?: string;
  error?: string;
  /** The values of the create form after an error. */
  form?: { name?: string; profile?: string };
  usageKnown: boolean;
}

export function connectionsAdminPage(pc: PageContext, v: ConnectionsAdminView): string {
  const { t } = pc;
  const kind = (r: ConnectionRow) => t(`admin.kind.${r.kind}`);
  const rows = v.rows
    .map(
      (r) => `<tr><td>${h(r.name)}<br><span class="muted"><code>${h(r.id)}</code></span></td><td>${h(kind(r))}${r.client ? `<br><span class="muted">${h(r.client)}</span>` : ''}</td>
<td>${h(r.owner ?? '—')}</td><td>${h(r.profile)}</td><td>${h(scopesInWords(t, r.scopes))}</td><td>${h(when(t, r.lastUsedAt))}</td>
<td>${r.calls === undefined ? '—' : h(t('admin.connections.usage', { calls: r.calls, denials: r.denials ?? 0 }))}</td>
<td><form class="inline" method="post" action="/admin/revoke">${csrfField(v.csrf)}<input type="hidden" name="id" value="${h(r.id)}"><button type="submit" aria-label="${h(t('connections.revokeNamed', { name: r.name }))}">${h(t('connections.revoke'))}</button></form>${
        r.kind === 'config' ? `<br><span class="muted">${h(t('admin.connections.configNote'))}</span>` : ''
      }</td></tr>`,
    )
    .join('');
  const created = v.created
    ? `<div class="ok" role="status"><p>${h(t('admin.keys.created', { name: v.created.name }))}</p><p class="key"><code id="new-key">${h(v.created.key)}</code></p><p>${h(t('admin.keys.onlyOnce'))}</p></div>`
    : '';
  const profiles = v.profiles.map((p) => `<option value="${h(p)}"${p === v.form?.profile ? ' selected' : ''}>${h(p)}</option>`).join('');
  return adminPage(
    pc,
    'connections',
    v.who,
    v.csrf,
    `${created}${v.message ? `<p class="ok" role="status">${h(v.message)}</p>` : ''}${errorBox(v.error)}
<div class="scroll"><table><caption class="muted">${h(t('admin.connections.caption', { count: v.rows.length }))}</caption>
<tr><th scope="col">${h(t('admin.connections.name'))}</th><th scope="col">${h(t('admin.connections.kind'))}</th><th scope="col">${h(t('admin.connections.owner'))}</th><th scope="col">${h(t('admin.connections.profile'))}</th><th scope="col">${h(t('connections.access'))}</th><th scope="col">${h(t('connections.lastUsed'))}</th><th scope="col">${h(t('admin.connections.day'))}</th><th scope="col">${h(t('connections.action'))}</th></tr>
${rows}</table></div>
${v.usageKnown ? '' : `<p class="muted">${h(t('admin.audit.noFileSink'))}</p>`}
<h2 id="create">${h(t('admin.keys.title'))}</h2>
<form method="post" action="/admin/keys" aria-labelledby="create">${csrfField(v.csrf)}
<label for="key-name">${h(t('admin.keys.name'))}</label><input type="text" id="key-name" name="name" required maxlength="100" value="${h(v.form?.name)}">
<label for="key-profile">${h(t('admin.connections.profile'))}</label><select id="key-profile" name="profile">${profiles}</select>
<fieldset><legend>${h(t('connections.access'))}</legend>
<label class="choice"><input type="radio" name="access" value="read" checked><span>${h(t('scopes.read'))}</span></label>
<label class="choice"><input type="radio" name="access" value="write"><span>${h(t('scopes.readWrite'))}</span></label></fieldset>
<label for="key-token">${h(t('admin.keys.token'))}</label><input type="password" id="key-token" name="moodle_token" autocomplete="off" required>
<label for="key-days">${h(t('admin.keys.days'))}</label><input type="text" id="key-days" name="days" inputmode="numeric" pattern="[0-9]*">
<button type="submit">${h(t('admin.keys.submit'))}</button>
<p class="muted">${h(t('admin.keys.note'))}</p></form>`,
  );
}

export interface AuditAdminView {
  csrf: string;
  who: string;
  /** The filter form's values as typed. */
  query: Record<string, string>;
  records: AuditRecord[];
  more: boolean;
  limit: number;
  error?: string;
  /** False when no file sink is configured (nothing to read). */
  readable: boolean;
}

const AUDIT_COLUMNS = ['timestamp', 'event', 'connection_id', 'moodle_username', 'moodle_function', 'decision', 'status', 'reasons'] as const;

export function auditAdminPage(pc: PageContext, v: AuditAdminView): string {
  const { t } = pc;
  const q = v.query;
  const input = (name: string, type = 'text') =>
    `<div><label for="f-${name}">${h(t(`admin.audit.filter.${name}`))}</label><input type="${type}" id="f-${name}" name="${name}" value="${h(q[name])}"></div>`;
  const decisions = ['', 'allowed', 'denied', 'error']
    .map((d) => `<option value="${d}"${q.decision === d ? ' selected' : ''}>${h(d ? t(`admin.decision.${d}`) : t('admin.audit.any'))}</option>`)
    .join('');
  const rows = v.records
    .map(
      (r) =>
        `<tr>${AUDIT_COLUMNS.map((c) => {
          const value = (r as unknown as Record<string, unknown>)[c];
          const text = Array.isArray(value) ? value.join('; ') : value === undefined ? '' : String(value);
          return c === 'decision' && ['allowed', 'denied', 'error'].includes(text) ? `<td class="${h(text)}">${h(t(`admin.decision.${text}`))}</td>` : `<td>${h(text)}</td>`;
        }).join('')}</tr>`,
    )
    .join('');
  const search = new URLSearchParams(Object.entries(q).filter(([, value]) => value)).toString();
  return adminPage(
    pc,
    'audit',
    v.who,
    v.csrf,
    `${v.readable ? '' : `<p class="error" role="alert">${h(t('admin.audit.noFileSink'))}</p>`}${errorBox(v.error)}
<form method="get" action="/admin/audit" aria-label="${h(t('admin.audit.filters'))}"><div class="filters">
${input('person')}${input('connection')}${input('function')}
<div><label for="f-decision">${h(t('admin.audit.filter.decision'))}</label><select id="f-decision" name="decision">${decisions}</select></div>
${input('since')}${input('until')}</div>
<p class="muted">${h(t('admin.audit.timeHelp'))}</p>
<button type="submit">${h(t('admin.audit.apply'))}</button> <a href="/admin/audit">${h(t('admin.audit.clear'))}</a></form>
<p><a href="/admin/audit.csv${search ? `?${h(search)}` : ''}" download>${h(t('admin.audit.csv'))}</a> <span class="muted">${h(t('admin.audit.csvNote'))}</span></p>
<div class="scroll"><table><caption class="muted">${h(v.more ? t('admin.audit.captionMore', { count: v.records.length, limit: v.limit }) : t('admin.audit.caption', { count: v.records.length }))}</caption>
<tr>${AUDIT_COLUMNS.map((c) => `<th scope="col">${h(t(`admin.audit.col.${c}`))}</th>`).join('')}</tr>${rows}</table></div>`,
  );
}

function list(values: readonly (string | number)[]): string {
  return values.map((x) => `<code>${h(x)}</code>`).join(', ');
}

/** One profile in plain words. */
function profileInWords(pc: PageContext, name: string, p: PolicyProfile, mode: string, description?: string): string {
  const { t } = pc;
  const items = [
    h(mode !== 'read-write' ? t('admin.policy.p.modeReadOnly') : p.scopes.includes('api.write') ? t('admin.policy.p.scopesWrite') : t('admin.policy.p.scopesRead')),
    p.ip_allow.length ? `${h(t('admin.policy.p.ipOnly'))} ${list(p.ip_allow)}` : h(t('admin.policy.p.ipAny')),
    p.allow.length ? `${h(t('admin.policy.p.allow'))} ${list(p.allow)}` : h(t('admin.policy.p.allowNone')),
    p.deny.length ? `${h(t('admin.policy.p.deny'))} ${list(p.deny)}` : h(t('admin.policy.p.denyNone')),
    Array.isArray(p.courses) ? `${h(t('admin.policy.p.courses'))} ${list(p.courses)}` : h(t('admin.policy.p.coursesAll')),
    p.rate_per_minute ? h(t('admin.policy.p.rate', { n: p.rate_per_minute })) : h(t('admin.policy.p.rateNone')),
    ...(p.rate_per_function_per_minute ? [h(t('admin.policy.p.rateFunction', { n: p.rate_per_function_per_minute }))] : []),
    h(p.allow_site_admin ? t('admin.policy.p.adminAllowed') : t('admin.policy.p.adminRefused')),
  ];
  return `<h3>${h(t('admin.policy.profile', { name }))}</h3>${description ? `<p>${h(description)}</p>` : ''}<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
}

export interface ExplainResultView {
  allow: boolean;
  reasons: string[];
  summary: string;
  notes: string[];
}

export interface PolicyAdminView {
  csrf: string;
  who: string;
  version: string;
  ready: boolean;
  loadedAt?: string;
  data: PolicyData;
  /** The profiles' descriptions from the config, as written by the administrators. */
  descriptions?: Record<string, string | undefined>;
  form: Record<string, string>;
  result?: ExplainResultView;
  error?: string;
}

export function policyAdminPage(pc: PageContext, v: PolicyAdminView): string {
  const { t } = pc;
  const f = v.form;
  const profiles = Object.keys(v.data.profiles)
    .map((p) => `<option value="${h(p)}"${p === f.profile ? ' selected' : ''}>${h(p)}</option>`)
    .join('');
  const result = v.result
    ? `<section aria-live="polite"><h3>${h(t('admin.explain.result'))}</h3><p class="${v.result.allow ? 'allowed' : 'denied'}"><strong>${h(v.result.allow ? t('admin.explain.allow') : t('admin.explain.deny'))}</strong></p>
<p class="muted">${h(v.result.summary)}</p>${v.result.reasons.length ? `<ul>${v.result.reasons.map((r) => `<li>${h(r)}</li>`).join('')}</ul>` : `<p>${h(t('admin.explain.noReasons'))}</p>`}
${v.result.notes.map((n) => `<p class="muted">${h(n)}</p>`).join('')}</section>`
    : '';
  return adminPage(
    pc,
    'policy',
    v.who,
    v.csrf,
    `<p>${h(t('admin.policy.version', { version: v.version }))} ${h(v.loadedAt ? t('admin.policy.loadedAt', { at: when(t, v.loadedAt) }) : '')} ${h(v.ready ? t('admin.policy.ready') : t('admin.policy.notReady'))}</p>
<p>${h(v.data.mode === 'read-write' ? t('admin.policy.modeReadWrite') : t('admin.policy.modeReadOnly'))}</p>
<h2 id="explain">${h(t('admin.explain.title'))}</h2>
<form method="post" action="/admin/policy/explain" aria-labelledby="explain">${csrfField(v.csrf)}
<label for="x-profile">${h(t('admin.connections.profile'))}</label><select id="x-profile" name="profile">${profiles}</select>
<label for="x-function">${h(t('admin.explain.function'))}</label><input type="text" id="x-function" name="function" required value="${h(f.function)}" placeholder="core_course_get_courses">
<label for="x-args">${h(t('admin.explain.args'))}</label><textarea id="x-args" name="args" rows="3">${h(f.args)}</textarea>
<label for="x-ip">${h(t('admin.explain.ip'))}</label><input type="text" id="x-ip" name="ip" value="${h(f.ip)}">
<label for="x-courses">${h(t('admin.explain.courses'))}</label><input type="text" id="x-courses" name="courses" value="${h(f.courses)}">
<button type="submit">${h(t('admin.explain.submit'))}</button></form>
${errorBox(v.error)}${result}
<h2>${h(t('admin.policy.profiles'))}</h2>
${Object.entries(v.data.profiles).map(([name, p]) => profileInWords(pc, name, p, v.data.mode, v.descriptions?.[name])).join('')}
<p class="muted">${h(t('admin.policy.siteLevel', { count: v.data.site_level_functions.length }))}</p>`,
  );
}

export interface HealthCheck {
  /** The check's name, already translated. */
  name: string;
  ok: boolean;
  /** Details, already translated. */
  detail: string;
}

export function healthAdminPage(pc: PageContext, v: { csrf: string; who: string; checks: HealthCheck[] }): string {
  const { t } = pc;
  const rows = v.checks
    .map((c) => `<tr><th scope="row">${h(c.name)}</th><td class="${c.ok ? 'allowed' : 'denied'}">${h(c.ok ? t('admin.health.ok') : t('admin.health.problem'))}</td><td>${h(c.detail)}</td></tr>`)
    .join('');
  return adminPage(
    pc,
    'health',
    v.who,
    v.csrf,
    `<div class="scroll"><table><caption class="muted">${h(t('admin.health.caption'))}</caption><tr><th scope="col">${h(t('admin.health.component'))}</th><th scope="col">${h(t('admin.health.state'))}</th><th scope="col">${h(t('admin.health.detail'))}</th></tr>${rows}</table></div>`,
  );
}
