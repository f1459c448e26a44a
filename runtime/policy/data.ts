import { PolicyError } from './errors.ts';
import type { PolicyData, PolicyProfile } from './types.ts';

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isOptionalCount = (v: unknown) => v === undefined || v === null || (Number.isInteger(v) && (v as number) >= 0);

function checkProfile(name: string, p: unknown): PolicyProfile {
  const where = `policy data profiles.${name}`;
  if (!p || typeof p !== 'object' || Array.isArray(p)) throw new PolicyError(`${where}: must be an object`);
  const profile = p as Record<string, unknown>;
  for (const key of ['scopes', 'ip_allow', 'allow', 'deny'] as const) {
    if (!isStringList(profile[key])) throw new PolicyError(`${where}.${key}: must be a list of strings`);
  }
  const courses = profile.courses;
  if (courses !== undefined && courses !== null && !(Array.isArray(courses) && courses.every((c) => Number.isInteger(c)))) {
    throw new PolicyError(`${where}.courses: must be a list of course ids (integers) or absent`);
  }
  for (const key of ['rate_per_minute', 'rate_per_function_per_minute'] as const) {
    if (!isOptionalCount(profile[key])) throw new PolicyError(`${where}.${key}: must be a non-negative integer or absent`);
  }
  if (typeof profile.allow_site_admin !== 'boolean') throw new PolicyError(`${where}.allow_site_admin: must be a boolean`);
  return profile as unknown as PolicyProfile;
}

/** Checks the shape of the policy `data` document; throws PolicyError naming the field. Returns it unchanged. */
export function validatePolicyData(data: unknown): PolicyData {
  if (!data || typeof data !== 'object') throw new PolicyError('policy data: must be an object');
  const d = data as Record<string, unknown>;
  if (d.mode !== 'read-only' && d.mode !== 'read-write') {
    throw new PolicyError(`policy data mode: must be read-only or read-write, got ${JSON.stringify(d.mode)}`);
  }
  if (!d.profiles || typeof d.profiles !== 'object' || Array.isArray(d.profiles)) {
    throw new PolicyError('policy data profiles: must be an object of profiles');
  }
  for (const [name, p] of Object.entries(d.profiles)) checkProfile(name, p);
  if (!isStringList(d.site_level_functions)) throw new PolicyError('policy data site_level_functions: must be a list of strings');
  return data as PolicyData;
}
