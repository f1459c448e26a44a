import { randomUUID } from 'node:crypto';
import { PolicyError } from './errors.ts';
import type { PolicyInput } from './types.ts';

/** The counters the policy compares with a profile's limits (`input.usage`). */
export type RateUsage = PolicyInput['usage'];

/** One recorded call: the usage before it, and the id to `undo` it with. */
export interface RateHit {
  usage: RateUsage;
  id: string;
}

/**
 * Sliding-window call counters per connection and per connection × function. The limiter only counts;
 * the policy decides (it compares `usage` with `rate_per_minute` / `rate_per_function_per_minute`).
 *
 * Use: `const hit = await limiter.hit(conn, fn, now)` → decide with `hit.usage` → when denied,
 * `await limiter.undo(conn, fn, hit.id)` so refused calls don't count. `hit` is atomic, so concurrent
 * calls see distinct counts and a limit can't be overshot.
 */
export interface RateLimiter {
  readonly windowSeconds: number;
  /** Atomically records a call at `nowMs` and returns the calls in the window before it. */
  hit(connectionId: string, fn: string, nowMs: number): Promise<RateHit>;
  /** Removes a call recorded by `hit` (the call was refused). Unknown ids are ignored. */
  undo(connectionId: string, fn: string, id: string): Promise<void>;
  /** Calls in the window ending at `nowMs`, without recording one (for explain and tests). */
  usage(connectionId: string, fn: string, nowMs: number): Promise<RateUsage>;
  close(): Promise<void>;
}

export function checkWindowSeconds(windowSeconds: number): number {
  if (!Number.isInteger(windowSeconds) || windowSeconds <= 0) {
    throw new PolicyError(`rate limit window: must be a positive integer of seconds, got ${windowSeconds}`);
  }
  return windowSeconds;
}

interface Entry {
  t: number;
  id: string;
}

/** In-process sliding window (the default; one gateway replica). Entries older than the window are pruned on access and by a periodic sweep. */
export class MemoryRateLimiter implements RateLimiter {
  readonly windowSeconds: number;
  readonly #windowMs: number;
  readonly #entries = new Map<string, Entry[]>();
  readonly #sweep: NodeJS.Timeout;

  constructor(opts: { windowSeconds?: number } = {}) {
    this.windowSeconds = checkWindowSeconds(opts.windowSeconds ?? 60);
    this.#windowMs = this.windowSeconds * 1000;
    this.#sweep = setInterval(() => this.#prune(Date.now()), this.#windowMs);
    this.#sweep.unref();
  }

  // Entries are kept in insertion order, which is time order as long as the clock does not go back: pruning
  // drops from the front. Entries "from the future" (a clock step back) still count: conservative.
  #count(key: string, nowMs: number): number {
    const list = this.#entries.get(key);
    if (!list) return 0;
    const from = nowMs - this.#windowMs;
    let drop = 0;
    while (drop < list.length && list[drop]!.t <= from) drop++;
    if (drop === list.length) {
      this.#entries.delete(key);
      return 0;
    }
    if (drop) list.splice(0, drop);
    return list.length;
  }

  #prune(nowMs: number) {
    for (const key of [...this.#entries.keys()]) this.#count(key, nowMs);
  }

  #usage(connectionId: string, fn: string, nowMs: number): RateUsage {
    const [conn, func] = keys(connectionId, fn);
    return { window_seconds: this.windowSeconds, connection_calls: this.#count(conn, nowMs), function_calls: this.#count(func, nowMs) };
  }

  async usage(connectionId: string, fn: string, nowMs: number): Promise<RateUsage> {
    return this.#usage(connectionId, fn, nowMs);
  }

  async hit(connectionId: string, fn: string, nowMs: number): Promise<RateHit> {
    // Count and record without yielding in between: concurrent hits see distinct counts.
    const usage = this.#usage(connectionId, fn, nowMs);
    const id = randomUUID();
    for (const key of keys(connectionId, fn)) {
      const list = this.#entries.get(key) ?? [];
      list.push({ t: nowMs, id });
      this.#entries.set(key, list);
    }
    return { usage, id };
  }

  async undo(connectionId: string, fn: string, id: string): Promise<void> {
    for (const key of keys(connectionId, fn)) {
      const list = this.#entries.get(key);
      if (!list) continue;
      const kept = list.filter((e) => e.id !== id);
      if (kept.length === 0) this.#entries.delete(key);
      else this.#entries.set(key, kept);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
    this.#entries.clear();
  }
}

function keys(connectionId: string, fn: string): [string, string] {
  return [`c\0${connectionId}`, `f\0${connectionId}\0${fn}`];
}

export type RateLimitConfig = { backend?: 'memory'; windowSeconds?: number } | { backend: 'redis'; url: string; keyPrefix?: string; windowSeconds?: number };

/** Creates the configured limiter: in-memory by default, Redis (shared by several replicas) when `backend: redis`. */
export async function createRateLimiter(config: RateLimitConfig = {}): Promise<RateLimiter> {
  if (config.backend === 'redis') {
    const { RedisRateLimiter } = await import('./rate-limit-redis.ts');
    return RedisRateLimiter.connect(config);
  }
  if (config.backend !== undefined && config.backend !== 'memory') {
    throw new PolicyError(`rate limit backend: must be memory or redis, got ${JSON.stringify((config as { backend: unknown }).backend)}`);
  }
  return new MemoryRateLimiter(config);
}
