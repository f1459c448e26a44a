import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createRateLimiter, MemoryRateLimiter, type RateLimiter } from '../../runtime/policy/rate-limit.ts';
import { RedisRateLimiter } from '../../runtime/policy/rate-limit-redis.ts';
import { PolicyError } from '../../runtime/policy/errors.ts';
import { freePort } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

const T0 = 1_764_200_000_000;

/** The same behaviour, whatever the backend. Each call uses its own connection id, so suites don't interfere. */
function behaviour(name: string, make: () => Promise<RateLimiter>) {
  describe(`${name} rate limiter`, () => {
    let limiter: RateLimiter;
    before(async () => {
      limiter = await make();
    });
    after(() => limiter.close());

    it('counts calls before this one, per connection and per function', async () => {
      const a = await limiter.hit('c1', 'f1', T0);
      assert.deepEqual(a.usage, { window_seconds: 60, connection_calls: 0, function_calls: 0 });
      await limiter.hit('c1', 'f1', T0 + 1);
      const c = await limiter.hit('c1', 'f2', T0 + 2);
      assert.deepEqual(c.usage, { window_seconds: 60, connection_calls: 2, function_calls: 0 });
      const d = await limiter.hit('c1', 'f1', T0 + 3);
      assert.deepEqual(d.usage, { window_seconds: 60, connection_calls: 3, function_calls: 2 });
      assert.deepEqual(await limiter.usage('c2', 'f1', T0 + 3), { window_seconds: 60, connection_calls: 0, function_calls: 0 });
      assert.deepEqual(await limiter.usage('c1', 'f1', T0 + 3), { window_seconds: 60, connection_calls: 4, function_calls: 3 });
    });

    it('slides: calls leave the window after 60 s', async () => {
      await limiter.hit('s1', 'f', T0);
      await limiter.hit('s1', 'f', T0 + 30_000);
      assert.equal((await limiter.usage('s1', 'f', T0 + 59_999)).connection_calls, 2);
      assert.equal((await limiter.usage('s1', 'f', T0 + 60_000)).connection_calls, 1);
      assert.equal((await limiter.usage('s1', 'f', T0 + 90_000)).connection_calls, 0);
      assert.equal((await limiter.hit('s1', 'f', T0 + 90_001)).usage.connection_calls, 0);
    });

    it('counts calls stamped after now (a replica or clock ahead): conservative', async () => {
      await limiter.hit('a1', 'f', T0 + 10_000);
      assert.deepEqual((await limiter.hit('a1', 'f', T0)).usage, { window_seconds: 60, connection_calls: 1, function_calls: 1 });
    });

    it('undo removes a refused call', async () => {
      await limiter.hit('u1', 'f', T0);
      const refused = await limiter.hit('u1', 'f', T0 + 1);
      assert.equal(refused.usage.connection_calls, 1);
      await limiter.undo('u1', 'f', refused.id);
      await limiter.undo('u1', 'f', 'unknown-id');
      assert.deepEqual(await limiter.usage('u1', 'f', T0 + 2), { window_seconds: 60, connection_calls: 1, function_calls: 1 });
    });

    it('hit is atomic: concurrent calls see distinct counts', async () => {
      const hits = await Promise.all(Array.from({ length: 20 }, () => limiter.hit('p1', 'f', T0)));
      assert.deepEqual(hits.map((h) => h.usage.connection_calls).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i));
      assert.equal(new Set(hits.map((h) => h.id)).size, 20);
    });
  });
}

behaviour('memory', async () => new MemoryRateLimiter());

describe('rate limiter configuration', () => {
  it('creates the memory backend by default and rejects unknown backends and bad windows', async () => {
    const limiter = await createRateLimiter();
    assert.ok(limiter instanceof MemoryRateLimiter);
    await limiter.close();
    await assert.rejects(createRateLimiter({ backend: 'memcached' } as never), PolicyError);
    assert.throws(() => new MemoryRateLimiter({ windowSeconds: 0 }), /positive integer/);
  });

  it('fails with a PolicyError when Redis is unreachable', async () => {
    const port = await freePort();
    await assert.rejects(createRateLimiter({ backend: 'redis', url: `redis://127.0.0.1:${port}` }), (err: Error) => err instanceof PolicyError && /cannot connect/.test(err.message));
  });
});

describe('redis backend', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.stop());

  behaviour('redis', () => createRateLimiter({ backend: 'redis', url: redis.url, keyPrefix: 'test:' }));

  it('shares counters between replicas and expires its keys', async () => {
    const a = await RedisRateLimiter.connect({ url: redis.url, keyPrefix: 'shared:' });
    const b = await RedisRateLimiter.connect({ url: redis.url, keyPrefix: 'shared:' });
    await a.hit('r1', 'f', T0);
    assert.equal((await b.hit('r1', 'f', T0 + 1)).usage.connection_calls, 1);
    const client = new Redis(redis.url);
    const ttl = await client.pttl('shared:{r1}');
    assert.ok(ttl > 0 && ttl <= 60_000, `ttl ${ttl}`);
    client.disconnect();
    await a.close();
    await b.close();
  });
});
