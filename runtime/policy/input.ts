import type { CourseGap, PolicyInput } from './types.ts';

/** The plain facts of one decision, gathered by the gateway, `policy explain`/`diff` or the engine's probe. */
export interface InputFacts {
  action: PolicyInput['action'];
  connection: PolicyInput['connection'];
  clientIp: string;
  /** The function (a catalog entry): its name, effective access and whether it has course references. */
  fn: { name: string; access: 'read' | 'write'; courseRefs: readonly unknown[] };
  /** Courses the call references; default none, all resolved (a listing). */
  courses?: { courses: number[]; resolved: boolean; gaps?: CourseGap[] };
  /**
   * `deferred`: the first evaluation of a call whose course facts need lookups (course rules wait);
   * `result`: the call's other references are checked on its answer (result_check). Default: the facts are final.
   */
  courseStage?: 'deferred' | 'result';
  /** Rate usage before this call; default nothing used in a 60-second window (a listing, or a call not counted). */
  usage?: PolicyInput['usage'];
  /** The decision's time (Unix milliseconds). */
  nowMs: number;
}

/** The policy input for a set of facts: the one place that knows the input's shape. */
export function buildPolicyInput(facts: InputFacts): PolicyInput {
  const { courses = { courses: [], resolved: true } } = facts;
  const input: PolicyInput = {
    action: facts.action,
    connection: facts.connection,
    client_ip: facts.clientIp,
    function: { name: facts.fn.name, access: facts.fn.access, has_course_refs: facts.fn.courseRefs.length > 0 },
    courses: courses.courses,
    courses_resolved: courses.resolved,
    usage: facts.usage ?? { window_seconds: 60, connection_calls: 0, function_calls: 0 },
    now_ns: facts.nowMs * 1_000_000,
  };
  if (courses.gaps?.length) input.unresolved = courses.gaps;
  if (facts.courseStage === 'deferred') input.courses_deferred = true;
  else if (facts.courseStage === 'result') input.result_check = true;
  return input;
}
