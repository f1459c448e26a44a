import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { AuditError } from './errors.ts';
import { describeError } from './sink-queue.ts';
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
export const DEFAULT_WEBHOOK_EVENTS = ['auth.signin.failed', 'tools/call:denied', 'rate_limit.hit'];

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

/** True when the record matches one of the `event` or `event:decision` selectors. */
export function matchesWebhook(record: AuditRecord, selectors: string[]): boolean {
  return selectors.some((selector) => {
    const [event, decision] = selector.split(':');
    return event === record.event && (decision === undefined || decision === record.decision);
  });
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
  /** First retry delay; doubles per attempt up to maxDelayMs. Default 1000 / 60000. */
  baseDelayMs?: number;
  maxDelayMs?: number;
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
  id: string;
  event: string;
  body: string;
  attempts: number;
}

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
  const selectors = config.events ?? DEFAULT_WEBHOOK_EVENTS;
  if (!Array.isArray(selectors) || selectors.some((s) => typeof s !== 'string' || s === '')) {
    throw new AuditError('audit.webhook.events: must be a list of "event" or "event:decision" strings');
  }
  const capacity = config.queue ?? 1000;
  const maxAttempts = config.max_attempts ?? 6;
  const timeoutMs = config.timeout_ms ?? 10_000;
  const baseDelay = options.baseDelayMs ?? 1000;
  const maxDelay = options.maxDelayMs ?? 60_000;
  const log = options.logger;

  const queue: Delivery[] = [];
  const counters = { sent: 0, dropped: 0, failures: 0 };
  let lastError: string | undefined;
  let running = false;
  let closing = false;
  let giveUpAt = Infinity;
  let wake: (() => void) | undefined;
  const idleWaiters: (() => void)[] = [];

  async function send(delivery: Delivery): Promise<void> {
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
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, Math.min(ms, giveUpAt - Date.now())));
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  async function run(): Promise<void> {
    while (queue.length > 0) {
      const delivery = queue[0];
      try {
        delivery.attempts++;
        await send(delivery);
        counters.sent++;
        queue.shift();
      } catch (error) {
        counters.failures++;
        lastError = describeError(error);
        if (delivery.attempts >= maxAttempts || Date.now() >= giveUpAt) {
          queue.shift();
          counters.dropped++;
          log?.warn({ delivery: delivery.id, event: delivery.event, attempts: delivery.attempts, error: lastError }, 'security webhook delivery given up');
          if (Date.now() >= giveUpAt) {
            counters.dropped += queue.length;
            queue.length = 0;
          }
        } else {
          await sleep(Math.min(maxDelay, baseDelay * 2 ** (delivery.attempts - 1)));
        }
      }
    }
    running = false;
    for (const resolve of idleWaiters.splice(0)) resolve();
  }

  let lastDropLog = 0;
  return {
    offer(record, body) {
      try {
        if (!matchesWebhook(record, selectors)) return;
        if (closing || queue.length >= capacity) {
          counters.dropped++;
          if (Date.now() - lastDropLog > 10_000) {
            lastDropLog = Date.now();
            log?.warn({ dropped: counters.dropped }, 'security webhook queue full; events dropped');
          }
          return;
        }
        queue.push({ id: randomUUID(), event: record.event, body: body ?? JSON.stringify(record), attempts: 0 });
        if (!running) {
          running = true;
          setImmediate(() => void run());
        }
      } catch {
        counters.dropped++;
      }
    },
    stats() {
      return { queued: queue.length, ...counters, ...(lastError ? { last_error: lastError } : {}) };
    },
    flush() {
      if (!running) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async close(timeout = 5000) {
      closing = true;
      giveUpAt = Date.now() + timeout;
      wake?.();
      await this.flush();
    },
  };
}
