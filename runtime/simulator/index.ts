/**
 * The Moodle simulator: a TEST DOUBLE that speaks Moodle 4.5's REST protocol (`/webservice/rest/server.php`)
 * and `login/token.php` the way the recorded exchanges in runtime/simulator/data/ show. It answers
 * recorded calls with the recorded answers, some others from the seeded site data, and the rest with
 * minimal well-formed answers built from the function descriptions. It is not Moodle.
 *
 * Use `createSimulator().fetch` in-process (pass it as the Moodle client's `fetch`) or `startSimulator()`
 * for a real HTTP server.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { decodeForm } from '../moodle/form.ts';
import { loadSimulatorData, simulatorTokens, SIMULATOR_PASSWORD, SIMULATOR_SERVICE } from './data.ts';
import { FaultQueue, hugeBody, type Fault, type FaultRule } from './faults.ts';
import { indexRecorded } from './recorded.ts';
import { handleRest, type RestContext, type SimResponse } from './rest.ts';
import { createDemoAnswers } from './demo-answers.ts';
import { createSiteAnswers, type SiteAnswer } from './site-answers.ts';
import { handleTokenLogin } from './token-endpoint.ts';
import { createWorld } from './world.ts';
import { createResolverPlugin, RESOLVER_FUNCTION } from './course-resolver.ts';
import { createFileAnswers } from './file-answers.ts';
import { createFileStore, type FileStore } from './file-store.ts';
import { browserPluginfile, handlePluginfile } from './pluginfile.ts';
import { handleUpload } from './upload.ts';
import { createConnectPlugin, type ConnectPluginOptions, type SimConnectPlugin } from './connect-plugin.ts';

export { simulatorTokens, simulatorToken, simulatorPrivateAccessKey, simulatorRoles, SIMULATOR_PASSWORD, SIMULATOR_SERVICE } from './data.ts';
export type { SimulatorRole } from './data.ts';
export type { Fault, FaultRule, FaultEndpoint } from './faults.ts';
export type { ConnectPluginOptions, SimConnectPlugin } from './connect-plugin.ts';

export interface SimulatorOptions {
  /** Put the reason of each error in `debuginfo` (Moodle with debugging on). Default false, like the recording. */
  debug?: boolean;
  /** Largest accepted request body. Default 8 MiB (bigger → HTTP 413). */
  maxRequestBytes?: number;
  /**
   * The site has the local_moodlemcp plugin and its resolver `local_moodlemcp_resolve_courses` in the service:
   * the function is answered (from data/entities-4.5.6.json and the site data) and listed in site info's `functions`.
   * Default false, like the recorded site.
   */
  resolverPlugin?: boolean;
  /**
   * The site's largest upload (Moodle's maxbytes, site info's `usermaxuploadfilesize` for every user but the admin).
   * A larger file sent to webservice/upload.php gets a `fileoversized` entry. Default 64 MiB, as recorded.
   */
  maxUploadBytes?: number;
  /** PHP post_max_size: a larger upload request loses its fields (`missingparam`). Default 64 MiB, as recorded. */
  postMaxBytes?: number;
  /**
   * The site URL (Moodle's wwwroot) the answers carry: site info's `siteurl`, file URLs, module URLs. Default the
   * recorded one, `http://127.0.0.1:8080`. Clients that follow the URLs it answers (a gateway reads files only from
   * its configured site) need the URL they reach it at: give it, or `'request'` for the origin of each request.
   */
  siteUrl?: string;
  /**
   * The site has local_moodlemcp's connect flow ("Sign in with Moodle"): connectinfo.php, connect.php, redeem.php and
   * revoke.php (connect-plugin.ts). Default: absent (those paths answer 404, like a site without the plugin).
   */
  connectPlugin?: ConnectPluginOptions;
}

export interface Simulator {
  /** Answers one request like the Moodle site would (the in-process transport). */
  fetch(request: Request): Promise<Response>;
  /** username → simulator token of every seeded user. */
  tokens: Readonly<Record<string, string>>;
  /** The demo password of every seeded user. */
  password: string;
  /** The service short name `login/token.php` accepts. */
  service: string;
  /** Applies a fault to the next request(s). */
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  /** Requests seen so far, by endpoint (faulted ones included). */
  readonly stats: { rest: number; token: number; files: number; other: number };
  /** The connect flow of local_moodlemcp, when `connectPlugin` was given. */
  readonly connect?: SimConnectPlugin;
}

/** A fetch failure shaped like undici's ("fetch failed" with a socket error as cause). */
function droppedConnection(): TypeError {
  const cause = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
  return new TypeError('fetch failed', { cause });
}

