import { LRUCache } from 'lru-cache';

/**
 * Failed sign-in attempts per client IP and per username, in a sliding window: past the limit, sign-in answers 429
 * before asking Moodle (password guessing through the gateway). In memory, per replica; Moodle's own lockout still applies.
 */
export class SignInThrottle {
  private readonly failures = new LRUCache<string, number[]>({ max: 50_000 });

  constructor(
    private readonly limit = 10,
    private readonly windowMs = 15 * 60_000,
  ) {}

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
  }

  /** True when this IP or username has failed too often recently. */
  blocked(ip: string | undefined, username: string | undefined, now = Date.now()): boolean {
    return [ip && `ip:${ip}`, username && `user:${username.toLowerCase()}`].some((k) => k && this.recent(k, now).length >= this.limit);
  }

  fail(ip: string | undefined, username: string | undefined, now = Date.now()): void {
    for (const key of [ip && `ip:${ip}`, username && `user:${username.toLowerCase()}`]) {
      if (key) this.failures.set(key, [...this.recent(key, now), now]);
    }
  }
}
