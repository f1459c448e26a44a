import type { Logger } from 'pino';
import type { Audit } from '../audit/logger.ts';
import type { LoadedCatalog } from '../catalog/index.ts';
import { ToolError } from '../mcp/errors.ts';
import type { PipelineDeps, Validation } from '../mcp/pipeline.ts';
import type { ToolRegistry } from '../mcp/tools.ts';
import type { MoodleClient } from '../moodle/index.ts';
import type { CourseResolver } from '../policy/courses.ts';
import type { PolicyEngine } from '../policy/engine.ts';
import { filterResultByCourses } from '../policy/filter.ts';
import type { RateLimiter } from '../policy/rate-limit.ts';
import type { CatalogFunction } from '../catalog/types.ts';

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
  /** Default: Date.now. */
  now?: () => number;
}): PipelineDeps {
  return {
    getFunction: (name) => c.catalog.get(name),
    validate: c.validate,
    async resolveCourses(fn, args, ctx, lookups) {
      if (fn.courseRefs.length === 0) return { courses: [], resolved: true };
      // Without a restriction only the ids written in the arguments are gathered (for the audit): no Moodle round trip.
      const refs = lookups ? fn.courseRefs : fn.courseRefs.filter((r) => r.entity === 'course');
      return c.courses.resolve({ name: fn.name, courseRefs: refs }, args, ctx.connection.moodleToken);
    },
    courseRestriction: c.courseRestriction,
    async rateHit(ctx, fn, nowMs) {
      const hit = await c.rateLimiter.hit(ctx.connection.id, fn.name, nowMs);
      return { usage: hit.usage, undo: () => c.rateLimiter.undo(ctx.connection.id, fn.name, hit.id) };
    },
    decide: (input) => c.policy.decide(input),
    callMoodle: (ctx, fn, args) => c.moodle.call(ctx.connection.moodleToken, fn.name, args, { access: fn.access, signal: ctx.signal }),
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
