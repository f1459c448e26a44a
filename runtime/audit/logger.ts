import pino, { type Logger } from 'pino';
import { AuditError, AuditUnavailableError } from './errors.ts';
import { sanitize } from './sanitize.ts';
import { SinkQueue, type RetryOptions, type SinkStats, type SinkWriter } from './sink-queue.ts';
import { createFileSink } from './sinks/file.ts';
import { createHttpSink } from './sinks/http.ts';
import { createStdoutSink } from './sinks/stdout.ts';
import { createSyslogSink } from './sinks/syslog.ts';
import { createWebhook, type Webhook, type WebhookOptions, type WebhookStats } from './webhook.ts';
import type { SinkConfig, WebhookConfig } from './config.ts';
import type { AuditRecord } from './types.ts';

export interface AuditOptions {
  sinks: SinkConfig[];
  /** When true, healthy() is false while any sink cannot write (the gateway then refuses calls). */
  failClosed?: boolean;
  /** Lines buffered per sink before new ones are dropped (counted). Default 10000. */
  bufferSize?: number;
  webhook?: WebhookConfig;
  /** Operational logger (stderr) for drops and sink failures; never receives record contents. */
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  /** How long close() keeps retrying failing sinks and the webhook before dropping. Default 10000. */
  closeTimeoutMs?: number;
  /** Backoff between retries of a failing sink. Default 200 ms doubling to 30 s. */
  retry?: RetryOptions;
  /** Drops are logged at most once per interval. Default 10000. */
  dropLogIntervalMs?: number;
  /** Webhook delivery knobs that are not config (defaults in WebhookOptions; tests use small ones). */
  webhookTuning?: Pick<WebhookOptions, 'baseDelayMs' | 'maxDelayMs' | 'maxAttempts' | 'queueSize' | 'timeoutMs'>;
  /** Additional ready-made sinks (e.g. a custom stream); used as-is. */
  writers?: SinkWriter[];
}

export interface AuditStats {
  /** Records accepted by record(). */
  recorded: number;
  /** Lines written, summed over sinks. */
  written: number;
  /** Lines dropped per sink. */
  dropped: Record<string, number>;
  sinks: Record<string, SinkStats>;
  webhook?: WebhookStats;
  healthy: boolean;
  fail_closed: boolean;
}

export interface Audit {
  /** Records one operation or security event: sanitized, serialized and queued to every sink. Never throws or blocks. */
  record(rec: AuditRecord): void;
  /** False when fail_closed is on and a sink cannot write (or its buffer is full); always true otherwise. */
  healthy(): boolean;
  /** Throws AuditUnavailableError when healthy() is false (for the gateway pipeline). */
  assertAvailable(): void;
  stats(): AuditStats;
  /** Resolves when everything recorded so far has been written (sinks retrying keep it pending). */
  flush(): Promise<void>;
  /** Graceful shutdown: stops accepting, writes everything buffered, delivers queued webhooks, closes sinks. */
  close(): Promise<void>;
}

function sinkFromConfig(config: SinkConfig, index: number, env: NodeJS.ProcessEnv): SinkWriter {
  if (!config || typeof config !== 'object') throw new AuditError(`audit.sinks[${index}]: must be an object with a type`);
  switch (config.type) {
    case 'stdout':
      return createStdoutSink(undefined, 'stdout');
    case 'file':
      return createFileSink(config.path, config.rotate, { name: `file:${config.path}` });
    case 'http':
      return createHttpSink(config, env);
    case 'syslog':
      return createSyslogSink(config);
    default:
      throw new AuditError(`audit.sinks[${index}].type: must be stdout, file, http or syslog (got ${JSON.stringify((config as { type?: unknown }).type)})`);
  }
}

