import { AuthError } from './errors.ts';
import type { Connection, Scope } from './types.ts';

export const ALL_SCOPES: readonly Scope[] = ['api.read', 'api.write'];

/** Parses `api.read,api.write` or `api.read api.write`; throws naming `field` on an unknown scope or an empty list. */
export function parseScopes(text: string | string[], field = 'scopes'): Scope[] {
  const items = (Array.isArray(text) ? text : text.split(/[\s,]+/)).map((s) => s.trim()).filter(Boolean);
  const bad = items.find((s) => !ALL_SCOPES.includes(s as Scope));
  if (bad !== undefined) throw new AuthError('invalid_request', `${field}: unknown scope "${bad}" (known: ${ALL_SCOPES.join(', ')})`);
  if (items.length === 0) throw new AuthError('invalid_request', `${field}: at least one scope is required`);
  return normaliseScopes(items as Scope[]);
}

/** Sorted (api.read, api.write) and unique. */
export function normaliseScopes(scopes: Scope[]): Scope[] {
  const set = new Set<Scope>(scopes);
  return ALL_SCOPES.filter((s) => set.has(s));
}

/** Throws when `requested` asks for a scope the profile does not permit. */
export function assertScopesAllowed(requested: Scope[], allowed: readonly string[], profile: string): void {
  const extra = requested.filter((s) => !allowed.includes(s));
  if (extra.length) throw new AuthError('forbidden', `profile "${profile}" does not permit scope ${extra.join(', ')} (permits: ${allowed.join(', ')})`);
}

/**
 * Throws AuthError `insufficient_scope` (→ 403 with `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`)
 * when the connection lacks `needed`. The call pipeline uses it before a write function.
 */
export function requireScope(connection: Pick<Connection, 'scopes'>, needed: Scope): void {
  if (!connection.scopes.includes(needed))
    throw new AuthError('insufficient_scope', `this connection was granted ${connection.scopes.join(' ') || 'no scope'}; the call needs ${needed}`, {
      scope: normaliseScopes([...connection.scopes, needed]).join(' '),
    });
}
