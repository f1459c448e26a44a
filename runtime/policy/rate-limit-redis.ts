import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { PolicyError } from './errors.ts';
import { checkWindowSeconds, type RateHit, type RateLimiter, type RateUsage } from './rate-limit.ts';

// KEYS: connection zset, connection×function zset. ARGV: now (ms), window (ms), member ('' = count only).
// Prunes entries at or before now - window, counts what is left (entries stamped after now, by a replica whose
// clock is ahead, count too, as in the memory limiter: conservative), then (when a member is given)
// adds it to both sets. Atomic: Redis runs a script without interleaving other commands.
const HIT = `
local from = tonumber(ARGV[1]) - tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', from)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', from)
local c = redis.call('ZCARD', KEYS[1])
local f = redis.call('ZCARD', KEYS[2])
if ARGV[3] ~= '' then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return {c, f}
`;

type WithHit = Redis & { moodleMcpRateHit(k1: string, k2: string, now: number, windowMs: number, member: string): Promise<[number, number]> };

/** Sliding-window counters in Redis sorted sets, shared by every gateway replica (atomic Lua script). */
export class RedisRateLimiter implements RateLimiter {
  readonly windowSeconds: number;
  readonly #windowMs: number;
  readonly #redis: WithHit;
  readonly #prefix: string;
  readonly #owned: boolean;

  /** Uses an existing ioredis client (not closed by `close()`), or see `connect`. */
  constructor(redis: Redis, opts: { keyPrefix?: string; windowSeconds?: number; owned?: boolean } = {}) {
    this.windowSeconds = checkWindowSeconds(opts.windowSeconds ?? 60);
    this.#windowMs = this.windowSeconds * 1000;
    this.#prefix = opts.keyPrefix ?? 'moodle-mcp:rate:';
    this.#owned = opts.owned ?? false;
    redis.defineCommand('moodleMcpRateHit', { numberOfKeys: 2, lua: HIT });
    this.#redis = redis as WithHit;
  }

  /** Connects to `url` (redis://...) and checks the connection; throws PolicyError when Redis is unreachable. */
  static async connect(opts: { url: string; keyPrefix?: string; windowSeconds?: number }): Promise<RedisRateLimiter> {
    const redis = new Redis(opts.url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: false });
    // Connection errors surface as rejected commands (→ PolicyError → the call is refused); don't crash on the event.
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      await redis.ping();
    } catch (err) {
      redis.disconnect();
      throw new PolicyError(`rate limit redis: cannot connect: ${(err as Error).message}`);
    }
    return new RedisRateLimiter(redis, { ...opts, owned: true });
  }

  // The hash tag {…} keeps both keys of a connection in one slot (Redis Cluster).
  #keys(connectionId: string, fn: string): [string, string] {
    const tag = `{${connectionId.replaceAll('}', '%7D')}}`;
    return [`${this.#prefix}${tag}`, `${this.#prefix}${tag}:${fn}`];
  }

  async #run(connectionId: string, fn: string, nowMs: number, member: string): Promise<RateUsage> {
    const [k1, k2] = this.#keys(connectionId, fn);
    let counts: [number, number];
    try {
      counts = await this.#redis.moodleMcpRateHit(k1, k2, Math.floor(nowMs), this.#windowMs, member);
    } catch (err) {
      throw new PolicyError(`rate limit redis: ${(err as Error).message}`);
    }
    return { window_seconds: this.windowSeconds, connection_calls: Number(counts[0]), function_calls: Number(counts[1]) };
  }

  async hit(connectionId: string, fn: string, nowMs: number): Promise<RateHit> {
    const id = randomUUID();
    return { usage: await this.#run(connectionId, fn, nowMs, id), id };
  }

  usage(connectionId: string, fn: string, nowMs: number): Promise<RateUsage> {
    return this.#run(connectionId, fn, nowMs, '');
  }

  async undo(connectionId: string, fn: string, id: string): Promise<void> {
    const [k1, k2] = this.#keys(connectionId, fn);
    try {
      await this.#redis.multi().zrem(k1, id).zrem(k2, id).exec();
    } catch (err) {
      throw new PolicyError(`rate limit redis: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
