import { resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import type { Audit, createAudit } from '../audit/logger.ts';
import type { AuditRecord } from '../audit/types.ts';
import { AuthError } from '../auth/errors.ts';
import { createGatewayAuth, type GatewayAuth } from '../auth/gateway.ts';
import type { Connection } from '../auth/types.ts';
import { loadCatalog, type LoadedCatalog } from '../catalog/index.ts';
import { policyDataFromConfig, type GatewayConfig } from '../config/index.ts';
import { Drain } from '../http/drain.ts';
import { hostPolicy } from '../http/guards.ts';
import { createHttpApp } from '../http/app.ts';
import { McpSessions, type SessionStats } from '../http/sessions.ts';
import type { CallContext } from '../mcp/context.ts';
import { createMcpServer, type McpServerDeps } from '../mcp/server.ts';
import { ToolRegistry } from '../mcp/tools.ts';
import { createMoodleClient, type FetchLike, type MoodleClient } from '../moodle/index.ts';
import { SiteDirectory } from '../moodle/site-identity.ts';
import { SiteFunctionSets } from '../moodle/site-functions.ts';
import { createAdminConsole } from '../admin/console.ts';
import { fileSinkPath } from '../audit/cli-support.ts';
import { derivedKey } from '../auth/oauth/cookies.ts';
import { hashApiKey } from '../auth/crypto.ts';
import { createCourseResolver } from '../policy/courses.ts';
import { loadPolicyEngine, type PolicyEngine } from '../policy/engine.ts';
import { createRateLimiter } from '../policy/rate-limit.ts';
import { createSimulator } from '../simulator/index.ts';
import { isolatedExtractText } from '../files/extract-isolated.ts';
import { createFileService } from '../files/service.ts';
import { FILE_FUNCTIONS, FILE_TOOL_DEFINITIONS } from '../files/tools.ts';
import { createMoodleFiles } from '../moodle/files.ts';
import { simulatorRoles } from '../simulator/data.ts';
import { createGatewayAudit, sessionRecord } from './audit.ts';
import { GatewayAuthError } from './errors.ts';
import { createIdentifier } from './identify.ts';
import { revokeConnection } from '../auth/revoke.ts';
import { createPipelineDeps } from './pipeline-deps.ts';
import { siteFunctionsNotice, siteLacks } from './site-check.ts';
import { createStepUp } from './step-up.ts';
import { createValidator } from './validate.ts';
import { metricsResponse, type MetricsAccess } from '../metrics/endpoint.ts';
import { instrumentMoodle, observedAudit, timedDecide } from '../metrics/instrument.ts';
import { createGatewayMetrics, routeLabel, type GatewayMetrics } from '../metrics/registry.ts';

export interface GatewayOptions {
  config: GatewayConfig;
  /** Base directory for relative paths in the config (policy files, data dir). Default: the working directory. */
  baseDir?: string;
  log?: Logger;
  env?: NodeJS.ProcessEnv;
  /**
   * stdio mode: one local caller whose Moodle token comes from the environment. The audit's stdout sink goes to
   * stderr (stdout carries MCP), and no auth is set up (no store, no encryption key, no OAuth): the HTTP app refuses.
   */
  stdio?: boolean;
  /** Replaces the transport to Moodle (tests). */
  moodleFetch?: FetchLike;
  /** Extra audit writers (tests). */
  auditWriters?: Parameters<typeof createAudit>[0]['writers'];
  /** Clock of the call pipeline (durations, audit timestamps, rate-limit windows), in ms. Default: Date.now (tests). */
  now?: () => number;
}

export interface Gateway {
  readonly config: GatewayConfig;
  /** True when no Moodle URL is configured and the built-in simulator (a test double) answers instead. */
  readonly simulated: boolean;
  readonly moodleUrl: string;
  /** The site's release as last seen in a site-info answer (kept in the store across restarts), if any. */
  siteRelease(): string | undefined;
  readonly catalog: LoadedCatalog;
  readonly policy: PolicyEngine;
  readonly audit: Audit;
  readonly registry: ToolRegistry;
  readonly drain: Drain;
  /** The h3 app (`app.fetch` for srvx, `app.request` in tests). */
  readonly app: ReturnType<typeof createHttpApp>;
  /** MCP server dependencies for stdio. */
  readonly serverDeps: Omit<McpServerDeps, 'contextOf'>;
  /** Fills `moodleUser` from core_webservice_get_site_info (cached) and refuses site-admin tokens unless allowed. */
  identify(connection: Connection): Promise<Connection>;
  /**
   * Applies an edited config's mode, profiles and site-level functions (what the policy decides with) atomically;
   * keeps the current ones when they are invalid (throws). Returns the other sections that changed: those need a restart.
   */
  reloadConfig(next: GatewayConfig): string[];
  /** Connections, OAuth and their store (undefined for stdio). */
  readonly auth?: GatewayAuth;
  /** Prometheus metrics (undefined when `metrics.enabled` is false) and where they are served. */
  readonly metrics?: { registry: GatewayMetrics; access: MetricsAccess };
  /** Graceful shutdown: refuse new calls, wait for calls in flight, end sessions, flush the audit trail. */
  close(): Promise<void>;
}

const HOT_SECTIONS = new Set(['mode', 'profiles', 'site_level_functions']);

/** The simulator's wwwroot: the recorded site's, in every answer it gives (site info, file URLs). */
const SIMULATOR_SITE_URL = 'http://127.0.0.1:8080';

// The URL clients use: `server.public_url`, or `http://host:port`.
function publicUrlOf(config: GatewayConfig): string {
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  return (config.server.public_url || `http://${host}:${config.server.port}`).replace(/\/$/, '');
}

/** Wires configuration, catalog, policy, Moodle, audit and auth into one gateway. */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  const env = options.env ?? process.env;
  const base = options.baseDir ?? process.cwd();
  const log = options.log ?? pino({ level: config.logging.level }, pino.destination(2));
  const publicUrl = publicUrlOf(config);

  // Moodle: the configured site, or the simulator in-process (a test double) when none is configured.
  const simulated = !config.moodle.url;
  const moodleUrl = config.moodle.url || 'http://moodle-simulator.invalid';
  const catalog = await loadCatalog();
  const metrics = config.metrics.enabled ? createGatewayMetrics({ knownFunction: (name) => catalog.get(name) !== undefined || FILE_FUNCTIONS.has(name) }) : undefined;
  const metricsAccess: MetricsAccess = { listen: config.metrics.listen, token: env[config.metrics.token_env] || undefined };
  const moodleFetch = options.moodleFetch ?? (simulated ? createSimulator({ siteUrl: SIMULATOR_SITE_URL }).fetch : undefined);
  const rawMoodle = createMoodleClient({
    url: moodleUrl,
    timeoutMs: config.moodle.timeout_ms,
    maxResponseBytes: config.moodle.max_response_bytes,
    service: config.moodle.service,
    fetch: moodleFetch,
  });
  const files = config.files.enabled
    ? createFileService({
        // The simulator's answers carry its own wwwroot (file URLs included): with the simulator, files come from there.
        files: createMoodleFiles({ url: simulated ? SIMULATOR_SITE_URL : moodleUrl, timeoutMs: config.moodle.timeout_ms, fetch: moodleFetch }),
        extract: isolatedExtractText({ timeoutMs: config.files.extract_timeout_ms, maxConcurrent: config.files.max_concurrent_extractions }),
        limits: {
          maxReadBytes: config.files.max_read_bytes,
          maxUploadBytes: config.files.max_upload_bytes,
          maxTextChars: config.files.max_text_chars,
          maxPdfPages: config.files.max_pdf_pages,
          maxBlobBytes: config.files.max_blob_bytes,
        },
      })
    : undefined;
  const moodleClient = metrics ? instrumentMoodle(rawMoodle, metrics) : rawMoodle;
  // Every site-info answer (sign-ins, connection checks) tells the pages the site's name, address and release.
  const site = new SiteDirectory(simulated ? undefined : { name: 'Moodle', url: config.moodle.url });
  const moodle: MoodleClient = { ...moodleClient, getSiteInfo: site.watch(moodleClient.getSiteInfo) };

  const rawAudit = createGatewayAudit(config, { stdio: options.stdio, writers: options.auditWriters, log, env });
  const audit = metrics ? observedAudit(rawAudit, metrics) : rawAudit;
  const securityEvent = (rec: Omit<AuditRecord, 'timestamp'>) => audit.record({ timestamp: new Date().toISOString(), ...rec });
  // Components opened so far, closed in reverse order when a later one fails to start (and at shutdown).
  const opened: (() => unknown)[] = [() => audit.close()];
  const closeOpened = async () => {
    for (const close of opened.splice(0).reverse()) await close();
  };

  try {
    // What the policy decides with (mode, profiles, site-level functions): replaced as a whole on a config reload.
    let policyData = policyDataFromConfig(config);
    let policyLoadedAt: string | undefined;
    let currentConfig = config;
    const policy = await loadPolicyEngine({
      wasmPath: resolve(base, config.policy.wasm),
      manifestPath: resolve(base, config.policy.manifest),
      sourcesDir: resolve(base, config.policy.sources),
      data: policyData,
      onEvent: (event) => {
        if (event.type === 'policy.loaded') {
          policyLoadedAt = new Date().toISOString();
          securityEvent({ event: 'policy.loaded', policy_version: event.version, detail: event.reason });
        } else if (event.type === 'policy.rejected') securityEvent({ event: 'policy.rejected', policy_version: event.keptVersion, detail: event.error.slice(0, 500) });
        else log.error({ error: event.error }, 'policy evaluation failed: calls are refused until the policy is reloaded');
      },
    });
    opened.push(() => policy.close());
    if (config.policy.watch) opened.push(policy.watch());

    const rateLimiter = await createRateLimiter(
      config.rate_limit.backend === 'redis'
        ? { backend: 'redis', url: requireEnv(env, config.rate_limit.redis_url_env, 'rate_limit.redis_url_env'), windowSeconds: config.rate_limit.window_seconds }
        : { backend: 'memory', windowSeconds: config.rate_limit.window_seconds },
    );
    opened.push(() => rateLimiter.close());

    const auth = options.stdio ? undefined : await createGatewayAuth({
      config,
      publicUrl,
      simulated,
      moodle,
      demoTokens: simulated ? { student: simulatorRoles.student.token, teacher: simulatorRoles.teacher.token, manager: simulatorRoles.manager.token } : undefined,
      audit: (rec) => audit.record(rec),
      env,
      site,
      log,
      moodleConnect: { url: rawMoodle.url, fetch: moodleFetch },
    });
    if (auth) opened.push(() => auth.close());
    const challenge = auth?.challenge ?? { scope: 'api.read' };
    if (auth) {
      // The site's name survives restarts: kept in the store, replaced when Moodle reports another.
      site.restore((await auth.store.oidcFind('SiteIdentity', 'current').catch(() => null))?.payload);
      site.onChange = (known) => void auth.store.oidcUpsert('SiteIdentity', 'current', { payload: { ...known } }).catch((error) => log.warn({ err: error }, 'could not keep the site identity'));
    }

    const decide = metrics ? timedDecide(policy, metrics) : (input: Parameters<PolicyEngine['decide']>[0]) => policy.decide(input);
    const registry = new ToolRegistry({
      catalog,
      direct: config.expose.direct,
      meta: config.expose.meta,
      decide,
      policyVersion: () => policy.version,
      gatewayTools: files && FILE_TOOL_DEFINITIONS.map((tool) => ({ tool, fn: FILE_FUNCTIONS.get(tool.name)! })),
    });
    // A token deleted in Moodle (Security keys, Manage tokens) ends its stored connection at its next use, audited.
    // True when the stored connection was revoked (config connections are not stored: they stay as configured).
    const onInvalidToken = async (connection: Connection): Promise<boolean> => {
      if (!auth || (connection.authMethod !== 'oauth' && connection.authMethod !== 'apikey')) return false;
      return revokeConnection(auth.revoke, connection.id, { detail: 'Moodle answered invalidtoken: the token was deleted in Moodle', moodleGone: true }).then(
        ({ before }) => before !== null,
        (error) => {
          log.error({ err: error, connection: connection.id }, 'could not revoke a connection whose Moodle token is gone');
          return false;
        },
      );
    };
    const pipelineDeps = createPipelineDeps({
      onInvalidToken,
      catalog,
      validate: createValidator((fn) => catalog.schemas(fn.name).input),
      courses: createCourseResolver({
        callMoodle: (token, fn, args) => moodle.call(token, fn, args, { access: 'read' }),
        onLookup: metrics && ((result) => metrics.courseLookups.inc({ result })),
      }),
      courseRestriction: (profile) => policyData.profiles[profile]?.courses ?? null,
      rateLimiter,
      policy,
      moodle,
      registry,
      audit,
      log,
      files,
      siteRelease: () => site.current?.release,
      now: options.now,
    });
    const pipeline = { ...pipelineDeps, decide };

    // Each distinct function list the site reports for a service is compared with the catalog once, in the log.
    const siteFunctionSets = new SiteFunctionSets((functions, info) => {
      const notice = siteFunctionsNotice(functions, info, catalog, moodleUrl);
      log[notice.level]({ site_functions: functions.names.size, catalog_functions: catalog.functions.length }, notice.message);
    });
    const identify = createIdentifier({
      moodle,
      allowSiteAdminTokens: config.moodle.allow_site_admin_tokens,
      challenge,
      onInvalidToken,
      siteFunctionSets,
    });
    async function authenticate(request: Request, clientIp: string): Promise<Connection> {
      if (!auth) throw new Error('a stdio gateway serves no HTTP');
      try {
        return await identify(await auth.authenticate(request, clientIp));
      } catch (error) {
        if (!((error instanceof AuthError && !error.missing) || error instanceof GatewayAuthError)) throw error;
        // A presented credential that is refused is a security event of its own, `auth.token.rejected` (a missing one
        // is the normal start of OAuth; `auth.signin.failed` is a failed sign-in on the OAuth pages); a failure of the
        // gateway's own (Moodle unreachable: 503) is no refusal of the caller: logged, not audited.
        if (error.status < 500)
          securityEvent({ event: 'auth.token.rejected', client_ip: clientIp, user_agent: request.headers.get('user-agent') ?? undefined, mcp_method: 'bearer', decision: 'denied', status: error.status, reasons: [error.message] });
        else log.warn({ err: error, clientIp }, 'authentication could not be completed');
        throw error;
      }
    }

    const bodyLimit = mcpBodyLimit(config);
    const drain = new Drain();
    const serverDeps = { registry, pipeline, track: <T>(work: () => Promise<T>) => drain.track(work) };
    const sessions = new McpSessions({
      stateful: config.server.sessions === 'stateful',
      idleMs: config.server.session_idle_minutes * 60_000,
      bodyLimit,
      maxSessions: config.server.max_sessions,
      maxSessionsPerConnection: config.server.max_sessions_per_connection,
      newServer: () => createMcpServer({ ...serverDeps, contextOf: (extra) => extra.authInfo?.extra?.ctx as CallContext }),
      onSession: (event, sessionId, ctx, reason) => audit.record(sessionRecord(event, sessionId, ctx, reason)),
    });
    opened.push(() => sessions.closeAll());
    metrics?.watchSessions(() => sessions.stats().open);

    async function readiness() {
      const checks: Record<string, { ok: boolean; detail?: string }> = {
        policy: { ok: policy.ready, detail: `version ${policy.version}` },
        audit: { ok: audit.healthy(), detail: audit.healthy() ? undefined : 'a sink cannot write and audit.fail_closed is on' },
        catalog: { ok: catalog.functions.length > 0, detail: `${catalog.functions.length} functions` },
        shutdown: { ok: !drain.closing },
        sessions: sessionsCheck(sessions.stats()),
      };
      return { ready: Object.values(checks).every((c) => c.ok), checks };
    }

    const admin = config.admin.enabled && auth
      ? createAdminConsole({
          secure: publicUrl.startsWith('https:'),
          sessionKey: derivedKey(auth.keyring, 'admin console'),
          sessionMinutes: config.admin.session_minutes,
          operatorKeyHash: operatorKeyHash(config, env),
          moodle,
          service: config.moodle.service,
          simulated,
          site,
          store: { auth: auth.store, type: config.store.type },
          keyring: auth.keyring,
          revokeConnection: (id, o) => revokeConnection(auth.revoke, id, o),
          configConnections: { list: auth.configConnections, revoked: () => auth.revokedConfigConnections(), revoke: (id) => auth.revokeConfigConnection(id) },
          allowSiteAdminTokens: config.moodle.allow_site_admin_tokens,
          policy: {
            get version() {
              return policy.version;
            },
            get ready() {
              return policy.ready;
            },
            decide: (input) => policy.decide(input),
            loadedAt: () => policyLoadedAt,
            data: () => policyData,
          },
          getFunction: (name) => registry.getFunction(name),
          profileDescriptions: () => Object.fromEntries(Object.entries(currentConfig.profiles).map(([name, p]) => [name, p.description])),
          rateLimit: {
            backend: config.rate_limit.backend,
            windowSeconds: config.rate_limit.window_seconds,
            probe: async () => void (await rateLimiter.usage('admin-console-probe', 'probe', Date.now())),
          },
          audit,
          auditFile: auditFileOf(config),
        })
      : undefined;

    const app = createHttpApp({
      hostPolicy: hostPolicy({ publicUrl, listenHost: config.server.host, allowedHosts: config.server.allowed_hosts, allowedOrigins: config.server.allowed_origins }),
      sessions,
      drain,
      authenticate,
      oauth: async (request, clientIp) => (await admin?.handle(request, clientIp)) ?? auth?.handle(request, clientIp),
      preflight: auth?.oauth
        ? createStepUp({
            writesPossible: (profile) => policyData.mode === 'read-write' && (policyData.profiles[profile]?.scopes.includes('api.write') ?? false),
            siteLacks: (connection, name) => siteLacks(connection, name, catalog),
            getFunction: (name) => registry.getFunction(name),
            isDirect: (tool) => registry.directTools.has(tool) || registry.gatewayTools.has(tool),
            meta: registry.meta,
            errorResponse: (error) => auth!.oauth!.errorResponse(error),
          })
        : undefined,
      bodyLimit,
      readiness,
      log,
      onResponse: metrics && ((request, response) => metrics.httpRequests.inc({ route: routeLabel(request.pathname), method: request.method, status: response.status })),
      metrics: metrics && ((request) => metricsResponse(metrics, metricsAccess, request, true)),
    });

    let closing: Promise<void> | undefined;
    return {
      config,
      simulated,
      moodleUrl,
      siteRelease: () => (site.learnt ? site.current?.release : undefined),
      catalog,
      policy,
      audit,
      registry,
      drain,
      app,
      serverDeps,
      identify,
      auth,
      metrics: metrics && { registry: metrics, access: metricsAccess },
      reloadConfig(next) {
        const data = policyDataFromConfig(next);
        policy.setData(data);
        policyData = data;
        currentConfig = next;
        return Object.keys(next).filter((key) => !HOT_SECTIONS.has(key) && JSON.stringify(next[key as keyof GatewayConfig]) !== JSON.stringify(config[key as keyof GatewayConfig]));
      },
      close: () =>
        (closing ??= (async () => {
          const drained = await drain.drain(config.server.shutdown_grace_ms);
          if (!drained) log.warn({ inFlight: drain.inFlight }, 'shutdown: calls still in flight after the grace period');
          // Let the responses of the calls that just finished be written to their streams before the sessions close.
          await new Promise((resolve) => setImmediate(resolve));
          await closeOpened(); // sessions, auth, rate limiter, policy watch and engine, then the audit trail (flushed last)
        })()),
    };
  } catch (error) {
    await closeOpened();
    throw error;
  }
}

