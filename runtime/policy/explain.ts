import type { CatalogFunction } from '../catalog/types.ts';
import { createCourseResolver } from './courses.ts';
import { PolicyError } from './errors.ts';
import { buildPolicyInput } from './input.ts';
import { representativeIp } from './review.ts';
import type { Decision, PolicyData, PolicyInput } from './types.ts';

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
}

/**
 * Builds the policy input of an imagined call exactly as the gateway would (offline: course ids are read from the
 * arguments; cm and instance ids would need Moodle lookups, so pass `courses` for them) and asks `decide`.
 */
export async function explainDecision(
  req: ExplainRequest,
  o: { data: PolicyData; getFunction(name: string): CatalogFunction | undefined; decide(input: PolicyInput): Decision; windowSeconds: number; nowMs?: number },
): Promise<Explanation> {
  if (!req.profile) throw new ExplainInputError('profile', 'is required');
  if (!req.function) throw new ExplainInputError('function', 'is required');
  const fn = o.getFunction(req.function);
  if (!fn) throw new ExplainInputError('function', `${req.function} is not in the catalog (generated/catalog.json)`);
  const args = req.args ?? {};
  if (!args || typeof args !== 'object' || Array.isArray(args)) throw new ExplainInputError('args', 'must be a JSON object');
  const profile = o.data.profiles[req.profile];

  const notes: string[] = [];
  let courses: number[] = [];
  let resolved = true;
  if (req.courses !== undefined) courses = req.courses;
  else if (fn.courseRefs.length) {
    const resolver = createCourseResolver({
      callMoodle: async () => {
        throw new PolicyError('no Moodle lookups in explain');
      },
    });
    const r = await resolver.resolve(fn, args, 'explain');
    courses = r.courses;
    resolved = r.resolved;
    if (r.unresolved) notes.push(`unresolved course references: ${r.unresolved.join(', ')} (pass the courses to say which courses they are in)`);
  }
  const scopes = req.scopes ?? [...(profile?.scopes ?? [])];
  const input = buildPolicyInput({
    action: req.list ? 'tools/list' : 'tools/call',
    connection: { id: 'explain', profile: req.profile, scopes, auth_method: 'explain', site_admin: Boolean(req.siteAdmin) },
    clientIp: req.ip || representativeIp(profile),
    fn,
    courses: { courses, resolved },
    usage: { window_seconds: o.windowSeconds, connection_calls: req.calls ?? 0, function_calls: req.functionCalls ?? 0 },
    nowMs: o.nowMs ?? Date.now(),
  });
  return { fn, input, decision: o.decide(input), courses, resolved, scopes, notes };
}