const DROP = Symbol('drop');
const DEFAULT_MAX_REQUEST_BYTES = 8 * 1024 * 1024;
/** usermaxuploadfilesize and PHP post_max_size of the recorded site (64 MiB). */
const RECORDED_UPLOAD_BYTES = 67108864;
const WS_PLUGINFILE = '/webservice/pluginfile.php';
const RAW = Symbol('raw');
/** The wwwroot of the recorded site, in every recorded answer and the seeded data. */
const RECORDED_SITE_URL = 'http://127.0.0.1:8080';

/** Creates an in-process simulator over the bundled Moodle 4.5.6 data. */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const data = loadSimulatorData();
  const world = createWorld(data);
  const files = createFileStore(world);
  const uploadLimits = { maxFileBytes: options.maxUploadBytes ?? RECORDED_UPLOAD_BYTES, postMaxBytes: options.postMaxBytes ?? RECORDED_UPLOAD_BYTES };
  const siteAnswers = new Map([...createSiteAnswers(data, world), ...createDemoAnswers(data, world)]);
  for (const [fn, answer] of createFileAnswers(data, world, files, siteAnswers)) siteAnswers.set(fn, answer);
  siteAnswers.set(SITE_INFO, withUploadLimits(siteAnswers.get(SITE_INFO)!, uploadLimits.maxFileBytes));
  const ctx: RestContext = {
    data,
    world,
    recorded: indexRecorded(data),
    siteAnswers,
    extraFunctions: [],
    debug: options.debug ?? false,
    skipRecorded: (fn, params, user) => recordedAnswerIsStale(files, uploadLimits.maxFileBytes, fn, params, user.id),
  };
  if (options.resolverPlugin) addResolverPlugin(ctx);
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const faults = new FaultQueue();
  const stats = { rest: 0, token: 0, files: 0, other: 0 };
  const siteUrl = options.siteUrl === 'request' ? 'request' : (options.siteUrl ?? RECORDED_SITE_URL).replace(/\/+$/, '');
  const connect = options.connectPlugin && createConnectPlugin(world, options.connectPlugin);

  async function respond(request: Request): Promise<Response | typeof DROP> {
    const url = new URL(request.url);
    const endpoint = endpointOf(url.pathname);
    stats[endpoint] += 1;
    const fault = faults.take(endpoint);
    if (fault) {
      const outcome = await applyFault(fault, request.signal);
      if (outcome) return outcome;
    }
    if (endpoint === 'files') {
      if (url.pathname.endsWith('/webservice/upload.php')) return handleUpload(request, world, files, uploadLimits);
      const at = url.pathname.indexOf(WS_PLUGINFILE);
      return handlePluginfile(request, url.pathname.slice(at + WS_PLUGINFILE.length), world, files);
    }
    if (url.pathname.startsWith('/pluginfile.php')) return browserPluginfile(request);
    const plugin = endpoint === 'other' ? await connect?.handle(request, url) : undefined;
    if (plugin) return plugin;
    if (endpoint === 'other') return new Response('Not found (Moodle simulator)', { status: 404, headers: { 'content-type': 'text/plain' } });
    if (request.method !== 'POST' && request.method !== 'GET') return new Response(null, { status: 405, headers: { allow: 'GET, POST' } });
    const body = request.method === 'POST' ? await request.text() : '';
    if (Buffer.byteLength(body) > maxRequestBytes) return new Response('Request body too large', { status: 413 });
    // PHP's array_merge($_GET, $_POST): the body wins over the query string.
    const decoded = { ...decodeForm(url.searchParams), ...decodeForm(body) };
    const answer: SimResponse = endpoint === 'rest' ? handleRest(ctx, decoded) : handleTokenLogin(world, decoded);
    const wwwroot = siteUrl === 'request' ? url.origin : siteUrl;
    if (wwwroot !== RECORDED_SITE_URL) answer.body = answer.body.replaceAll(RECORDED_SITE_URL, wwwroot);
    return new Response(answer.body, { status: answer.status, headers: { 'content-type': answer.contentType } });
  }

  return {
    async fetch(request) {
      const response = await respond(request);
      if (response === DROP) throw droppedConnection();
      return response;
    },
    tokens: simulatorTokens,
    password: SIMULATOR_PASSWORD,
    service: SIMULATOR_SERVICE,
    injectFault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    stats,
    connect,
    // Used by startSimulator to close the socket on `drop`.
    [RAW]: respond,
  } as Simulator;
}

function endpointOf(pathname: string): 'rest' | 'token' | 'files' | 'other' {
  if (pathname.endsWith('/webservice/rest/server.php')) return 'rest';
  if (pathname.endsWith('/login/token.php')) return 'token';
  if (pathname.endsWith('/webservice/upload.php') || pathname.includes(`${WS_PLUGINFILE}`)) return 'files';
  return 'other';
}

const SITE_INFO = 'core_webservice_get_site_info';

