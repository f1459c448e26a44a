import { AuthError } from './errors.ts';

/** Where the challenge points MCP clients: the protected resource metadata URL and the scope to ask for. */
export interface ChallengeOptions {
  /** e.g. `https://mcp.example.edu/.well-known/oauth-protected-resource/mcp`; absent when OAuth is off (nothing is served there). */
  resourceMetadataUrl?: string;
  /** Scope to request on a 401, e.g. `api.read api.write` (what the OAuth profile permits). */
  scope: string;
}

const quote = (s: string) => s.replace(/["\\\r\n]/g, ' ');

/**
 * `WWW-Authenticate` for an auth failure (RFC 6750 + RFC 9728 + MCP 2025-11-25):
 * no credential → `Bearer scope="…", resource_metadata="…"`; a refused one adds `error="invalid_token"`;
 * a missing scope → `Bearer error="insufficient_scope", scope="<scopes needed>", …` (step-up).
 */
export function bearerChallenge(error: AuthError | undefined, o: ChallengeOptions): string {
  const parts: string[] = [];
  if (error?.code === 'insufficient_scope') {
    parts.push('error="insufficient_scope"', `scope="${quote(error.scope ?? o.scope)}"`, `error_description="${quote(error.message)}"`);
  } else {
    if (error && !error.missing) parts.push(`error="${error.code === 'invalid_request' ? 'invalid_request' : 'invalid_token'}"`, `error_description="${quote(error.message)}"`);
    parts.push(`scope="${quote(o.scope)}"`);
  }
  if (o.resourceMetadataUrl) parts.push(`resource_metadata="${o.resourceMetadataUrl}"`);
  return `Bearer ${parts.join(', ')}`;
}

/** A JSON 400/401/403 response for an AuthError, with the challenge (none for `forbidden`: a new token would not help). */
export function authErrorResponse(error: AuthError, o: ChallengeOptions): Response {
  const status = error.code === 'insufficient_scope' || error.code === 'forbidden' ? 403 : error.code === 'invalid_request' ? 400 : 401;
  const code = error.code === 'forbidden' ? 'access_denied' : error.code === 'insufficient_scope' || error.code === 'invalid_request' ? error.code : 'invalid_token';
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (error.code !== 'forbidden') {
    headers['www-authenticate'] = bearerChallenge(error, o);
    headers['access-control-expose-headers'] = 'WWW-Authenticate';
  }
  return new Response(JSON.stringify({ error: code, error_description: error.message }), { status, headers });
}

export { AuthError };