/** Creates the audit trail from plain options (see AuditOptions). Throws AuditError on bad sink config. */
export function createAudit(options: AuditOptions): Audit {
  const env = options.env ?? process.env;
  const capacity = options.bufferSize ?? 10_000;
  if (!Number.isInteger(capacity) || capacity < 1) throw new AuditError('audit.buffer: must be a positive integer');
  if (!Array.isArray(options.sinks)) throw new AuditError('audit.sinks: must be a list');
  const failClosed = options.failClosed ?? false;
  const log = options.logger ?? pino({ name: 'audit', level: 'info' }, pino.destination({ fd: 2, sync: false }));
  const retry = options.retry ?? { baseMs: 200, maxMs: 30_000 };
  const closeTimeout = options.closeTimeoutMs ?? 10_000;
  const dropInterval = options.dropLogIntervalMs ?? 10_000;

  const writers = options.sinks.map((sink, i) => sinkFromConfig(sink, i, env)).concat(options.writers ?? []);
  const names = new Set<string>();
  for (const writer of writers) {
    if (names.has(writer.name)) throw new AuditError(`audit.sinks: two sinks write to ${writer.name}`);
    names.add(writer.name);
  }

  // Drops are reported at most once per interval, summed per sink.
  const pendingDrops: Record<string, number> = {};
  let lastDropLog = 0;
  let dropTimer: NodeJS.Timeout | undefined;
  function reportDrops(): void {
    dropTimer = undefined;
    if (Object.keys(pendingDrops).length === 0) return;
    lastDropLog = Date.now();
    log.warn({ dropped: { ...pendingDrops } }, 'audit records dropped');
    for (const key of Object.keys(pendingDrops)) delete pendingDrops[key];
  }
  function onDrop(sink: string, count: number): void {
    pendingDrops[sink] = (pendingDrops[sink] ?? 0) + count;
    if (dropTimer) return;
    const wait = lastDropLog + dropInterval - Date.now();
    if (wait <= 0) reportDrops();
    else dropTimer = setTimeout(reportDrops, wait).unref();
  }

  const queues = writers.map((writer) => new SinkQueue(writer, capacity, retry, onDrop, log));
  const webhook: Webhook | undefined = options.webhook
    ? createWebhook(options.webhook, { env, logger: log, onDrop, ...options.webhookTuning })
    : undefined;

  let recorded = 0;
  let closed = false;
  let closing: Promise<void> | undefined;

  function unhealthySinks(): string[] {
    return queues.filter((q) => !q.healthy()).map((q) => q.name);
  }

  const audit: Audit = {
    record(rec) {
      try {
        if (closed) {
          for (const queue of queues) queue.push(''); // counted as dropped ('closed')
          return;
        }
        const clean = sanitize(rec);
        recorded++;
        // sanitize() returns only known fields, timestamp first: the JSON line sinks and the webhook both send.
        const json = JSON.stringify(clean);
        const line = `${json}\n`;
        for (const queue of queues) queue.push(line);
        webhook?.offer(clean, json);
      } catch (error) {
        log.error({ error: (error as Error)?.message }, 'audit record failed');
      }
    },
    healthy() {
      return !failClosed || queues.every((q) => q.healthy());
    },
    assertAvailable() {
      if (!audit.healthy()) throw new AuditUnavailableError(unhealthySinks());
    },
    stats() {
      const sinks: Record<string, SinkStats> = {};
      const dropped: Record<string, number> = {};
      let written = 0;
      for (const queue of queues) {
        const s = queue.stats();
        sinks[queue.name] = s;
        dropped[queue.name] = s.dropped;
        written += s.written;
      }
      return {
        recorded,
        written,
        dropped,
        sinks,
        ...(webhook ? { webhook: webhook.stats() } : {}),
        healthy: audit.healthy(),
        fail_closed: failClosed,
      };
    },
    async flush() {
      await Promise.all([...queues.map((q) => q.idle()), webhook?.flush()]);
    },
    close() {
      closing ??= (async () => {
        closed = true;
        await Promise.all([...queues.map((q) => q.close(closeTimeout)), webhook?.close(closeTimeout)]);
        if (dropTimer) clearTimeout(dropTimer);
        reportDrops();
        log.flush?.();
      })();
      return closing;
    },
  };
  return audit;
}
