import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { AuditError } from './errors.ts';
import { SinkQueue, type DropHandler, type SinkWriter } from './sink-queue.ts';
import type { WebhookConfig } from './config.ts';
import type { AuditRecord } from './types.ts';

/**
 * Signature scheme (for receivers):
 *   X-Moodle-MCP-Timestamp: <unix seconds when this attempt was sent>
 *   X-Moodle-MCP-Signature: sha256=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<raw body bytes>")>
 *   X-Moodle-MCP-Delivery:  <uuid, identical across retries of one event — use it to de-duplicate>
 *   X-Moodle-MCP-Event:     <record.event>
 * The body is the sanitized AuditRecord as JSON. Receivers recompute the HMAC over the raw body, compare in
 * constant time and reject timestamps outside a tolerance (default 5 minutes) against replays.
 */
export const SIGNATURE_HEADER = 'x-moodle-mcp-signature';
export const TIMESTAMP_HEADER = 'x-moodle-mcp-timestamp';
export const DELIVERY_HEADER = 'x-moodle-mcp-delivery';
export const EVENT_HEADER = 'x-moodle-mcp-event';

/** Default selectors: failed sign-ins, denied tool calls, rate-limit hits. */
export const DEFAULT_WEBHOOK_EVENTS = ['auth.signin.failed', 'auth.token.rejected', 'auth.client_metadata.refused', 'tools/call:denied', 'rate_limit.hit'];

/** `sha256=<hex>` for a body sent at `timestamp` (unix seconds). */
export function signWebhookBody(body: string | Buffer, timestamp: number | string, secret: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return `sha256=${mac}`;
}

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const bag = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(bag).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : bag[key];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Verifies a webhook delivery: signature over "<timestamp>.<raw body>" with HMAC-SHA256 (constant-time compare)
 * and a timestamp within `toleranceSec` (default 300) of `now` (unix seconds, default current time).
 */
export function verifyWebhookSignature(
  body: string | Buffer,
  headers: HeaderBag,
  secret: string,
  options: { toleranceSec?: number; now?: number } = {},
): boolean {
  const signature = header(headers, SIGNATURE_HEADER);
  const timestamp = header(headers, TIMESTAMP_HEADER);
  if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSec ?? 300)) return false;
  const expected = Buffer.from(signWebhookBody(body, timestamp, secret));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

interface Selector {
  event: string;
  decision: string | undefined;
}

function parseSelectors(selectors: string[]): Selector[] {
  return selectors.map((selector) => {
    const [event, decision] = selector.split(':');
    return { event, decision };
  });
}

function matchesAny(record: AuditRecord, selectors: Selector[]): boolean {
  return selectors.some(({ event, decision }) => event === record.event && (decision === undefined || decision === record.decision));
}

/** True when the record matches one of the `event` or `event:decision` selectors. */
export function matchesWebhook(record: AuditRecord, selectors: string[]): boolean {
  return matchesAny(record, parseSelectors(selectors));
}

export interface WebhookStats {
  queued: number;
  sent: number;
  dropped: number;
  failures: number;
  last_error?: string;
}

export interface Webhook {
  /** Queues the record if it matches the configured events; never blocks or throws. `body`: the record as JSON, if already serialized. */
  offer(record: AuditRecord, body?: string): void;
  stats(): WebhookStats;
  /** Resolves when the queue is empty (deliveries succeeded or were given up). */
  flush(): Promise<void>;
  /** Stops accepting; delivers what is queued within `timeoutMs`, then drops (counted) the rest. */
  close(timeoutMs?: number): Promise<void>;
}

export interface WebhookOptions {
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Called for every dropped delivery (queue full, closed, given up); the audit trail logs them throttled. */
  onDrop?: DropHandler;
  /** First retry delay; doubles per attempt up to maxDelayMs. Default 1000 / 60000. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Attempts per delivery before it is given up (counted as dropped). Default 6. */
  maxAttempts?: number;
  /** Deliveries held, including the one being attempted, before new ones are dropped. Default 1000. */
  queueSize?: number;
  /** Deadline of one POST. Default 10000. */
  timeoutMs?: number;
}

function readSecret(config: WebhookConfig, env: NodeJS.ProcessEnv): string {
  if (config.secret_env) {
    const value = env[config.secret_env];
    if (!value) throw new AuditError(`audit.webhook.secret_env: environment variable ${config.secret_env} is not set`);
    return value;
  }
  if (config.secret_file) {
    let value: string;
    try {
      value = readFileSync(config.secret_file, 'utf8').trim();
    } catch (error) {
      throw new AuditError(`audit.webhook.secret_file: cannot read ${config.secret_file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
    }
    if (!value) throw new AuditError(`audit.webhook.secret_file: ${config.secret_file} is empty`);
    return value;
  }
  throw new AuditError('audit.webhook: secret_env or secret_file is required (deliveries are always signed)');
}

interface Delivery {
  /** The same on every attempt of one event. */
  id: string;
  event: string;
  body: string;
}

/** Name of the webhook's queue in drop reports. */
const WEBHOOK_QUEUE = 'webhook';

/** Security webhook: signed asynchronous POSTs with retry/backoff and a bounded queue (see signature scheme above). */
export function createWebhook(config: WebhookConfig, options: WebhookOptions = {}): Webhook {
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    throw new AuditError('audit.webhook.url: not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AuditError('audit.webhook.url: must be http or https');
  const secret = readSecret(config, options.env ?? process.env);
  const events = config.events ?? DEFAULT_WEBHOOK_EVENTS;
  if (!Array.isArray(events) || events.some((s) => typeof s !== 'string' || s === '')) {
    throw new AuditError('audit.webhook.events: must be a list of "event" or "event:decision" strings');
  }
  const selectors = parseSelectors(events);
  const capacity = options.queueSize ?? 1000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const onDrop = options.onDrop ?? (() => {});
  // Set by close(): no attempt may outlast the close deadline.
  let giveUpAt = Infinity;

  const writer: SinkWriter<Delivery> = {
    name: WEBHOOK_QUEUE,
    maxBatch: 1,
    async write([delivery]) {
      const timestamp = Math.floor(Date.now() / 1000);
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signWebhookBody(delivery.body, timestamp, secret),
          [DELIVERY_HEADER]: delivery.id,
          [EVENT_HEADER]: delivery.event,
        },
        body: delivery.body,
        signal: AbortSignal.timeout(Math.max(1, Math.min(timeoutMs, giveUpAt - Date.now()))),
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    },
    async close() {},
  };
  const retry = { baseMs: options.baseDelayMs ?? 1000, maxMs: options.maxDelayMs ?? 60_000, maxAttempts: options.maxAttempts ?? 6 };
  // The queue bound counts the delivery being attempted, as documented ("queue of 1000").
  const queue = new SinkQueue(writer, capacity, retry, onDrop, options.logger, { capacityIncludesInflight: true });
  let failedOffers = 0;

  return {
    offer(record, body) {
      try {
        if (!matchesAny(record, selectors)) return;
        queue.push({ id: randomUUID(), event: record.event, body: body ?? JSON.stringify(record) });
      } catch {
        failedOffers++;
        onDrop(WEBHOOK_QUEUE, 1, 'not serializable');
      }
    },
    stats() {
      const { queued, written, dropped, failures, last_error } = queue.stats();
      return { queued, sent: written, dropped: dropped + failedOffers, failures, ...(last_error ? { last_error } : {}) };
    },
    flush() {
      return queue.idle();
    },
    async close(timeout = 5000) {
      giveUpAt = Date.now() + timeout;
      await queue.close(timeout);
    },
  };
}
