import type { CatalogFunction } from '../catalog/types.ts';
import { createCourseResolver, type CallMoodle, type CourseFact } from './courses.ts';
import { PolicyError } from './errors.ts';
import { buildPolicyInput } from './input.ts';
import { representativeIp } from './review.ts';
import type { CourseGap, Decision, PolicyData, PolicyInput } from './types.ts';

/** What to explain: a profile, a function and the facts of an imagined call (`policy explain`, the console's form). */
export interface ExplainRequest {
  profile: string;
  function: string;
  args?: Record<string, unknown>;
  /** Default: the profile's first allowed IP (or 0.0.0.0). */
  ip?: string;
  /** Course ids; default: those the arguments name (no Moodle lookups). */
  courses?: number[];
  /** Default: the profile's scopes. */
  scopes?: string[];
  siteAdmin?: boolean;
  list?: boolean;
  calls?: number;
  functionCalls?: number;
  /** Offline: assume the site enables the local_moodlemcp resolver (with `moodle`, its site info says). */
  resolver?: boolean;
}

/** Moodle to look references up in, as the gateway would: the caller's token, and whether the site enables the resolver. */
export interface ExplainMoodle {
  token: string;
  callMoodle: CallMoodle;
  resolver: boolean;
}

/** A bad field of an ExplainRequest (`field` names it as the CLI option / form field). */
export class ExplainInputError extends PolicyError {
  override name = 'ExplainInputError';
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

export interface Explanation {
  fn: CatalogFunction;
  input: PolicyInput;
  decision: Decision;
  courses: number[];
  resolved: boolean;
  scopes: string[];
  /** Unresolved course references and similar remarks (English, for administrators). */
  notes: string[];
  /** Each course reference of the call: where it is, its id, how it was mapped and its course. */
  facts: CourseFact[];
}

/**
 * Builds the policy input of an imagined call exactly as the gateway would and asks `decide`. Course ids are read from
 * the arguments; other references are looked up with `o.moodle` when given, and count as unresolved otherwise (pass
 * `courses` to say which courses they are in).
 */
export async function explainDecision(
  req: ExplainRequest,
  o: { data: PolicyData; getFunction(name: string): CatalogFunction | undefined; decide(input: PolicyInput): Decision; windowSeconds: number; nowMs?: number; moodle?: ExplainMoodle },
): Promise<Explanation> {
  if (!req.profile) throw new ExplainInputError('profile', 'is required');
  if (!req.function) throw new ExplainInputError('function', 'is required');
  const fn = o.getFunction(req.function);
  if (!fn) throw new ExplainInputError('function', `${req.function} is not in the catalog (generated/catalog.json)`);
  const args = req.args ?? {};
  if (!args || typeof args !== 'object' || Array.isArray(args)) throw new ExplainInputError('args', 'must be a JSON object');
  const profile = o.data.profiles[req.profile];

  const notes: string[] = [];
  let facts: CourseFact[] = [];
  let courseFacts: { courses: number[]; resolved: boolean; gaps?: CourseGap[] } = { courses: [], resolved: true };
  let courseStage: 'result' | undefined;
  if (req.courses !== undefined) courseFacts = { courses: req.courses, resolved: true };
  else if (fn.courseRefs.length) {
    const resolver = createCourseResolver({
      callMoodle:
        o.moodle?.callMoodle ??
        (async () => {
          throw new PolicyError('no Moodle lookups in explain');
        }),
    });
    const plan = resolver.plan(fn, args, { resolver: o.moodle?.resolver ?? Boolean(req.resolver) });
    let r = plan.resolution;
    if (plan.pending && o.moodle) r = await resolver.resolve(plan, o.moodle.token);
    else if (plan.pending) {
      // Offline: what a lookup would map counts as unresolved (the gateway would deny it if the lookup failed).
      const waiting = r.facts.filter((f) => f.outcome === 'pending');
      const gaps = new Map(r.gaps.map((g) => [`${g.entity}|${g.why}`, g]));
      for (const f of waiting) gaps.set(`${f.entity}|unknown`, { entity: f.entity, why: 'unknown' });
      r = { ...r, resolved: false, gaps: [...gaps.values()] };
      notes.push(
        `unresolved course references: ${[...new Set(waiting.map((f) => `${f.path} (${f.entity})`))].join(', ')} (look them up in Moodle with a token, or pass the courses to say which courses they are in)`,
      );
    }
    if (r.resultCheck) {
      courseStage = 'result';
      notes.push('some references are checked on the answer: the call is decided once more with the courses the answer names');
    }
    if (r.lookups) notes.push(`${r.lookups} Moodle lookup(s) made (they count toward the connection's rate budget)`);
    courseFacts = r;
    facts = r.facts;
  }
  const { courses, resolved } = courseFacts;
  const scopes = req.scopes ?? [...(profile?.scopes ?? [])];
  const input = buildPolicyInput({
    action: req.list ? 'tools/list' : 'tools/call',
    connection: { id: 'explain', profile: req.profile, scopes, auth_method: 'explain', site_admin: Boolean(req.siteAdmin) },
    clientIp: req.ip || representativeIp(profile),
    fn,
    courses: courseFacts,
    courseStage,
    usage: { window_seconds: o.windowSeconds, connection_calls: req.calls ?? 0, function_calls: req.functionCalls ?? 0 },
    nowMs: o.nowMs ?? Date.now(),
  });
  return { fn, input, decision: o.decide(input), courses, resolved, scopes, notes, facts };
}
