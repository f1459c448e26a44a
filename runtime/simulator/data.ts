/**
 * The recorded Moodle 4.5.6 data the simulator answers from: function descriptions (the codegen snapshot),
 * the recorded exchanges and the seeded site (copies of ../shared/moodle kept in runtime/simulator/data/),
 * and the simulator's deterministic demo credentials.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FunctionDescription, FunctionsFile } from './descriptions.ts';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The function descriptions: the bundled codegen snapshot. */
export const FUNCTIONS_PATH = here('../../codegen/sources/snapshot/functions-4.5.6.json');
export const EXCHANGES_PATH = here('./data/exchanges-4.5.6.json');
export const SITE_PATH = here('./data/site-4.5.6.json');

/**
 * The password of every seeded user in the simulator (admin included). A demo constant of the test double,
 * never a real credential.
 */
export const SIMULATOR_PASSWORD = 'sim-password';

/** The simulator's service short name (the recorded site's service). */
export const SIMULATOR_SERVICE = 'mcp';

export interface Exchange {
  id: number;
  title: string;
  category: 'read' | 'write' | 'error' | 'xml' | 'token';
  function: string | null;
  token_role: string | null;
  token_user: string | null;
  http_method: string;
  path: string;
  request_content_type: string;
  request_body: string;
  request_params: [string, string][];
  http_status: number;
  response_content_type: string;
  response_json?: unknown;
  response_text?: string;
  is_error: boolean;
  notes?: string;
}

export interface ExchangesFile {
  format: string;
  roles: Record<string, { username: string; userid: number; fullname: string }>;
  exchanges: Exchange[];
}

export interface SiteCourse {
  id: number;
  shortname: string;
  fullname: string;
  category: number;
  modules: { cmid: number; modname: string; instance: number; name: string }[];
  forums: { id: number; type: string; name: string; discussions: { id: number; name: string; firstpost: number; userid: number }[] }[];
  enrolled: number[];
}

export interface SiteFile {
  format: string;
  moodle_release: string;
  base_url: string;
  token_roles: Record<string, { username: string; userid: number; fullname: string }>;
  categories: { id: number; name: string; idnumber: string | null; parent: number }[];
  courses: Record<string, SiteCourse>;
  groups: { id: number; courseid: number; name: string }[];
  roles: Record<string, number>;
  users: Record<string, { id: number; name: string; email: string }>;
}

export interface SimulatorData {
  functions: Map<string, FunctionDescription>;
  functionsFile: FunctionsFile;
  exchanges: ExchangesFile;
  site: SiteFile;
}

let cached: SimulatorData | undefined;
let cachedSite: SiteFile | undefined;

/** The seeded site, parsed once per process (the demo tokens below need it at import time). */
function seededSite(): SiteFile {
  cachedSite ??= JSON.parse(readFileSync(SITE_PATH, 'utf8')) as SiteFile;
  return cachedSite;
}

/** Loads (once per process) the descriptions, exchanges and site data. */
export function loadSimulatorData(): SimulatorData {
  if (cached) return cached;
  const functionsFile = JSON.parse(readFileSync(FUNCTIONS_PATH, 'utf8')) as FunctionsFile;
  cached = {
    functionsFile,
    functions: new Map(functionsFile.functions.map((f) => [f.name, f])),
    exchanges: JSON.parse(readFileSync(EXCHANGES_PATH, 'utf8')) as ExchangesFile,
    site: seededSite(),
  };
  return cached;
}

/** The simulator token of a seeded user: the first 32 hex digits of sha256("moodle-mcp-simulator:token:<username>"). */
export function simulatorToken(username: string): string {
  return createHash('sha256').update(`moodle-mcp-simulator:token:${username}`).digest('hex').slice(0, 32);
}

/** The simulator's `userprivateaccesskey` of a user (same derivation, other label). */
export function simulatorPrivateAccessKey(username: string): string {
  return createHash('sha256').update(`moodle-mcp-simulator:privatekey:${username}`).digest('hex').slice(0, 32);
}

/** Simulator tokens of every seeded user (username → token), deterministic across runs and machines. */
export const simulatorTokens: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(Object.keys(seededSite().users).map((u) => [u, simulatorToken(u)])),
);

export interface SimulatorRole {
  username: string;
  userid: number;
  fullname: string;
  token: string;
}

/**
 * The recorded roles (site-4.5.6.json token_roles) with their simulator tokens: `admin` (site admin), `manager`
 * (mokafor, system Manager), `teacher` (dlindqvist), `teacher2` (praman), `student` (emma.johansson), `student2` (liam.oconnor).
 */
export const simulatorRoles: Readonly<Record<string, SimulatorRole>> = Object.freeze(
  Object.fromEntries(Object.entries(seededSite().token_roles).map(([role, u]) => [role, { ...u, token: simulatorToken(u.username) }])),
);
