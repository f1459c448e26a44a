/**
 * `/webservice/rest/server.php` as Moodle 4.5 answers it, in Moodle's order: token → function name →
 * function → parameter validation → recorded answer | access checks → site-data answer | synthesised answer.
 * Errors are HTTP 200 with `{exception, errorcode, message}` (JSON) or `<EXCEPTION>` (XML).
 */
import type { PhpFormValue } from '../moodle/form.ts';
import type { SimulatorData } from './data.ts';
import { checkAccess } from './access.ts';
import { invalidParameter, invalidToken, missingRecord, SimulatorError } from './errors.ts';
import { recordedJson, recordedXml, type RecordedIndex } from './recorded.ts';
import { restControlKeys } from './rest-params.ts';
import type { SiteAnswer } from './site-answers.ts';
import { synthesize } from './synthesize.ts';
import { validateParameters } from './validate.ts';
import type { SimUser, World } from './world.ts';
import { xmlError, xmlResponse } from './xml.ts';

export interface SimResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface RestContext {
  data: SimulatorData;
  world: World;
  recorded: RecordedIndex;
  siteAnswers: Map<string, SiteAnswer>;
  /** Functions of installed plugins, listed after the recorded ones in site info's `functions` (as Moodle appends them). */
  extraFunctions: Array<{ name: string; version: string }>;
  /** Add `debuginfo` (why) to errors; the recorded site had debugging off, so the default is false. */
  debug: boolean;
  /** Calls whose recorded answer no longer holds (the simulator's state or options changed what Moodle would answer). */
  skipRecorded?: (fn: string, params: Record<string, unknown>, user: SimUser) => boolean;
}

const JSON_TYPE = 'application/json';
const XML_TYPE = 'application/xml; charset=utf-8';

/** Answers one REST request given its decoded (GET and POST merged) form. */
export function handleRest(ctx: RestContext, decoded: Record<string, PhpFormValue>): SimResponse {
  const { token, fn, format, params } = restControlKeys(decoded);
  try {
    const user = token ? ctx.world.userByToken(token) : undefined;
    if (!user) throw invalidToken();
    if (!fn) throw invalidParameter('missing wsfunction');
    const desc = ctx.data.functions.get(fn);
    if (!desc) throw missingRecord('external_functions');
    const validated = validateParameters(desc.parameters, params);
    const recorded = ctx.skipRecorded?.(fn, validated, user)
      ? undefined
      : (ctx.recorded.find(fn, user.id, format, validated) ?? (format === 'xml' ? ctx.recorded.find(fn, user.id, 'json', validated) : undefined));
    if (recorded?.exchange.is_error && recorded.exchange.response_json) {
      const e = recorded.exchange.response_json as { exception: string; errorcode: string; message: string };
      throw new SimulatorError(e.errorcode, e.message, e.exception, `recorded exchange ${recorded.exchange.id}`);
    }
    const listsPlugins = fn === SITE_INFO && ctx.extraFunctions.length > 0;
    if (recorded && recorded.format === format && format === 'xml' && !listsPlugins) return xml(recordedXml(recorded.exchange, user.username));
    let value = recorded ? recordedJson(recorded.exchange, user.username) : answer(ctx, fn, validated, user);
    if (listsPlugins) value = withFunctions(value, ctx.extraFunctions);
    return format === 'json' ? json(value) : xml(xmlResponse(value, desc.returns));
  } catch (error) {
    if (!(error instanceof SimulatorError)) throw error;
    const body = { exception: error.exception, errorcode: error.errorcode, message: error.message, ...(ctx.debug && error.detail ? { debuginfo: error.detail } : {}) };
    return format === 'json' ? json(body) : xml(xmlError(body));
  }
}

function answer(ctx: RestContext, fn: string, params: Record<string, unknown>, user: SimUser): unknown {
  checkAccess(ctx.world, user, fn, params);
  const fromSite = ctx.siteAnswers.get(fn);
  if (fromSite) return fromSite(params, user);
  return withCourseWarnings(ctx.world, user, params, synthesize(ctx.data.functions.get(fn)!.returns));
}

/**
 * Functions taking a `courseids` list do not fail for courses the user cannot reach (Moodle's
 * external_util::validate_courses): they report each one under `warnings`, when the answer has them.
 */
function withCourseWarnings(world: World, user: SimUser, params: Record<string, unknown>, value: unknown): unknown {
  const warnings = (value as { warnings?: unknown } | null)?.warnings;
  if (!Array.isArray(params.courseids) || !Array.isArray(warnings)) return value;
  for (const id of params.courseids as number[]) {
    const course = world.courseById(id);
    if (!course || !world.canAccessCourse(user, course)) {
      warnings.push({ item: 'course', itemid: id, warningcode: '1', message: 'No access rights in course context' });
    }
  }
  return value;
}

const SITE_INFO = 'core_webservice_get_site_info';

/** Site info with the plugins' functions appended to its `functions` list. */
function withFunctions(value: unknown, extra: Array<{ name: string; version: string }>): unknown {
  const info = value as { functions?: Array<{ name: string; version: string }> };
  return { ...info, functions: [...(info.functions ?? []), ...extra] };
}

const json = (value: unknown): SimResponse => ({ status: 200, contentType: JSON_TYPE, body: JSON.stringify(value) });
const xml = (body: string): SimResponse => ({ status: 200, contentType: XML_TYPE, body });
