import type { CatalogFunction } from '../catalog/types.ts';
import type { PolicyEngine } from './engine.ts';
import { buildPolicyInput } from './input.ts';
import type { Decision, PolicyData, PolicyInput, PolicyProfile } from './types.ts';

/** An address inside the profile's first `ip_allow` entry (its network address), or 0.0.0.0 when the list is empty. */
export function representativeIp(profile: PolicyProfile | undefined): string {
  const entry = profile?.ip_allow[0];
  return entry ? entry.split('/')[0]! : '0.0.0.0';
}

/** The `tools/list` input for a profile and function: the profile's own scopes, an allowed IP, not a site admin. */
export function listInput(profileName: string, profile: PolicyProfile | undefined, fn: CatalogFunction): PolicyInput {
  return buildPolicyInput({
    action: 'tools/list',
    connection: { id: 'review', profile: profileName, scopes: profile?.scopes ?? [], auth_method: 'review', site_admin: false },
    clientIp: representativeIp(profile),
    fn,
    nowMs: 0,
  });
}

export interface Flip {
  profile: string;
  fn: CatalogFunction;
  before: Decision;
  after: Decision;
}

/** One side of a review: its policy engine, its data and, when it differs from the other side's, its catalog. */
export interface ReviewSide {
  engine: PolicyEngine;
  data: PolicyData;
  /** This side's catalog functions; default: the `functions` given to listFlips. */
  functions?: CatalogFunction[];
}

const NOT_IN_CATALOG: Decision = { allow: false, reasons: ['not in the catalog (generated/catalog.json) on this side'] };

/**
 * Every profile × function whose listing decision differs between two sides (each with its own engine, data and
 * possibly catalog: a function only one side's catalog has counts as denied on the other).
 */
export function listFlips(before: ReviewSide, after: ReviewSide, functions: CatalogFunction[]): Flip[] {
  const beforeFns = new Map((before.functions ?? functions).map((f) => [f.name, f]));
  const afterFns = new Map((after.functions ?? functions).map((f) => [f.name, f]));
  const all = [...new Map([...beforeFns, ...afterFns]).values()];
  const profiles = [...new Set([...Object.keys(before.data.profiles), ...Object.keys(after.data.profiles)])].sort();
  const decide = (side: ReviewSide, profile: string, fn: CatalogFunction | undefined) =>
    fn ? side.engine.decide(listInput(profile, side.data.profiles[profile], fn)) : NOT_IN_CATALOG;
  const flips: Flip[] = [];
  for (const profile of profiles) {
    for (const fn of all) {
      const b = decide(before, profile, beforeFns.get(fn.name));
      const a = decide(after, profile, afterFns.get(fn.name));
      if (a.allow !== b.allow) flips.push({ profile, fn: afterFns.get(fn.name) ?? fn, before: b, after: a });
    }
  }
  return flips;
}

export interface CatalogChange {
  function: string;
  change: string;
}

/**
 * What changed in the catalog between two sides (codegen, `codegen/overrides.yaml`, a new Moodle snapshot): functions
 * added or removed, access (read/write) and course references, which decide what the policy does with a function.
 */
export function catalogChanges(before: CatalogFunction[], after: CatalogFunction[]): CatalogChange[] {
  const old = new Map(before.map((f) => [f.name, f]));
  const now = new Map(after.map((f) => [f.name, f]));
  const changes: CatalogChange[] = [];
  const refs = (f: CatalogFunction) => f.courseRefs.map((r) => `${r.path}:${r.entity}`).sort().join(', ') || '(none)';
  for (const [name, fn] of now) {
    const was = old.get(name);
    if (!was) {
      changes.push({ function: name, change: `added (${fn.access})` });
      continue;
    }
    if (was.access !== fn.access) changes.push({ function: name, change: `access ${was.access} → ${fn.access}${fn.accessReason ? ` (${fn.accessReason})` : ''}` });
    if (refs(was) !== refs(fn)) changes.push({ function: name, change: `course references ${refs(was)} → ${refs(fn)}` });
  }
  for (const name of old.keys()) if (!now.has(name)) changes.push({ function: name, change: 'removed' });
  return changes.sort((a, b) => a.function.localeCompare(b.function) || a.change.localeCompare(b.change));
}

export interface FlipRow {
  profile: string;
  change: 'now allowed' | 'now denied';
  /** `all functions (759)`, `mod_forum (all 18)`, `core_course (all 40)` or a function name. */
  functions: string;
  /** The reasons that now deny (or that denied before, for "now allowed"), function names generalised. */
  reasons: string[];
}

// Review group of a function: its component, or for core functions (component `moodle`) the `core_<area>` prefix.
const groupOf = (fn: CatalogFunction) => (fn.component === 'moodle' ? fn.name.split('_').slice(0, 2).join('_') : fn.component);

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The function's name in a reason becomes `<function>` (but not inside quotes, where it is a pattern). */
const generalise = (reason: string, name: string) => reason.replace(new RegExp(`(?<!')${escape(name)}(?!')`, 'g'), '<function>');

/**
 * Groups flips for a pull request: per profile and direction, the whole catalog or a whole group (component, or
 * `core_<area>` for core) becomes one row when all of its functions flip; otherwise the flipped functions of a
 * group that share the same reasons share a row (`mod_forum (7 of 18): can_add_discussion, get_…`).
 */
