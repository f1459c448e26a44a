import { PassThrough, Readable } from 'node:stream';
import { exportAudit, parseSubject, parseTime, type AuditFilter } from '../audit/export.ts';
import type { AuditStats } from '../audit/logger.ts';
import type { AuditDecision, AuditRecord } from '../audit/types.ts';
import type { Keyring } from '../auth/crypto.ts';
import { AuthError } from '../auth/errors.ts';
import { createApiKey } from '../auth/keys.ts';
import { pageContextOf } from '../auth/oauth/context.ts';
import { cookieHeader, csrfToken, csrfValid, htmlResponse, readCookie, readForm, redirectResponse } from '../auth/oauth/http.ts';
import { messagePage, type PageContext } from '../auth/oauth/pages.ts';
import { cookieNames } from '../auth/oauth/cookies.ts';
import { SignInThrottle } from '../auth/oauth/throttle.ts';
import type { AuthStore, ConnectionRecord } from '../auth/store/types.ts';
import type { MoodleRevocation } from '../auth/revoke.ts';
import type { Scope } from '../auth/types.ts';
import type { CatalogFunction } from '../catalog/types.ts';
import { translateReason } from '../i18n/reasons.ts';
import type { Translate } from '../i18n/translate.ts';
import { MoodleError } from '../moodle/errors.ts';
import type { SiteDirectory } from '../moodle/site-identity.ts';
import { explainDecision, ExplainInputError } from '../policy/explain.ts';
import type { Decision, PolicyData, PolicyInput } from '../policy/types.ts';
import { connectionRows, latestRecords } from './data.ts';
import { openAdminSession, sealAdminSession, type AdminSession } from './session.ts';
import { adminSignIn, type AdminMoodle } from './signin.ts';
import { adminSignInPage, auditAdminPage, connectionsAdminPage, healthAdminPage, policyAdminPage, type ConnectionsAdminView, type ExplainResultView, type HealthCheck } from './views.ts';

export interface AdminConsoleDeps {
  /** True on https (Secure, `__Host-` cookies). */
  secure: boolean;
  /** HMAC key of the console's session cookie. */
  sessionKey: Buffer;
  sessionMinutes: number;
  /** Hex SHA-256 of the operator key, if one is configured. */
  operatorKeyHash?: string;
  moodle: AdminMoodle & { call(token: string, fn: string, args?: Record<string, unknown>, options?: { access?: 'read' | 'write' }): Promise<unknown> };
  /** External service for login/token.php. */
  service: string;
  /** True against the built-in simulator (a test double). */
  simulated: boolean;
  site: SiteDirectory;
  store: { auth: AuthStore; type: string };
  keyring: Keyring;
  /** Revokes a stored connection (audited), in Moodle too when the plugin issued its token (auth/revoke.ts). */
  revokeConnection(id: string, o: { detail: string; clientIp?: string }): Promise<{ before: ConnectionRecord | null; moodle?: MoodleRevocation }>;
  configConnections: {
    list: { id: string; profile: string; scopes: Scope[] }[];
    revoked(): Promise<Set<string>>;
    revoke(id: string): Promise<boolean>;
  };
  allowSiteAdminTokens: boolean;
  policy: { readonly version: string; readonly ready: boolean; decide(input: PolicyInput): Decision; loadedAt(): string | undefined; data(): PolicyData };
  getFunction(name: string): CatalogFunction | undefined;
  /** The profiles' own `description` from the config (shown as written). */
  profileDescriptions(): Record<string, string | undefined>;
  rateLimit: { backend: string; windowSeconds: number; probe(): Promise<void> };
  audit: { record(rec: AuditRecord): void; stats(): AuditStats };
  /** The audit file sink (the console reads the trail there); undefined when none is configured. */
  auditFile?: string;
}

export interface AdminConsole {
  /** Serves `/admin` and `/admin/*`; undefined for other paths. */
  handle(request: Request, clientIp?: string): Promise<Response | undefined>;
}

const AUDIT_LIMIT = 200;
const DECISIONS = new Set(['allowed', 'denied', 'error']);