/** Site info's upload limits as recorded: the admin -1 (no limit) and quota 0, everyone else the site's maxbytes. */
function withUploadLimits(siteInfo: SiteAnswer, maxUploadBytes: number): SiteAnswer {
  return (params, user) => {
    const info = siteInfo(params, user) as Record<string, unknown>;
    return user.isAdmin ? { ...info, usermaxuploadfilesize: -1, userquota: 0 } : { ...info, usermaxuploadfilesize: maxUploadBytes };
  };
}

/**
 * A recorded answer no longer holds when the simulator's state changed it: a submission saved with files, or site
 * info under an upload limit other than the recorded one.
 */
function recordedAnswerIsStale(files: FileStore, maxUploadBytes: number, fn: string, params: Record<string, unknown>, userid: number): boolean {
  if (fn === SITE_INFO) return maxUploadBytes !== RECORDED_UPLOAD_BYTES;
  if (fn === 'mod_assign_get_submission_status') return !!files.submission(params.assignid as number, (params.userid as number | undefined) || userid);
  if (fn === 'mod_assign_save_submission') return (params.plugindata as { files_filemanager?: number } | undefined)?.files_filemanager !== undefined;
  return false;
}

/** Installs the local_moodlemcp resolver in this simulator: its description, its answers, its site-info entry. */
function addResolverPlugin(ctx: RestContext): void {
  const plugin = createResolverPlugin(ctx.world, ctx.data.site);
  ctx.data = { ...ctx.data, functions: new Map(ctx.data.functions).set(RESOLVER_FUNCTION, plugin.description) };
  ctx.siteAnswers = new Map(ctx.siteAnswers).set(RESOLVER_FUNCTION, (params, user) => plugin.answer(params, user));
  ctx.extraFunctions = [{ name: RESOLVER_FUNCTION, version: plugin.version }];
}

async function applyFault(fault: Fault, signal: AbortSignal): Promise<Response | typeof DROP | undefined> {
  if (fault.kind === 'drop') return DROP;
  if (fault.kind === 'status') return new Response(fault.body ?? `HTTP ${fault.status} (injected by the Moodle simulator)`, { status: fault.status });
  if (fault.kind === 'huge') {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (fault.declareLength) headers['content-length'] = String(fault.bytes);
    return new Response(hugeBody(fault.bytes), { status: 200, headers });
  }
  // Rejects with the signal's reason, as fetch does when its request is aborted.
  await delay(fault.ms, undefined, { signal }).catch((error) => {
    throw signal.aborted ? signal.reason : error;
  });
  return undefined;
}

export interface RunningSimulator {
  /** Base URL, e.g. `http://127.0.0.1:8081` (use it as the Moodle URL). */
  url: string;
  /** TCP connections accepted so far (shows whether clients keep connections alive). */
  connections(): number;
  simulator: Simulator;
  close(): Promise<void>;
}

/** Serves a simulator over HTTP (node:http, keep-alive). Port 0 (the default) picks a free port. */
export async function startSimulator(options: SimulatorOptions & { port?: number; host?: string; simulator?: Simulator } = {}): Promise<RunningSimulator> {
  const simulator = options.simulator ?? createSimulator(options);
  const respond = (simulator as unknown as Record<symbol, (r: Request) => Promise<Response | typeof DROP>>)[RAW];
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    // Uploads may be as large as PHP's post_max_size (plus the multipart framing); other requests maxRequestBytes.
    const isUpload = (req.url ?? '').split('?')[0]!.endsWith('/webservice/upload.php');
    const limit = isUpload
      ? Math.max(options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES, (options.postMaxBytes ?? RECORDED_UPLOAD_BYTES) + 1024 * 1024)
      : (options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES);
    serveOne(req, res, host, limit, respond).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${hostInUrl}:${port}`,
    simulator,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serveOne(
  req: IncomingMessage,
  res: ServerResponse,
  host: string,
  maxRequestBytes: number,
  respond: (r: Request) => Promise<Response | typeof DROP>,
) {
  const controller = new AbortController();
  res.on('close', () => controller.abort());
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength;
    if (size > maxRequestBytes) {
      res.writeHead(413, { connection: 'close', 'content-type': 'text/plain' }).end('Request body too large');
      req.destroy();
      return;
    }
    chunks.push(chunk as Buffer);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const request = new Request(new URL(req.url ?? '/', `http://${req.headers.host ?? host}`), {
    method: req.method,
    headers: Object.entries(req.headers).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x] as [string, string]) : v === undefined ? [] : [[k, v] as [string, string]])),
    body: hasBody ? Buffer.concat(chunks) : undefined,
    signal: controller.signal,
  });
  const response = await respond(request).catch((error) => {
    if (controller.signal.aborted) return undefined;
    throw error;
  });
  if (!response) return;
  if (response === DROP) {
    req.socket.destroy();
    return;
  }
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (!response.body) return void res.end();
  const stream = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
  res.on('close', () => stream.destroy());
}
