import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Audit } from '../audit/logger.ts';
import type { AuditRecord } from '../audit/types.ts';

/** Process metrics (CPU, memory, event loop lag, GC, handles) are collected once per process, whatever the gateways. */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: 'moodle_mcp_' });
  }
  return processRegistry;
}

/** Routes of the gateway's HTTP app, as metric labels (a bounded set: never a raw path). */
export function routeLabel(pathname: string): string {
  if (pathname === '/mcp' || pathname === '/healthz' || pathname === '/readyz' || pathname === '/metrics') return pathname;
  for (const prefix of ['/.well-known/', '/oauth/', '/connections', '/admin']) if (pathname.startsWith(prefix)) return `${prefix.replace(/\/$/, '')}/*`;
  return 'other';
}

/** Outcome label of a tool call from its audit record: ok, or the error class by status. */
export function outcomeLabel(status: number | undefined): string {
  if (status === undefined) return 'unknown';
  if (status < 400) return 'ok';
  if (status === 400 || status === 404) return 'invalid';
  if (status === 401 || status === 403) return 'denied';
  if (status === 429) return 'rate_limited';
  if (status === 422) return 'moodle_error';
  if (status === 502 || status === 504) return 'moodle_unreachable';
  if (status === 503) return 'unavailable';
  return 'error';
}

/** The gateway's Prometheus metrics (one registry per gateway; process metrics shared). */
export interface GatewayMetrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly toolCalls: Counter<'function' | 'decision' | 'outcome'>;
  readonly moodleDuration: Histogram<'function' | 'outcome'>;
  readonly policyDecision: Histogram<'action'>;
  readonly courseLookups: Counter<'result'>;
  readonly rateLimitHits: Counter<'function'>;
  /** Counts what an audit record says (tool calls, rate-limit hits). `knownFunction` bounds the labels. */
  observeRecord(record: AuditRecord): void;
  /** Reads the number of open MCP sessions at every scrape. */
  watchSessions(open: () => number): void;
  /** Reads the audit trail's queue depth, drops, sink errors and webhook failures at every scrape. */
  watchAudit(audit: Pick<Audit, 'stats'>): void;
  /** The exposition text (this gateway's metrics and the process metrics) and its content type. */
  scrape(): Promise<{ body: string; contentType: string }>;
}

/**
 * Creates the metrics of one gateway. `knownFunction` decides whether a function name may be a label value
 * (catalog functions only: a client's made-up name must not create new series).
 */
export function createGatewayMetrics(options: { knownFunction(name: string): boolean }): GatewayMetrics {
  const registry = new Registry();
  const fnLabel = (name: string | undefined) => (name && options.knownFunction(name) ? name : 'unknown');
  let audit: Pick<Audit, 'stats'> | undefined;
  let openSessions: (() => number) | undefined;

  const httpRequests = new Counter({
    name: 'moodle_mcp_http_requests_total',
    help: 'HTTP requests answered, by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const toolCalls = new Counter({
    name: 'moodle_mcp_tool_calls_total',
    help: 'Tool calls (tools/call) by Moodle function, policy decision and outcome',
    labelNames: ['function', 'decision', 'outcome'] as const,
    registers: [registry],
  });
  const moodleDuration = new Histogram({
    name: 'moodle_mcp_moodle_request_duration_seconds',
    help: 'Latency of web-service calls to Moodle, by function and outcome (ok, error)',
    labelNames: ['function', 'outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const policyDecision = new Histogram({
    name: 'moodle_mcp_policy_decision_duration_seconds',
    help: 'Time of one policy (WASM) decision, by action',
    labelNames: ['action'] as const,
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
    registers: [registry],
  });
  const courseLookups = new Counter({
    name: 'moodle_mcp_course_lookups_total',
    help: 'Course-module/instance to course lookups: hit (cache), miss (asked Moodle), failure (Moodle could not say)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const rateLimitHits = new Counter({
    name: 'moodle_mcp_rate_limit_hits_total',
    help: 'Calls refused by a rate limit, by function',
    labelNames: ['function'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'moodle_mcp_sessions_open',
    help: 'Open MCP sessions (stateful mode) on this replica',
    registers: [registry],
    collect() {
      this.set(openSessions?.() ?? 0);
    },
  });
  new Gauge({
    name: 'moodle_mcp_audit_queue_depth',
    help: 'Audit lines waiting to be written, by sink',
    labelNames: ['sink'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [sink, s] of Object.entries(audit?.stats().sinks ?? {})) this.set({ sink }, s.queued);
    },
  });
  // Cumulative numbers the audit trail keeps itself: exposed as counters, read at scrape time.
  new Counter({
    name: 'moodle_mcp_audit_dropped_total',
    help: 'Audit lines dropped (buffer full, shut down, rejected by the receiver), by sink',
    labelNames: ['sink'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [sink, s] of Object.entries(audit?.stats().sinks ?? {})) this.inc({ sink }, s.dropped);
    },
  });
  new Counter({
    name: 'moodle_mcp_audit_sink_errors_total',
    help: 'Failed audit sink writes (each retried), by sink',
    labelNames: ['sink'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [sink, s] of Object.entries(audit?.stats().sinks ?? {})) this.inc({ sink }, s.failures);
    },
  });
  new Gauge({
    name: 'moodle_mcp_audit_healthy',
    help: '1 when every audit sink can write, else 0',
    registers: [registry],
    collect() {
      this.set(audit && audit.stats().healthy === false ? 0 : 1);
    },
  });
  new Counter({
    name: 'moodle_mcp_webhook_failures_total',
    help: 'Failed security-webhook deliveries (each retried)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(audit?.stats().webhook?.failures ?? 0);
    },
  });
  new Counter({
    name: 'moodle_mcp_webhook_dropped_total',
    help: 'Security-webhook events given up (queue full or retries exhausted)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(audit?.stats().webhook?.dropped ?? 0);
    },
  });

  return {
    registry,
    httpRequests,
    toolCalls,
    moodleDuration,
    policyDecision,
    courseLookups,
    rateLimitHits,
    observeRecord(record) {
      if (record.event === 'tools/call') {
        toolCalls.inc({ function: fnLabel(record.moodle_function), decision: record.decision ?? 'unknown', outcome: outcomeLabel(record.status) });
      } else if (record.event === 'rate_limit.hit') {
        rateLimitHits.inc({ function: fnLabel(record.moodle_function) });
      }
    },
    watchAudit(next) {
      audit = next;
    },
    watchSessions(open) {
      openSessions = open;
    },
    async scrape() {
      const merged = Registry.merge([registry, processMetrics()]);
      return { body: await merged.metrics(), contentType: merged.contentType };
    },
  };
}
