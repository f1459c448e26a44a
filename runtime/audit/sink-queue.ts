import type { Logger } from 'pino';

/** A destination for serialized audit lines (each ending in "\n"), or for other queued items (`T`). */
export interface SinkWriter<T = string> {
  readonly name: string;
  /** Most lines handed to one write() call. */
  readonly maxBatch: number;
  /**
   * How long the first queued line waits for others before a write starts (default: the next turn of the event loop).
   * For writers whose every write has a fixed cost (the file sink takes a lock file per write): one call after
   * another would otherwise pay it per line.
   */
  readonly batchDelayMs?: number;
  /** Resolves once the lines are written (optionally reporting lines the receiver rejected); rejects otherwise. */
  write(lines: T[]): Promise<void | { rejected: number }>;
  close(): Promise<void>;
}

export interface SinkStats {
  healthy: boolean;
  queued: number;
  written: number;
  dropped: number;
  failures: number;
  last_error?: string;
}

export interface RetryOptions {
  baseMs: number;
  maxMs: number;
  /** Attempts per batch; when the last one fails the batch is dropped (counted). Default: retried until close. */
  maxAttempts?: number;
}

/** Called for every drop: the sink's name, how many lines, and why. */
export type DropHandler = (sink: string, count: number, reason: string) => void;

export interface SinkQueueOptions {
  /** Count the batch being written against `capacity` (default: `capacity` lines may wait behind it). */
  capacityIncludesInflight?: boolean;
}

/** Short, secret-free description of a write error (never a URL or a body). */
export function describeError(error: unknown): string {
  const err = error as { code?: unknown; cause?: { code?: unknown }; message?: string; name?: string };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'timeout';
  if (typeof err?.cause?.code === 'string') return err.cause.code;
  if (typeof err?.code === 'string') return err.code;
  return String(err?.message ?? error).slice(0, 200);
}

/**
 * A bounded FIFO in front of one sink, drained in the background. push() never blocks: beyond `capacity`
 * queued lines the new line is dropped and counted. Failed writes are retried with exponential backoff
 * (the batch stays at the head, so order is kept); while they fail the sink reports unhealthy.
 */
export class SinkQueue<T = string> {
  private queue: T[] = [];
  private inflight = 0;
  private running = false;
  private closing = false;
  private giveUpAt = Infinity;
  private wakeSleep: (() => void) | undefined;
  private idleWaiters: (() => void)[] = [];
  private ok = true;
  private counters = { written: 0, dropped: 0, failures: 0 };
  private lastError: string | undefined;

  constructor(
    readonly writer: SinkWriter<T>,
    private readonly capacity: number,
    private readonly retry: RetryOptions,
    private readonly onDrop: DropHandler,
    private readonly log?: Logger,
    private readonly options: SinkQueueOptions = {},
  ) {}

  get name(): string {
    return this.writer.name;
  }

  /** Queues one line; returns false when it was dropped (buffer full or sink closed). */
  push(line: T): boolean {
    if (this.closing || this.full()) {
      this.drop(1, this.closing ? 'closed' : 'buffer full');
      return false;
    }
    this.queue.push(line);
    if (!this.running) {
      this.running = true;
      const delay = this.writer.batchDelayMs;
      if (delay && !this.closing) setTimeout(() => void this.run(), delay);
      else setImmediate(() => void this.run());
    }
    return true;
  }

  /** Writable now: last write succeeded and the buffer has room. */
  healthy(): boolean {
    return this.ok && !this.full();
  }

  private full(): boolean {
    const inflight = this.options.capacityIncludesInflight ? this.inflight : 0;
    return this.queue.length + inflight >= this.capacity;
  }

  stats(): SinkStats {
    return {
      healthy: this.healthy(),
      queued: this.queue.length + this.inflight,
      ...this.counters,
      ...(this.lastError ? { last_error: this.lastError } : {}),
    };
  }

  /** Resolves when everything queued so far is written (or given up at close). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops accepting lines, writes what is queued (retrying until `timeoutMs`, then dropping), closes the sink. */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    this.giveUpAt = Date.now() + timeoutMs;
    this.wakeSleep?.();
    await this.idle();
    try {
      await this.writer.close();
    } catch (error) {
      this.log?.warn({ sink: this.name, error: describeError(error) }, 'audit sink close failed');
    }
  }

  private drop(count: number, reason: string): void {
    if (count <= 0) return;
    this.counters.dropped += count;
    this.onDrop(this.name, count, reason);
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.writer.maxBatch);
      this.inflight = batch.length;
      for (let attempt = 0; ; attempt++) {
        try {
          const result = await this.writer.write(batch);
          const rejected = result && typeof result === 'object' ? Math.min(result.rejected, batch.length) : 0;
          this.counters.written += batch.length - rejected;
          this.drop(rejected, 'rejected by receiver');
          if (!this.ok) this.log?.info({ sink: this.name }, 'audit sink recovered');
          this.ok = true;
          break;
        } catch (error) {
          this.counters.failures++;
          this.lastError = describeError(error);
          if (this.ok) this.log?.warn({ sink: this.name, error: this.lastError }, 'audit sink cannot write; retrying');
          this.ok = false;
          if (Date.now() >= this.giveUpAt) {
            const lost = batch.length + this.queue.length;
            this.queue = [];
            this.drop(lost, 'sink failing at close');
            break;
          }
          if (attempt + 1 >= (this.retry.maxAttempts ?? Infinity)) {
            this.log?.warn({ sink: this.name, attempts: attempt + 1, error: this.lastError }, 'audit sink gave up a batch after its last attempt');
            this.drop(batch.length, 'max attempts');
            break;
          }
          await this.sleep(Math.min(this.retry.maxMs, this.retry.baseMs * 2 ** Math.min(attempt, 20)));
        }
      }
      this.inflight = 0;
    }
    this.running = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private sleep(ms: number): Promise<void> {
    const wait = Math.max(0, Math.min(ms, this.giveUpAt - Date.now()));
    return new Promise((resolve) => {
      const timer = setTimeout(done, wait);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleep = () => {
        this.wakeSleep = undefined;
        done();
      };
    });
  }
}
