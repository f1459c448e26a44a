import { AuthError } from '../auth/errors.ts';
import { requireScope } from '../auth/scopes.ts';
import type { CatalogFunction } from '../catalog/types.ts';
import type { Connection } from '../auth/types.ts';
import type { CallContext } from '../mcp/context.ts';
import { META } from '../mcp/meta-tools.ts';

// The Moodle function a `tools/call` JSON-RPC message targets: a direct tool's own function, or the `name`
// argument of moodle_call_function when the meta-tools are exposed.
function targetFunction(message: unknown, isDirect: (tool: string) => boolean, meta: boolean): string | undefined {
  const m = message as { method?: unknown; params?: { name?: unknown; arguments?: { name?: unknown } } } | null;
  if (!m || m.method !== 'tools/call' || typeof m.params?.name !== 'string') return undefined;
  if (isDirect(m.params.name)) return m.params.name;
  if (meta && m.params.name === META.call && typeof m.params.arguments?.name === 'string') return m.params.arguments.name;
  return undefined;
}

/**
 * OAuth step-up (MCP 2025-11-25): an OAuth connection granted only api.read that calls a write function, where the
 * gateway mode and its profile would allow writes, is answered HTTP 403 `insufficient_scope` before the call, so the
 * client can ask the person for read+write consent. Everything else goes on to the pipeline (and the policy), as does
 * a write function the connection's site does not offer (the pipeline refuses it as function_not_on_site).
 */
export function createStepUp(options: {
  writesPossible(profile: string): boolean;
  getFunction(name: string): CatalogFunction | undefined;
  /** Whether the connection's site does not offer this catalog function (site-check.ts siteLacks). */
  siteLacks?(connection: Connection, name: string): boolean;
  isDirect(tool: string): boolean;
  /** expose.meta: moodle_call_function exists. */
  meta: boolean;
  errorResponse(error: AuthError): Response;
}): (body: unknown, ctx: CallContext) => Response | undefined {
  return (body, ctx) => {
    const { connection } = ctx;
    if (connection.authMethod !== 'oauth' || connection.scopes.includes('api.write') || !options.writesPossible(connection.profile)) return undefined;
    for (const message of Array.isArray(body) ? body : [body]) {
      const name = targetFunction(message, options.isDirect, options.meta);
      if (!name || options.getFunction(name)?.access !== 'write') continue;
      // A function the site does not offer this connection is refused by the pipeline: no consent would help.
      if (options.siteLacks?.(connection, name)) continue;
      try {
        requireScope(connection, 'api.write');
      } catch (error) {
        if (error instanceof AuthError) return options.errorResponse(error);
        throw error;
      }
    }
    return undefined;
  };
}
