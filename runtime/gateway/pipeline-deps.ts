import type { Logger } from 'pino';
import type { Audit } from '../audit/logger.ts';
import type { LoadedCatalog } from '../catalog/index.ts';
import { ToolError } from '../mcp/errors.ts';
import type { CourseFacts, PipelineDeps, Validation } from '../mcp/pipeline.ts';
import type { ToolRegistry } from '../mcp/tools.ts';
import { MoodleError, type MoodleClient } from '../moodle/index.ts';
import type { CallContext } from '../mcp/context.ts';
import type { CourseFact, CourseResolution, CourseResolver } from '../policy/courses.ts';
import type { PolicyEngine } from '../policy/engine.ts';
import { filterResultByCourses, resultCourses } from '../policy/filter.ts';
import type { RateLimiter } from '../policy/rate-limit.ts';
import type { CatalogFunction } from '../catalog/types.ts';
import type { FileService } from '../files/service.ts';
import { isFileFunction } from '../files/tools.ts';
import { siteLacks } from './site-check.ts';

/** The call pipeline's dependencies, from the gateway's components. */
export function createPipelineDeps(c: {
  catalog: LoadedCatalog;
  validate(fn: CatalogFunction, args: unknown): Promise<Validation>;
  courses: CourseResolver;
  courseRestriction(profile: string): number[] | null;
  rateLimiter: RateLimiter;
  policy: PolicyEngine;
  moodle: MoodleClient;
  registry: ToolRegistry;
  audit: Audit;
  log: Logger;
  /** The file tools' stages (absent when `files.enabled` is false). */
  files?: FileService;
  /** The connected site's release, when a site-info answer told it (SiteDirectory). */
  siteRelease?: () => string | undefined;
  /** Default: Date.now. */
  now?: () => number;
  /** Moodle answered `invalidtoken` to a call: the connection's token was deleted there. */
  onInvalidToken?: (connection: CallContext['connection']) => Promise<boolean>;
}): PipelineDeps {
  const files = c.files;
  const isFile = (fn: CatalogFunction) => files !== undefined && isFileFunction(fn);
  return {
    getFunction: (name) => c.registry.getFunction(name),
    missingOnSite(ctx, fn) {
      if (!siteLacks(ctx.connection, fn.name, c.catalog)) return undefined;
      const release = c.siteRelease?.();
      return (
        `the Moodle site${release ? ` (${release})` : ''} does not offer ${fn.name} to this connection: its token's site info does not list it ` +
        `(the site lacks the function, or the token's service does not enable it; the catalog was generated from Moodle ${c.catalog.catalog.moodle.release})`
      );
    },
    validate: (fn, args) => (isFile(fn) ? files!.validate(fn, args) : c.validate(fn, args)),
    planCourses(fn, args, ctx, restricted) {
      // The resolver is used when the token's service enables it (seen in its site info when the caller was identified).
      const plan = c.courses.plan(fn, args, { resolver: ctx.connection.courseResolver === true });
      return {
        facts: courseFacts(plan.resolution, restricted),
        pending: plan.pending > 0,
        lookUp: async () => courseFacts(await c.courses.resolve(plan, ctx.connection.moodleToken), true),
      };
    },
    resultCourses: (fn, result) => resultCourses(result, fn.resultCourseRefs ?? []),
    courseRestriction: c.courseRestriction,
    async rateHit(ctx, fn, nowMs) {
      const hit = await c.rateLimiter.hit(ctx.connection.id, fn.name, nowMs);
      return { usage: hit.usage, undo: () => c.rateLimiter.undo(ctx.connection.id, fn.name, hit.id) };
    },
    async countLookups(ctx, count, nowMs) {
      // Recorded under a pseudo-function: they use up the connection's budget, not the called function's.
      for (let i = 0; i < count; i++) await c.rateLimiter.hit(ctx.connection.id, LOOKUPS, nowMs);
    },
    decide: (input) => c.policy.decide(input),
    async callMoodle(ctx, fn, args) {
      try {
        return await (isFile(fn) ? files!.call(ctx, fn, args) : c.moodle.call(ctx.connection.moodleToken, fn.name, args, { access: fn.access, signal: ctx.signal }));
      } catch (error) {
        // The connection ends here (its next request gets 401 invalid_token); this call reports Moodle's error.
        if (error instanceof MoodleError && error.code === 'invalidtoken') await c.onInvalidToken?.(ctx.connection);
        throw error;
      }
    },
    auditFacts: (fn, args) => (isFile(fn) ? files!.auditFacts(fn, args) : {}),
    render: (fn, result) => (isFile(fn) ? files!.render(fn, result) : undefined),
    filterResult(result, fn, allowed) {
      const filtered = filterResultByCourses(result, fn.outputCourseRefs, allowed);
      if (filtered.blocked.length > 0) {
        throw new ToolError('denied', `The result of ${fn.name} concerns a course outside this connection's courses.`, 403, {
          reasons: [`course restriction: result field ${filtered.blocked.join(', ')} names a course not in the profile's courses`],
        });
      }
      return filtered.result;
    },
    isWrapped: (fn) => c.registry.isWrapped(fn),
    audit: (rec) => c.audit.record(rec),
    auditHealthy: () => c.audit.healthy(),
    policyVersion: () => c.policy.version,
    now: c.now ?? (() => Date.now()),
    logError: (error, fn) => c.log.error({ err: error, fn }, 'tool call failed unexpectedly'),
  };
}

/** The rate limiter's name for the Moodle lookups of course facts (no Moodle function has a space in its name). */
export const LOOKUPS = 'course lookups';

/** One line per distinct way a reference was mapped, for the audit trail: entity types and courses, never ids. */
export function provenance(facts: readonly CourseFact[]): string[] {
  const lines = facts.map((f) => {
    const how = f.via === 'none' ? '' : ` via ${f.via}${f.moodleFunction ? ` (${f.moodleFunction})` : ''}`;
    const what = f.outcome === 'course' ? `course ${f.course}` : f.outcome;
    return `${f.entity}${f.module ? ` ${f.module}` : ''} at ${f.path}${how}: ${what}`;
  });
  return [...new Set(lines)];
}

function courseFacts(r: CourseResolution, restricted: boolean): CourseFacts {
  const facts: CourseFacts = { courses: r.courses, resolved: r.resolved, gaps: r.gaps, resultCheck: r.resultCheck, lookups: r.lookups };
  if (restricted) facts.provenance = provenance(r.facts);
  return facts;
}