/** The audit file sink's absolute path, when one is configured. */
function auditFileOf(config: GatewayConfig): string | undefined {
  const path = fileSinkPath(config);
  return path ? resolve(path) : undefined;
}

/** Hex SHA-256 of the console's operator key: admin.operator_key_sha256, or the key in admin.operator_key_env. */
function operatorKeyHash(config: GatewayConfig, env: NodeJS.ProcessEnv): string | undefined {
  if (config.admin.operator_key_sha256) return config.admin.operator_key_sha256;
  if (!config.admin.operator_key_env) return undefined;
  return hashApiKey(requireEnv(env, config.admin.operator_key_env, 'admin.operator_key_env'));
}

// Sessions in /readyz: counts and caps (a cap reached evicts, it does not make the gateway unready).
function sessionsCheck(stats: SessionStats) {
  if (!stats.stateful) return { ok: true, detail: 'stateless (no sessions kept)' };
  const { open, max, maxPerConnection, evicted } = stats;
  return { ok: true, detail: `${open} open (at most ${max}, ${maxPerConnection} per connection; ${evicted} evicted)`, open, max, max_per_connection: maxPerConnection, evicted };
}

function requireEnv(env: NodeJS.ProcessEnv, name: string, path: string): string {
  const value = env[name];
  if (!value) throw new Error(`${path}: environment variable ${name} is not set`);
  return value;
}


/**
 * The largest /mcp request body: server.body_limit_bytes, raised when files are enabled to fit a files.max_upload_bytes
 * upload (its content travels base64 inside the request: 4/3 of it, plus the JSON-RPC envelope). Bodies are read only
 * after authentication, so only a connection the gateway knows can send that much.
 */
export function mcpBodyLimit(config: GatewayConfig): number {
  if (!config.files.enabled) return config.server.body_limit_bytes;
  const upload = Math.ceil(config.files.max_upload_bytes / 3) * 4 + 64 * 1024;
  return Math.max(config.server.body_limit_bytes, upload);
}
