import { createHash } from 'node:crypto';
import type { ConnectionRecord } from '../store/types.ts';

/** Server-rendered pages for sign-in, consent and "my connections": no external assets, no script, strict CSP. */

const CSS = `body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.4rem}form{margin:1rem 0;padding:1rem;border:1px solid #ccc;border-radius:8px}
label{display:block;margin:.5rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.4rem;box-sizing:border-box}
button{margin-top:.8rem;padding:.4rem 1rem}.error{background:#fde8e8;border:1px solid #e0a0a0;padding:.6rem;border-radius:6px}
.muted{color:#555;font-size:.9rem}code{word-break:break-all}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;font-size:.9rem}`;
const CSS_HASH = createHash('sha256').update(CSS).digest('base64');

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Security headers of every page; `formTargets` are extra origins a form may lead to (the client's redirect URI). */
export function pageHeaders(formTargets: string[] = []): Headers {
  return new Headers({
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': [
      "default-src 'none'",
      `style-src 'sha256-${CSS_HASH}'`,
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

export function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

const errorBox = (message?: string) => (message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : '');
const csrfField = (csrf: string) => `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">`;

export interface SignInView {
  /** Default: "Sign in with your Moodle account". */
  title?: string;
  action: string;
  tokenAction: string;
  csrf: string;
  clientName?: string;
  error?: string;
  username?: string;
}

/** Sign in with the Moodle username and password, or paste a Moodle token (SSO-only accounts). */
export function signInPage(v: SignInView): string {
  const who = v.clientName ? `<p><strong>${escapeHtml(v.clientName)}</strong> wants to use Moodle as you.</p>` : '';
  return layout(
    v.title ?? 'Sign in with your Moodle account',
    `${who}${errorBox(v.error)}
<form method="post" action="${escapeHtml(v.action)}">${csrfField(v.csrf)}
<label for="username">Moodle username</label><input type="text" id="username" name="username" autocomplete="username" required value="${escapeHtml(v.username)}">
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
<p class="muted">Your password goes to Moodle once to get a token for this connection; the gateway never stores it.</p></form>
<form method="post" action="${escapeHtml(v.tokenAction)}">${csrfField(v.csrf)}
<label for="token">Or paste a Moodle token (Moodle → Preferences → Security keys), e.g. if you sign in through SSO</label>
<input type="password" id="token" name="token" autocomplete="off" required>
<button type="submit">Use this token</button></form>`,
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
  readOnlyReason?: string;
}

/** Consent: names the client, its redirect URI and the scopes; read or read+write where the profile permits. */
export function consentPage(v: ConsentView): string {
  const write = v.canWrite
    ? `<label><input type="radio" name="access" value="write"> Read and change (api.read, api.write): submit, post, grade… as you</label>`
    : `<p class="muted">Changing data is not available${v.readOnlyReason ? `: ${escapeHtml(v.readOnlyReason)}` : ''}.</p>`;
  return layout(
    'Allow access to Moodle?',
    `<p>Signed in to Moodle as <strong>${escapeHtml(v.fullname ?? v.username)}</strong> (${escapeHtml(v.username)}).</p>
<p><strong>${escapeHtml(v.clientName)}</strong> <span class="muted">(client id <code>${escapeHtml(v.clientId)}</code>)</span>
will receive access and be sent back to <code>${escapeHtml(v.redirectUri)}</code>.</p>
<form method="post" action="${escapeHtml(v.action)}">${csrfField(v.csrf)}
<label><input type="radio" name="access" value="read" checked> Read only (api.read): your courses, assignments, forums, grades…</label>
${write}
<p class="muted">It can only do what your own Moodle account may do. You can revoke this connection at any time on the "My connections" page.</p>
<button type="submit" name="decision" value="allow">Allow</button> <button type="submit" name="decision" value="deny">Deny</button></form>`,
  );
}

export function messagePage(title: string, message: string): string {
  return layout(title, `<p>${escapeHtml(message)}</p>`);
}

export interface ConnectionsView {
  csrf: string;
  username: string;
  connections: ConnectionRecord[];
  revokeAction: string;
  logoutAction: string;
  /** The Moodle web service the gateway signs in to (moodle.service): the one whose token a person resets in Moodle. */
  service: string;
}

/** "My connections": a person's own OAuth grants and API keys, each with a revoke button. */
export function connectionsPage(v: ConnectionsView): string {
  const rows = v.connections
    .map(
      (c) => `<tr><td>${escapeHtml(c.client?.name ?? c.name ?? c.client?.id ?? c.id)}<br><span class="muted">${escapeHtml(c.kind === 'oauth' ? 'OAuth' : `API key ${c.keyPrefix ?? ''}`)}</span></td>
<td>${escapeHtml(c.scopes.join(' '))}</td><td>${escapeHtml(c.createdAt.slice(0, 10))}</td><td>${escapeHtml(c.lastUsedAt?.slice(0, 16).replace('T', ' ') ?? 'never')}</td>
<td><form method="post" action="${escapeHtml(v.revokeAction)}">${csrfField(v.csrf)}<input type="hidden" name="id" value="${escapeHtml(c.id)}"><button type="submit">Revoke</button></form></td></tr>`,
    )
    .join('');
  return layout(
    'My Moodle connections',
    `<p>Signed in as <strong>${escapeHtml(v.username)}</strong>.</p>
${rows ? `<table><tr><th>Client</th><th>Scopes</th><th>Created</th><th>Last used</th><th></th></tr>${rows}</table>` : '<p>You have no active connections.</p>'}
<p>Revoking a connection stops this gateway from using it at once. Your Moodle token itself stays valid in Moodle:
Moodle gives one token per person and web service, so all your OAuth connections here share it. To make that token
useless everywhere, reset it in Moodle: <strong>Preferences &gt; Security keys</strong>, the
<strong>${escapeHtml(v.service)}</strong> service, <strong>Reset</strong>. All your OAuth connections through this
gateway then stop working; sign in again from your applications to connect anew.</p>
<form method="post" action="${escapeHtml(v.logoutAction)}">${csrfField(v.csrf)}<button type="submit">Sign out</button></form>`,
  );
}