export function groupFlips(flips: Flip[], functions: CatalogFunction[]): FlipRow[] {
  const groupSize = new Map<string, number>();
  for (const fn of functions) groupSize.set(groupOf(fn), (groupSize.get(groupOf(fn)) ?? 0) + 1);
  const reasonsOf = (f: Flip, generic: boolean) =>
    (f.after.allow ? f.before : f.after).reasons.map((r) => (generic ? generalise(r, f.fn.name) : r));
  const rows: FlipRow[] = [];
  const byDirection = new Map<string, Flip[]>();
  for (const flip of flips) {
    const key = `${flip.profile}\0${flip.after.allow ? 'now allowed' : 'now denied'}`;
    byDirection.set(key, [...(byDirection.get(key) ?? []), flip]);
  }
  for (const [key, group] of byDirection) {
    const [profile, change] = key.split('\0') as [string, FlipRow['change']];
    const union = (fs: Flip[]) => [...new Set(fs.flatMap((f) => reasonsOf(f, true)))];
    if (group.length === functions.length) {
      rows.push({ profile, change, functions: `all functions (${functions.length})`, reasons: union(group) });
      continue;
    }
    const byGroup = new Map<string, Flip[]>();
    for (const f of group) byGroup.set(groupOf(f.fn), [...(byGroup.get(groupOf(f.fn)) ?? []), f]);
    for (const [name, fs] of [...byGroup].sort(([a], [b]) => a.localeCompare(b))) {
      const size = groupSize.get(name) ?? fs.length;
      if (fs.length === size && size > 1) {
        rows.push({ profile, change, functions: `${name} (all ${size})`, reasons: union(fs) });
        continue;
      }
      const byReasons = new Map<string, Flip[]>();
      for (const f of fs) {
        const k = JSON.stringify(reasonsOf(f, true));
        byReasons.set(k, [...(byReasons.get(k) ?? []), f]);
      }
      for (const same of byReasons.values()) {
        same.sort((a, b) => a.fn.name.localeCompare(b.fn.name));
        if (same.length === 1) {
          rows.push({ profile, change, functions: same[0]!.fn.name, reasons: reasonsOf(same[0]!, false) });
        } else {
          const short = same.map((f) => (f.fn.name.startsWith(`${name}_`) ? f.fn.name.slice(name.length + 1) : f.fn.name));
          rows.push({ profile, change, functions: `${name} (${same.length} of ${size}): ${short.join(', ')}`, reasons: union(same) });
        }
      }
    }
  }
  return rows.sort((a, b) => a.profile.localeCompare(b.profile) || a.change.localeCompare(b.change));
}

export interface SettingChange {
  profile: string;
  setting: string;
  before: string;
  after: string;
}

const show = (v: unknown) => (v === undefined || v === null ? '—' : Array.isArray(v) ? (v.length ? v.join(', ') : '(empty)') : String(v));

/** Changes the listing can't show (mode, site-level functions, IPs, courses, rates, admin tokens), per profile. */
export function settingChanges(before: PolicyData, after: PolicyData): SettingChange[] {
  const changes: SettingChange[] = [];
  const add = (profile: string, setting: string, b: unknown, a: unknown) => {
    if (JSON.stringify(b ?? null) !== JSON.stringify(a ?? null)) changes.push({ profile, setting, before: show(b), after: show(a) });
  };
  add('(gateway)', 'mode', before.mode, after.mode);
  add('(gateway)', 'site_level_functions', before.site_level_functions, after.site_level_functions);
  const keys = ['scopes', 'ip_allow', 'courses', 'rate_per_minute', 'rate_per_function_per_minute', 'allow_site_admin'] as const;
  for (const profile of [...new Set([...Object.keys(before.profiles), ...Object.keys(after.profiles)])].sort()) {
    const b = before.profiles[profile];
    const a = after.profiles[profile];
    if (!b || !a) {
      changes.push({ profile, setting: 'profile', before: b ? 'defined' : '—', after: a ? 'defined' : '—' });
      continue;
    }
    for (const key of keys) add(profile, key, b[key], a[key]);
  }
  return changes;
}

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The Markdown report of `policy diff`. `catalog`: catalog changes and notes (e.g. overrides.yaml changed). */
export function formatDiff(ref: string, rows: FlipRow[], settings: SettingChange[], catalog: { changes: CatalogChange[]; notes: string[] } = { changes: [], notes: [] }): string {
  const out: string[] = [`### Effective permission changes: \`${ref}\` → working tree`, ''];
  const catalogSection = () => {
    if (catalog.notes.length) out.push('', ...catalog.notes.map((n) => `> ${n}`));
    if (!catalog.changes.length) return;
    const shown = catalog.changes.slice(0, 200);
    out.push('', '#### Catalog changes (generated/catalog.json from codegen and codegen/overrides.yaml)', '', '| Function | Change |', '| --- | --- |');
    for (const c of shown) out.push(`| \`${cell(c.function)}\` | ${cell(c.change)} |`);
    if (catalog.changes.length > shown.length) out.push(`| … | ${catalog.changes.length - shown.length} more |`);
  };
  if (rows.length === 0 && settings.length === 0) {
    out.push('No profile × function decision flips and no profile setting changes.');
    catalogSection();
    return out.join('\n') + '\n';
  }
  if (rows.length) {
    out.push('| Profile | Change | Functions | Reason |', '| --- | --- | --- | --- |');
    for (const r of rows) {
      const fns = r.functions.includes(' (') ? r.functions : `\`${r.functions}\``;
      out.push(`| ${cell(r.profile)} | ${r.change} | ${cell(fns)} | ${cell(r.reasons.join('; ') || '—')} |`);
    }
  } else {
    out.push('No profile × function listing decision flips.');
  }
  if (settings.length) {
    out.push('', '#### Settings that apply at call time', '', '| Profile | Setting | Before | After |', '| --- | --- | --- | --- |');
    for (const s of settings) out.push(`| ${cell(s.profile)} | ${s.setting} | ${cell(s.before)} | ${cell(s.after)} |`);
  }
  catalogSection();
  return out.join('\n') + '\n';
}
