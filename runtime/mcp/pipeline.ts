import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AuditRecord } from '../audit/types.ts';
import type { CatalogFunction } from '../catalog/types.ts';
import { MoodleError } from '../moodle/errors.ts';
import { buildPolicyInput } from '../policy/input.ts';
import type { CourseGap, Decision, PolicyInput } from '../policy/types.ts';
import { argumentDepthError } from './argument-depth.ts';
import type { CallContext } from './context.ts';
import { toolCallAudit } from './audit-record.ts';
import { ToolError } from './errors.ts';
import { successResult } from './render.ts';

/** Result of validating arguments against a function's generated schema. */
export type Validation =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; issues: { path: string; message: string }[] };

/** Courses a call references, as the course resolver found them (or the courses its answer names). */
export interface CourseFacts {
  courses: number[];
  resolved: boolean;
  /** Unmapped references by entity type and why (no ids). */
  gaps?: CourseGap[];
  /** Some references are checked on the answer: the call is decided once more, on the answer's courses. */
  resultCheck?: boolean;
  /** Moodle lookups made to find these facts (they count toward the connection's rate budget). */
  lookups?: number;
  /** Provenance for the audit trail: `entity via how: course N` per reference, without ids. */
  provenance?: string[];
}

/** A call's course facts from its arguments alone, and how to complete them. */
export interface CoursePlan {
  facts: CourseFacts;
  /** Some references need Moodle lookups or the answer: then the call is decided first without course facts. */
  pending: boolean;
  /** Looks the pending references up (Moodle, the resolver) with the caller's token. */
  lookUp(): Promise<CourseFacts>;
}

