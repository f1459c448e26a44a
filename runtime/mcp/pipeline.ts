import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AuditRecord } from '../audit/types.ts';
import type { CatalogFunction } from '../catalog/types.ts';
import { MoodleError } from '../moodle/errors.ts';
import { buildPolicyInput } from '../policy/input.ts';
import type { Decision, PolicyInput } from '../policy/types.ts';
import { argumentDepthError } from './argument-depth.ts';
import type { CallContext } from './context.ts';
import { toolCallAudit } from './audit-record.ts';
import { ToolError } from './errors.ts';
import { successResult } from './render.ts';

/** Result of validating arguments against a function's generated schema. */
export type Validation =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; issues: { path: string; message: string }[] };

/** Courses a call references, as the course resolver found them. */
export interface CourseFacts {
  courses: number[];
  resolved: boolean;
  unresolved?: string[];
}

/** Everything the call pipeline needs, injected so each stage can be tested alone. */
export interface PipelineDeps {
  getFunction(name: string): CatalogFunction | undefined;
  validate(fn: CatalogFunction, args: unknown): Validation | Promise<Validation>;
  /** Course ids of a call. `lookups: false` uses only ids written in the arguments (no Moodle round trip). */
  resolveCourses(fn: CatalogFunction, args: Record<string, unknown>, ctx: CallContext, lookups: boolean): Promise<CourseFacts>;
  /** Whether the connection's profile restricts courses (then courses must be resolved and results filtered). */
  courseRestriction(profile: string): number[] | null;
  /**
   * Atomically counts this call in the rate window and returns the usage before it; `undo` un-counts it
   * when the call is refused (refused calls don't use up the limit).
   */
  rateHit(ctx: CallContext, fn: CatalogFunction, nowMs: number): Promise<{ usage: PolicyInput['usage']; undo(): Promise<void> }>;
  decide(input: PolicyInput): Decision | Promise<Decision>;
  callMoodle(ctx: CallContext, fn: CatalogFunction, args: Record<string, unknown>): Promise<unknown>;
  filterResult(result: unknown, fn: CatalogFunction, allowedCourses: number[]): unknown;
  /** Whether the output schema of `fn` was wrapped as `{ result }` for MCP. */
  isWrapped(fn: CatalogFunction): boolean;
  audit(record: AuditRecord): void;
  auditHealthy(): boolean;
  policyVersion(): string;
  now(): number;
  /** Logs an unexpected failure (never with argument values or tokens). */
  logError(error: unknown, fn: string): void;
}

/** Builds the policy input for one function and caller (shared by calls and listings). */
export function policyInput(
  action: PolicyInput['action'],
  ctx: CallContext,
  fn: CatalogFunction,
  facts?: CourseFacts,
  usage?: PolicyInput['usage'],
  nowMs = Date.now(),
): PolicyInput {
  const { connection } = ctx;
  return buildPolicyInput({
    action,
    connection: {
      id: connection.id,
      profile: connection.profile,
      scopes: connection.scopes,
      auth_method: connection.authMethod,
      site_admin: connection.moodleUser?.isSiteAdmin ?? false,
    },
    clientIp: ctx.clientIp,
    fn,
    courses: facts,
    usage,
    nowMs,
  });
}

/** Top-level and nested argument key paths (never values), for the audit trail. */
export function argumentKeys(args: unknown, prefix = ''): string[] {
  if (!args || typeof args !== 'object') return [];
  const keys: string[] = [];
  const items = Array.isArray(args) ? args.map((v) => ['[]', v] as const) : Object.entries(args);
  for (const [key, value] of items) {
    const path = key === '[]' ? `${prefix}[]` : prefix ? `${prefix}.${key}` : key;
    const nested = value && typeof value === 'object' ? argumentKeys(value, path) : [];
    if (nested.length === 0) keys.push(path);
    else keys.push(...nested);
  }
  return [...new Set(keys)].sort();
}

/**
 * The one call pipeline for direct and meta tools:
 * validate → resolve courses → rate usage → policy decision → Moodle call → filter → result, audited whatever happens.
 */
export async function callFunction(
  deps: PipelineDeps,
  ctx: CallContext,
  name: string,
  rawArgs: unknown,
  tool: string,
): Promise<CallToolResult> {
  const started = deps.now();
  const tooDeep = argumentDepthError(rawArgs); // first: everything below may recurse over the arguments
  const { record, finish, fail } = toolCallAudit(deps, ctx, tool, started, { moodle_function: name, arg_keys: tooDeep ? [] : argumentKeys(rawArgs) });

  try {
    if (tooDeep) throw tooDeep;
    const fn = deps.getFunction(name);
    if (!fn) throw new ToolError('unknown_function', `No Moodle function named "${name}" in the catalog.`, 404);
    record.access = fn.access;
    if (!deps.auditHealthy()) {
      throw new ToolError('audit_unavailable', 'The audit trail cannot be written (audit.fail_closed is on): calls are refused.', 503);
    }

    const validation = await deps.validate(fn, rawArgs ?? {});
    if (!validation.ok) {
      throw new ToolError('invalid_arguments', `Arguments for ${fn.name} do not match its schema.`, 400, { issues: validation.issues });
    }
    // The validated value (coerced where Moodle would accept it, defaults filled in) is what the policy decides on
    // and exactly what Moodle gets.
    const args = validation.value;

    const restriction = deps.courseRestriction(ctx.connection.profile);
    const facts = await deps.resolveCourses(fn, args, ctx, restriction !== null);
    record.course_ids = facts.courses;
    const nowMs = deps.now();
    const hit = await deps.rateHit(ctx, fn, nowMs);
    const decision = await deps.decide(policyInput('tools/call', ctx, fn, facts, hit.usage, nowMs));
    if (!decision.allow) {
      await hit.undo();
      const rateLimited = decision.rate_limited === true;
      if (rateLimited) deps.audit({ ...record, event: 'rate_limit.hit', decision: 'denied', reasons: decision.reasons, status: 429 });
      throw new ToolError('denied', `The gateway's policy refused ${fn.name}.`, rateLimited ? 429 : 403, { reasons: decision.reasons });
    }

    let result: unknown;
    try {
      result = await deps.callMoodle(ctx, fn, args);
    } catch (error) {
      throw toToolError(error);
    }
    if (restriction !== null) result = deps.filterResult(result, fn, restriction);
    // A direct tool (named after its function) has an output schema; moodle_call_function has none: text only.
    const rendered = successResult(result, deps.isWrapped(fn), tool === fn.name);
    const text = rendered.content[0];
    return finish(rendered, {
      decision: 'allowed',
      status: 200,
      response_bytes: text && text.type === 'text' ? Buffer.byteLength(text.text) : 0,
    });
  } catch (error) {
    const toolError = toToolError(error);
    if (toolError.code === 'internal_error') deps.logError(error, name);
    return fail(toolError);
  }
}

/** Maps a Moodle-layer or unexpected error to a ToolError (Moodle's errorcode and message are kept). */
export function toToolError(error: unknown): ToolError {
  if (error instanceof ToolError) return error;
  if (error instanceof MoodleError) {
    return new ToolError(error.code, `Moodle: ${error.message}`, error.isTransport ? 502 : 422, { moodleErrorcode: error.code });
  }
  return new ToolError('internal_error', 'The gateway failed to complete the call (see the gateway log).', 500);
}