/**
 * The administration console (`/admin`): connections, audit trail, policy, health; see the README's "Administration
 * console" section. GET pages need a session (else a redirect to `/admin/login`); every POST needs the CSRF token.
 */
export function createAdminConsole(deps: AdminConsoleDeps): AdminConsole {
  const names = { ...cookieNames(deps.secure), admin: deps.secure ? '__Host-mmcp-admin' : 'mmcp-admin' };
  const throttle = new SignInThrottle(10);
  const audit = (rec: Omit<AuditRecord, 'timestamp'>) => deps.audit.record({ timestamp: new Date().toISOString(), ...rec } as AuditRecord);
  const by = (s: AdminSession) => `admin console (${s.method === 'operator' ? 'operator key' : `site admin ${s.who}`})`;

  async function handle(request: Request, clientIp?: string): Promise<Response | undefined> {
    const url = new URL(request.url);
    const path = url.pathname.replace(/\/$/, '') || '/';
    if (path !== '/admin' && !path.startsWith('/admin/')) return undefined;
    const csrf = csrfToken(request, names.csrf, deps.secure);
    const { pc, langCookie } = pageContextOf({ secure: deps.secure, site: deps.site }, request);
    const { t } = pc;
    const cookies = [csrf.setCookie, langCookie];
    const page = (html: string, status = 200, extra: (string | undefined)[] = []) => htmlResponse(html, { status, setCookie: [...cookies, ...extra] });
    const session = openAdminSession(deps.sessionKey, readCookie(request, names.admin));
    const signInPage = (error?: string, status = 200, username?: string) =>
      page(adminSignInPage(pc, { csrf: csrf.token, error, username, operatorKey: !!deps.operatorKeyHash }), status);

    if (request.method === 'GET') {
      if (path === '/admin/login') return session ? redirectResponse('/admin') : signInPage();
      if (!session) return redirectResponse('/admin/login');
      const who = session.who;
      if (path === '/admin') return page(await connectionsView(t, pc, session, csrf.token));
      if (path === '/admin/audit') {
        const query = pick(url.searchParams, ['person', 'connection', 'function', 'decision', 'since', 'until']);
        if (!deps.auditFile) return page(auditAdminPage(pc, { csrf: csrf.token, who, query, records: [], more: false, limit: AUDIT_LIMIT, readable: false }));
        let filter: AuditFilter;
        try {
          filter = auditFilter(query);
        } catch (error) {
          return page(auditAdminPage(pc, { csrf: csrf.token, who, query, records: [], more: false, limit: AUDIT_LIMIT, readable: true, error: t('admin.audit.badFilter', { detail: (error as Error).message }) }), 400);
        }
        const { records, more } = await latestRecords(deps.auditFile, filter, AUDIT_LIMIT);
        return page(auditAdminPage(pc, { csrf: csrf.token, who, query, records, more, limit: AUDIT_LIMIT, readable: true }));
      }
      if (path === '/admin/audit.csv') return csvDownload(url.searchParams, t);
      if (path === '/admin/policy') return page(policyView(pc, session, csrf.token, {}));
      if (path === '/admin/health') return page(healthAdminPage(pc, { csrf: csrf.token, who, checks: await healthChecks(t) }));
      return page(messagePage(pc, t('page.notFoundTitle'), t('page.notFoundPage'), { href: '/admin', text: t('common.back') }), 404);
    }

    if (request.method !== 'POST') return page(messagePage(pc, t('page.notAllowedTitle'), t('page.notAllowedForms')), 405);
    const form = await readForm(request);
    if (form instanceof Response) return form;
    if (!form || !csrfValid(request, form, names.csrf)) return page(messagePage(pc, t('page.csrfTitle'), t('page.csrf'), { href: '/admin', text: t('common.back') }), 403);

    if (path === '/admin/login' || path === '/admin/token' || path === '/admin/operator') {
      const result = await adminSignIn({ moodle: deps.moodle, service: deps.service, operatorKeyHash: deps.operatorKeyHash, throttle, audit }, form, path.slice(7) as 'login' | 'token' | 'operator', clientIp);
      if ('error' in result) return signInPage(t(result.error.key, result.error.values), result.status, result.username);
      const exp = Math.floor(Date.now() / 1000) + deps.sessionMinutes * 60;
      const cookie = cookieHeader(names.admin, sealAdminSession(deps.sessionKey, { ...result, exp }), { secure: deps.secure, maxAge: deps.sessionMinutes * 60 });
      return redirectResponse('/admin', [cookie]);
    }
    if (path === '/admin/logout') return redirectResponse('/admin/login', [cookieHeader(names.admin, '', { secure: deps.secure, maxAge: 0 })]);
    if (!session) return signInPage(t('signin.error.sessionExpired'), 401);

    if (path === '/admin/keys') return createKey(form, t, pc, session, csrf.token, page);
    if (path === '/admin/revoke') {
      const id = form.get('id') ?? '';
      const { before, moodle } = id ? await deps.revokeConnection(id, { detail: by(session), clientIp }) : { before: null };
      // Not in the store: a key of the configuration, whose current key is refused from now on.
      const configKey = !before && id && deps.configConnections.list.some((c) => c.id === id) && (await deps.configConnections.revoke(id));
      if (configKey) audit({ event: 'auth.key.revoked', connection_id: id, auth_method: 'config-key', client_ip: clientIp, status: 200, detail: by(session) });
      const done = before || configKey;
      const message = done ? t('admin.connections.revoked', { name: before ? (before.name ?? id) : id }) : undefined;
      const error = !done ? t('admin.connections.notFound') : moodle === 'failed' ? t('connections.moodleRevokeFailed', { site: pc.site?.name ?? 'Moodle' }) : undefined;
      return page(await connectionsView(t, pc, session, csrf.token, { message, error }), done ? 200 : 404);
    }
    if (path === '/admin/policy/explain') {
      const fields = pick(form, ['profile', 'function', 'args', 'ip', 'courses']);
      return page(await explainView(pc, session, csrf.token, fields));
    }
    return page(messagePage(pc, t('page.notFoundTitle'), t('page.notFoundPage')), 404);
  }

  async function connectionsView(t: Translate, pc: PageContext, session: AdminSession, csrf: string, extra: Partial<ConnectionsAdminView> = {}) {
    const stored = await deps.store.auth.listConnections();
    const revoked = await deps.configConnections.revoked();
    const rows = await connectionRows(stored, deps.configConnections.list.filter((c) => !revoked.has(c.id)), deps.auditFile);
    return connectionsAdminPage(pc, { csrf, who: session.who, rows, profiles: Object.keys(deps.policy.data().profiles), usageKnown: !!deps.auditFile, ...extra });
  }

  async function createKey(form: URLSearchParams, t: Translate, pc: PageContext, session: AdminSession, csrf: string, page: (html: string, status?: number) => Response) {
    const name = form.get('name') ?? '';
    const profile = form.get('profile') ?? '';
    const days = (form.get('days') ?? '').trim();
    const retry = async (error: string, status: number) => page(await connectionsView(t, pc, session, csrf, { error, form: { name, profile } }), status);
    if (days && !/^\d{1,4}$/.test(days)) return retry(t('admin.keys.badDays'), 400);
    try {
      const { key, record } = await createApiKey({
        store: deps.store.auth, keyring: deps.keyring, name, profile, profiles: deps.policy.data().profiles,
        scopes: form.get('access') === 'write' ? ['api.read', 'api.write'] : ['api.read'], moodleToken: form.get('moodle_token') ?? '',
        getSiteInfo: (token) => deps.moodle.getSiteInfo(token), allowSiteAdmin: deps.allowSiteAdminTokens,
        expiresAt: days && Number(days) > 0 ? new Date(Date.now() + Number(days) * 86_400_000) : undefined,
      });
      audit({ event: 'auth.key.created', connection_id: record.id, moodle_user_id: record.moodleUser?.id, moodle_username: record.moodleUser?.username, auth_method: 'apikey', status: 200, detail: `${by(session)}: profile ${profile}, ${record.scopes.join(' ')}` });
      // The key is in this one response only (no-store); it is never kept.
      return page(await connectionsView(t, pc, session, csrf, { created: { key, name: record.name ?? name } }));
    } catch (error) {
      if (error instanceof AuthError) return retry(t('admin.keys.refused', { detail: error.message }), error.code === 'invalid_request' ? 400 : 403);
      if (error instanceof MoodleError) return retry(t('admin.keys.moodleRefused', { code: error.code }), 400);
      throw error;
    }
  }

  function policyView(pc: PageContext, session: AdminSession, csrf: string, form: Record<string, string>, more: { result?: ExplainResultView; error?: string } = {}) {
    return policyAdminPage(pc, { csrf, who: session.who, version: deps.policy.version, ready: deps.policy.ready, loadedAt: deps.policy.loadedAt(), data: deps.policy.data(), descriptions: deps.profileDescriptions(), form, ...more });
  }

  async function explainView(pc: PageContext, session: AdminSession, csrf: string, form: Record<string, string>) {
    const { t } = pc;
    let args: Record<string, unknown> | undefined;
    let courses: number[] | undefined;
    try {
      if (form.args?.trim()) args = JSON.parse(form.args);
      if (form.courses?.trim()) {
        const ids = form.courses.split(',').map((s) => s.trim()).filter(Boolean);
        if (!ids.every((s) => /^\d+$/.test(s))) throw new ExplainInputError('courses', 'expected comma-separated integers');
        courses = ids.map(Number);
      }
      const data = deps.policy.data();
      const x = await explainDecision(
        { profile: form.profile ?? '', function: (form.function ?? '').trim(), args, ip: form.ip?.trim() || undefined, courses },
        { data, getFunction: deps.getFunction, decide: (input) => deps.policy.decide(input), windowSeconds: deps.rateLimit.windowSeconds },
      );
      const summary = t('admin.explain.summary', {
        fn: x.fn.name, access: x.fn.access, ip: x.input.client_ip, scopes: x.scopes.join(', ') || '—', courses: x.courses.join(', ') || '—', version: deps.policy.version,
      });
      // Reasons as the AI client would read them in this language; the English original follows when it differs.
      const reasons = x.decision.reasons.map((r) => {
        const translated = translateReason(r, t.locale);
        return translated === r ? r : `${translated} (${r})`;
      });
      return policyView(pc, session, csrf, form, { result: { allow: x.decision.allow, reasons, summary, notes: x.notes } });
    } catch (error) {
      const field = error instanceof ExplainInputError ? error.field : error instanceof SyntaxError ? 'args' : undefined;
      if (!field) throw error;
      return policyView(pc, session, csrf, form, { error: t('admin.explain.badField', { field: t(`admin.explain.field.${field}`), detail: (error as Error).message }) });
    }
  }

  async function csvDownload(params: URLSearchParams, t: Translate): Promise<Response> {
    if (!deps.auditFile) return new Response(t('admin.audit.noFileSink'), { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } });
    let filter: AuditFilter;
    try {
      filter = auditFilter(pick(params, ['person', 'connection', 'function', 'decision', 'since', 'until']));
    } catch (error) {
      return new Response(t('admin.audit.badFilter', { detail: (error as Error).message }), { status: 400, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } });
    }
    const out = new PassThrough();
    exportAudit({ ...filter, file: deps.auditFile, format: 'csv', out }).then(
      () => out.end(),
      (error) => out.destroy(error),
    );
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    return new Response(Readable.toWeb(out) as ReadableStream, {
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="moodle-mcp-audit-${stamp}.csv"`,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      },
    });
  }

  async function healthChecks(t: Translate): Promise<HealthCheck[]> {
    const checks: HealthCheck[] = [];
    const site = deps.site.current;
    const known = site && deps.site.learnt ? t('admin.health.siteKnown', { name: site.name, url: site.url, release: site.release ?? '?' }) : t('admin.health.siteUnknown');
    if (deps.simulated) checks.push({ name: t('admin.health.moodle'), ok: true, detail: `${t('admin.health.simulator')} ${known}` });
    else {
      const started = Date.now();
      try {
        // A token-shaped dummy: any Moodle answer (invalidtoken) proves the site reachable; no real token is used.
        await deps.moodle.call('0'.repeat(32), 'core_webservice_get_site_info', {}, { access: 'read' });
        checks.push({ name: t('admin.health.moodle'), ok: true, detail: `${t('admin.health.reachable', { ms: Date.now() - started })} ${known}` });
      } catch (error) {
        const reachable = error instanceof MoodleError && !error.isTransport;
        checks.push({
          name: t('admin.health.moodle'),
          ok: reachable,
          detail: reachable ? `${t('admin.health.reachable', { ms: Date.now() - started })} ${known}` : t('admin.health.unreachable', { detail: (error as Error).message }),
        });
      }
    }
    checks.push({ name: t('admin.health.policy'), ok: deps.policy.ready, detail: t('admin.policy.version', { version: deps.policy.version }) });
    const stats = deps.audit.stats();
    for (const [name, s] of Object.entries(stats.sinks))
      checks.push({
        name: t('admin.health.sink', { name }),
        ok: s.healthy,
        detail: t('admin.health.sinkDetail', { written: s.written, queued: s.queued, dropped: s.dropped, failures: s.failures }) + (s.last_error ? ` · ${s.last_error}` : ''),
      });
    if (!Object.keys(stats.sinks).length) checks.push({ name: t('admin.health.sink', { name: '—' }), ok: false, detail: t('admin.health.noSinks') });
    if (stats.webhook)
      checks.push({
        name: t('admin.health.webhook'),
        ok: !stats.webhook.last_error || stats.webhook.queued === 0,
        detail: t('admin.health.webhookDetail', { sent: stats.webhook.sent, queued: stats.webhook.queued, dropped: stats.webhook.dropped, failures: stats.webhook.failures }),
      });
    checks.push({ name: t('admin.health.failClosed'), ok: stats.healthy, detail: stats.fail_closed ? t('admin.health.failClosedOn') : t('admin.health.failClosedOff') });
    try {
      await deps.rateLimit.probe();
      checks.push({ name: t('admin.health.rateLimit'), ok: true, detail: t('admin.health.rateDetail', { backend: deps.rateLimit.backend, seconds: deps.rateLimit.windowSeconds }) });
    } catch (error) {
      checks.push({ name: t('admin.health.rateLimit'), ok: false, detail: `${deps.rateLimit.backend}: ${(error as Error).message}` });
    }
    try {
      const count = (await deps.store.auth.listConnections()).length;
      checks.push({ name: t('admin.health.store'), ok: true, detail: t('admin.health.storeDetail', { type: deps.store.type, count }) });
    } catch (error) {
      checks.push({ name: t('admin.health.store'), ok: false, detail: `${deps.store.type}: ${(error as Error).message}` });
    }
    return checks;
  }

  return { handle };
}

function pick(params: URLSearchParams, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = params.get(k);
    if (v !== null) out[k] = v.slice(0, 2000);
  }
  return out;
}

/** The audit filter of the console's form (the same parsing as the CLI's --user, --since, --until). */
function auditFilter(q: Record<string, string>): AuditFilter {
  const filter: AuditFilter = {};
  if (q.person?.trim()) filter.user = parseSubject(q.person, 'person');
  if (q.connection?.trim()) filter.connection = q.connection.trim();
  if (q.function?.trim()) filter.moodleFunction = q.function.trim();
  if (q.decision) {
    if (!DECISIONS.has(q.decision)) throw new Error(`decision: must be allowed, denied or error`);
    filter.decision = q.decision as AuditDecision;
  }
  if (q.since?.trim()) filter.since = parseTime(q.since, 'since');
  if (q.until?.trim()) filter.until = parseTime(q.until, 'until');
  return filter;
}