/** Everything the call pipeline needs, injected so each stage can be tested alone. */
export interface PipelineDeps {
  getFunction(name: string): CatalogFunction | undefined;
  /**
   * Why the connected site does not offer `fn` to this caller (its token's site info does not list it), or undefined
   * when it does or the list is unknown. No Moodle call: the list was read with the caller's identity.
   */
  missingOnSite(ctx: CallContext, fn: CatalogFunction): string | undefined;
  validate(fn: CatalogFunction, args: unknown): Validation | Promise<Validation>;
  /** The course facts of a call's arguments (no Moodle call); `restricted`: the profile restricts courses. */
  planCourses(fn: CatalogFunction, args: Record<string, unknown>, ctx: CallContext, restricted: boolean): CoursePlan;
  /** The courses an answer names (at the function's resultCourseRefs), for a call whose references are checked on it. */
  resultCourses(fn: CatalogFunction, result: unknown): CourseFacts;
  /** Whether the connection's profile restricts courses (then courses must be resolved and results filtered). */
  courseRestriction(profile: string): number[] | null;
  /**
   * Atomically counts this call in the rate window and returns the usage before it; `undo` un-counts it
   * when the call is refused (refused calls don't use up the limit).
   */
  rateHit(ctx: CallContext, fn: CatalogFunction, nowMs: number): Promise<{ usage: PolicyInput['usage']; undo(): Promise<void> }>;
  /** Counts `count` Moodle lookups made for a call in the connection's rate window (they are not undone). */
  countLookups(ctx: CallContext, count: number, nowMs: number): Promise<void>;
  decide(input: PolicyInput): Decision | Promise<Decision>;
  callMoodle(ctx: CallContext, fn: CatalogFunction, args: Record<string, unknown>): Promise<unknown>;
  filterResult(result: unknown, fn: CatalogFunction, allowedCourses: number[]): unknown;
  /** Whether the output schema of `fn` was wrapped as `{ result }` for MCP. */
  isWrapped(fn: CatalogFunction): boolean;
  /**
   * What the audit trail records about a validated call beyond its argument keys (a file tool's file name and context
   * id; never a value of a Moodle function's arguments). Default: nothing.
   */
  auditFacts?(fn: CatalogFunction, args: Record<string, unknown>): Partial<AuditRecord>;
  /**
   * Renders an answer whose tool result is not its JSON (the file tools: text, image or blob content), with the audit
   * fields it adds; undefined for the others. Default: every answer is rendered as JSON.
   */
  render?(fn: CatalogFunction, result: unknown): { result: CallToolResult; fields: Partial<AuditRecord> } | undefined;
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
  courseStage?: 'deferred' | 'result',
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
    courses: facts && { courses: facts.courses, resolved: facts.resolved, gaps: facts.gaps },
    usage,
    nowMs,
    courseStage,
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
 * The one call pipeline for direct, meta and file tools, audited whatever happens:
 * on the site → validate → rate usage → decide on every rule that needs no course facts → course lookups → decide with
 * the course facts → Moodle call (a file tool: Moodle's file endpoints) → decide on the answer's course (reads checked
 * on their answer) → filter → result.
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
    const missing = deps.missingOnSite(ctx, fn);
    if (missing) throw new ToolError('function_not_on_site', `${fn.name} is not available on the connected Moodle site.`, 404, { reasons: [missing] });

    const validation = await deps.validate(fn, rawArgs ?? {});
    if (!validation.ok) {
      throw new ToolError('invalid_arguments', `Arguments for ${fn.name} do not match its schema.`, 400, { issues: validation.issues });
    }
    // The validated value (coerced where Moodle would accept it, defaults filled in) is what the policy decides on
    // and exactly what Moodle gets.
    const args = validation.value;
    Object.assign(record, deps.auditFacts?.(fn, args));

    const restriction = deps.courseRestriction(ctx.connection.profile);
    const plan = deps.planCourses(fn, args, ctx, restriction !== null);
    let facts = plan.facts;
    record.course_ids = facts.courses;
    const nowMs = deps.now();
    const hit = await deps.rateHit(ctx, fn, nowMs);
    let usage = hit.usage;
    const refuse = async (decision: Decision): Promise<never> => {
      await hit.undo();
      const rateLimited = decision.rate_limited === true;
      if (rateLimited) deps.audit({ ...record, event: 'rate_limit.hit', decision: 'denied', reasons: decision.reasons, status: 429 });
      throw new ToolError('denied', `The gateway's policy refused ${fn.name}.`, rateLimited ? 429 : 403, { reasons: decision.reasons });
    };

    if (restriction !== null && plan.pending) {
      // Every rule that needs no course facts decides first: a call refused here makes no lookup and names no course.
      const first = await deps.decide(policyInput('tools/call', ctx, fn, undefined, usage, nowMs, 'deferred'));
      if (!first.allow) await refuse(first);
      facts = await plan.lookUp();
      record.course_ids = facts.courses;
      record.course_refs = facts.provenance;
      if (facts.lookups) {
        await deps.countLookups(ctx, facts.lookups, nowMs);
        usage = { ...usage, connection_calls: usage.connection_calls + facts.lookups };
      }
    }
    const resultCheck = restriction !== null && facts.resultCheck === true;
    const decision = await deps.decide(policyInput('tools/call', ctx, fn, facts, usage, nowMs, resultCheck ? 'result' : undefined));
    if (!decision.allow) await refuse(decision);

    let result: unknown;
    try {
      result = await deps.callMoodle(ctx, fn, args);
    } catch (error) {
      throw toToolError(error);
    }
    if (resultCheck) {
      // A read whose references only its answer can check: released only when the answer's course is allowed.
      const answer = deps.resultCourses(fn, result);
      record.course_ids = [...new Set([...facts.courses, ...answer.courses])].sort((a, b) => a - b);
      const check = await deps.decide(policyInput('tools/call', ctx, fn, { ...answer, courses: record.course_ids }, usage, nowMs));
      if (!check.allow) throw new ToolError('denied', `The gateway's policy withheld the answer of ${fn.name}.`, 403, { reasons: check.reasons });
    }
    if (restriction !== null) result = deps.filterResult(result, fn, restriction);
    const special = deps.render?.(fn, result);
    if (special) return finish(special.result, { decision: 'allowed', status: 200, ...special.fields });
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
