/** A pipeline with in-memory dependencies for the MCP tests: records audit records, policy inputs and Moodle calls. */
import type { AuditRecord } from '../../runtime/audit/types.ts';
import type { CatalogFunction } from '../../runtime/catalog/types.ts';
import type { CallContext } from '../../runtime/mcp/context.ts';
import type { PipelineDeps } from '../../runtime/mcp/pipeline.ts';
import type { PolicyInput } from '../../runtime/policy/types.ts';

const fn = (name: string, access: 'read' | 'write', courseRefs: CatalogFunction['courseRefs'] = []): CatalogFunction => ({
  name,
  title: name,
  description: '',
  component: 'moodle',
  type: access,
  access,
  capabilities: [],
  ajax: true,
  loginrequired: true,
  deprecated: false,
  annotations: { title: name, readOnlyHint: access === 'read', destructiveHint: false, idempotentHint: access === 'read', openWorldHint: false },
  inputSchemaRef: '',
  outputSchemaRef: '',
  courseRefs,
  outputCourseRefs: [],
  services: ['mcp'],
});

const functions = new Map([
  ['core_course_get_contents', fn('core_course_get_contents', 'read', [{ path: 'courseid', entity: 'course', via: ['argument'], source: 'rule:courseid' }])],
  ['core_course_create_courses', fn('core_course_create_courses', 'write')],
  ['core_message_get_unread_conversations_count', fn('core_message_get_unread_conversations_count', 'read')],
]);

export const SECRET = 'moodle-token-0123456789abcdef';
export const ctx: CallContext = {
  connection: { id: 'c1', authMethod: 'apikey', profile: 'p', scopes: ['api.read'], moodleToken: SECRET, moodleUser: { id: 6, username: 'emma.johansson', isSiteAdmin: false } },
  clientIp: '127.0.0.1',
  requestId: 'r1',
};

export function harness(overrides: Partial<PipelineDeps> = {}) {
  const audit: AuditRecord[] = [];
  const inputs: PolicyInput[] = [];
  const calls: { fn: string; args: unknown }[] = [];
  let clock = 1_000;
  let undone = 0;
  const deps: PipelineDeps = {
    getFunction: (name) => functions.get(name),
    missingOnSite: () => undefined,
    validate: (_f, args) =>
      args && typeof args === 'object' && 'courseid' in args && typeof (args as any).courseid !== 'number'
        ? { ok: false, issues: [{ path: 'courseid', message: 'expected integer' }] }
        : { ok: true, value: args as Record<string, unknown> },
    planCourses: (_f, args) => {
      const facts = { courses: typeof args.courseid === 'number' ? [args.courseid] : [], resolved: true };
      return { facts, pending: false, lookUp: async () => facts };
    },
    resultCourses: () => ({ courses: [], resolved: false }),
    countLookups: async () => {},
    courseRestriction: () => null,
    rateHit: async () => ({ usage: { window_seconds: 60, connection_calls: 0, function_calls: 0 }, undo: async () => void undone++ }),
    decide: (input) => {
      inputs.push(input);
      return input.function.access === 'write' ? { allow: false, reasons: ['read-only gateway: write functions are disabled'] } : { allow: true, reasons: [] };
    },
    callMoodle: async (_c, f, args) => {
      calls.push({ fn: f.name, args });
      if (f.name === 'core_message_get_unread_conversations_count') return 3;
      return [{ id: 1, name: 'General' }];
    },
    filterResult: (r) => r,
    isWrapped: (f) => f.name !== 'nothing',
    audit: (r) => audit.push(r),
    auditHealthy: () => true,
    policyVersion: () => 'v1',
    now: () => (clock += 5),
    logError: () => {},
    ...overrides,
  };
  return { deps, audit, inputs, calls, undone: () => undone };
}
